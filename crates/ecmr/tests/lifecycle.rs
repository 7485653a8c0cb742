//! Every lifecycle rule, both ways: allowed steps build and verify, forbidden ones are refused with a named error,
//! when building and when verifying.

use ecmr::document::{Cancel, Deliver, Document, EventData, HandOver, Reservation, ReservationSubject, Role, TakeOver};
use ecmr::keys::{FileKey, Signer};
use ecmr::lifecycle::{LifecycleError, State};
use ecmr::model::Location;
use ecmr::sign::BuildError;
use ecmr::trust::{Anchor, Trust, TrustStore, TrustedKey, Unvouched};
use ecmr::verify::{FailureKind, Verified, verify};
use serde_json::{Value, json};

const NOTE: &str = include_str!("../../../examples/domestic-pallets.json");

fn at(min: u32) -> chrono::DateTime<chrono::Utc> {
    format!("2026-11-28T{:02}:{:02}:00Z", 5 + min / 60, min % 60).parse().expect("time")
}

struct Keys {
    sender: FileKey,
    carrier: FileKey,
    successive: FileKey,
    consignee: FileKey,
    stranger: FileKey,
}

fn keys() -> Keys {
    Keys {
        sender: FileKey::from_seed(&[1; 32]),
        carrier: FileKey::from_seed(&[2; 32]),
        successive: FileKey::from_seed(&[4; 32]),
        consignee: FileKey::from_seed(&[3; 32]),
        stranger: FileKey::from_seed(&[9; 32]),
    }
}

fn note() -> Value {
    serde_json::from_str(NOTE).expect("example note")
}

fn place() -> Location {
    serde_json::from_value(note()["taking_over"]["location"].clone()).expect("location")
}

fn reservation() -> Reservation {
    Reservation {
        subject: ReservationSubject::Packaging,
        text: "Wrapping of 2 pallets torn".into(),
        grounds: "Seen at loading".into(),
    }
}

fn take_over_data(reservations: Vec<Reservation>) -> TakeOver {
    TakeOver { place: place(), time: "2026-11-28T06:05:00+01:00".parse().expect("time"), reservations, checks: vec![] }
}

fn deliver_data() -> Deliver {
    Deliver { place: place(), time: "2026-11-28T11:00:00+01:00".parse().expect("time"), reservations: vec![] }
}

fn issued(note: Value, k: &Keys) -> Verified<Document> {
    ecmr::sign::issue_value(uuid::Uuid::from_u128(42), note, at(0), &k.sender).expect("issue")
}

fn in_transit(k: &Keys) -> Verified<Document> {
    issued(note(), k).take_over(take_over_data(vec![reservation()]), at(10), &k.carrier).expect("take over")
}

fn refused_with(result: Result<Verified<Document>, BuildError>) -> FailureKind {
    match result {
        Ok(_) => panic!("expected the event to be refused"),
        Err(e) => e.failure().expect("refused with a failure").kind.clone(),
    }
}

fn reverify(doc: &Verified<Document>) -> Verified<Document> {
    verify(doc.bytes(), None).expect("built document verifies")
}

#[test]
fn complete_lifecycle_verifies() {
    let k = keys();
    let doc = in_transit(&k);
    let doc = doc.accept_reservations(vec![1], at(20), &k.sender).expect("accept");
    let doc = doc
        .amend(json!({"payment_instructions": "Carriage forward"}), "Customer asked", at(30), &k.sender)
        .expect("amend");
    let doc = doc
        .hand_over(
            HandOver { place: place(), time: "2026-11-28T09:00:00+01:00".parse().expect("t"), reservations: vec![] },
            at(40),
            &k.successive,
        )
        .expect("hand over");
    let doc = doc.deliver(deliver_data(), at(50), &k.consignee).expect("deliver");
    let v = reverify(&doc);
    assert_eq!(v.state(), State::Delivered);
    assert_eq!(v.current_note()["payment_instructions"], "Carriage forward");
    assert_eq!(v.note["payment_instructions"], "Carriage paid", "the original is preserved");
    assert_eq!(v.report().events.len(), 6);
    assert!(v.report().events.iter().all(|e| e.signature_ok && e.chain_ok && e.digest_ok && e.lifecycle_ok));
}

#[test]
fn cancel_allowed_only_before_take_over() {
    let k = keys();
    let doc = issued(note(), &k).cancel("Order withdrawn", at(5), &k.sender).expect("cancel");
    assert_eq!(reverify(&doc).state(), State::Cancelled);
    let kind = refused_with(in_transit(&k).cancel("too late", at(20), &k.sender));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::WrongState { .. })), "{kind:?}");
}

#[test]
fn nothing_after_a_final_state() {
    let k = keys();
    let cancelled = issued(note(), &k).cancel("Order withdrawn", at(5), &k.sender).expect("cancel");
    let kind = refused_with(cancelled.take_over(take_over_data(vec![]), at(10), &k.carrier));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::AfterFinal { .. })), "{kind:?}");
    let delivered = in_transit(&k).deliver(deliver_data(), at(50), &k.consignee).expect("deliver");
    let kind = refused_with(delivered.refuse_delivery("no", None, at(60), &k.consignee));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::AfterFinal { .. })), "{kind:?}");
    let refused = in_transit(&k).refuse_delivery("Goods spoiled", None, at(50), &k.consignee).expect("refuse");
    assert_eq!(reverify(&refused).state(), State::Refused);
    let kind = refused_with(refused.amend(json!({"payment_instructions": "x"}), "x", at(60), &k.sender));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::AfterFinal { .. })), "{kind:?}");
}

#[test]
fn each_kind_refuses_the_wrong_role() {
    let k = keys();
    let issued_doc = issued(note(), &k);
    let transit = in_transit(&k);
    let cases: Vec<(&Verified<Document>, EventData, Role)> = vec![
        (&issued_doc, EventData::Cancelled(Cancel { reason: "x".into() }), Role::Carrier),
        (&issued_doc, EventData::TakenOver(take_over_data(vec![])), Role::Sender),
        (
            &transit,
            EventData::HandedOver(HandOver {
                place: place(),
                time: "2026-11-28T09:00:00Z".parse().expect("t"),
                reservations: vec![],
            }),
            Role::Carrier,
        ),
        (&transit, EventData::Delivered(deliver_data()), Role::Carrier),
        (
            &transit,
            EventData::ReservationsAccepted(ecmr::document::AcceptReservations { events: vec![1] }),
            Role::Carrier,
        ),
        (&transit, EventData::Amended(ecmr::document::Amend { patch: json!({}), reason: "x".into() }), Role::Consignee),
    ];
    for (doc, data, role) in cases {
        let kind = refused_with(doc.append(role, data.clone(), at(30), &k.stranger));
        assert!(
            matches!(kind, FailureKind::DisallowedTransition(LifecycleError::WrongRole { .. })),
            "{:?} by {role}: {kind:?}",
            data.kind()
        );
    }
}

#[test]
fn wrong_state_is_refused() {
    let k = keys();
    let issued_doc = issued(note(), &k);
    for (data, role) in [
        (EventData::Delivered(deliver_data()), Role::Consignee),
        (
            EventData::HandedOver(HandOver {
                place: place(),
                time: "2026-11-28T09:00:00Z".parse().expect("t"),
                reservations: vec![],
            }),
            Role::SuccessiveCarrier,
        ),
        (
            EventData::DeliveryRefused(ecmr::document::RefuseDelivery { reason: "x".into(), time: None }),
            Role::Consignee,
        ),
        (EventData::Issued(ecmr::document::Issue {}), Role::Sender),
    ] {
        let kind = refused_with(issued_doc.append(role, data, at(5), &k.stranger));
        assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::WrongState { .. })), "{kind:?}");
    }
    let kind = refused_with(in_transit(&k).take_over(take_over_data(vec![]), at(20), &k.carrier));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::WrongState { .. })), "{kind:?}");
}

#[test]
fn reservations_accepted_only_when_entered() {
    let k = keys();
    let without = issued(note(), &k).take_over(take_over_data(vec![]), at(10), &k.carrier).expect("take over");
    let kind = refused_with(without.accept_reservations(vec![1], at(20), &k.sender));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::NoReservationsToAccept { seq: 1 })));
    let with = in_transit(&k);
    let accepted = with.accept_reservations(vec![1], at(20), &k.sender).expect("accept");
    assert_eq!(accepted.open_reservations().count(), 0);
    let kind = refused_with(accepted.accept_reservations(vec![1], at(30), &k.sender));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::NoReservationsToAccept { seq: 1 })));
}

#[test]
fn right_of_disposal_follows_the_note() {
    let k = keys();
    // Sender by default.
    let kind = refused_with(issued(note(), &k).append(
        Role::Consignee,
        EventData::Amended(ecmr::document::Amend { patch: json!({"payment_instructions": "x"}), reason: "r".into() }),
        at(5),
        &k.consignee,
    ));
    assert!(matches!(kind, FailureKind::DisallowedTransition(LifecycleError::WrongRole { .. })), "{kind:?}");
    // Consignee's from the start when the note says so.
    let mut n = note();
    n["consignee_has_right_of_disposal"] = json!(true);
    let doc = issued(n, &k);
    let amended =
        doc.amend(json!({"payment_instructions": "x"}), "Consignee asked", at(5), &k.consignee).expect("amend");
    assert_eq!(amended.get().events[1].role, Role::Consignee);
    // The flag itself cannot be amended away.
    let kind = refused_with(amended.amend(json!({"consignee_has_right_of_disposal": null}), "r", at(6), &k.consignee));
    assert!(matches!(kind, FailureKind::ForbiddenAmendment { .. }), "{kind:?}");
}

#[test]
fn amendment_reason_and_valid_note_required() {
    let k = keys();
    let doc = issued(note(), &k);
    let kind = refused_with(doc.amend(json!({"payment_instructions": "x"}), " ", at(5), &k.sender));
    assert!(matches!(kind, FailureKind::InvalidEventData { .. }), "{kind:?}");
    let kind = refused_with(doc.amend(json!({"sender": null}), "drop the sender", at(5), &k.sender));
    assert!(matches!(kind, FailureKind::InvalidNote { .. }), "{kind:?}");
    let kind = refused_with(doc.amend(json!({"weight": 1}), "unknown field", at(5), &k.sender));
    assert!(matches!(kind, FailureKind::InvalidNote { .. }), "{kind:?}");
}

#[test]
fn pinned_keys_are_enforced() {
    let k = keys();
    let mut n = note();
    n["sender"]["public_keys"] = json!([k.sender.public_key().to_b64url()]);
    n["carrier"]["public_keys"] = json!([k.carrier.public_key().to_b64url()]);
    let doc = issued(n.clone(), &k);
    assert!(doc.report().events[0].pinned);
    assert_eq!(doc.report().events[0].trust, Trust::NotVouched { reason: Unvouched::NoTrustStore });
    let kind = refused_with(doc.take_over(take_over_data(vec![]), at(10), &k.stranger));
    assert!(matches!(kind, FailureKind::KeyNotPinned { role: Role::Carrier, .. }), "{kind:?}");
    let err = ecmr::sign::issue_value(uuid::Uuid::from_u128(1), n, at(0), &k.stranger).unwrap_err();
    assert!(matches!(err.failure().map(|f| &f.kind), Some(FailureKind::KeyNotPinned { .. })), "{err}");
    // Pinned keys of the sender cannot be amended.
    let kind = refused_with(doc.amend(json!({"sender": {"public_keys": null}}), "r", at(5), &k.sender));
    assert!(matches!(kind, FailureKind::ForbiddenAmendment { .. }), "{kind:?}");
}

#[test]
fn trust_store_vouches_by_role() {
    let k = keys();
    let doc = in_transit(&k);
    let mut store = TrustStore::new();
    store.insert(TrustedKey {
        public_key: k.sender.public_key(),
        name: "Brabant Zuivel".into(),
        roles: vec![Role::Sender],
    });
    store.insert(TrustedKey {
        public_key: k.carrier.public_key(),
        name: "Van Dijk".into(),
        roles: vec![Role::Consignee],
    });
    let v = verify(doc.bytes(), Some(&store)).expect("verifies");
    let by_store = |party: &str| Trust::Anchored { anchor: Anchor::TrustStore { party: party.into() } };
    assert_eq!(v.report().events[0].trust, by_store("Brabant Zuivel"));
    assert_eq!(
        v.report().events[1].trust,
        Trust::NotVouched { reason: Unvouched::NotInTrustStore },
        "vouched only as consignee"
    );
    assert!(!v.report().all_trusted());
    let store2 = TrustStore::from_json(&store.to_json()).expect("round trip");
    assert_eq!(store2, store);
}

#[test]
fn a_party_signed_event_is_appended_after_checking() {
    let k = keys();
    let doc = in_transit(&k);
    // The consignee signs a delivery elsewhere and sends the event's bytes.
    let mut event = ecmr::document::Event {
        seq: doc.next_seq(),
        kind: ecmr::document::EventKind::Delivered,
        document_id: doc.id().to_owned(),
        at: "2026-11-28T10:05:00Z".into(),
        prev: doc.last_event_digest().map(str::to_owned),
        note_digest: doc.note_digest().to_owned(),
        role: Role::Consignee,
        data: serde_json::to_value(deliver_data()).expect("data"),
        signer: ecmr::document::SignerInfo { alg: String::new(), public_key: String::new() },
        signature: String::new(),
    };
    event.sign(&k.consignee).expect("sign");
    let bytes = serde_json::to_vec(&event).expect("json");
    let parsed = ecmr::document::Event::from_slice(&bytes).expect("parses");
    let mut store = TrustStore::new();
    store.insert(TrustedKey { public_key: k.consignee.public_key(), name: "DC Noord".into(), roles: vec![] });
    let longer = doc.append_event(parsed.clone(), Some(&store)).expect("appends");
    assert_eq!(longer.state(), State::Delivered);
    assert_eq!(
        longer.report().events[2].trust,
        Trust::Anchored { anchor: Anchor::TrustStore { party: "DC Noord".into() } }
    );
    assert_eq!(reverify(&longer).get(), longer.get());
    // The same event again (seq taken) is refused with a named failure and a report.
    let err = longer.append_event(parsed, None).expect_err("seq taken");
    assert_eq!(err.report.failures[0].kind.code(), "seq_repeat");
    assert_eq!(err.report.events.len(), 4);
    // An event with a floating-point number is refused when parsed.
    let text = String::from_utf8(bytes).expect("utf8").replacen("\"seq\":2", "\"seq\":2.0", 1);
    assert!(ecmr::document::Event::from_slice(text.as_bytes()).is_err());
}
