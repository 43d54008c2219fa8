//! Two-phase transfers between linked organisations on two instances, so money is never created
//! or lost between two ledgers. The sending instance coordinates:
//!
//! 1. it places a hold on its own ledger (the sender's wallet → the peer's clearing account),
//!    expiring at the deadline, and records the transfer `pending`;
//! 2. it asks the receiving instance to prepare: that one places a hold of its own (its clearing
//!    account for the sender → the recipient's wallet), without a timeout, and says so;
//! 3. on that answer the sender records `prepared` and posts its hold — the ledger itself
//!    refuses after the deadline, in which case the transfer is voided instead;
//! 4. the decision (`posted` or `voided`) is told to the receiver until it acknowledges; a
//!    receiver with a hold still pending also asks the sender. The receiver never decides.
//!
//! A crash anywhere leaves each ledger balanced (holds are ledger transfers) and each side with a
//! durable state from which the steps below finish the transfer the same way both sides.

use crate::validation::Invalid;
use serde_json::{Value, json};

pub const MIN_TIMEOUT_S: u32 = 5;
pub const MAX_TIMEOUT_S: u32 = 3_600;
pub const DEFAULT_TIMEOUT_S: u32 = 60;
/// A receiver with a pending hold asks the sender about it at most this often.
pub const ASK_EVERY_MS: i64 = 5_000;

/// Where a transfer is, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Sender: held here, the receiver has not answered. Receiver: held, awaiting the decision.
    Pending,
    /// Sender only: the receiver holds the money too; posting is next.
    Prepared,
    Posted,
    Voided,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Prepared => "prepared",
            State::Posted => "posted",
            State::Voided => "voided",
        }
    }

    pub fn parse(raw: &str) -> Option<State> {
        [State::Pending, State::Prepared, State::Posted, State::Voided].into_iter().find(|s| s.as_str() == raw)
    }

    pub fn is_final(self) -> bool {
        matches!(self, State::Posted | State::Voided)
    }
}

/// The sender's request to prepare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepare {
    /// 32 lowercase hex digits, chosen by the sender.
    pub id: String,
    /// The sending organisation's actor.
    pub from: String,
    /// The receiving organisation's actor.
    pub to: String,
    pub amount_minor: u64,
    /// The asset code both ledgers keep it in (e.g. `EUR`).
    pub currency: String,
    pub deadline_ms: i64,
}

pub fn prepare_json(p: &Prepare) -> Value {
    json!({
        "type": "CommuneTransfer", "id": p.id, "from": p.from, "to": p.to,
        "amount_minor": p.amount_minor, "currency": p.currency, "deadline_ms": p.deadline_ms,
    })
}

fn field<'a>(v: &'a Value, name: &'static str) -> Result<&'a str, Invalid> {
    v.get(name).and_then(Value::as_str).ok_or_else(|| Invalid::new(name, "is missing or not a string"))
}

/// A transfer id: 32 lowercase hex digits.
pub fn check_id(raw: &str) -> Result<u128, Invalid> {
    if raw.len() != 32 || !raw.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)) {
        return Err(Invalid::new("id", "must be 32 lowercase hex digits"));
    }
    u128::from_str_radix(raw, 16).map_err(|_| Invalid::new("id", "must be 32 lowercase hex digits"))
}

pub fn parse_prepare(v: &Value) -> Result<Prepare, Invalid> {
    if v.get("type").and_then(Value::as_str) != Some("CommuneTransfer") {
        return Err(Invalid::new("type", "must be CommuneTransfer"));
    }
    let p = Prepare {
        id: field(v, "id")?.to_string(),
        from: field(v, "from")?.to_string(),
        to: field(v, "to")?.to_string(),
        amount_minor: v.get("amount_minor").and_then(Value::as_u64).unwrap_or(0),
        currency: field(v, "currency")?.to_string(),
        deadline_ms: v
            .get("deadline_ms")
            .and_then(Value::as_i64)
            .ok_or_else(|| Invalid::new("deadline_ms", "is missing"))?,
    };
    check_id(&p.id)?;
    if p.amount_minor == 0 || p.amount_minor > i64::MAX as u64 {
        return Err(Invalid::new("amount_minor", "must be a whole number of minor units above zero"));
    }
    if p.currency.is_empty() || p.currency.len() > 12 || !p.currency.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Invalid::new("currency", "must be an asset code such as EUR"));
    }
    Ok(p)
}

/// The sender's decision, told to the receiver.
pub fn decision_json(id: &str, from: &str, to: &str, state: State) -> Value {
    json!({ "type": "CommuneTransferDecision", "id": id, "from": from, "to": to, "decision": state.as_str() })
}

/// Reads a decision: `(id, from, to, posted or voided)`.
pub fn parse_decision(v: &Value) -> Result<(String, String, String, State), Invalid> {
    if v.get("type").and_then(Value::as_str) != Some("CommuneTransferDecision") {
        return Err(Invalid::new("type", "must be CommuneTransferDecision"));
    }
    let id = field(v, "id")?;
    check_id(id)?;
    match State::parse(field(v, "decision")?) {
        Some(state) if state.is_final() => {
            Ok((id.to_string(), field(v, "from")?.to_string(), field(v, "to")?.to_string(), state))
        }
        _ => Err(Invalid::new("decision", "must be posted or voided")),
    }
}

/// What the sender does next with a transfer at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing yet: the receiver may still answer before the deadline.
    Wait,
    /// The receiver holds the money: post (the ledger refuses after the deadline: then void).
    Post,
    /// No answer by the deadline: void.
    Void,
    /// Decided; the receiver has not acknowledged: tell it.
    Tell(State),
    Done,
}

pub fn sender_step(state: State, told: bool, deadline_ms: i64, now_ms: i64) -> Step {
    match state {
        State::Pending if now_ms >= deadline_ms => Step::Void,
        State::Pending => Step::Wait,
        State::Prepared => Step::Post,
        State::Posted | State::Voided if !told => Step::Tell(state),
        State::Posted | State::Voided => Step::Done,
    }
}

/// Checks a requested timeout: `None` is the default.
pub fn timeout_s(raw: Option<u32>) -> Result<u32, Invalid> {
    match raw.unwrap_or(DEFAULT_TIMEOUT_S) {
        t if (MIN_TIMEOUT_S..=MAX_TIMEOUT_S).contains(&t) => Ok(t),
        _ => Err(Invalid::new("timeout_s", format!("between {MIN_TIMEOUT_S} and {MAX_TIMEOUT_S} seconds"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare() -> Prepare {
        Prepare {
            id: format!("{:032x}", 7u128),
            from: "https://a.example/ap/orgs/root".into(),
            to: "https://b.example/ap/orgs/north".into(),
            amount_minor: 2_500,
            currency: "EUR".into(),
            deadline_ms: 1_000,
        }
    }

    #[test]
    fn messages_round_trip_and_refuse_nonsense() {
        assert_eq!(parse_prepare(&prepare_json(&prepare())).unwrap(), prepare());
        for (key, bad) in [
            ("id", json!("XYZ")),
            ("amount_minor", json!(0)),
            ("amount_minor", json!(-5)),
            ("amount_minor", json!(u64::MAX)),
            ("currency", json!("€")),
            ("type", json!("Follow")),
        ] {
            let mut v = prepare_json(&prepare());
            v[key] = bad;
            assert!(parse_prepare(&v).is_err(), "{key}");
        }
        let d = decision_json(&prepare().id, "a", "b", State::Posted);
        assert_eq!(parse_decision(&d).unwrap().3, State::Posted);
        let pending = decision_json(&prepare().id, "a", "b", State::Pending);
        assert!(parse_decision(&pending).is_err(), "only a final state is a decision");
    }

    #[test]
    fn the_sender_decides_once_and_tells_until_heard() {
        assert_eq!(sender_step(State::Pending, false, 100, 99), Step::Wait);
        assert_eq!(sender_step(State::Pending, false, 100, 100), Step::Void);
        assert_eq!(sender_step(State::Prepared, false, 100, 1_000), Step::Post, "the ledger judges the deadline");
        assert_eq!(sender_step(State::Posted, false, 100, 0), Step::Tell(State::Posted));
        assert_eq!(sender_step(State::Voided, false, 100, 0), Step::Tell(State::Voided));
        assert_eq!(sender_step(State::Voided, true, 100, 0), Step::Done);
        assert_eq!(timeout_s(None), Ok(DEFAULT_TIMEOUT_S));
        assert!(timeout_s(Some(0)).is_err());
        assert!(timeout_s(Some(MAX_TIMEOUT_S + 1)).is_err());
    }
}
