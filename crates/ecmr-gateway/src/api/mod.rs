//! The HTTP routes: the party API ([`documents`], [`shares`]), the eFTI authority API ([`control`]), the platform
//! API ([`platform`]), the gate API ([`gate`]), administration ([`admin`]), operations ([`ops`]), the inspector web
//! app and driver view ([`web`], [`inspect`]), who may call them
//! ([`extract`]), and the OpenAPI description generated from them ([`ApiDoc`]). Handlers do HTTP and DTO mapping
//! only; the rules are in [`crate::service`].

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub mod admin;
pub mod control;
pub mod documents;
pub mod extract;
pub mod federation;
pub mod gate;
pub mod inspect;
pub mod ops;
pub mod platform;
pub mod shares;
pub mod web;

/// The OpenAPI description of the gateway.
#[derive(OpenApi)]
#[openapi(
    info(title = "ecmr-gateway", description = "The e-CMR Access Point: party API, eFTI authority and platform APIs, administration, operations."),
    paths(
        documents::submit,
        documents::list,
        documents::get,
        documents::append,
        documents::audit,
        documents::follow_ups,
        documents::add_participant,
        shares::create,
        shares::list,
        shares::revoke,
        control::uil::request_uil,
        control::uil::get_uil,
        control::read::read_uil,
        control::follow_up::follow_up,
        control::identifiers::search_identifiers,
        control::identifiers::get_identifiers,
        platform::put_consignment,
        platform::whoami,
        gate::get_consignment,
        gate::follow_up,
        federation::receive,
        admin::add_principal,
        admin::list_principals,
        admin::get_principal,
        admin::revoke_principal,
        admin::set_subsets,
        admin::add_token,
        admin::revoke_token,
        ops::healthz,
        ops::readyz,
        ops::well_known,
        ops::metrics,
        ops::openapi,
        inspect::sign_in,
        inspect::session,
        inspect::sign_out,
        inspect::layout,
        inspect::search,
        inspect::labels,
        inspect::open_share,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth, &CommonAnswers),
    tags(
        (name = "documents", description = "Signed consignment notes of the calling party"),
        (name = "efti", description = "eFTI authority API, compatible with the EU reference implementation"),
        (name = "platform", description = "eFTI platform API: external platforms register consignment identifiers"),
        (name = "gate", description = "Gate→platform API: an eFTI gate reads our documents and passes on follow-ups"),
        (name = "federation", description = "Gate to gate: the RI's gate.xsd messages between the gates of a federation, signed"),
        (name = "admin", description = "Principals and tokens"),
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "inspector", description = "The inspector web app's session and views, and the driver view of share links"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// What every route of a shape has in common, said once here so that the next route cannot forget it:
///
/// - a route that takes a body may refuse it before its handler runs, as malformed (400, a problem document even
///   where the route's own 400 answers have another form), too large (413) or of another media type (415);
/// - a route behind a bearer token answers 401 without a valid one and 403 to a principal of another kind;
/// - a `subsetId` query parameter takes the subset ids of the eFTI common dataset, or `full`, repeated (or, beyond
///   what the description can say, comma-separated), at least one.
struct CommonAnswers;

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let mut common = Vec::new();
                if operation.request_body.is_some() {
                    common.push(("400", "The body is not well-formed, or not of the shape this route takes"));
                    common.push(("413", "The body is larger than the gateway accepts; the answer says the limit"));
                    common.push(("415", "The body is not of the media type this route takes"));
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    common.push(("401", "No valid bearer token (`Authorization: Bearer <token>`)"));
                    common.push(("403", "The token's principal is of a kind that may not use this route"));
                }
                for (status, description) in common {
                    let answer = operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(ResponseBuilder::new().description(description).build()));
                    if let RefOr::T(answer) = answer {
                        answer
                            .content
                            .entry(PROBLEM_JSON.to_owned())
                            .or_insert_with(|| RefOr::T(ContentBuilder::new().schema(Some(problem_ref())).build()));
                    }
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(p) = parameter
                        && p.name == "subsetId"
                    {
                        p.required = utoipa::openapi::Required::True;
                        p.explode = Some(true);
                        p.schema = Some(subset_ids_schema());
                    }
                }
            }
        }
    }
}

const PROBLEM_JSON: &str = "application/problem+json";

fn problem_ref() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))
}

/// One or more subset ids of the eFTI common dataset, or `full`.
fn subset_ids_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let ids = ecmr::efti::table::SUBSET_IDS.iter().copied().chain([crate::service::principals::FULL]);
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(ids)))
        .min_items(Some(1))
        .into()
}

/// The OpenAPI document as pretty JSON (what `GET /openapi.json` serves and `schemas/openapi.json` holds).
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
