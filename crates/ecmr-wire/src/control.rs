//! The eFTI authority API's bodies, shaped as the EU reference implementation's DTOs (camelCase members, `status`
//! `COMPLETE`/`PENDING`/`ERROR`/`TIMEOUT`, errors as `errorCode` + `errorDescription` inside the DTO).

use serde::{Deserialize, Serialize};

/// A UIL query (RI `UilDto`). `subsetIds` is accepted as another name of `subsetId`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UilDto {
    /// The gate holding the dataset: this gate's `gate_id`.
    pub gate_id: String,
    /// The platform holding the dataset: this gateway's `platform_id`.
    pub platform_id: String,
    /// The dataset (the document id).
    pub dataset_id: String,
    /// The subsets asked for (`full`, `identifier`, `EU01`, …).
    #[serde(default)]
    pub subset_id: Vec<String>,
}

/// The answer to a UIL or identifier query (RI `RequestIdDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestIdDto {
    /// The request id, for `GET …?requestId=` and follow-ups.
    pub request_id: String,
    /// `PENDING`, `COMPLETE`, `ERROR` or `TIMEOUT`.
    pub status: String,
    /// The RI error code when `status` is `ERROR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Base64 of the eFTI XML, when `COMPLETE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A follow-up message about a control (RI `PostFollowUpRequestDto`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PostFollowUpRequestDto {
    /// The message, at most 255 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 255))]
    pub message: String,
    /// The UIL request it is about.
    pub request_id: String,
}

/// The answer to a follow-up (RI `NoteResponseDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NoteResponseDto {
    /// `Note sent`, or what went wrong.
    pub message: String,
    /// The RI error code, on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// An identifier search (RI `SearchWithIdentifiersRequestDto`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SearchWithIdentifiersRequestDto {
    /// Letters and digits; matched case-insensitively.
    pub identifier: String,
    /// `means`, `equipment`, `carried`; all three when empty.
    #[serde(default)]
    pub identifier_type: Vec<String>,
    /// One digit (UN/ECE Rec. 19), e.g. `3` for road.
    #[serde(default)]
    pub mode_code: Option<String>,
    /// ISO 3166-1 alpha-2 registration country of the means or equipment.
    #[serde(default)]
    pub registration_country_code: Option<String>,
    /// Only consignments with (or without) dangerous goods.
    #[serde(default)]
    pub dangerous_goods_indicator: Option<bool>,
    /// Gates to ask (country codes); this gateway answers from its own data.
    #[serde(default)]
    pub efti_gate_indicator: Vec<String>,
}

/// The answer to an identifier search (RI `IdentifiersResponseDto`): the consignments found, each naming its gate,
/// and, for a search that went to other gates, one entry per gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IdentifiersResponseDto {
    /// The request id.
    pub request_id: String,
    /// `PENDING` (other gates have not all answered), `COMPLETE` or `ERROR`.
    pub status: String,
    /// The RI error code when `status` is `ERROR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The consignments found (of every gate that answered).
    pub identifiers: Vec<ConsignmentApiDto>,
    /// One entry per gate asked (the RI's aggregated answer), when the search went to other gates too; absent
    /// for a search of this gate alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateIdentifiersDto>,
}

/// One gate's part of an identifier search that went to several gates: its status, error and consignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GateIdentifiersDto {
    /// The gate's country (the RI's `eFTIGate`).
    #[serde(rename = "eFTIGate")]
    pub efti_gate: String,
    /// The gate's id; absent for a country with no known gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_id: Option<String>,
    /// `PENDING`, `COMPLETE`, `ERROR` or `TIMEOUT`.
    pub status: String,
    /// The RI error code when `status` is `ERROR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The consignments this gate found, each with its UIL.
    pub identifiers: Vec<ConsignmentApiDto>,
}

/// A consignment found by an identifier search (RI `ConsignmentApiDto`): its UIL and its identifier dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConsignmentApiDto {
    /// The gate holding it (this gate).
    pub gate_id: String,
    /// The platform holding it.
    pub platform_id: String,
    /// The dataset id: with the two above, the UIL to ask for.
    pub dataset_id: String,
    /// When the carrier took the goods over (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_acceptance_datetime: Option<String>,
    /// When the goods were delivered (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_event_actual_occurrence_datetime: Option<String>,
    /// The means of transport.
    pub main_carriage_transport_movement: Vec<MainCarriageTransportMovementApiDto>,
    /// The equipment, with what it carries.
    pub used_transport_equipment: Vec<UsedTransportEquipmentApiDto>,
}

/// A means of transport (RI `MainCarriageTransportMovementApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MainCarriageTransportMovementApiDto {
    /// Its id (registration).
    pub id: String,
    /// Transport mode code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_code: Option<i32>,
    /// Whether the consignment carries dangerous goods.
    pub dangerous_goods_indicator: bool,
    /// Registration country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_country_code: Option<String>,
}

/// Transport equipment (RI `UsedTransportEquipmentApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UsedTransportEquipmentApiDto {
    /// Its id.
    pub id: String,
    /// Position, from 1.
    pub sequence_number: i32,
    /// Registration country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_country: Option<String>,
    /// Category code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    /// Equipment it carries.
    pub carried_transport_equipment: Vec<CarriedTransportEquipmentApiDto>,
}

/// Carried equipment (RI `CarriedTransportEquipmentApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CarriedTransportEquipmentApiDto {
    /// Its id.
    pub id: String,
    /// Position, from 1.
    pub sequence_number: i32,
}
