//! Gate-to-gate federation: this gate forwards UIL queries, identifier searches and follow-ups to the gates of the
//! [`registry`], and answers theirs, with the RI's `gate.xsd` [`messages`] over a [`transport::Transport`]
//! (HTTPS, each request [`signature`]-signed by the sending gate's key).
//!
//! What this service owns: the registry in force, the delivery of messages (one task per destination, retried
//! with a doubling backoff, so that a gate that is down never holds up the others), the checks of what peers send
//! (signature, destination, time window, replay, schema — in that order, before anything is acted on), the
//! recording of answers (once, before the deadline; late and repeated answers are kept aside and change nothing),
//! and the principal each peer gate reads as. The eFTI rules — what is answered to whom — stay in
//! [`super::efti`], which calls this service.
//!
//! Everything is stored before it is acknowledged: a forwarded request's destinations (so that sending resumes
//! after a restart, [`Federation::resume`]), and a peer's request with the answer owed to it (so that an answer is
//! neither lost nor sent twice).

pub mod messages;
pub mod registry;
pub mod signature;
pub mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use self::messages::Message;
use self::registry::{Gate, Registry, RegistryFile};
use self::signature::{SignatureError, SignedHeader};
use self::transport::{MESSAGES_PATH, Transport, TransportError};
use super::principals::Entitlements;
use crate::store::{
    AnswerOutcome, Destination, DestinationAnswer, Inbound, Principal, PrincipalKind, Store, StoreError, now,
};

/// How long answers may take and how sending is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// After this, a destination that has not answered is `TIMEOUT`.
    pub timeout: Duration,
    /// A message created further than this from now is refused.
    pub window_secs: i64,
    /// Delivery attempts per message.
    pub attempts: u32,
    /// The wait after the first failed attempt; it doubles after each.
    pub first_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
}

impl Default for Settings {
    /// The RI's: 60 s for answers, ± 5 min, 6 attempts from 2 s doubling, capped at 10 s.
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(60),
            window_secs: 300,
            attempts: 6,
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl Settings {
    /// The wait after failed attempt `n` (1-based).
    pub fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Why a peer's message was refused: the HTTP status answered and the reason (audited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 400 (not a gate.xsd message), 401 (signature), 403 (another destination), 409 (replay).
    pub status: u16,
    /// Why.
    pub reason: String,
    /// The gate the message claims to come from, when it says.
    pub origin: Option<String>,
}

/// The federation of this gate with the others.
pub struct Federation {
    me: String,
    registry: Registry,
    transport: Arc<dyn Transport>,
    store: Store,
    settings: Settings,
    principals: Mutex<HashMap<String, Principal>>,
}

impl Federation {
    /// The federation of gate `me` with the gates of `registry`.
    pub fn new(
        me: &str,
        registry: Registry,
        transport: Arc<dyn Transport>,
        store: Store,
        settings: Settings,
    ) -> Federation {
        Federation { me: me.to_owned(), registry, transport, store, settings, principals: Mutex::default() }
    }

    /// This gate's id.
    pub fn gate_id(&self) -> &str {
        &self.me
    }

    /// The registry in force (read again when its file changed).
    pub fn registry(&self) -> Arc<RegistryFile> {
        self.registry.current()
    }

    /// Reads the registry file again now (SIGHUP).
    pub fn reload(&self) {
        self.registry.reload();
    }

    /// The timeouts and retries.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The subsets authorities of `gate` may ask for, from the registry (none for a gate not in it).
    pub fn entitlements_of(&self, gate: &str) -> Entitlements {
        let subsets = self.registry().gate(gate).map(|g| g.subsets.clone()).unwrap_or_default();
        Entitlements::read(&serde_json::json!({ "subsets": subsets })).unwrap_or(Entitlements::Subsets(Vec::new()))
    }

    /// The principal a peer gate acts as here (made on first use; never has a usable token): its requests,
    /// follow-ups and reads are stored and audited under it, with the gate id in its details.
    ///
    /// # Errors
    /// Store errors.
    pub async fn peer_principal(&self, gate: &str) -> Result<Principal, StoreError> {
        if let Some(p) = self.principals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(gate) {
            return Ok(p.clone());
        }
        let id = peer_id(gate);
        let principal = match self.store.principals.get_principal(id).await? {
            Some(p) => p,
            None => {
                let country = self.registry().gate(gate).map(|g| g.country.clone());
                let p = Principal {
                    id,
                    kind: PrincipalKind::Gate,
                    name: format!("gate {gate}"),
                    details: serde_json::json!({ "gateId": gate, "country": country, "federation": true }),
                    keys: Vec::new(),
                    created_at: now(),
                    revoked_at: None,
                };
                // A token no one holds: peers authenticate by signature, never by bearer token.
                let token = crate::service::principals::issue_token(id, Some(p.created_at))
                    .map_err(|e| StoreError::Corrupt { what: "randomness", value: e.to_string() })?
                    .stored;
                match self.store.principals.add_principal(&p, &token).await {
                    Ok(()) => p,
                    // Made meanwhile by another request.
                    Err(e) => self.store.principals.get_principal(id).await?.ok_or(e)?,
                }
            }
        };
        self.principals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(gate.to_owned(), principal.clone());
        Ok(principal)
    }

    // -----------------------------------------------------------------------------------------------------------
    // Sending

    /// Stores one destination per `(gate, message)` of request `request_id` and starts delivering each.
    ///
    /// # Errors
    /// Store errors; nothing is sent then.
    pub async fn forward(
        self: &Arc<Self>,
        request_id: Uuid,
        kind: &str,
        messages: Vec<(String, String)>,
    ) -> Result<Vec<Destination>, StoreError> {
        let created_at = now();
        let deadline = created_at + chrono::Duration::from_std(self.settings.timeout).unwrap_or_default();
        let destinations: Vec<Destination> = messages
            .into_iter()
            .map(|(gate_id, message)| Destination {
                request_id,
                gate_id,
                kind: kind.to_owned(),
                message,
                status: "PENDING".into(),
                error_code: None,
                error_description: None,
                answer: None,
                attempts: 0,
                last_error: None,
                delivered_at: None,
                deadline,
                answered_at: None,
                created_at,
            })
            .collect();
        self.store.federation.add_destinations(&destinations).await?;
        for d in &destinations {
            self.spawn_send(d.clone());
        }
        Ok(destinations)
    }

    /// Stores destinations already answered (this gate's own part, countries without a gate) with a request.
    ///
    /// # Errors
    /// Store errors.
    pub async fn record_local(&self, destinations: &[Destination]) -> Result<(), StoreError> {
        self.store.federation.add_destinations(destinations).await
    }

    /// Starts delivering again the destinations a restart interrupted.
    ///
    /// # Errors
    /// Store errors.
    pub async fn resume(self: &Arc<Self>) -> Result<usize, StoreError> {
        let pending = self.store.federation.undelivered(now()).await?;
        let n = pending.len();
        for d in pending {
            self.spawn_send(d);
        }
        Ok(n)
    }

    fn spawn_send(self: &Arc<Self>, d: Destination) {
        let fed = self.clone();
        tokio::spawn(async move {
            if let Err(e) = fed.send(&d).await {
                tracing::error!(request = %d.request_id, gate = %d.gate_id, error = %e, "federation send failed");
            }
        });
    }

    /// Delivers a destination's message, retrying transient failures until the attempts or the deadline run out.
    async fn send(&self, d: &Destination) -> Result<(), StoreError> {
        let mut attempts = d.attempts;
        loop {
            let Some(gate) = self.registry().gate(&d.gate_id).cloned() else {
                let why = format!("gate {:?} is no longer in the gate registry", d.gate_id);
                return self.fail(d, &why).await;
            };
            attempts += 1;
            match self.transport.deliver(&gate, &d.message).await {
                Ok(()) => {
                    return self
                        .store
                        .federation
                        .record_attempt(d.request_id, &d.gate_id, attempts, None, Some(now()))
                        .await;
                }
                Err(TransportError::Refused(why)) => {
                    self.store.federation.record_attempt(d.request_id, &d.gate_id, attempts, Some(&why), None).await?;
                    return self.fail(d, &format!("gate {} refused the message: {why}", d.gate_id)).await;
                }
                Err(TransportError::Transient(why)) => {
                    tracing::warn!(request = %d.request_id, gate = %d.gate_id, attempt = attempts, error = %why, "delivery failed");
                    self.store.federation.record_attempt(d.request_id, &d.gate_id, attempts, Some(&why), None).await?;
                    let n = u32::try_from(attempts).unwrap_or(u32::MAX);
                    let wait = self.settings.delay(n);
                    let next = now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    if n >= self.settings.attempts {
                        let why = format!("gate {} unreachable after {attempts} attempts: {why}", d.gate_id);
                        return self.fail(d, &why).await;
                    }
                    if next > d.deadline {
                        // It will read as TIMEOUT.
                        return Ok(());
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn fail(&self, d: &Destination, why: &str) -> Result<(), StoreError> {
        let answer = DestinationAnswer {
            status: "ERROR".into(),
            error_code: Some("DEFAULT_ERROR".into()),
            error_description: Some(why.to_owned()),
            answer: None,
            raw: why.to_owned(),
        };
        self.store.federation.record_answer(d.request_id, &d.gate_id, &answer, now()).await.map(|_| ())
    }

    /// Records a peer's answer to a request of ours.
    ///
    /// # Errors
    /// Store errors.
    pub async fn record_answer(
        &self,
        request_id: Uuid,
        gate: &str,
        answer: &DestinationAnswer,
    ) -> Result<AnswerOutcome, StoreError> {
        self.store.federation.record_answer(request_id, gate, answer, now()).await
    }

    // -----------------------------------------------------------------------------------------------------------
    // Receiving

    /// Checks a peer's message before anything is done with it: the signature (for this gate, by a key of the
    /// origin in the registry, within the time window), that its id was not seen before, then that the body is a
    /// gate.xsd message.
    ///
    /// # Errors
    /// [`Refusal`] with the status to answer and why; store errors are a refusal with 500.
    pub async fn accept(&self, authorization: Option<&str>, body: &[u8]) -> Result<(SignedHeader, Message), Refusal> {
        let registry = self.registry();
        let header = signature::verify(
            authorization,
            "POST",
            MESSAGES_PATH,
            body,
            &self.me,
            &registry,
            Utc::now(),
            self.settings.window_secs,
        )
        .map_err(|e| {
            let origin = authorization.and_then(|a| signature::parse_header(a).ok()).map(|h| h.origin);
            let status = if matches!(e, SignatureError::OtherDestination(_)) { 403 } else { 401 };
            Refusal { status, reason: e.to_string(), origin }
        })?;
        let origin = Some(header.origin.clone());
        let store_error = |e: StoreError| Refusal { status: 500, reason: e.to_string(), origin: origin.clone() };
        if !self.store.federation.see_message(&header.id, &header.origin, now()).await.map_err(store_error)? {
            let reason = format!("message id {} was received before (replay)", header.id);
            return Err(Refusal { status: 409, reason, origin });
        }
        let text = std::str::from_utf8(body).map_err(|_| Refusal {
            status: 400,
            reason: "the body is not UTF-8".into(),
            origin: origin.clone(),
        })?;
        let message = messages::read(text).map_err(|e| Refusal {
            status: 400,
            reason: format!("not a gate.xsd message: {e}"),
            origin,
        })?;
        Ok((header, message))
    }

    /// Stores a peer's request; `false` when it asked it before (it is answered once).
    ///
    /// # Errors
    /// Store errors.
    pub async fn add_inbound(&self, inbound: &Inbound) -> Result<bool, StoreError> {
        self.store.federation.add_inbound(inbound).await
    }

    /// Peers' requests not yet answered (to answer after a restart).
    ///
    /// # Errors
    /// Store errors.
    pub async fn unanswered(&self) -> Result<Vec<Inbound>, StoreError> {
        self.store.federation.unanswered_inbound().await
    }

    /// Stores the answer owed to a peer and delivers it (in a task of its own, retried as requests are).
    ///
    /// # Errors
    /// Store errors; nothing is sent then.
    pub async fn answer(self: &Arc<Self>, inbound: &Inbound, answer: String) -> Result<(), StoreError> {
        self.store.federation.set_inbound_answer(&inbound.origin, &inbound.request_id, &inbound.kind, &answer).await?;
        let fed = self.clone();
        let inbound = inbound.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            loop {
                n += 1;
                let Some(gate) = fed.registry().gate(&inbound.origin).cloned() else {
                    tracing::warn!(gate = %inbound.origin, "answer not sent: the gate left the registry");
                    return;
                };
                match fed.transport.deliver(&gate, &answer).await {
                    Ok(()) => {
                        let done = fed.store.federation.inbound_answered(
                            &inbound.origin,
                            &inbound.request_id,
                            &inbound.kind,
                            now(),
                        );
                        if let Err(e) = done.await {
                            tracing::error!(error = %e, "answer sent but not recorded as sent");
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(gate = %inbound.origin, request = %inbound.request_id, attempt = n, error = %e, "answer not delivered");
                        if matches!(e, TransportError::Refused(_)) || n >= fed.settings.attempts {
                            return;
                        }
                        tokio::time::sleep(fed.settings.delay(n)).await;
                    }
                }
            }
        });
        Ok(())
    }

    /// The gates of the registry in `countries` (all gates when empty), and the countries with no gate.
    pub fn gates_for(&self, countries: &[String]) -> (Vec<Gate>, Vec<String>) {
        let registry = self.registry();
        if countries.is_empty() {
            return (registry.gates.clone(), Vec::new());
        }
        let mut gates = Vec::new();
        let mut missing = Vec::new();
        for c in countries {
            let of: Vec<&Gate> = registry.gates.iter().filter(|g| &g.country == c).collect();
            if of.is_empty() {
                if !missing.contains(c) {
                    missing.push(c.clone());
                }
            } else {
                for g in of {
                    if !gates.iter().any(|have: &Gate| have.id == g.id) {
                        gates.push(g.clone());
                    }
                }
            }
        }
        (gates, missing)
    }
}

/// The principal id a peer gate acts as: the same on every start.
pub fn peer_id(gate: &str) -> Uuid {
    // A version 8 (custom) UUID of the SHA-256 of the gate's URN.
    let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("urn:ecmr:federation:gate:{gate}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_the_first_delay_up_to_the_cap() {
        let s = Settings::default();
        let waits: Vec<u64> = (1..=6).map(|n| s.delay(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 10, 10, 10]);
        assert_eq!(s.timeout, Duration::from_secs(60));
        assert_eq!(s.window_secs, 300);
    }
}
