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
        inspect::labels,
        inspect::open_share,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
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

/// The OpenAPI document as pretty JSON (what `GET /openapi.json` serves and `schemas/openapi.json` holds).
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
