//! The eFTI rules of the federation: what this gate forwards to the others (UIL queries naming another gate,
//! identifier searches, follow-ups about a consignment read from another gate), what it answers them, and how
//! their answers reach the authority (`PENDING` until every gate asked has answered or timed out). The delivery,
//! the checks of what peers send and the records of destinations are the federation service's
//! ([`crate::service::federation`]).

use std::sync::Arc;

use ecmr::efti::Subsets;
use ecmr::efti::search::IdentifierQuery;
use uuid::Uuid;

use super::{
    Efti, EftiError, Found, SearchAnswer, Status, UilAnswer, UilQuery, control_request, split_subsets, uil_outcome,
};
use crate::error::{RiCode, RiError};
use crate::service::audit::{AuditAction, Auditor, Details, Origin, Via};
use crate::service::federation::messages::{self, FollowUpRequest, FollowUpResponse, FoundConsignment, Message, Uil};
use crate::service::federation::{Federation, Refusal, peer_id};
use crate::service::principals::Entitlements;
use crate::store::{
    AnswerOutcome, ControlRequest, Destination, DestinationAnswer, Inbound, Principal, PrincipalKind, now,
};

/// The `description` of an error answer: the RI code, then why.
fn describe(e: &RiError) -> String {
    format!("{}: {}", e.code.as_str(), e.description)
}

/// The RI error of an answer with a `description` written by [`describe`] (or by another gate).
fn error_of(status: &str, description: Option<&str>) -> RiError {
    let d = description.unwrap_or_default();
    if let Some((code, why)) = d.split_once(": ")
        && let Some(code) = RiCode::parse(code)
    {
        return RiError::new(code, why);
    }
    let code = if status == "404" { RiCode::DataNotFound } else { RiCode::DefaultError };
    RiError::new(code, format!("the gate answered {status}: {d}"))
}

/// The eDelivery status of a local refusal.
fn status_of(e: &RiError) -> &'static str {
    match e.code {
        RiCode::DataNotFound | RiCode::UilGateNotLocal | RiCode::UilPlatformNotLocal => "404",
        _ => "400",
    }
}

impl Efti {
    fn federation_or_error(&self) -> Result<&Arc<Federation>, EftiError> {
        self.federation().ok_or_else(|| EftiError::Corrupt("this gateway is not in a federation".into()))
    }

    // -----------------------------------------------------------------------------------------------------------
    // Asking other gates

    /// A UIL query naming another gate of the registry: checked here (subset ids, the authority's entitlement),
    /// then stored `PENDING` and sent to that gate; its answer completes it.
    pub(super) async fn forward_uil(
        &self,
        who: &Principal,
        q: &UilQuery,
        request_id: Uuid,
        origin: &Origin,
    ) -> Result<UilAnswer, EftiError> {
        let fed = self.federation_or_error()?;
        let entitlements = Entitlements::of(who);
        let refusal = match Subsets::parse(&q.subsets) {
            Err(e) => Some(RiError::new(RiCode::SubsetIdIncorrect, e.to_string())),
            Ok(_) => entitlements.first_refused(&q.subsets).map(|id| {
                let why = format!(
                    "this authority may not request subset {id:?}; it may request: {}",
                    entitlements.describe()
                );
                RiError::new(RiCode::SubsetNotAllowed, why)
            }),
        };
        let status = refusal.clone().map_or(Status::Pending, Status::Error);
        let action = match &refusal {
            None => AuditAction::Forwarded,
            Some(e) if e.code == RiCode::SubsetNotAllowed => AuditAction::UilRefused(Via::Authority),
            Some(_) => AuditAction::UilFailed,
        };
        let details = Details {
            request_id: Some(request_id),
            subsets: Some(q.subsets.clone()),
            peer_gate: Some(q.gate_id.clone()),
            platform_id: Some(q.platform_id.clone()),
            dataset_id: Some(q.dataset_id.to_string()),
            outcome: Some(status.outcome()),
            ..Details::default()
        };
        let request =
            ControlRequest { subsets: q.subsets.join(","), ..control_request(request_id, "uil", who, &status) };
        let audit = vec![Auditor::entry(who, None, action, Some(&details), origin)];
        self.commit(Some(request), None, audit, self.auditor.control_durability()).await?;
        if refusal.is_none() {
            let message = Message::UilQuery(messages::UilQuery {
                request_id: request_id.to_string(),
                uil: Uil {
                    gate_id: q.gate_id.clone(),
                    platform_id: q.platform_id.clone(),
                    dataset_id: q.dataset_id.to_string(),
                },
                subsets: q.subsets.clone(),
            });
            fed.forward(request_id, "uil", vec![(q.gate_id.clone(), message.to_xml())]).await?;
        }
        Ok(UilAnswer { request_id, status, xml: None })
    }

    /// The answer to a forwarded UIL request as it stands: `PENDING`, `TIMEOUT`, the XML, or the gate's error.
    pub(super) async fn forwarded_uil(&self, r: &ControlRequest) -> Result<(Status, Option<String>), EftiError> {
        let destinations = self.store.federation.destinations(r.id).await?;
        let Some(d) = destinations.first() else {
            return Ok((Status::Error(RiError::new(RiCode::DefaultError, "the request was not sent")), None));
        };
        Ok(match d.status_at(now()) {
            "PENDING" => (Status::Pending, None),
            "TIMEOUT" => (Status::Timeout, None),
            "COMPLETE" => (Status::Complete, d.answer.clone()),
            _ => (Status::Error(stored_error(d)), None),
        })
    }

    /// An identifier search of the gates of `countries` (all gates of the registry when empty): this gate's part
    /// at once, a country without a gate as an `ERROR` entry, the others `PENDING` until they answer.
    pub(super) async fn search_federated(
        &self,
        who: &Principal,
        q: &IdentifierQuery,
        countries: &[String],
        request_id: Uuid,
        origin: &Origin,
    ) -> Result<SearchAnswer, EftiError> {
        let fed = self.federation_or_error()?;
        let (gates, missing) = fed.gates_for(countries);
        let here = countries.is_empty() || gates.iter().any(|g| g.id == self.gate_id);
        let remote: Vec<String> = gates.iter().filter(|g| g.id != self.gate_id).map(|g| g.id.clone()).collect();
        let at = now();
        let mut local = Vec::new();
        let mut audit = Vec::new();
        if here {
            let (found, entries) = self.search_here(who, q, request_id, None, origin).await?;
            let mut hits = Vec::new();
            for f in &found {
                hits.push(self.found_dto(&self.gate_id, f).await?);
            }
            audit = entries;
            let data = serde_json::to_string(&hits).map_err(|e| EftiError::Corrupt(format!("search answer: {e}")))?;
            local.push(answered(request_id, &self.gate_id, at, "COMPLETE", None, Some(data)));
        }
        for c in &missing {
            let e = RiError::new(RiCode::GateIndicatorIncorrect, format!("no gate of country {c} is known"));
            local.push(answered(request_id, &format!("country:{c}"), at, "ERROR", Some(&e), None));
        }
        let details = Details {
            request_id: Some(request_id),
            identifier: Some(q.identifier.clone()),
            peer_gate: Some(remote.join(",")),
            outcome: Some(if remote.is_empty() { "COMPLETE" } else { "PENDING" }.into()),
            ..Details::default()
        };
        if !remote.is_empty() {
            audit.push(Auditor::entry(who, None, AuditAction::Forwarded, Some(&details), origin));
        }
        let status = if remote.is_empty() { Status::Complete } else { Status::Pending };
        let request = control_request(request_id, "identifiers", who, &status);
        self.commit(Some(request), None, audit, self.auditor.control_durability()).await?;
        fed.record_local(&local).await?;
        if !remote.is_empty() {
            let message = Message::IdentifierQuery(messages::IdentifierQuery {
                request_id: request_id.to_string(),
                identifier: q.identifier.clone(),
                types: q.identifier_types.iter().map(|t| t.as_str().to_owned()).collect(),
                registration_country_code: q.registration_country_code.clone(),
                mode_code: q.mode_code.clone(),
                dangerous_goods_indicator: q.dangerous_goods_indicator,
            })
            .to_xml();
            fed.forward(request_id, "identifiers", remote.into_iter().map(|g| (g, message.clone())).collect()).await?;
        }
        self.federated_answer(request_id).await
    }

    /// A search that went to several gates, as it stands: one entry per gate, `PENDING` while one is.
    pub(super) async fn federated_answer(&self, request_id: Uuid) -> Result<SearchAnswer, EftiError> {
        let destinations = self.store.federation.destinations(request_id).await?;
        let registry = self.federation().map(|f| f.registry());
        let at = now();
        let mut gates = Vec::new();
        let mut hits = Vec::new();
        let mut pending = false;
        for d in &destinations {
            let status = d.status_at(at).to_owned();
            pending |= status == "PENDING";
            let (country, gate_id) = match d.gate_id.strip_prefix("country:") {
                Some(c) => (c.to_owned(), None),
                None => {
                    let country = registry.as_ref().and_then(|r| r.gate(&d.gate_id)).map(|g| g.country.clone());
                    (country.unwrap_or_default(), Some(d.gate_id.clone()))
                }
            };
            let found: Vec<super::ConsignmentApiDto> = match (&status[..], &d.answer) {
                ("COMPLETE", Some(a)) => serde_json::from_str(a)
                    .map_err(|e| EftiError::Corrupt(format!("stored answer of {}: {e}", d.gate_id)))?,
                _ => Vec::new(),
            };
            hits.extend(found.iter().cloned());
            let error = (status == "ERROR").then(|| stored_error(d));
            gates.push(super::GateIdentifiersDto {
                efti_gate: country,
                gate_id,
                status,
                error_code: error.as_ref().map(|e| e.code.as_str().to_owned()),
                error_description: error.map(|e| e.description),
                identifiers: found,
            });
        }
        let status = if pending { Status::Pending } else { Status::Complete };
        Ok(SearchAnswer { request_id, status, hits, gates })
    }

    /// A follow-up about a UIL request answered by another gate: sent to that gate, for the note's parties there.
    pub(super) async fn forward_follow_up(
        &self,
        who: &Principal,
        r: &ControlRequest,
        message: &str,
        origin: &Origin,
    ) -> Result<Result<(), RiError>, EftiError> {
        let fed = self.federation_or_error()?;
        let destinations = self.store.federation.destinations(r.id).await?;
        let Some(d) = destinations.first().filter(|d| d.status_at(now()) == "COMPLETE") else {
            let why = format!("request {} returned no data to follow up", r.id);
            return Ok(Err(RiError::new(RiCode::IdNotFound, why)));
        };
        let Ok(Message::UilQuery(asked)) = messages::read(&d.message) else {
            return Err(EftiError::Corrupt(format!("the stored query of request {} no longer reads", r.id)));
        };
        if message.trim().chars().count() < 2 {
            // gate.xsd's minLength: a shorter message would be refused by the gate.
            return Ok(Err(RiError::new(RiCode::DefaultError, "the message must be at least 2 characters")));
        }
        let follow_up_id = Uuid::now_v7();
        let xml = Message::FollowUp(FollowUpRequest {
            request_id: follow_up_id.to_string(),
            uil_query_request_id: r.id.to_string(),
            uil: asked.uil.clone(),
            message: message.to_owned(),
        })
        .to_xml();
        let details = Details {
            request_id: Some(r.id),
            subsets: Some(split_subsets(&r.subsets)),
            message: Some(message.to_owned()),
            peer_gate: Some(d.gate_id.clone()),
            peer_request_id: Some(follow_up_id.to_string()),
            outcome: Some("forwarded".into()),
            ..Details::default()
        };
        let entry = Auditor::entry(who, None, AuditAction::FollowUp(Via::Authority), Some(&details), origin);
        self.auditor.record(vec![entry]).await?;
        fed.forward(follow_up_id, "follow_up", vec![(d.gate_id.clone(), xml)]).await?;
        Ok(Ok(()))
    }

    // -----------------------------------------------------------------------------------------------------------
    // Messages from other gates

    /// Takes a message from another gate (`POST /federation/v1/messages`): checked (signature, destination,
    /// window, replay, schema) before anything is done; a request is stored, acknowledged and answered in a task
    /// of its own; an answer is recorded. Refusals are audited.
    ///
    /// # Errors
    /// [`Refusal`] with the HTTP status to answer.
    pub async fn receive(
        self: &Arc<Self>,
        authorization: Option<&str>,
        body: &[u8],
        origin: &Origin,
    ) -> Result<(), Refusal> {
        let Some(fed) = self.federation().cloned() else {
            return Err(Refusal { status: 404, reason: "this gateway is not in a federation".into(), origin: None });
        };
        let internal = |e: &dyn std::fmt::Display| Refusal { status: 500, reason: e.to_string(), origin: None };
        let (header, message) = match fed.accept(authorization, body).await {
            Ok(ok) => ok,
            Err(refusal) => {
                let gate = refusal.origin.clone().unwrap_or_else(|| "unknown".into());
                let who = Principal {
                    id: peer_id(&gate),
                    kind: PrincipalKind::Gate,
                    name: format!("gate {gate} (not verified)"),
                    details: serde_json::json!({ "gateId": gate }),
                    keys: Vec::new(),
                    created_at: now(),
                    revoked_at: None,
                };
                let details = Details {
                    peer_gate: refusal.origin.clone(),
                    outcome: Some(format!("refused {}: {}", refusal.status, refusal.reason)),
                    ..Details::default()
                };
                let entry = Auditor::entry(&who, None, AuditAction::MessageRefused, Some(&details), origin);
                if let Err(e) = self.auditor.record(vec![entry]).await {
                    return Err(internal(&e));
                }
                tracing::warn!(gate = %gate, status = refusal.status, reason = %refusal.reason, "federation message refused");
                return Err(refusal);
            }
        };
        let peer = header.origin;
        let kind = match &message {
            Message::UilQuery(_) => Some("uil"),
            Message::IdentifierQuery(_) => Some("identifiers"),
            Message::FollowUp(_) => Some("follow_up"),
            _ => None,
        };
        if let Some(kind) = kind {
            let text = String::from_utf8_lossy(body).into_owned();
            let inbound = Inbound {
                origin: peer,
                request_id: message.request_id().unwrap_or_default().to_owned(),
                kind: kind.into(),
                message: text,
                received_at: now(),
                answer: None,
                answered_at: None,
            };
            if fed.add_inbound(&inbound).await.map_err(|e| internal(&e))? {
                self.spawn_answer(fed, inbound, message, origin.clone());
            } else {
                tracing::info!(gate = %inbound.origin, request = %inbound.request_id, "request received again; answered once");
            }
            return Ok(());
        }
        self.take_answer(&fed, &peer, message).await.map_err(|e| internal(&e))
    }

    /// Records a peer's answer to a request of ours; a consignment of an identifier search naming another gate
    /// than the one answering is left out, and a UIL answer is cut to the subsets asked for.
    async fn take_answer(&self, fed: &Federation, peer: &str, message: Message) -> Result<(), EftiError> {
        let Some(request_id) = message.request_id().and_then(|r| Uuid::try_parse(r).ok()) else {
            tracing::warn!(gate = %peer, "an answer without a request id of ours; ignored");
            return Ok(());
        };
        // An answer must be of the kind asked of that gate: a peer cannot turn a search into a UIL answer.
        let kind = match &message {
            Message::UilResponse(_) => "uil",
            Message::IdentifierResponse(_) => "identifiers",
            Message::FollowUpResponse(_) => "follow_up",
            _ => return Ok(()),
        };
        let asked = self.store.federation.destinations(request_id).await?;
        if !asked.iter().any(|d| d.gate_id == peer && d.kind == kind) {
            tracing::warn!(gate = %peer, request = %request_id, kind, "an answer to nothing asked of that gate; ignored");
            return Ok(());
        }
        let raw = message.to_xml();
        let answer = match message {
            Message::UilResponse(m) if m.status == "200" && m.consignment.is_some() => {
                let asked = self.store.control.get_request(request_id).await?;
                let subsets = asked.map(|r| split_subsets(&r.subsets)).unwrap_or_default();
                let cut = Subsets::parse(&subsets).map_err(|e| e.to_string()).and_then(|s| {
                    let text = m.consignment.as_deref().unwrap_or_default();
                    ecmr::efti::filter_xml(text, &s).map(|c| c.into_owned()).map_err(|e| e.to_string())
                });
                match cut {
                    Ok(xml) => ok_answer(xml, raw),
                    Err(e) => {
                        error_answer(&RiError::new(RiCode::DefaultError, format!("the gate's dataset: {e}")), raw)
                    }
                }
            }
            Message::UilResponse(m) => {
                let status = if m.status == "200" { "404" } else { &m.status };
                error_answer(&error_of(status, m.description.as_deref()), raw)
            }
            Message::IdentifierResponse(m) if m.status == "200" => {
                let mut hits = Vec::new();
                for FoundConsignment { consignment, uil } in &m.consignments {
                    if uil.gate_id != peer {
                        tracing::warn!(gate = %peer, named = %uil.gate_id, "a consignment of another gate left out");
                        continue;
                    }
                    hits.push(self.hit(&uil.gate_id, &uil.platform_id, &uil.dataset_id, consignment));
                }
                let data = serde_json::to_string(&hits).map_err(|e| EftiError::Corrupt(e.to_string()))?;
                ok_answer(data, raw)
            }
            Message::IdentifierResponse(m) => error_answer(&error_of(&m.status, m.description.as_deref()), raw),
            Message::FollowUpResponse(m) if m.status == "200" => ok_answer(String::new(), raw),
            Message::FollowUpResponse(m) => error_answer(&error_of(&m.status, m.description.as_deref()), raw),
            _ => return Ok(()),
        };
        match fed.record_answer(request_id, peer, &answer).await? {
            AnswerOutcome::Applied => {}
            outcome => {
                tracing::info!(gate = %peer, request = %request_id, ?outcome, "answer kept aside; it changes nothing")
            }
        }
        Ok(())
    }

    fn spawn_answer(self: &Arc<Self>, fed: Arc<Federation>, inbound: Inbound, message: Message, origin: Origin) {
        let efti = self.clone();
        tokio::spawn(async move {
            match efti.answer_peer(&fed, &inbound, message, &origin).await {
                Ok(xml) => {
                    if let Err(e) = fed.answer(&inbound, xml).await {
                        tracing::error!(error = %e, "the answer to a gate could not be stored");
                    }
                }
                Err(e) => tracing::error!(gate = %inbound.origin, error = %e, "a gate's request could not be answered"),
            }
        });
    }

    /// Answers a request another gate asked, as its authority is entitled (the registry's subsets for that gate);
    /// every read is stored and audited under the gate's principal, naming the gate and its request id.
    async fn answer_peer(
        &self,
        fed: &Federation,
        inbound: &Inbound,
        message: Message,
        origin: &Origin,
    ) -> Result<String, EftiError> {
        let who = fed.peer_principal(&inbound.origin).await?;
        let asked_by = Some((inbound.origin.as_str(), inbound.request_id.as_str()));
        let request_id = Uuid::now_v7();
        let reply = Some(inbound.request_id.clone());
        Ok(match message {
            Message::UilQuery(m) => {
                let entitlements = fed.entitlements_of(&inbound.origin);
                let (document_id, answer) = match Uuid::try_parse(&m.uil.dataset_id) {
                    Ok(dataset_id) => {
                        let q = UilQuery {
                            gate_id: m.uil.gate_id.clone(),
                            platform_id: m.uil.platform_id.clone(),
                            dataset_id,
                            subsets: m.subsets.clone(),
                        };
                        self.answer_uil(&entitlements, &q).await?
                    }
                    Err(_) => {
                        let why =
                            format!("no dataset {} on platform {:?} of this gate", m.uil.dataset_id, m.uil.platform_id);
                        (None, Err(RiError::new(RiCode::DataNotFound, why)))
                    }
                };
                let (status, action) = uil_outcome(&answer, Via::Gate);
                let details = Details {
                    request_id: Some(request_id),
                    subsets: Some(m.subsets.clone()),
                    peer_gate: Some(inbound.origin.clone()),
                    peer_request_id: Some(inbound.request_id.clone()),
                    outcome: Some(status.outcome()),
                    ..Details::default()
                };
                let request = ControlRequest {
                    document_id,
                    subsets: m.subsets.join(","),
                    answered_seq: answer.as_ref().ok().map(|(_, seq)| *seq),
                    ..control_request(request_id, "uil", &who, &status)
                };
                let audit = vec![Auditor::entry(&who, document_id, action, Some(&details), origin)];
                self.commit(Some(request), None, audit, self.auditor.control_durability()).await?;
                let response = match answer {
                    Ok((xml, _)) => messages::UilResponse {
                        request_id: reply,
                        status: "200".into(),
                        description: None,
                        consignment: Some(xml),
                    },
                    Err(e) => messages::UilResponse {
                        request_id: reply,
                        status: status_of(&e).into(),
                        description: Some(describe(&e)),
                        consignment: None,
                    },
                };
                Message::UilResponse(response).to_xml()
            }
            Message::IdentifierQuery(m) => {
                let q = IdentifierQuery::from_request(
                    Some(&m.identifier),
                    &m.types,
                    m.mode_code.as_deref(),
                    m.registration_country_code.as_deref(),
                    m.dangerous_goods_indicator,
                );
                let response = match q {
                    Err(e) => messages::IdentifierResponse {
                        request_id: reply,
                        status: "400".into(),
                        description: Some(describe(&RiError::from(e))),
                        consignments: Vec::new(),
                    },
                    Ok(q) => {
                        let (found, audit) = self.search_here(&who, &q, request_id, asked_by, origin).await?;
                        let hits: Vec<&Found> = found.iter().collect();
                        let data = serde_json::to_string(
                            &hits
                                .iter()
                                .map(|f| self.hit(&self.gate_id, &f.platform_id, &f.dataset_id, &f.consignment))
                                .collect::<Vec<_>>(),
                        )
                        .map_err(|e| EftiError::Corrupt(e.to_string()))?;
                        let request = ControlRequest {
                            data: Some(data),
                            ..control_request(request_id, "identifiers", &who, &Status::Complete)
                        };
                        self.commit(Some(request), None, audit, self.auditor.control_durability()).await?;
                        messages::IdentifierResponse {
                            request_id: reply,
                            status: "200".into(),
                            description: None,
                            consignments: found
                                .into_iter()
                                .map(|f| FoundConsignment {
                                    consignment: f.consignment,
                                    uil: Uil {
                                        gate_id: self.gate_id.clone(),
                                        platform_id: f.platform_id,
                                        dataset_id: f.dataset_id,
                                    },
                                })
                                .collect(),
                        }
                    }
                };
                Message::IdentifierResponse(response).to_xml()
            }
            Message::FollowUp(m) => {
                let not_found = || {
                    Message::FollowUpResponse(FollowUpResponse {
                        request_id: reply.clone(),
                        status: "404".into(),
                        description: Some(format!("DATA_NOT_FOUND: no dataset {} on this gate", m.uil.dataset_id)),
                    })
                    .to_xml()
                };
                let here = m.uil.gate_id == self.gate_id && m.uil.platform_id == self.platform_id;
                let document = match Uuid::try_parse(&m.uil.dataset_id) {
                    Ok(id) if here => self.stored_id(id).await?,
                    _ => None,
                };
                let Some(document_id) = document else { return Ok(not_found()) };
                let asked_by = Some((inbound.origin.as_str(), m.uil_query_request_id.as_str()));
                self.store_gate_follow_up(request_id, &who, document_id, m.message, asked_by, origin).await?;
                Message::FollowUpResponse(FollowUpResponse {
                    request_id: reply,
                    status: "200".into(),
                    description: None,
                })
                .to_xml()
            }
            _ => return Err(EftiError::Corrupt("not a request".into())),
        })
    }

    /// After a restart: sends again what was not delivered, and answers (or sends again the answers to) the
    /// requests of other gates not yet answered.
    ///
    /// # Errors
    /// Store errors.
    pub async fn resume_federation(self: &Arc<Self>) -> Result<(), EftiError> {
        let Some(fed) = self.federation().cloned() else { return Ok(()) };
        let sent = fed.resume().await?;
        let inbound = fed.unanswered().await?;
        tracing::info!(resent = sent, unanswered = inbound.len(), "federation resumed");
        for i in inbound {
            match &i.answer {
                Some(answer) => fed.answer(&i, answer.clone()).await?,
                None => match messages::read(&i.message) {
                    Ok(message) => self.spawn_answer(fed.clone(), i, message, Origin::default()),
                    Err(e) => tracing::error!(error = %e, "a stored request of a gate no longer reads"),
                },
            }
        }
        Ok(())
    }
}

/// A destination answered at once (this gate's own part, or a country with no gate).
fn answered(
    request_id: Uuid,
    gate_id: &str,
    at: chrono::DateTime<chrono::Utc>,
    status: &str,
    error: Option<&RiError>,
    answer: Option<String>,
) -> Destination {
    Destination {
        request_id,
        gate_id: gate_id.to_owned(),
        kind: "identifiers".into(),
        message: String::new(),
        status: status.to_owned(),
        error_code: error.map(|e| e.code.as_str().to_owned()),
        error_description: error.map(|e| e.description.clone()),
        answer,
        attempts: 0,
        last_error: None,
        delivered_at: Some(at),
        deadline: at,
        answered_at: Some(at),
        created_at: at,
    }
}

fn stored_error(d: &Destination) -> RiError {
    RiError::new(
        d.error_code.as_deref().and_then(RiCode::parse).unwrap_or(RiCode::DefaultError),
        d.error_description.clone().unwrap_or_default(),
    )
}

fn ok_answer(data: String, raw: String) -> DestinationAnswer {
    DestinationAnswer { status: "COMPLETE".into(), error_code: None, error_description: None, answer: Some(data), raw }
}

fn error_answer(e: &RiError, raw: String) -> DestinationAnswer {
    DestinationAnswer {
        status: "ERROR".into(),
        error_code: Some(e.code.as_str().to_owned()),
        error_description: Some(e.description.clone()),
        answer: None,
        raw,
    }
}
