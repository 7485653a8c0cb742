//! A typed async client for every route of `ecmr-gateway`: the party API (submit and sync signed documents,
//! append events, read, list, audit log, follow-ups), the eFTI authority API (UIL queries, identifier searches,
//! follow-ups, direct reads), the platform API, the gate API, administration and operations (health, readiness,
//! the gateway's published keys, metrics, the OpenAPI description).
//!
//! `document` gives the signed document, `bundle` the same with the gateway's receipts and attestations, and
//! `add_participant` lets another party reach a document. The bodies are the gateway's own types, from [`ecmr_wire`] (re-exported as [`wire`]). Every error answer — a
//! problem document, or an eFTI reference-implementation DTO with `status: ERROR` — becomes [`Error::Api`];
//! network failures and timeouts say which URL failed and whether sending the request again is safe.
//!
//! Each attempt has a timeout ([`ClientBuilder::timeout`]). Idempotent requests — `GET`, `PUT`, and
//! `POST /v1/documents`, which syncs — are retried with exponential backoff after network failures, timeouts and
//! 429/502/503/504 answers ([`ClientBuilder::retries`]); other requests are retried only when they never left
//! (the connection could not be made). `https://` gateways are reached with rustls and the webpki roots (the
//! default `tls` feature).
//!
//! Signing is the core library's business ([`ecmr::sign`](https://docs.rs/ecmr)); this client moves the signed
//! bytes:
//!
//! ```no_run
//! use ecmr_client::{Client, ListQuery, SubmitOutcome};
//!
//! # async fn run(signed_document: Vec<u8>) -> Result<(), ecmr_client::Error> {
//! let client = Client::builder("http://127.0.0.1:8080").token("ecmr_…").build()?;
//! // Submitting is syncing: the same call for a new document and for one with events added since.
//! let sent = client.submit(&signed_document).await?;
//! match sent.outcome {
//!     SubmitOutcome::Created => println!("stored {}", sent.receipt.id),
//!     SubmitOutcome::Extended => println!("appended seqs {:?}", sent.receipt.appended_seqs),
//!     SubmitOutcome::Unchanged => println!("already at seq {}", sent.receipt.last_seq),
//! }
//! for doc in client.list_all(&ListQuery { state: Some("in_transit".into()), ..ListQuery::default() }).await? {
//!     println!("{} {} {}", doc.id, doc.note_number, doc.state);
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client as Hyper;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

mod error;

pub use ecmr_wire as wire;
pub use error::{ApiError, Error, Result};
use wire::Problem;
use wire::admin::{
    NewPrincipal, NewTokenRequest, PrincipalCreated, PrincipalDetail, PrincipalView, SubsetsRequest, TokenCreated,
};
use wire::control::{
    IdentifiersResponseDto, NoteResponseDto, PostFollowUpRequestDto, RequestIdDto, SearchWithIdentifiersRequestDto,
    UilDto,
};
use wire::inspect::{ShareCreated, ShareList, ShareOpen, ShareRequest, ShareView};
use wire::party::{AuditRecord, DocumentPage, DocumentReceipt, FollowUpMessage, ParticipantAdded, ParticipantRequest};

#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;

/// Most attempts' backoff: the delay doubles from [`ClientBuilder::backoff`] up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base: String,
    token: Option<String>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

impl ClientBuilder {
    /// The bearer token to send (`ecmr_…`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// How long one attempt may take, connecting and reading the whole answer included (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times an idempotent request is sent again after a transient failure (default 3).
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// The wait before the first retry; it doubles for each further one, up to 10 s (default 200 ms).
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`Error::Url`] when the base URL is not `http://…` or `https://…` (the latter needs the `tls` feature), or
    /// has a query or fragment.
    pub fn build(self) -> Result<Client> {
        let base = self.base.trim_end_matches('/').to_owned();
        let bad = |why: &str| Error::Url { url: self.base.clone(), why: why.to_owned() };
        let uri: Uri = base.parse().map_err(|e| bad(&format!("not a URL: {e}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") if cfg!(feature = "tls") => {}
            Some("https") => return Err(bad("https needs the client's `tls` feature")),
            _ => return Err(bad("expected http://host[:port][/prefix] or https://…")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        if uri.query().is_some() || base.contains('#') {
            return Err(bad("a gateway URL has no query or fragment"));
        }
        let auth = match &self.token {
            Some(t) => Some(
                HeaderValue::from_str(&format!("Bearer {}", t.trim()))
                    .map_err(|_| Error::Request("the token has characters a header cannot carry".into()))?,
            ),
            None => None,
        };
        Ok(Client {
            base,
            auth,
            timeout: self.timeout,
            retries: self.retries,
            backoff: self.backoff,
            http: Hyper::builder(TokioExecutor::new()).build(connector()),
        })
    }
}

#[cfg(feature = "tls")]
fn connector() -> Connector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().wrap_connector(http)
}

#[cfg(not(feature = "tls"))]
fn connector() -> Connector {
    HttpConnector::new()
}

/// A client of one gateway, with one principal's token. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Client {
    base: String,
    auth: Option<HeaderValue>,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
    http: Hyper<Connector, Full<Bytes>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Client").field("base", &self.base).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

/// What `POST /v1/documents` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// A new document, stored now (201).
    Created,
    /// The gateway held this chain already, or a longer one; nothing changed (200).
    Unchanged,
    /// The stored chain was shorter: the events named in `appended_seqs` were appended (200).
    Extended,
}

/// The answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// What happened.
    pub outcome: SubmitOutcome,
    /// Where the stored document stands now.
    pub receipt: DocumentReceipt,
}

/// The answer to `POST /v1/documents/{id}/events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// `true` when the event was stored now (201), `false` when this very event was stored before (200).
    pub created: bool,
    /// Where the stored document stands now.
    pub receipt: DocumentReceipt,
}

/// Filters and paging of [`Client::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Only documents in this state (`issued`, `in_transit`, `delivered`, `refused`, `cancelled`).
    pub state: Option<String>,
    /// Only documents where one of the caller's keys is linked in this role.
    pub role: Option<String>,
    /// Only documents updated at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (the gateway's default 50 when `None`).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Who a platform principal is (`GET /api/platform/v0/whoami`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whoami {
    /// The platform id (`appId`).
    pub app_id: String,
    /// `PLATFORM`.
    pub role: String,
}

/// One request: method, path and query, body, what it accepts, and whether it may be sent twice.
struct Call<'a> {
    method: Method,
    path: String,
    body: Option<(&'static str, Bytes)>,
    accept: &'a str,
    idempotent: bool,
}

/// A 2xx answer.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Bytes,
}

impl Client {
    /// A builder for a client of the gateway at `base` (`http://127.0.0.1:8080`, `https://gw.example/ecmr`).
    pub fn builder(base: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base: base.into(),
            token: None,
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }

    /// The gateway's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    // -----------------------------------------------------------------------------------------------------------
    // Party API

    /// Submits or syncs a signed document (`POST /v1/documents`): a new one is stored; for one the gateway holds,
    /// the events it does not have yet are appended. Safe to retry, and retried.
    ///
    /// # Errors
    /// [`Error::Api`] with `verification-failed`, `invalid-note`, `chain-diverged`, `document-id-taken`,
    /// `note-number-taken`, `forbidden`, `not-found`, …; network errors.
    pub async fn submit(&self, signed_document: &[u8]) -> Result<Submitted> {
        let a = self.send(Call::post("/v1/documents", signed_document, true)).await?;
        let receipt: DocumentReceipt = self.decode(&Method::POST, "/v1/documents", &a)?;
        let outcome = if a.status == StatusCode::CREATED {
            SubmitOutcome::Created
        } else if receipt.appended_seqs.is_empty() {
            SubmitOutcome::Unchanged
        } else {
            SubmitOutcome::Extended
        };
        Ok(Submitted { outcome, receipt })
    }

    /// Appends one signed event (`POST /v1/documents/{id}/events`). Not retried once sent; [`Client::submit`] of
    /// the whole document does the same and is.
    ///
    /// # Errors
    /// [`Error::Api`] with `invalid-event`, `event-seq-taken`, `forbidden`, `not-found`, …; network errors.
    pub async fn append_event(&self, document_id: Uuid, signed_event: &[u8]) -> Result<Appended> {
        let path = format!("/v1/documents/{document_id}/events");
        let a = self.send(Call::post(&path, signed_event, false)).await?;
        let receipt = self.decode(&Method::POST, &path, &a)?;
        Ok(Appended { created: a.status == StatusCode::CREATED, receipt })
    }

    /// The signed document as the gateway holds it (`GET /v1/documents/{id}`): JSON bytes to verify with the
    /// core library.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found` when there is none the caller may see; network errors.
    pub async fn document(&self, document_id: Uuid) -> Result<Vec<u8>> {
        let a = self.send(Call::get(format!("/v1/documents/{document_id}"), "application/json")).await?;
        Ok(a.body.to_vec())
    }

    /// The signed document as a bundle (`GET /v1/documents/{id}` with `Accept: application/vnd.ecmr.bundle+json`):
    /// the document with the gateway's signed receipt for every event and an attestation of every known signer
    /// key, for a verifier that trusts the gateway's key.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found` when there is none the caller may see; network errors.
    pub async fn bundle(&self, document_id: Uuid) -> Result<Vec<u8>> {
        let a = self.send(Call::get(format!("/v1/documents/{document_id}"), BUNDLE)).await?;
        Ok(a.body.to_vec())
    }

    /// Gives another party principal access to one of the caller's documents
    /// (`POST /v1/documents/{id}/participants`): it may read the document and post events for the role the note
    /// names it in. `true` with the answer when access was given now, `false` when it had been before.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found` (no such document the caller may see), `invalid-request` (not an active party
    /// principal); network errors.
    pub async fn add_participant(&self, document_id: Uuid, principal_id: Uuid) -> Result<(bool, ParticipantAdded)> {
        let path = format!("/v1/documents/{document_id}/participants");
        let body =
            serde_json::to_vec(&ParticipantRequest { principal_id }).map_err(|e| Error::Request(e.to_string()))?;
        let a = self.send(Call::post(&path, &body, false)).await?;
        Ok((a.status == StatusCode::CREATED, self.decode(&Method::POST, &path, &a)?))
    }

    /// One page of the caller's documents (`GET /v1/documents`), oldest update first.
    ///
    /// # Errors
    /// [`Error::Api`] `bad-request` for a filter the gateway does not take; network errors.
    pub async fn list(&self, query: &ListQuery) -> Result<DocumentPage> {
        let mut params = Vec::new();
        if let Some(s) = &query.state {
            params.push(("state", s.clone()));
        }
        if let Some(r) = &query.role {
            params.push(("role", r.clone()));
        }
        if let Some(t) = query.updated_since {
            params.push(("updated_since", t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
        }
        if let Some(l) = query.limit {
            params.push(("limit", l.to_string()));
        }
        if let Some(c) = &query.cursor {
            params.push(("cursor", c.clone()));
        }
        self.get_json(format!("/v1/documents{}", query_string(&params))).await
    }

    /// Every page of [`Client::list`] from `query` on.
    ///
    /// # Errors
    /// As [`Client::list`].
    pub async fn list_all(&self, query: &ListQuery) -> Result<Vec<DocumentReceipt>> {
        let mut query = query.clone();
        let mut out = Vec::new();
        loop {
            let page = self.list(&query).await?;
            out.extend(page.items);
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// Who did what with one of the caller's documents (`GET /v1/documents/{id}/audit`), oldest first.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`; network errors.
    pub async fn audit(&self, document_id: Uuid) -> Result<Vec<AuditRecord>> {
        self.get_json(format!("/v1/documents/{document_id}/audit")).await
    }

    /// The follow-up messages authorities sent about one of the caller's documents
    /// (`GET /v1/documents/{id}/follow-ups`), oldest first.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`; network errors.
    pub async fn follow_ups(&self, document_id: Uuid) -> Result<Vec<FollowUpMessage>> {
        self.get_json(format!("/v1/documents/{document_id}/follow-ups")).await
    }

    /// Makes a share link of one of the caller's documents for its driver (`POST /v1/documents/{id}/shares`): a
    /// read-only view of this document, by a token that only the answer's `url` holds.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found` (no such document the caller may see), `invalid-request` (a lifetime out of
    /// 60 s to 30 days, a bad label); network errors.
    pub async fn create_share(&self, document_id: Uuid, request: &ShareRequest) -> Result<ShareCreated> {
        let path = format!("/v1/documents/{document_id}/shares");
        let body = serde_json::to_vec(request).map_err(|e| Error::Request(e.to_string()))?;
        let a = self.send(Call::post(&path, &body, false)).await?;
        self.decode(&Method::POST, &path, &a)
    }

    /// The share links of one of the caller's documents (`GET /v1/documents/{id}/shares`), oldest first.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`; network errors.
    pub async fn shares(&self, document_id: Uuid) -> Result<ShareList> {
        self.get_json(format!("/v1/documents/{document_id}/shares")).await
    }

    /// Revokes a share link (`DELETE /v1/documents/{id}/shares/{share_id}`).
    ///
    /// # Errors
    /// [`Error::Api`] `not-found` (no such link of the document, or revoked already); network errors.
    pub async fn revoke_share(&self, document_id: Uuid, share_id: Uuid) -> Result<()> {
        let path = format!("/v1/documents/{document_id}/shares/{share_id}");
        self.send(Call { method: Method::DELETE, path, body: None, accept: JSON, idempotent: true }).await?;
        Ok(())
    }

    /// What a share link shows its driver (`POST /share/open`), in `lang` (`en`, `nl`, `fr`, `de`). Needs no
    /// bearer token: the share token is the credential.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found` (no such link, or revoked, or expired), `too-many-requests`; network errors.
    pub async fn open_share(&self, token: &str, lang: &str) -> Result<ShareView> {
        let path = format!("/share/open?lang={lang}");
        let body =
            serde_json::to_vec(&ShareOpen { token: token.to_owned() }).map_err(|e| Error::Request(e.to_string()))?;
        let a = self.send(Call::post(&path, &body, true)).await?;
        self.decode(&Method::POST, &path, &a)
    }

    // -----------------------------------------------------------------------------------------------------------
    // eFTI authority API

    /// Asks for a dataset by its UIL (`POST /v1/control/uil`). This gateway answers at once; an answer with
    /// `status: ERROR` is returned as [`Error::Api`] with its RI code.
    ///
    /// # Errors
    /// [`Error::Api`] (`UIL_GATE_NOT_LOCAL`, `SUBSET_NOT_ALLOWED`, `DATA_NOT_FOUND`, …); network errors.
    pub async fn request_uil(&self, query: &UilDto) -> Result<RequestIdDto> {
        let dto: RequestIdDto = self.post_json("/v1/control/uil", query, false).await?;
        self.ri_status(&Method::POST, "/v1/control/uil", &dto.status, &dto.error_code, &dto.error_description)?;
        Ok(dto)
    }

    /// The answer to an earlier UIL query (`GET /v1/control/uil?requestId=`).
    ///
    /// # Errors
    /// As [`Client::request_uil`], `ID_NOT_FOUND` for a request id the caller did not make.
    pub async fn uil_answer(&self, request_id: &str) -> Result<RequestIdDto> {
        let path = format!("/v1/control/uil{}", query_string(&[("requestId", request_id.to_owned())]));
        let dto: RequestIdDto = self.get_json(path.clone()).await?;
        self.ri_status(&Method::GET, &path, &dto.status, &dto.error_code, &dto.error_description)?;
        Ok(dto)
    }

    /// Searches consignments by a vehicle or equipment identifier (`POST /v1/control/identifiers`).
    ///
    /// # Errors
    /// [`Error::Api`] with the RI code of a refused search (`IDENTIFIER_INCORRECT_FORMAT`, …); network errors.
    pub async fn search_identifiers(&self, query: &SearchWithIdentifiersRequestDto) -> Result<IdentifiersResponseDto> {
        let dto: IdentifiersResponseDto = self.post_json("/v1/control/identifiers", query, false).await?;
        self.ri_status(&Method::POST, "/v1/control/identifiers", &dto.status, &dto.error_code, &dto.error_description)?;
        Ok(dto)
    }

    /// The answer to an earlier identifier search (`GET /v1/control/identifiers?requestId=`).
    ///
    /// # Errors
    /// As [`Client::search_identifiers`].
    pub async fn identifiers_answer(&self, request_id: &str) -> Result<IdentifiersResponseDto> {
        let path = format!("/v1/control/identifiers{}", query_string(&[("requestId", request_id.to_owned())]));
        let dto: IdentifiersResponseDto = self.get_json(path.clone()).await?;
        self.ri_status(&Method::GET, &path, &dto.status, &dto.error_code, &dto.error_description)?;
        Ok(dto)
    }

    /// Sends a follow-up message about a UIL request (`POST /v1/control/uil/follow-up`); the document's parties
    /// read it.
    ///
    /// # Errors
    /// [`Error::Api`] with the RI code (`ID_NOT_FOUND`, `NOTE_TOO_LONG`, …); network errors.
    pub async fn follow_up(&self, message: &PostFollowUpRequestDto) -> Result<NoteResponseDto> {
        let dto: NoteResponseDto = self.post_json("/v1/control/uil/follow-up", message, false).await?;
        if let Some(code) = &dto.error_code {
            let path = "/v1/control/uil/follow-up";
            return Err(self.ri_error(&Method::POST, path, 200, code, dto.error_description.as_deref()));
        }
        Ok(dto)
    }

    /// Reads one dataset directly by its UIL (`GET /v1/uil/{gate}/{platform}/{dataset}?subsetId=…`): the eFTI XML
    /// of the subsets.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `forbidden` (not entitled to a subset), `bad-request`; network errors.
    pub async fn read_uil(
        &self,
        gate_id: &str,
        platform_id: &str,
        dataset_id: &str,
        subsets: &[&str],
    ) -> Result<Vec<u8>> {
        let params: Vec<_> = subsets.iter().map(|s| ("subsetId", (*s).to_owned())).collect();
        let path = format!("{}{}", uil_path(gate_id, platform_id, dataset_id), query_string(&params));
        Ok(self.send(Call::get(path, "application/xml")).await?.body.to_vec())
    }

    /// Reads one dataset directly as the signed document (JSON), for authorities entitled to `full`, so that the
    /// signatures can be verified.
    ///
    /// # Errors
    /// As [`Client::read_uil`].
    pub async fn read_uil_signed(&self, gate_id: &str, platform_id: &str, dataset_id: &str) -> Result<Vec<u8>> {
        let path = uil_path(gate_id, platform_id, dataset_id);
        Ok(self.send(Call::get(path, "application/json")).await?.body.to_vec())
    }

    // -----------------------------------------------------------------------------------------------------------
    // Platform and gate APIs

    /// Registers (or replaces) a dataset's identifiers as the reference implementation's identifier XML
    /// (`PUT /api/platform/v0/consignments/{datasetId}`). Safe to retry, and retried.
    ///
    /// # Errors
    /// [`Error::Api`] with the problem (XML, in [`ApiError::body`]) naming the line and element at fault;
    /// network errors.
    pub async fn put_identifiers(&self, dataset_id: &str, identifiers_xml: &[u8]) -> Result<()> {
        let path = format!("/api/platform/v0/consignments/{}", encode(dataset_id));
        let body = Some(("application/xml", Bytes::copy_from_slice(identifiers_xml)));
        self.send(Call { method: Method::PUT, path, body, accept: "application/xml", idempotent: true }).await?;
        Ok(())
    }

    /// Who the calling platform is (`GET /api/platform/v0/whoami`).
    ///
    /// # Errors
    /// [`Error::Api`] `forbidden` for a principal that is not a platform; [`Error::Decode`] for an answer without
    /// `appId`; network errors.
    pub async fn whoami(&self) -> Result<Whoami> {
        let path = "/api/platform/v0/whoami";
        let a = self.send(Call::get(path.to_owned(), "application/xml")).await?;
        let text = String::from_utf8_lossy(&a.body);
        let field = |name: &str| xml_text(&text, name);
        match (field("appId"), field("role")) {
            (Some(app_id), Some(role)) => Ok(Whoami { app_id, role }),
            _ => Err(self.decode_error(&Method::GET, path, "no appId and role in the whoamiResponse")),
        }
    }

    /// A gate's read of one of the gateway's datasets (`GET /api/gate-api/v0/consignments/{datasetId}`): eFTI XML.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `forbidden`; network errors.
    pub async fn gate_read(&self, dataset_id: &str, subsets: &[&str]) -> Result<Vec<u8>> {
        let params: Vec<_> = subsets.iter().map(|s| ("subsetId", (*s).to_owned())).collect();
        let path = format!("/api/gate-api/v0/consignments/{}{}", encode(dataset_id), query_string(&params));
        Ok(self.send(Call::get(path, "application/xml")).await?.body.to_vec())
    }

    /// A gate passing on a follow-up message (`POST /api/gate-api/v0/consignments/{datasetId}/follow-up`, plain
    /// text).
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `forbidden`; network errors.
    pub async fn gate_follow_up(&self, dataset_id: &str, message: &str) -> Result<()> {
        let path = format!("/api/gate-api/v0/consignments/{}/follow-up", encode(dataset_id));
        let body = Some(("text/plain; charset=utf-8", Bytes::copy_from_slice(message.as_bytes())));
        self.send(Call { method: Method::POST, path, body, accept: "*/*", idempotent: false }).await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------------------------
    // Administration

    /// Creates a principal with its first token (`POST /v1/admin/principals`); the token is shown only here.
    ///
    /// # Errors
    /// [`Error::Api`] `invalid-request`, `forbidden` (not an admin); network errors.
    pub async fn add_principal(&self, principal: &NewPrincipal) -> Result<PrincipalCreated> {
        self.post_json("/v1/admin/principals", principal, false).await
    }

    /// Every principal (`GET /v1/admin/principals`).
    ///
    /// # Errors
    /// [`Error::Api`] `forbidden`; network errors.
    pub async fn principals(&self) -> Result<Vec<PrincipalView>> {
        self.get_json("/v1/admin/principals".to_owned()).await
    }

    /// One principal with its tokens (`GET /v1/admin/principals/{id}`).
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `forbidden`; network errors.
    pub async fn principal(&self, id: Uuid) -> Result<PrincipalDetail> {
        self.get_json(format!("/v1/admin/principals/{id}")).await
    }

    /// Revokes a principal and its tokens (`POST /v1/admin/principals/{id}/revoke`).
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `last-admin`, `forbidden`; network errors.
    pub async fn revoke_principal(&self, id: Uuid) -> Result<()> {
        let path = format!("/v1/admin/principals/{id}/revoke");
        self.send(Call::post(&path, b"{}", false)).await?;
        Ok(())
    }

    /// Replaces the eFTI subsets an authority may request (`PUT /v1/admin/principals/{id}/subsets`).
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `invalid-request`, `forbidden`; network errors.
    pub async fn set_subsets(&self, id: Uuid, subsets: &SubsetsRequest) -> Result<PrincipalView> {
        let path = format!("/v1/admin/principals/{id}/subsets");
        let body = serde_json::to_vec(subsets).map_err(|e| Error::Request(e.to_string()))?;
        let call = Call {
            method: Method::PUT,
            path,
            body: Some(("application/json", body.into())),
            accept: JSON,
            idempotent: true,
        };
        let path = call.path.clone();
        let a = self.send(call).await?;
        self.decode(&Method::PUT, &path, &a)
    }

    /// A new token for a principal (`POST /v1/admin/principals/{id}/tokens`); shown only here.
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `forbidden`; network errors.
    pub async fn add_token(&self, principal_id: Uuid, request: &NewTokenRequest) -> Result<TokenCreated> {
        self.post_json(&format!("/v1/admin/principals/{principal_id}/tokens"), request, false).await
    }

    /// Revokes a token (`POST /v1/admin/tokens/{id}/revoke`).
    ///
    /// # Errors
    /// [`Error::Api`] `not-found`, `forbidden`; network errors.
    pub async fn revoke_token(&self, token_id: Uuid) -> Result<()> {
        let path = format!("/v1/admin/tokens/{token_id}/revoke");
        self.send(Call::post(&path, b"{}", false)).await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------------------------
    // Operations

    /// Whether the gateway process answers (`GET /healthz`).
    ///
    /// # Errors
    /// Network errors, or an error answer.
    pub async fn health(&self) -> Result<serde_json::Value> {
        self.get_json("/healthz".to_owned()).await
    }

    /// The gate id, platform id and the public keys the gateway signs its attestations and receipts with
    /// (`GET /.well-known/ecmr-gateway`), each key in the form a trust file's `gateway_keys` entry takes. Public:
    /// no token needed.
    ///
    /// # Errors
    /// Network errors, or an error answer.
    pub async fn well_known(&self) -> Result<serde_json::Value> {
        self.get_json("/.well-known/ecmr-gateway".to_owned()).await
    }

    /// The Prometheus metrics (`GET /metrics`, text); the client's token must be the gateway's metrics token when
    /// one is configured.
    ///
    /// # Errors
    /// [`Error::Api`] `unauthenticated` without the metrics token; network errors.
    pub async fn metrics(&self) -> Result<String> {
        let a = self.send(Call::get("/metrics".to_owned(), "text/plain")).await?;
        Ok(String::from_utf8_lossy(&a.body).into_owned())
    }

    /// Whether the gateway is up and its store answers (`GET /readyz`).
    ///
    /// # Errors
    /// [`Error::Api`] `unavailable` when it is not ready; network errors.
    pub async fn ready(&self) -> Result<serde_json::Value> {
        self.get_json("/readyz".to_owned()).await
    }

    /// The gateway's OpenAPI description (`GET /openapi.json`).
    ///
    /// # Errors
    /// Network errors.
    pub async fn openapi(&self) -> Result<serde_json::Value> {
        self.get_json("/openapi.json".to_owned()).await
    }

    // -----------------------------------------------------------------------------------------------------------
    // Plumbing

    async fn get_json<T: DeserializeOwned>(&self, path: String) -> Result<T> {
        let a = self.send(Call::get(path.clone(), JSON)).await?;
        self.decode(&Method::GET, &path, &a)
    }

    async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        idempotent: bool,
    ) -> Result<T> {
        let body = serde_json::to_vec(body).map_err(|e| Error::Request(e.to_string()))?;
        let a = self.send(Call::post(path, &body, idempotent)).await?;
        self.decode(&Method::POST, path, &a)
    }

    fn decode<T: DeserializeOwned>(&self, method: &Method, path: &str, a: &Answer) -> Result<T> {
        serde_json::from_slice(&a.body).map_err(|e| {
            let what = if a.content_type.is_empty() { "no content type".to_owned() } else { a.content_type.clone() };
            self.decode_error(method, path, &format!("{e} (status {}, {what})", a.status.as_u16()))
        })
    }

    fn decode_error(&self, method: &Method, path: &str, message: &str) -> Error {
        Error::Decode { method: method.to_string(), url: self.url(path), message: message.to_owned() }
    }

    /// `Err` for an RI DTO whose `status` is `ERROR`.
    fn ri_status(
        &self,
        method: &Method,
        path: &str,
        status: &str,
        code: &Option<String>,
        description: &Option<String>,
    ) -> Result<()> {
        if status != "ERROR" {
            return Ok(());
        }
        let code = code.as_deref().unwrap_or("DEFAULT_ERROR");
        Err(self.ri_error(method, path, 200, code, description.as_deref()))
    }

    fn ri_error(&self, method: &Method, path: &str, status: u16, code: &str, description: Option<&str>) -> Error {
        Error::Api(Box::new(ApiError {
            method: method.to_string(),
            url: self.url(path),
            status,
            problem: None,
            ri_code: Some(code.to_owned()),
            ri_description: description.map(str::to_owned),
            body: String::new(),
            idempotent: *method == Method::GET,
        }))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a call, retrying it as its idempotence allows; the 2xx answer, or the error.
    async fn send(&self, call: Call<'_>) -> Result<Answer> {
        let mut attempt = 0;
        loop {
            let result = self.attempt(&call).await;
            let retry = match &result {
                Ok(_) => false,
                // A request that never left may always be sent again.
                Err(Error::Network { retry_safe: true, .. }) => true,
                Err(e) => call.idempotent && e.is_retry_safe(),
            };
            if !retry || attempt >= self.retries {
                return result;
            }
            let delay = self.backoff.saturating_mul(1 << attempt.min(16)).min(MAX_BACKOFF);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, call: &Call<'_>) -> Result<Answer> {
        let url = self.url(&call.path);
        let method = call.method.to_string();
        let mut req = Request::builder().method(call.method.clone()).uri(&url).header(ACCEPT, call.accept);
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let body = match &call.body {
            Some((ct, bytes)) => {
                req = req.header(CONTENT_TYPE, *ct);
                bytes.clone()
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(body)).map_err(|e| Error::Request(format!("{method} {url}: {e}")))?;
        let exchange = async {
            let resp = self.http.request(req).await.map_err(|e| {
                // Not connected: the request never left, so sending it again cannot repeat anything.
                let retry_safe = e.is_connect() || call.idempotent;
                Error::Network { method: method.clone(), url: url.clone(), message: error_chain(&e), retry_safe }
            })?;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.map_err(|e| Error::Network {
                method: method.clone(),
                url: url.clone(),
                message: format!("reading the answer: {}", error_chain(&e)),
                retry_safe: call.idempotent,
            })?;
            Ok::<_, Error>((parts, body.to_bytes()))
        };
        let (parts, body) = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(Error::Timeout { method, url, after: self.timeout, retry_safe: call.idempotent });
            }
        };
        let content_type = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        if parts.status.is_success() {
            return Ok(Answer { status: parts.status, content_type, body });
        }
        Err(Error::Api(Box::new(api_error(method, url, parts.status.as_u16(), &content_type, &body, call.idempotent))))
    }
}

const JSON: &str = "application/json";
/// The media type of a bundle.
const BUNDLE: &str = "application/vnd.ecmr.bundle+json";

impl<'a> Call<'a> {
    fn get(path: String, accept: &'a str) -> Call<'a> {
        Call { method: Method::GET, path, body: None, accept, idempotent: true }
    }

    fn post(path: &str, body: &[u8], idempotent: bool) -> Call<'a> {
        Call {
            method: Method::POST,
            path: path.to_owned(),
            body: Some((JSON, Bytes::copy_from_slice(body))),
            accept: JSON,
            idempotent,
        }
    }
}

/// The error of a non-2xx answer: a problem document, an RI DTO with an error code, or the body as text.
fn api_error(method: String, url: String, status: u16, content_type: &str, body: &[u8], idempotent: bool) -> ApiError {
    let mut e = ApiError {
        method,
        url,
        status,
        problem: None,
        ri_code: None,
        ri_description: None,
        body: String::from_utf8_lossy(body).into_owned(),
        idempotent,
    };
    if content_type.starts_with("application/problem+json") {
        e.problem = serde_json::from_slice::<Problem>(body).ok();
    } else if content_type.starts_with("application/json")
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
    {
        e.ri_code = v.get("errorCode").and_then(|c| c.as_str()).map(str::to_owned);
        e.ri_description = v.get("errorDescription").and_then(|c| c.as_str()).map(str::to_owned);
    } else if content_type.starts_with("application/problem+xml") {
        e.ri_description = xml_text(&e.body, "detail");
    }
    e
}

/// An error with its sources, as one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The path of a direct UIL read.
fn uil_path(gate_id: &str, platform_id: &str, dataset_id: &str) -> String {
    format!("/v1/uil/{}/{}/{}", encode(gate_id), encode(platform_id), encode(dataset_id))
}

/// `?k=v&…` with the values percent-encoded; empty when there are none.
fn query_string(params: &[(&str, String)]) -> String {
    if params.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("?{}", pairs.join("&"))
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of the first `<name>…</name>` element (with or without a namespace prefix), unescaped.
fn xml_text(xml: &str, name: &str) -> Option<String> {
    let open = xml.find(&format!("<{name}>")).map(|i| i + name.len() + 2).or_else(|| {
        let tag = format!(":{name}>");
        xml.find(&tag).map(|i| i + tag.len())
    })?;
    let rest = &xml[open..];
    let end = rest.find("</")?;
    let text = &rest[..end];
    Some(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_when_the_client_is_built() {
        for bad in ["ftp://gw", "gw.example:8080", "http://", "http://gw/?x=1", "not a url"] {
            let e = Client::builder(bad).build().expect_err(bad);
            assert!(matches!(e, Error::Url { .. }), "{bad}: {e}");
            assert!(e.to_string().contains(bad.trim_end_matches('/')), "{e}");
        }
        let c = Client::builder("http://127.0.0.1:8080/").build().expect("http");
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
        let c = Client::builder("http://gw.example/ecmr/").build().expect("prefix");
        assert_eq!(c.url("/v1/documents"), "http://gw.example/ecmr/v1/documents");
        #[cfg(feature = "tls")]
        Client::builder("https://gw.example").build().expect("https");
        let e = Client::builder("http://gw").token("bad\ntoken").build().expect_err("newline");
        assert!(matches!(e, Error::Request(_)));
        // The token never shows in the client's debug output.
        let c = Client::builder("http://gw").token("ecmr_secret").build().expect("client");
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        let q = query_string(&[("updated_since", "2026-11-28T05:10:00+01:00".into()), ("cursor", "a b/c".into())]);
        assert_eq!(q, "?updated_since=2026-11-28T05%3A10%3A00%2B01%3A00&cursor=a%20b%2Fc");
        assert_eq!(query_string(&[]), "");
        assert_eq!(uil_path("gate", "pl/at", "ds"), "/v1/uil/gate/pl%2Fat/ds");
    }

    #[test]
    fn error_answers_become_one_typed_error() {
        let problem = br#"{"type":"urn:ecmr:problem:chain-diverged","title":"Conflict","status":409,
            "detail":"differs at seq 1","seq":1,"stored_digest":"sha256:aa","submitted_digest":"sha256:bb"}"#;
        let e =
            api_error("POST".into(), "http://gw/v1/documents".into(), 409, "application/problem+json", problem, true);
        assert_eq!((e.code().as_str(), e.detail().as_str()), ("chain-diverged", "differs at seq 1"));
        let p = e.problem.as_ref().expect("problem");
        assert_eq!((p.seq, p.stored_digest.as_deref()), (Some(1), Some("sha256:aa")));
        assert_eq!(e.to_string(), "POST http://gw/v1/documents: 409 chain-diverged: differs at seq 1");
        let conflict = Error::Api(Box::new(e));
        assert!(!conflict.is_retry_safe(), "a refusal is final");

        let ri = br#"{"message":"","errorCode":"ID_NOT_FOUND","errorDescription":"no such request"}"#;
        let e =
            api_error("POST".into(), "http://gw/v1/control/uil/follow-up".into(), 404, "application/json", ri, false);
        assert_eq!((e.code().as_str(), e.detail().as_str()), ("ID_NOT_FOUND", "no such request"));

        let xml = b"<problem><title>Invalid</title><detail>line 3: unknown element &lt;x&gt;</detail></problem>";
        let e = api_error("PUT".into(), "u".into(), 400, "application/problem+xml", xml, true);
        assert_eq!(e.detail(), "line 3: unknown element <x>");
        let e = api_error("GET".into(), "u".into(), 502, "text/html", b"<html>bad gateway</html>", true);
        assert_eq!(e.code(), "http-502");
        assert!(Error::Api(Box::new(e.clone())).is_retry_safe(), "a 502 to a GET may be retried");
        let post = ApiError { idempotent: false, ..e };
        assert!(!Error::Api(Box::new(post)).is_retry_safe(), "not a 502 to a POST that may have acted");
    }

    #[test]
    fn whoami_fields_are_read_from_the_xml() {
        let xml =
            "<?xml version=\"1.0\"?>\n<whoamiResponse><appId>acme&amp;co</appId><role>PLATFORM</role></whoamiResponse>";
        assert_eq!(xml_text(xml, "appId").as_deref(), Some("acme&co"));
        assert_eq!(xml_text(xml, "role").as_deref(), Some("PLATFORM"));
        assert_eq!(xml_text(xml, "missing"), None);
    }

    #[tokio::test]
    async fn an_unreachable_gateway_is_a_network_error_naming_the_url_and_safe_to_retry() {
        // A port nothing listens on: bind one, note it, close it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let c = Client::builder(format!("http://127.0.0.1:{port}"))
            .retries(2)
            .backoff(Duration::from_millis(1))
            .build()
            .expect("client");
        let e = c.append_event(Uuid::nil(), b"{}").await.expect_err("nothing listens");
        match &e {
            Error::Network { url, retry_safe, .. } => {
                assert_eq!(url, &format!("http://127.0.0.1:{port}/v1/documents/{}/events", Uuid::nil()));
                assert!(retry_safe, "a POST that could not connect never left");
            }
            other => panic!("expected a network error, got {other}"),
        }
        assert!(e.to_string().contains("safe to retry"), "{e}");
    }

    #[cfg(feature = "tls")]
    #[tokio::test]
    async fn https_urls_speak_tls() {
        // A server that answers in plain HTTP: the TLS handshake fails, and says so.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let _ = std::io::Write::write_all(&mut s, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            }
        });
        let c = Client::builder(format!("https://127.0.0.1:{port}")).retries(0).build().expect("client");
        let e = c.ready().await.expect_err("not TLS");
        match &e {
            Error::Network { url, message, .. } => {
                assert_eq!(url, &format!("https://127.0.0.1:{port}/readyz"));
                assert!(!message.is_empty());
            }
            other => panic!("expected a network error, got {other}"),
        }
    }

    /// A server answering each request with the next of `answers` (status, content type, body), then closing the
    /// connection; it counts the requests.
    fn scripted(answers: Vec<(u16, &'static str, String)>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead as _, Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for (status, content_type, body) in answers {
                let Ok((stream, _)) = listener.accept() else { return };
                let mut reader = std::io::BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body_in = vec![0; length];
                let _ = reader.read_exact(&mut body_in);
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = reader.get_mut().write_all(answer.as_bytes());
            }
        });
        (url, count)
    }

    const UNAVAILABLE: &str = r#"{"type":"urn:ecmr:problem:unavailable","title":"Service unavailable","status":503}"#;

    #[tokio::test]
    async fn a_sync_is_retried_after_503_and_a_single_event_is_not() {
        let receipt = r#"{"id":"0b0e8f57-3b1c-4c3e-9f35-2a4f6c1b8d10","uil":{"gateId":"g","platformId":"p",
            "datasetId":"0b0e8f57-3b1c-4c3e-9f35-2a4f6c1b8d10"},"note_number":"N","state":"in_transit","last_seq":1,
            "last_event_digest":"sha256:00","received_at":"2026-11-27T15:00:00Z","updated_at":"2026-11-28T05:10:00Z",
            "appended_seqs":[1]}"#;
        let problem = "application/problem+json";
        let (url, count) = scripted(vec![
            (503, problem, UNAVAILABLE.into()),
            (503, problem, UNAVAILABLE.into()),
            (200, "application/json", receipt.into()),
        ]);
        let c = Client::builder(url).backoff(Duration::from_millis(1)).build().expect("client");
        let s = c.submit(b"{}").await.expect("the third attempt succeeds");
        assert_eq!((s.outcome, s.receipt.appended_seqs), (SubmitOutcome::Extended, vec![1]));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);

        let (url, count) =
            scripted(vec![(503, problem, UNAVAILABLE.into()), (201, "application/json", receipt.into())]);
        let c = Client::builder(url).backoff(Duration::from_millis(1)).build().expect("client");
        let e = c.append_event(Uuid::nil(), b"{}").await.expect_err("not retried");
        assert_eq!(e.api().map(|a| (a.status, a.code())), Some((503, "unavailable".to_owned())));
        assert!(!e.is_retry_safe(), "the gateway may have acted on a sent POST");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);

        // Retries end: the last answer is the error.
        let (url, count) = scripted(vec![(503, problem, UNAVAILABLE.into()); 3]);
        let c = Client::builder(url).retries(2).backoff(Duration::from_millis(1)).build().expect("client");
        let e = c.document(Uuid::nil()).await.expect_err("still unavailable");
        assert!(e.is_retry_safe(), "{e}");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_answer_that_is_not_the_documented_body_is_a_decode_error() {
        let (url, _) = scripted(vec![(200, "application/json", "{\"not\": \"a page\"}".into())]);
        let c = Client::builder(url.clone()).build().expect("client");
        let e = c.list(&ListQuery::default()).await.expect_err("not a page");
        match e {
            Error::Decode { url: u, message, .. } => {
                assert_eq!(u, format!("{url}/v1/documents"));
                assert!(message.contains("items"), "{message}");
            }
            other => panic!("expected a decode error, got {other}"),
        }
    }

    #[tokio::test]
    async fn a_silent_gateway_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        // Accepts and never answers.
        let server = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let c = Client::builder(format!("http://127.0.0.1:{port}"))
            .timeout(Duration::from_millis(100))
            .retries(1)
            .backoff(Duration::from_millis(1))
            .build()
            .expect("client");
        let started = std::time::Instant::now();
        let e = c.document(Uuid::nil()).await.expect_err("no answer");
        assert!(matches!(e, Error::Timeout { retry_safe: true, .. }), "{e}");
        assert!(started.elapsed() >= Duration::from_millis(200), "one retry after the first timeout");
        let e = c.append_event(Uuid::nil(), b"{}").await.expect_err("no answer");
        assert!(matches!(e, Error::Timeout { retry_safe: false, .. }), "a sent POST may have acted: {e}");
        server.abort();
    }
}
