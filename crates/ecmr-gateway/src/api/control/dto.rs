//! The RI's request and response bodies of the authority API, and the reading of request bodies into the
//! service's queries with the RI's error codes.

use ecmr::efti::identifiers::IDENTIFIER_MAX_CHARS;
use ecmr::efti::search::{IdentifierQuery, IdentifierType, QueryError};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{RiCode, RiError};
pub use crate::service::efti::{
    CarriedTransportEquipmentApiDto, ConsignmentApiDto, GateIdentifiersDto, MainCarriageTransportMovementApiDto,
    UsedTransportEquipmentApiDto,
};
use crate::service::efti::{Status, UilQuery};
use crate::service::uil::{ID_MAX_CHARS, id_chars_ok};
pub use ecmr_wire::control::{
    IdentifiersResponseDto, NoteResponseDto, PostFollowUpRequestDto, RequestIdDto, SearchWithIdentifiersRequestDto,
    UilDto,
};

/// `?requestId=` of the follow-up GETs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RequestIdParam {
    /// The request id the POST answered.
    pub request_id: String,
}

/// The DTO of a request's answer, with `data` (base64 of the XML) when complete.
pub(crate) fn request_id_dto(request_id: String, status: &Status, data: Option<String>) -> RequestIdDto {
    let (error_code, error_description) = error_fields(status);
    RequestIdDto { request_id, status: status.as_str().to_owned(), error_code, error_description, data }
}

/// The DTO of a search's answer.
pub(crate) fn identifiers_dto(
    request_id: String,
    status: &Status,
    identifiers: Vec<ConsignmentApiDto>,
    gates: Vec<GateIdentifiersDto>,
) -> IdentifiersResponseDto {
    let (error_code, error_description) = error_fields(status);
    IdentifiersResponseDto {
        request_id,
        status: status.as_str().to_owned(),
        error_code,
        error_description,
        identifiers,
        gates,
    }
}

/// The DTO of a follow-up's answer.
pub(crate) fn note_dto(message: &str, error: Option<RiError>) -> NoteResponseDto {
    NoteResponseDto {
        message: message.to_owned(),
        error_code: error.as_ref().map(|e| e.code.as_str().to_owned()),
        error_description: error.map(|e| e.description),
    }
}

fn error_fields(status: &Status) -> (Option<String>, Option<String>) {
    match status {
        Status::Error(e) => (Some(e.code.as_str().to_owned()), Some(e.description.clone())),
        _ => (None, None),
    }
}

/// A string member of the body: `Ok(None)` when absent or null, `Err(wrong_type)` when of another type.
pub(crate) fn member<'a>(body: &'a Value, name: &str, wrong_type: RiError) -> Result<Option<&'a str>, RiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(wrong_type),
    }
}

/// A list of strings: absent, null or an array of strings.
fn string_list(body: &Value, name: &str, wrong: RiError) -> Result<Vec<String>, RiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong.clone())).collect()
        }
        Some(_) => Err(wrong),
    }
}

/// Checks a gate or platform id as the RI does: missing or blank, too long, wrong characters.
fn uil_part(value: Option<&str>, codes: [RiCode; 3], what: &str) -> Result<String, RiError> {
    let [missing, too_long, format] = codes;
    let v = value.unwrap_or_default();
    if v.trim().is_empty() {
        return Err(RiError::new(missing, format!("Missing parameter {what}")));
    }
    if v.chars().count() > ID_MAX_CHARS {
        return Err(RiError::new(too_long, format!("{what} max length is {ID_MAX_CHARS} characters.")));
    }
    if !id_chars_ok(v) {
        return Err(RiError::new(
            format,
            format!("{what} format incorrect: only letters, digits, spaces and -@./#&+_"),
        ));
    }
    Ok(v.to_owned())
}

/// Reads a UIL query (`UilDto`; `subsetIds` is taken as another name of `subsetId`) with the RI's checks.
pub(crate) fn uil_query(body: &Value) -> Result<UilQuery, RiError> {
    let wrong = |code, what| RiError::new(code, format!("{what} must be a string"));
    let gate = member(body, "gateId", wrong(RiCode::UilGateIncorrectFormat, "gateId"))?;
    let gate_codes = [RiCode::UilGateMissing, RiCode::UilGateTooLong, RiCode::UilGateIncorrectFormat];
    let gate_id = uil_part(gate, gate_codes, "gateId")?;
    let platform = member(body, "platformId", wrong(RiCode::UilPlatformIncorrectFormat, "platformId"))?;
    let platform_codes = [RiCode::UilPlatformMissing, RiCode::UilPlatformTooLong, RiCode::UilPlatformIncorrectFormat];
    let platform_id = uil_part(platform, platform_codes, "platformId")?;
    let dataset = member(body, "datasetId", wrong(RiCode::UilUuidIncorrectFormat, "datasetId"))?.unwrap_or_default();
    if dataset.trim().is_empty() {
        return Err(RiError::new(RiCode::UilUuidMissing, "Missing parameter datasetId"));
    }
    if dataset.chars().count() > 36 {
        return Err(RiError::new(RiCode::UilUuidTooLong, "Uuid max length is 36 characters."));
    }
    let dataset_id = Uuid::try_parse(dataset)
        .ok()
        .filter(|_| dataset.len() == 36)
        .ok_or_else(|| RiError::new(RiCode::UilUuidIncorrectFormat, format!("datasetId {dataset:?} is not a UUID")))?;
    let wrong = RiError::new(RiCode::SubsetIdIncorrect, "subsetId must be an array of subset ids");
    let mut subsets = string_list(body, "subsetId", wrong.clone())?;
    subsets.extend(string_list(body, "subsetIds", wrong)?);
    if subsets.is_empty() {
        return Err(RiError::new(
            RiCode::SubsetIdMissing,
            "Missing parameter subsetId: name the subsets asked for, e.g. [\"EU01\"]",
        ));
    }
    Ok(UilQuery { gate_id, platform_id, dataset_id, subsets })
}

/// Reads an identifier search (`SearchWithIdentifiersRequestDto`): the members' JSON types here, their values
/// by the core's validation ([`IdentifierQuery::from_request`]), then the gate indicators.
/// An identifier search: the query and the countries whose gates to ask (`eftiGateIndicator`; empty for all).
pub(crate) fn search_query(body: &Value) -> Result<(IdentifierQuery, Vec<String>), RiError> {
    let wrong = RiError::new;
    let identifier =
        member(body, "identifier", wrong(RiCode::IdentifierIncorrectFormat, "identifier must be a string"))?;
    let types =
        string_list(body, "identifierType", wrong(RiCode::IdentifierTypeIncorrect, "identifierType must be an array"))?;
    let mode_code = member(body, "modeCode", wrong(RiCode::ModeCodeIncorrectFormat, "modeCode must be a string"))?;
    let country = member(
        body,
        "registrationCountryCode",
        wrong(RiCode::RegistrationCountryIncorrect, "registrationCountryCode must be a string"),
    )?;
    let query = IdentifierQuery::from_request(identifier, &types, mode_code, country, None).map_err(|e| {
        // The RI's description, with the value at fault.
        let description = match &e {
            QueryError::IdentifierTooLong => format!("{e}: at most {IDENTIFIER_MAX_CHARS} characters"),
            QueryError::IdentifierIncorrectFormat => {
                format!("{e}: letters and digits only (spaces, hyphens and dots are ignored)")
            }
            QueryError::IdentifierTypeIncorrect => match types.iter().find(|t| IdentifierType::parse(t).is_none()) {
                Some(t) => format!("{e}: {t:?} is not means, equipment or carried"),
                None => e.to_string(),
            },
            QueryError::RegistrationCountryIncorrect => {
                format!("{e}: {:?} is not an ISO 3166-1 alpha-2 country code", country.unwrap_or_default())
            }
            _ => e.to_string(),
        };
        RiError::new(RiCode::from(&e), description)
    })?;
    let dangerous_goods = match body.get("dangerousGoodsIndicator") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(RiError::new(RiCode::DefaultError, "dangerousGoodsIndicator must be true or false")),
    };
    let gates = string_list(
        body,
        "eftiGateIndicator",
        wrong(RiCode::GateIndicatorIncorrect, "eftiGateIndicator must be an array"),
    )?;
    if let Some(g) = gates.iter().find(|g| ecmr::efti::table::COUNTRY_CODES.binary_search(&g.as_str()).is_err()) {
        return Err(RiError::new(
            RiCode::GateIndicatorIncorrect,
            format!("GateIndicator incorrect: {g:?} is not a country code"),
        ));
    }
    Ok((IdentifierQuery { dangerous_goods_indicator: dangerous_goods, ..query }, gates))
}
