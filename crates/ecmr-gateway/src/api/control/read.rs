//! The direct read of one dataset, `GET /v1/uil/{gateId}/{platformId}/{datasetId}`: the eFTI XML of the subsets
//! asked for, or the signed document itself. Not an RI route: every error is a problem document.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::api::documents::{BUNDLE_MEDIA_TYPE, bundle_response};
use crate::api::extract::{Authority, RequestId};
use crate::error::{ApiError, Problem};
use crate::service::audit::Via;
use crate::service::efti::{Dataset, EftiError};
use crate::service::principals::FULL;
use crate::state::AppState;

/// The subset ids of a query string: `subsetId` (or `subsetIds`), repeated or comma-separated.
pub(crate) fn subset_params(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "subsetId" | "subsetIds" => {
                // A comma may come percent-encoded.
                let v = v.replace("%2C", ",").replace("%2c", ",");
                for id in v.split(',').filter(|s| !s.is_empty()) {
                    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(ApiError::BadRequest(format!("subsetId {id:?} is not a subset id")));
                    }
                    out.push(id.to_owned());
                }
            }
            other => {
                return Err(ApiError::BadRequest(format!("unknown query parameter {other:?} (expected subsetId)")));
            }
        }
    }
    Ok(out)
}

/// Whether the request asks for a bundle (`Accept: application/vnd.ecmr.bundle+json`).
pub(crate) fn wants_bundle(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(BUNDLE_MEDIA_TYPE)))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| {
        a.split(',').any(|t| t.trim().split(';').next().is_some_and(|m| m.trim() == "application/json"))
    })
}

/// The answer of a direct read (authority API and gate API alike).
pub(crate) fn dataset_response(dataset: Dataset) -> Response {
    match dataset {
        Dataset::Xml(xml) => ([(header::CONTENT_TYPE, "application/xml")], xml).into_response(),
        Dataset::Signed(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
    }
}

/// Read one dataset by its UIL: the eFTI XML of the requested subsets, or with `Accept: application/json` the
/// signed document itself (for authorities entitled to `full`), so that an inspector can verify the signatures;
/// or with `Accept: application/vnd.ecmr.bundle+json` the bundle (`ecmr-bundle/1`: the document as stored, with
/// the gateway's receipts and attestations), which the gateway hands over without verifying it first, for the
/// reader to check (the inspector web app does, in the browser).
#[utoipa::path(
    get, path = "/v1/uil/{gateId}/{platformId}/{datasetId}", tag = "efti",
    params(
        ("gateId" = String, Path, description = "This gate's id"),
        ("platformId" = String, Path, description = "This gateway's platform id"),
        ("datasetId" = Uuid, Path, description = "The document id"),
        ("subsetId" = Option<String>, Query, description = "Subset ids, repeated or comma-separated; required for XML"),
    ),
    responses(
        (status = 200, description = "The eFTI XML (`application/xml`), the signed document (`application/json`) or the bundle (`application/vnd.ecmr.bundle+json`)", body = String, content_type = "application/xml"),
        (status = 400, description = "Missing or unknown subset ids", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority, or not entitled to the subsets", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dataset at this gate and platform", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn read_uil(
    State(state): State<AppState>,
    Authority(who): Authority,
    request_id: RequestId,
    headers: HeaderMap,
    Path((gate_id, platform_id, dataset_id)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    // A bundle is the whole document and takes no query (checked once the UIL is known to be this gate's); any
    // other read checks its subset ids first.
    let bundle = wants_bundle(&headers);
    let signed = wants_json(&headers);
    let subsets = if bundle {
        Vec::new()
    } else {
        let asked = subset_params(query.as_deref())?;
        if signed { vec![FULL.to_owned()] } else { asked }
    };
    let not_found = || ApiError::NotFound(format!("no dataset {gate_id}/{platform_id}/{dataset_id} at this gate"));
    if gate_id != state.efti.gate_id() || platform_id != state.efti.platform_id() {
        return Err(not_found());
    }
    let found = |e: EftiError| match e {
        EftiError::NotFound(_) => not_found(),
        e => e.into(),
    };
    if bundle {
        if query.as_deref().is_some_and(|q| !q.is_empty()) {
            return Err(ApiError::BadRequest("a bundle is the whole document: no subsetId".into()));
        }
        let doc = state.efti.read_stored(&who, Via::Authority, &dataset_id, request_id.get()).await.map_err(found)?;
        return bundle_response(&state, &doc).await;
    }
    let dataset =
        state.efti.read(&who, Via::Authority, &dataset_id, &subsets, signed, request_id.get()).await.map_err(found)?;
    Ok(dataset_response(dataset))
}
