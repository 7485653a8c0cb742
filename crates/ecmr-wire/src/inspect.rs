//! Share links of documents (party API) and what the inspector web app and the driver view read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A request for a share link of one document (`POST /v1/documents/{id}/shares`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// Lifetime in seconds: 60 to 2592000 (30 days); 259200 (72 hours) when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 2_592_000))]
    pub expires_in: Option<u64>,
    /// A label for the party's own use, e.g. the driver's name (at most 100 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub label: Option<String>,
}

/// A share link just made: the only answer that carries its token, inside `url`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareCreated {
    /// The link's id, for listing and revoking.
    pub id: Uuid,
    /// The link to give the driver: `<public_url>/share/#t=<token>` (a path when the gateway has no
    /// `public_url`). The token is in the fragment, which browsers do not send to servers.
    pub url: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// A share link as listed (without its token, which is not kept).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInfo {
    /// The link's id.
    pub id: Uuid,
    /// The document it shows.
    pub document_id: Uuid,
    /// Its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The party principal that made it.
    pub created_by: Uuid,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops (or stopped) working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
}

/// The share links of a document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareList {
    /// Oldest first.
    pub items: Vec<ShareInfo>,
}

/// The token of a share link, as the driver view sends it (`POST /share/open`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareOpen {
    /// The token from the link's fragment (`#t=…`).
    pub token: String,
}

/// One box of the paper form as a view lays it out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoxView {
    /// The box number, 1 to 24.
    pub number: u8,
    /// Its label in the view's language.
    pub label: String,
    /// Its lines; absent when the dataset does not provide the box (a subset the reader is not entitled to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<String>>,
}

/// A note laid out in the 24 boxes of the paper form, in one language.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteView {
    /// The language (`en`, `nl`, `fr`, `de`).
    pub lang: String,
    /// The form's title.
    pub title: String,
    /// The note number, when the dataset has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Boxes 1 to 24 in order; the goods particulars of boxes 6–12 are in `goods`.
    pub boxes: Vec<BoxView>,
    /// Heading of the goods table.
    pub goods_heading: String,
    /// Column headings of the goods table (boxes 6 to 12).
    pub goods_columns: Vec<String>,
    /// Goods lines as cells of boxes 6 to 12; absent when the dataset provides no goods particulars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods: Option<Vec<Vec<String>>>,
    /// Lines below the goods table (totals, dangerous goods).
    pub goods_notes: Vec<String>,
    /// What has no box: (heading, lines).
    pub trailer: Vec<(String, Vec<String>)>,
}

/// One event of a document as the driver view shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    /// Position in the chain.
    pub seq: i64,
    /// Event kind (`issued`, `taken_over`, …).
    pub kind: String,
    /// Role of the signer.
    pub role: String,
    /// When the gateway stored it.
    pub received_at: DateTime<Utc>,
}

/// What a share link shows its driver (`POST /share/open`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareView {
    /// The document.
    pub document_id: Uuid,
    /// The note number.
    pub note_number: String,
    /// Lifecycle state.
    pub state: String,
    /// Seq of the last event.
    pub last_seq: i64,
    /// Digest of the last event.
    pub last_event_digest: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// What the QR code for the inspector holds: the inspector link of the document as it stands (see
    /// `docs/signed-document.md` §10).
    pub qr_payload: String,
    /// The QR code as an SVG image.
    pub qr_svg: String,
    /// The note in boxes.
    pub note: NoteView,
    /// The events, oldest first.
    pub events: Vec<EventView>,
}

/// The signed-in authority of an inspector session (`GET /inspect/session`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The authority's name.
    pub name: String,
    /// Its country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The subsets it is entitled to (`full` for all).
    pub subsets: Vec<String>,
    /// This gate's id and platform id: the first two parts of the UILs it serves.
    pub gate_id: String,
    /// The platform id.
    pub platform_id: String,
    /// When the session ends at the latest (present on sign-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A sign-in to the inspector (`POST /inspect/session`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The authority's bearer token.
    pub token: String,
}

/// The inspector's search (`POST /inspect/search`): the identifier search's answer as the eFTI reference
/// implementation gives it, and for each consignment found, at the same position, what the result list shows of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchView {
    /// The answer of `POST /v1/control/identifiers` to the same query (stored and audited the same way).
    pub answer: crate::control::IdentifiersResponseDto,
    /// One entry per consignment of `answer.identifiers`; `null` for one that is not a document of this gateway
    /// or of which the authority may read nothing.
    pub notes: Vec<Option<HitNote>>,
}

/// What the result list shows of a consignment found, besides its identifiers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HitNote {
    /// The consignment note number, where the authority's subsets include it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The sender's name, where the authority's subsets include it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The carrier's name, where the authority's subsets include it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// The document's state: `issued`, `cancelled`, `in_transit`, `delivered` or `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Signers whose directory identity did not match the party the note names, accepted because the gateway
    /// ran with `identity_check = "warn"`: one line per mismatch, naming the event, the note's party and the key's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_warnings: Vec<String>,
}
