//! The lifecycle of a signed note: which event may follow which, signed in which role.
//!
//! The same rules run when an event is built and when a document is verified.

use serde::Serialize;

use crate::document::{EventKind, Role};

/// Where a note stands after its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Issued by the sender (box 22); not yet taken over.
    Issued,
    /// Cancelled by the sender before take-over (final).
    Cancelled,
    /// Taken over by the carrier; on the road.
    InTransit,
    /// Delivered to the consignee (box 24; final).
    Delivered,
    /// Delivery refused by the consignee (final).
    Refused,
}

impl State {
    /// Whether no event may follow.
    pub fn is_final(&self) -> bool {
        matches!(self, State::Cancelled | State::Delivered | State::Refused)
    }

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Issued => "issued",
            State::Cancelled => "cancelled",
            State::InTransit => "in_transit",
            State::Delivered => "delivered",
            State::Refused => "refused",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an event may not follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LifecycleError {
    /// The event is signed in a role that may not sign this kind.
    #[error("`{kind}` must be signed by the {expected}, not the {found}")]
    WrongRole {
        /// The event's kind.
        kind: EventKind,
        /// The role that may sign it.
        expected: Role,
        /// The role it was signed in.
        found: Role,
    },
    /// The event is not allowed in the note's current state (`None`: before any event).
    #[error("`{kind}` is not allowed {}", match state { Some(s) => format!("when the note is {s}"), None => "as the first event".to_owned() })]
    WrongState {
        /// The event's kind.
        kind: EventKind,
        /// The state before it.
        state: Option<State>,
    },
    /// The note already reached a final state.
    #[error("`{kind}` follows the final state {state}")]
    AfterFinal {
        /// The event's kind.
        kind: EventKind,
        /// The final state.
        state: State,
    },
    /// `reservations_accepted` names an event with no open reservations.
    #[error("event {seq} has no reservations awaiting acceptance")]
    NoReservationsToAccept {
        /// The named event.
        seq: u64,
    },
}

/// The role that signs `kind`; for `amended`, the holder of the right of disposal given whether the consignee
/// has it (Art. 12).
pub fn signing_role(kind: EventKind, consignee_has_right_of_disposal: bool) -> Role {
    match kind {
        EventKind::Issued | EventKind::Cancelled | EventKind::ReservationsAccepted => Role::Sender,
        EventKind::TakenOver => Role::Carrier,
        EventKind::HandedOver => Role::SuccessiveCarrier,
        EventKind::Delivered | EventKind::DeliveryRefused => Role::Consignee,
        EventKind::Amended => {
            if consignee_has_right_of_disposal {
                Role::Consignee
            } else {
                Role::Sender
            }
        }
    }
}

/// The state after `kind`, signed in `role`, follows `state` (`None` before the first event).
///
/// Checks the state first (final states, then allowed states), then the role.
///
/// # Errors
/// [`LifecycleError`] naming what is not allowed.
pub fn transition(
    state: Option<State>,
    kind: EventKind,
    role: Role,
    consignee_has_right_of_disposal: bool,
) -> Result<State, LifecycleError> {
    if let Some(s) = state.filter(State::is_final) {
        return Err(LifecycleError::AfterFinal { kind, state: s });
    }
    let next = match (state, kind) {
        (None, EventKind::Issued) => State::Issued,
        (Some(State::Issued), EventKind::Cancelled) => State::Cancelled,
        (Some(State::Issued), EventKind::TakenOver) => State::InTransit,
        (Some(State::InTransit), EventKind::ReservationsAccepted) => State::InTransit,
        (Some(s @ (State::Issued | State::InTransit)), EventKind::Amended) => s,
        (Some(State::InTransit), EventKind::HandedOver) => State::InTransit,
        (Some(State::InTransit), EventKind::Delivered) => State::Delivered,
        (Some(State::InTransit), EventKind::DeliveryRefused) => State::Refused,
        _ => return Err(LifecycleError::WrongState { kind, state }),
    };
    let expected = signing_role(kind, consignee_has_right_of_disposal);
    if role != expected {
        return Err(LifecycleError::WrongRole { kind, expected, found: role });
    }
    Ok(next)
}
