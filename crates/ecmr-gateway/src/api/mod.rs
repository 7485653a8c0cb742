//! The HTTP routes: the party API ([`documents`]), administration ([`admin`]) and operations ([`ops`]), and the
//! OpenAPI description generated from them ([`ApiDoc`]).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub mod admin;
pub mod control;
pub mod documents;
pub mod gate;
pub mod ops;
pub mod platform;

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
        control::request_uil,
        control::get_uil,
        control::read_uil,
        control::follow_up,
        control::search_identifiers,
        control::get_identifiers,
        platform::put_consignment,
        platform::whoami,
        gate::get_consignment,
        gate::follow_up,
        admin::add_principal,
        admin::list_principals,
        admin::get_principal,
        admin::revoke_principal,
        admin::set_subsets,
        admin::add_token,
        admin::revoke_token,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        ops::openapi,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "documents", description = "Signed consignment notes of the calling party"),
        (name = "efti", description = "eFTI authority API, compatible with the EU reference implementation"),
        (name = "platform", description = "eFTI platform API: external platforms register consignment identifiers"),
        (name = "gate", description = "Gate→platform API: an eFTI gate reads our documents and passes on follow-ups"),
        (name = "admin", description = "Principals and tokens"),
        (name = "operations", description = "Health, readiness, metrics"),
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

/// The OpenAPI document as pretty JSON (what `GET /openapi.json` serves and `schemas/openapi.json` holds).
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
