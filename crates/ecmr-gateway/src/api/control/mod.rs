//! The eFTI authority API, compatible with the EU reference implementation's (RI) `simulator-api.yaml`: UIL
//! queries ([`uil`]), identifier searches ([`identifiers`]), follow-up messages ([`follow_up`]), and a direct read
//! of one dataset ([`read`]). The RI's bodies are in [`dto`]; the rules are the eFTI service's
//! ([`crate::service::efti`]).
//!
//! The RI answers request errors inside its DTOs (`status: ERROR` with an `errorCode`), and so do the RI routes
//! here (the follow-up's errors are a `400` with its `NoteResponseDto`, as the RI's); authentication, the kind of
//! caller and bodies that are not JSON are problem documents (401, 403, 400), and so are all errors of the direct
//! read, which is not an RI route. Every request is stored with its answer, in the same commit as its audit
//! entries, so that `GET …?requestId=` returns the same result and nothing is answered unaudited. Differences from
//! the RI are listed in `docs/efti-compat.md`.

pub mod dto;
pub mod follow_up;
pub mod identifiers;
pub mod read;
pub mod uil;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use serde_json::Value;

use crate::error::ApiError;
use dto::RequestIdParam;

/// The JSON body of one of the RI's routes, read as the RI reads it: any JSON value (members the DTO does not
/// name are ignored, whatever their numbers), the RI's own checks then answering inside its DTO.
///
/// # Errors
/// 400 naming where the body is not JSON.
pub(crate) fn ri_json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let message = text.split(" at line ").next().unwrap_or_default().to_owned();
        ApiError::MalformedJson { pointer: String::new(), line: e.line(), column: e.column(), message }
    })
}

/// A JSON request body of the gateway's own routes, strictly parsed (no fractions, no repeated keys; a whole
/// number written `880.0` is the integer 880, see [`ecmr::canonical::parse_request`]).
///
/// # Errors
/// 400 (or 413) naming where the body is not strict JSON.
fn json_body(bytes: &[u8]) -> Result<Value, ApiError> {
    ecmr::canonical::parse_request(bytes, ecmr::canonical::MAX_DOCUMENT_BYTES).map_err(ApiError::from_strict_json)
}

/// A JSON object body read into `T`: 400 (or 413) when not strict JSON, 422 when it is not an object or does not
/// fit. (Every body of the gateway's own routes is an object; serde would otherwise also fill a struct from an
/// array of its members' values.)
///
/// # Errors
/// As [`json_body`], and 422 naming what does not fit.
pub(crate) fn body_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = json_body(body)?;
    if !value.is_object() {
        let found = match value {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(ApiError::invalid_request(format!("the request body must be a JSON object, not {found}")));
    }
    serde_json::from_value(value).map_err(|e| ApiError::invalid_request(format!("the request body does not fit: {e}")))
}

/// The `requestId` of a follow-up GET.
fn request_id_param(q: Result<Query<RequestIdParam>, QueryRejection>) -> Result<String, ApiError> {
    let Query(p) = q?;
    Ok(p.request_id)
}
