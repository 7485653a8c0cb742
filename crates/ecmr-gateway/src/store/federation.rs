//! Gate-to-gate federation: the requests this gate forwarded to other gates (one [`Destination`] per request and
//! gate, with the message, the delivery attempts and the answer), answers that came late or twice, the message ids
//! seen from peers, and the requests peers asked of this gate ([`Inbound`]) with the answer owed. The records, the
//! [`FederationStore`] trait and its SQL for both backends.
//!
//! A destination is `PENDING` until its answer is recorded; one still `PENDING` after its deadline reads as
//! `TIMEOUT` (the status is computed when read, so no sweeper has to run), and an answer arriving then is kept in
//! `federation_late_answers` without changing the destination.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;
use super::sql::{Conn, Param, Row};

/// One destination of a forwarded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The eFTI request id (the authority's request at this gate, carried in the message).
    pub request_id: Uuid,
    /// The gate asked.
    pub gate_id: String,
    /// `uil`, `identifiers` or `follow_up`.
    pub kind: String,
    /// The gate.xsd message sent.
    pub message: String,
    /// `PENDING`, `COMPLETE` or `ERROR`.
    pub status: String,
    /// The RI error code of an `ERROR`.
    pub error_code: Option<String>,
    /// What went wrong.
    pub error_description: Option<String>,
    /// The answer's data: the consignment XML (UIL) or the JSON of the consignments found (identifiers).
    pub answer: Option<String>,
    /// Delivery attempts made.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the peer acknowledged the message.
    pub delivered_at: Option<DateTime<Utc>>,
    /// After this, a destination still pending is `TIMEOUT`.
    pub deadline: DateTime<Utc>,
    /// When its answer was recorded.
    pub answered_at: Option<DateTime<Utc>>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
}

impl Destination {
    /// The status as an authority reads it at `now`: `TIMEOUT` for one still pending after its deadline.
    pub fn status_at(&self, now: DateTime<Utc>) -> &str {
        if self.status == "PENDING" && now > self.deadline { "TIMEOUT" } else { &self.status }
    }
}

/// An answer from a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationAnswer {
    /// `COMPLETE` or `ERROR`.
    pub status: String,
    /// The RI error code of an `ERROR`.
    pub error_code: Option<String>,
    /// What went wrong.
    pub error_description: Option<String>,
    /// The data (see [`Destination::answer`]).
    pub answer: Option<String>,
    /// The answer message as received, kept when it changes nothing.
    pub raw: String,
}

/// What became of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// Recorded: the destination is answered.
    Applied,
    /// After the deadline: kept aside, the destination stays `TIMEOUT`.
    Late,
    /// The destination had its answer already: kept aside.
    Duplicate,
    /// No such request was sent to that gate.
    Unknown,
}

/// A request a peer asked of this gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The asking gate.
    pub origin: String,
    /// The request id it gave.
    pub request_id: String,
    /// `uil`, `identifiers` or `follow_up`.
    pub kind: String,
    /// The message as received.
    pub message: String,
    /// When it came.
    pub received_at: DateTime<Utc>,
    /// The answer message, once made.
    pub answer: Option<String>,
    /// When the peer acknowledged the answer.
    pub answered_at: Option<DateTime<Utc>>,
}

/// The federation's records.
#[async_trait]
pub trait FederationStore: Send + Sync {
    /// Stores the destinations of a forwarded request.
    async fn add_destinations(&self, destinations: &[Destination]) -> StoreResult<()>;
    /// The destinations of a request, by gate id.
    async fn destinations(&self, request_id: Uuid) -> StoreResult<Vec<Destination>>;
    /// Records a delivery attempt: how many were made, why the last failed, or when it was acknowledged.
    async fn record_attempt(
        &self,
        request_id: Uuid,
        gate_id: &str,
        attempts: i64,
        error: Option<&str>,
        delivered_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Records an answer at `at`, once and before the deadline; otherwise keeps it aside.
    async fn record_answer(
        &self,
        request_id: Uuid,
        gate_id: &str,
        answer: &DestinationAnswer,
        at: DateTime<Utc>,
    ) -> StoreResult<AnswerOutcome>;
    /// How many answers were kept aside for a request (late or duplicate).
    async fn late_answers(&self, request_id: Uuid) -> StoreResult<Vec<(String, String)>>;
    /// Destinations not yet acknowledged whose deadline is after `now` (to send again after a restart).
    async fn undelivered(&self, now: DateTime<Utc>) -> StoreResult<Vec<Destination>>;
    /// Remembers a peer's message id; `false` when it was seen before (a replay).
    async fn see_message(&self, message_id: &str, origin: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Stores a peer's request; `false` when that peer asked it before.
    async fn add_inbound(&self, inbound: &Inbound) -> StoreResult<bool>;
    /// Stores the answer owed for a peer's request.
    async fn set_inbound_answer(&self, origin: &str, request_id: &str, kind: &str, answer: &str) -> StoreResult<()>;
    /// Records that the peer acknowledged the answer.
    async fn inbound_answered(&self, origin: &str, request_id: &str, kind: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Peers' requests whose answer was not acknowledged, oldest first.
    async fn unanswered_inbound(&self) -> StoreResult<Vec<Inbound>>;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

/// The columns of a destination row, in the order [`destination`] reads them.
macro_rules! columns {
    () => {
        "request_id, gate_id, kind, message, status, error_code, error_description, answer, attempts, last_error, \
         delivered_at, deadline, answered_at, created_at"
    };
}
const DESTINATIONS: &str =
    concat!("SELECT ", columns!(), " FROM federation_destinations WHERE request_id = $1 ORDER BY gate_id");
const UNDELIVERED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM federation_destinations WHERE delivered_at IS NULL AND status = 'PENDING' AND deadline > $1 \
     ORDER BY created_at"
);
const INSERT: &str = "INSERT INTO federation_destinations (request_id, gate_id, kind, message, status, error_code, \
     error_description, answer, attempts, last_error, delivered_at, deadline, answered_at, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
// SQLite binds by position in order of first appearance: placeholders are numbered in the order they appear.
const ATTEMPT: &str = "UPDATE federation_destinations SET attempts = $1, last_error = $2, \
     delivered_at = COALESCE(delivered_at, $3) WHERE request_id = $4 AND gate_id = $5";
const STATE: &str = "SELECT status, deadline FROM federation_destinations WHERE request_id = $1 AND gate_id = $2";
const ANSWER: &str = "UPDATE federation_destinations SET status = $1, error_code = $2, error_description = $3, \
     answer = $4, answered_at = $5, delivered_at = COALESCE(delivered_at, $6) \
     WHERE request_id = $7 AND gate_id = $8 AND status = 'PENDING'";
const LATE: &str =
    "INSERT INTO federation_late_answers (request_id, gate_id, why, answer, at) VALUES ($1, $2, $3, $4, $5)";
const LATE_FOR: &str = "SELECT gate_id, why FROM federation_late_answers WHERE request_id = $1 ORDER BY id";
// A message id or an inbound request seen before inserts nothing: one statement, so two receivers of the same
// message cannot both pass a check and then collide on the key.
const SEE: &str = "INSERT INTO federation_seen (message_id, origin, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
const INBOUND: &str = "INSERT INTO federation_inbound (origin, request_id, kind, message, received_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const INBOUND_ANSWER: &str =
    "UPDATE federation_inbound SET answer = $1 WHERE origin = $2 AND request_id = $3 AND kind = $4";
const INBOUND_DONE: &str =
    "UPDATE federation_inbound SET answered_at = $1 WHERE origin = $2 AND request_id = $3 AND kind = $4";
const UNANSWERED: &str = "SELECT origin, request_id, kind, message, received_at, answer, answered_at \
     FROM federation_inbound WHERE answered_at IS NULL ORDER BY received_at";

fn destination(r: &dyn Row) -> StoreResult<Destination> {
    Ok(Destination {
        request_id: r.uuid(0)?,
        gate_id: r.text(1)?,
        kind: r.text(2)?,
        message: r.text(3)?,
        status: r.text(4)?,
        error_code: r.opt_text(5)?,
        error_description: r.opt_text(6)?,
        answer: r.opt_text(7)?,
        attempts: r.int(8)?,
        last_error: r.opt_text(9)?,
        delivered_at: r.opt_time(10)?,
        deadline: r.time(11)?,
        answered_at: r.opt_time(12)?,
        created_at: r.time(13)?,
    })
}

/// See [`FederationStore::add_destinations`]; the caller gives a transaction.
pub(crate) async fn add_destinations<C: Conn>(conn: &mut C, ds: &[Destination]) -> StoreResult<()> {
    for d in ds {
        let params = [
            Param::from(d.request_id),
            (&d.gate_id).into(),
            (&d.kind).into(),
            (&d.message).into(),
            (&d.status).into(),
            (&d.error_code).into(),
            (&d.error_description).into(),
            (&d.answer).into(),
            d.attempts.into(),
            (&d.last_error).into(),
            d.delivered_at.into(),
            d.deadline.into(),
            d.answered_at.into(),
            d.created_at.into(),
        ];
        conn.execute(INSERT, &params).await?;
    }
    Ok(())
}

/// See [`FederationStore::destinations`].
pub(crate) async fn destinations<C: Conn>(conn: &mut C, request_id: Uuid) -> StoreResult<Vec<Destination>> {
    conn.fetch(DESTINATIONS, &[request_id.into()], |r| destination(r)).await
}

/// See [`FederationStore::record_attempt`].
pub(crate) async fn record_attempt<C: Conn>(
    conn: &mut C,
    request_id: Uuid,
    gate_id: &str,
    attempts: i64,
    error: Option<&str>,
    delivered_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let params = [
        Param::from(attempts),
        error.map(str::to_owned).into(),
        delivered_at.into(),
        request_id.into(),
        gate_id.into(),
    ];
    conn.execute(ATTEMPT, &params).await.map(|_| ())
}

/// See [`FederationStore::record_answer`]; the caller gives a transaction.
pub(crate) async fn record_answer<C: Conn>(
    conn: &mut C,
    request_id: Uuid,
    gate_id: &str,
    a: &DestinationAnswer,
    at: DateTime<Utc>,
) -> StoreResult<AnswerOutcome> {
    let key = [Param::from(request_id), gate_id.into()];
    let Some((status, deadline)) = conn.fetch_optional(STATE, &key, |r| Ok((r.text(0)?, r.time(1)?))).await? else {
        return Ok(AnswerOutcome::Unknown);
    };
    let outcome = if status != "PENDING" {
        AnswerOutcome::Duplicate
    } else if at > deadline {
        AnswerOutcome::Late
    } else {
        let params = [
            Param::from(&a.status),
            (&a.error_code).into(),
            (&a.error_description).into(),
            (&a.answer).into(),
            at.into(),
            at.into(),
            request_id.into(),
            gate_id.into(),
        ];
        conn.execute(ANSWER, &params).await?;
        return Ok(AnswerOutcome::Applied);
    };
    let why = if outcome == AnswerOutcome::Late { "late" } else { "duplicate" };
    let params = [Param::from(request_id), gate_id.into(), why.into(), (&a.raw).into(), at.into()];
    conn.execute(LATE, &params).await?;
    Ok(outcome)
}

/// See [`FederationStore::late_answers`].
pub(crate) async fn late_answers<C: Conn>(conn: &mut C, request_id: Uuid) -> StoreResult<Vec<(String, String)>> {
    conn.fetch(LATE_FOR, &[request_id.into()], |r| Ok((r.text(0)?, r.text(1)?))).await
}

/// See [`FederationStore::undelivered`].
pub(crate) async fn undelivered<C: Conn>(conn: &mut C, now: DateTime<Utc>) -> StoreResult<Vec<Destination>> {
    conn.fetch(UNDELIVERED, &[now.into()], |r| destination(r)).await
}

/// See [`FederationStore::see_message`]; the caller gives a transaction.
pub(crate) async fn see_message<C: Conn>(
    conn: &mut C,
    message_id: &str,
    origin: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(conn.execute(SEE, &[message_id.into(), origin.into(), at.into()]).await? == 1)
}

/// See [`FederationStore::add_inbound`]; the caller gives a transaction.
pub(crate) async fn add_inbound<C: Conn>(conn: &mut C, i: &Inbound) -> StoreResult<bool> {
    let params =
        [Param::from(&i.origin), (&i.request_id).into(), (&i.kind).into(), (&i.message).into(), i.received_at.into()];
    Ok(conn.execute(INBOUND, &params).await? == 1)
}

/// See [`FederationStore::set_inbound_answer`].
pub(crate) async fn set_inbound_answer<C: Conn>(
    conn: &mut C,
    origin: &str,
    request_id: &str,
    kind: &str,
    answer: &str,
) -> StoreResult<()> {
    conn.execute(INBOUND_ANSWER, &[answer.into(), origin.into(), request_id.into(), kind.into()]).await.map(|_| ())
}

/// See [`FederationStore::inbound_answered`].
pub(crate) async fn inbound_answered<C: Conn>(
    conn: &mut C,
    origin: &str,
    request_id: &str,
    kind: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    conn.execute(INBOUND_DONE, &[at.into(), origin.into(), request_id.into(), kind.into()]).await.map(|_| ())
}

/// See [`FederationStore::unanswered_inbound`].
pub(crate) async fn unanswered_inbound<C: Conn>(conn: &mut C) -> StoreResult<Vec<Inbound>> {
    conn.fetch(UNANSWERED, &[], |r| {
        Ok(Inbound {
            origin: r.text(0)?,
            request_id: r.text(1)?,
            kind: r.text(2)?,
            message: r.text(3)?,
            received_at: r.time(4)?,
            answer: r.opt_text(5)?,
            answered_at: r.opt_time(6)?,
        })
    })
    .await
}
