//! Payments on top of the ledger: who owns an account, which codes mean what, how revenue is
//! split into the funnel share for the common pot, and who may debit an account.
//!
//! Every wallet's id is derived from its owner, ledger and code, so creating a wallet twice (two
//! requests racing, a retry) lands on the same account and gets `exists`. Payment ids derived
//! from a request's id work the same way: paying an invoice twice moves money once.

use sha2::{Digest, Sha256};

/// Whose an account is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    Member(String),
    Org(String),
    /// The common pot: spent only by passed proposals.
    Pot,
    /// Money entering or leaving the commune (a bank, a card processor).
    Settlement,
    /// Money set aside by a passed budget proposal, until its round spends it.
    Budget(String),
    /// Money in transit to or from a linked organisation on another instance (its actor IRI):
    /// the clearing account of two-phase transfers between instances. Money arriving from the
    /// peer is a debit here, and the account may not be overdrawn: what this side takes in is
    /// bounded by what it sent the peer plus the credit line its stewards extended (a transfer
    /// from settlement, code `credit`), so a linked instance cannot conjure money here beyond
    /// what this side agreed to trust it for. Less the credit lines, its balance mirrors the
    /// other instance's clearing account for this side, with the sign reversed.
    Peer(String),
}

impl Owner {
    pub fn kind(&self) -> &'static str {
        match self {
            Owner::Member(_) => "member",
            Owner::Org(_) => "org",
            Owner::Pot => "pot",
            Owner::Settlement => "settlement",
            Owner::Budget(_) => "budget",
            Owner::Peer(_) => "peer",
        }
    }

    /// The owner's id: a member, an organisation or a proposal; empty for the pot and settlement.
    pub fn id(&self) -> &str {
        match self {
            Owner::Member(id) | Owner::Org(id) | Owner::Budget(id) | Owner::Peer(id) => id,
            Owner::Pot | Owner::Settlement => "",
        }
    }

    pub fn from_parts(kind: &str, id: &str) -> Option<Owner> {
        Some(match kind {
            "member" => Owner::Member(id.to_owned()),
            "org" => Owner::Org(id.to_owned()),
            "pot" => Owner::Pot,
            "settlement" => Owner::Settlement,
            "budget" => Owner::Budget(id.to_owned()),
            "peer" => Owner::Peer(id.to_owned()),
            _ => return None,
        })
    }

    /// The account code of this owner's wallet.
    pub fn account_code(&self) -> u16 {
        match self {
            Owner::Member(_) => account_code::MEMBER_WALLET,
            Owner::Org(_) => account_code::ORG_WALLET,
            Owner::Pot => account_code::POT,
            Owner::Settlement => account_code::SETTLEMENT,
            Owner::Budget(_) => account_code::BUDGET,
            Owner::Peer(_) => account_code::PEER,
        }
    }

    /// Wallets and clearing accounts cannot be overdrawn; settlement is the commune's mirror of
    /// the outside world, so its balance is everything that came in minus everything that left,
    /// and has no limit.
    pub fn flags(&self) -> super::AccountFlags {
        super::AccountFlags {
            debits_must_not_exceed_credits: !matches!(self, Owner::Settlement),
            history: true,
            ..super::AccountFlags::default()
        }
    }

    /// This owner's wallet on `ledger`, with its derived id.
    pub fn wallet(&self, ledger: u32) -> super::Account {
        super::Account {
            id: derive_id(&["wallet", self.kind(), self.id(), &ledger.to_string()]),
            ledger,
            code: self.account_code(),
            flags: self.flags(),
            ..super::Account::default()
        }
    }
}

pub mod account_code {
    pub const MEMBER_WALLET: u16 = 1;
    pub const ORG_WALLET: u16 = 2;
    pub const POT: u16 = 3;
    pub const SETTLEMENT: u16 = 4;
    pub const BUDGET: u16 = 5;
    /// A linked organisation's clearing account (two-phase transfers between instances).
    pub const PEER: u16 = 6;
    /// Accounts the ledger benchmark creates.
    pub const BENCH: u16 = 90;
}

/// Why money moved: the `code` of a transfer.
pub mod transfer_code {
    pub const PAYMENT: u16 = 1;
    pub const REVENUE: u16 = 2;
    pub const FUNNEL: u16 = 3;
    pub const DEPOSIT: u16 = 4;
    pub const PAYOUT: u16 = 5;
    pub const HOLD: u16 = 6;
    pub const INVOICE: u16 = 7;
    pub const ALLOCATION: u16 = 8;
    pub const BUDGET: u16 = 9;
    /// A participatory-budgeting round's award to a winning project (held until delivered).
    pub const AWARD: u16 = 10;
    /// An approved expense paid to its submitter.
    pub const EXPENSE: u16 = 11;
    /// A year's patronage: a member's cash part, or the commune's share.
    pub const PATRONAGE: u16 = 12;
    /// A funding round: a member's contribution to a project, or the project's match.
    pub const FUNDING: u16 = 13;
    /// Logged hours paid at their project's hourly rate.
    pub const WAGES: u16 = 14;
    /// A transfer between linked organisations on two instances (both legs).
    pub const FEDERATION: u16 = 15;
    /// A credit line extended to (or withdrawn from) a linked instance: settlement ↔ its
    /// clearing account.
    pub const CREDIT: u16 = 16;
    /// Money from the pot to a candidate's campaign, paid out of the commune by a passed
    /// funding proposal (and disclosed).
    pub const CAMPAIGN: u16 = 17;
    pub const BENCH: u16 = 90;

    /// A word for each code, for statements and exports.
    pub fn name(code: u16) -> &'static str {
        match code {
            PAYMENT => "payment",
            REVENUE => "revenue",
            FUNNEL => "funnel",
            DEPOSIT => "deposit",
            PAYOUT => "payout",
            HOLD => "hold",
            INVOICE => "invoice",
            ALLOCATION => "allocation",
            BUDGET => "budget",
            AWARD => "award",
            EXPENSE => "expense",
            PATRONAGE => "patronage",
            FUNDING => "funding",
            WAGES => "wages",
            FEDERATION => "federation",
            CREDIT => "credit",
            CAMPAIGN => "campaign",
            BENCH => "bench",
            _ => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<u16> {
        (1..=17).chain([BENCH]).find(|c| name(*c) == raw)
    }
}

/// A 128-bit id derived from its parts (never 0 or all ones): for wallets and for payments whose
/// idempotency key is another object's id.
pub fn derive_id(parts: &[&str]) -> u128 {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    match u128::from_be_bytes(bytes) {
        0 | u128::MAX => 1,
        id => id,
    }
}

/// Splits `total` in proportion to `weights` by largest remainder: every part is its exact quota
/// rounded down, and the units left over go to the largest fractional remainders, ties to the
/// earlier part. The parts always sum to `total`. All-zero weights give everything to the first.
pub fn split(total: u64, weights: &[u64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        parts[0] = total;
        return parts;
    }
    let exact: Vec<(u128, u128)> = weights
        .iter()
        .map(|w| {
            let numerator = u128::from(total) * u128::from(*w);
            (numerator / sum, numerator % sum)
        })
        .collect();
    let mut parts: Vec<u64> = exact.iter().map(|(q, _)| u64::try_from(*q).unwrap_or(u64::MAX)).collect();
    let assigned: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| exact[*b].1.cmp(&exact[*a].1).then(a.cmp(b)));
    for i in order.into_iter().take(usize::try_from(total - assigned).unwrap_or(usize::MAX)) {
        parts[i] += 1;
    }
    parts
}

/// Parts per million: the precision at which policy rates (0.0–1.0) are applied to money.
pub const PPM: u64 = 1_000_000;

/// Revenue split into (what the business keeps, the funnel share for the pot) at `rate`.
pub fn funnel(amount: u64, rate: f64) -> (u64, u64) {
    let rate_ppm = (rate.clamp(0.0, 1.0) * PPM as f64).round() as u64;
    let parts = split(amount, &[PPM - rate_ppm, rate_ppm]);
    (parts[0], parts[1])
}

/// Who is acting on a payment, as far as debiting accounts goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payer {
    /// A signed-in member, with the organisations they steward.
    Member { id: String, stewards: Vec<String> },
    /// An organisation's API token, if it has the `payments:write` scope.
    Token { org_id: String, payments_write: bool },
    /// The commune itself carrying out a passed proposal.
    Governance,
    /// An instance steward recording money that arrived from outside.
    Settlement,
    /// A finished participatory-budgeting round paying its winners from its own escrow (the
    /// passed budget proposal's id).
    Round(String),
    /// An approved expense being paid from its organisation's money (the pot, for the commune's
    /// own expenses); granted only once the expense rule says it is paid (`capital::expense`).
    ApprovedExpense,
    /// Logged hours being paid to the members who worked them, from their project's
    /// organisation (never the pot), by a steward of that organisation.
    Worklogs,
    /// The two-phase protocol between linked instances: it alone moves a peer's clearing
    /// account (money arriving from the linked organisation, and settling the holds).
    Federation,
}

/// Whether `payer` may debit an account of `owner`. Stewards move their organisation's money
/// but never a member's; the pot moves only by governance; settlement only records arrivals.
pub fn may_debit(payer: &Payer, owner: &Owner) -> Result<(), &'static str> {
    match (payer, owner) {
        (Payer::Member { id, .. }, Owner::Member(owner)) if id == owner => Ok(()),
        (Payer::Member { .. }, Owner::Member(_)) => Err("only the member who owns this wallet can spend from it"),
        (Payer::Member { stewards, .. }, Owner::Org(org)) if stewards.contains(org) => Ok(()),
        (Payer::Member { .. }, Owner::Org(_)) => Err("only this organisation's stewards can spend its money"),
        (Payer::Token { org_id, payments_write: true }, Owner::Org(org)) if org_id == org => Ok(()),
        (Payer::Token { payments_write: false, .. }, Owner::Org(_)) => {
            Err("this token lacks the 'payments:write' scope")
        }
        (Payer::Token { .. }, Owner::Org(_)) => Err("this token belongs to another organisation"),
        (Payer::Token { .. }, Owner::Member(_)) => Err("API tokens cannot spend a member's money"),
        (Payer::Governance, Owner::Pot | Owner::Org(_) | Owner::Budget(_)) => Ok(()),
        (Payer::Round(round), Owner::Budget(budget)) if round == budget => Ok(()),
        (Payer::Round(_), _) => Err("a round spends only its own budget"),
        (Payer::ApprovedExpense, Owner::Pot | Owner::Org(_)) => Ok(()),
        (Payer::ApprovedExpense, _) => Err("an expense is paid from its organisation's money"),
        (Payer::Worklogs, Owner::Org(_)) => Ok(()),
        (Payer::Worklogs, _) => Err("logged hours are paid from their organisation's wallet"),
        (Payer::Settlement, Owner::Settlement) => Ok(()),
        (Payer::Federation, Owner::Peer(_)) => Ok(()),
        (_, Owner::Peer(_)) => Err("only a transfer between linked instances moves their clearing account"),
        (Payer::Federation, _) => Err("a transfer between instances moves only its clearing account"),
        (_, Owner::Pot) => Err("the common pot is spent only by passed proposals"),
        (_, Owner::Budget(_)) => Err("a budget is spent only by its participatory budgeting round"),
        (_, Owner::Settlement) => Err("only revenue bookings and deposits bring money in from outside"),
        (Payer::Governance | Payer::Settlement, Owner::Member(_)) => {
            Err("nobody but its owner spends a member's money")
        }
        (Payer::Settlement, Owner::Org(_)) => Err("settlement cannot spend an organisation's money"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn funnel_by_example() {
        assert_eq!(funnel(10_000, 0.2), (8_000, 2_000));
        assert_eq!(funnel(1, 0.2), (1, 0), "one cent stays with the business");
        assert_eq!(funnel(3, 0.5), (2, 1), "a tie goes to the earlier part");
        assert_eq!(funnel(999, 0.0), (999, 0));
        assert_eq!(funnel(999, 1.0), (0, 999));
        assert_eq!(split(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split(5, &[0, 0]), vec![5, 0]);
    }

    #[test]
    fn stewards_cannot_move_members_money() {
        let steward = Payer::Member { id: "s".into(), stewards: vec!["org".into()] };
        assert!(may_debit(&steward, &Owner::Org("org".into())).is_ok());
        assert!(may_debit(&steward, &Owner::Member("m".into())).is_err());
        assert!(may_debit(&steward, &Owner::Pot).is_err());
        let token = Payer::Token { org_id: "org".into(), payments_write: true };
        assert!(may_debit(&token, &Owner::Org("org".into())).is_ok());
        assert!(may_debit(&token, &Owner::Org("other".into())).is_err());
        assert!(may_debit(&token, &Owner::Member("m".into())).is_err());
        assert!(may_debit(&Payer::Governance, &Owner::Pot).is_ok());
        assert!(may_debit(&Payer::Governance, &Owner::Member("m".into())).is_err());
    }

    #[test]
    fn wallet_ids_are_stable_and_distinct() {
        let a = Owner::Member("a".into()).wallet(1);
        assert_eq!(a, Owner::Member("a".into()).wallet(1));
        assert_ne!(a.id, Owner::Member("a".into()).wallet(2).id);
        assert_ne!(a.id, Owner::Org("a".into()).wallet(1).id);
        assert_ne!(Owner::Pot.wallet(1).id, Owner::Settlement.wallet(1).id);
    }

    proptest! {
        /// Parts sum to the total and each is within one unit of its exact quota.
        #[test]
        fn largest_remainder_sums_to_the_total(total in 0u64..u64::MAX / 4, weights in prop::collection::vec(0u64..1_000_000, 1..8)) {
            let parts = split(total, &weights);
            prop_assert_eq!(parts.iter().map(|p| u128::from(*p)).sum::<u128>(), u128::from(total));
            let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
            for (part, w) in parts.iter().zip(&weights) {
                if let Some(exact_floor) = (u128::from(total) * u128::from(*w)).checked_div(sum) {
                    prop_assert!(u128::from(*part) == exact_floor || u128::from(*part) == exact_floor + 1);
                }
            }
        }

        #[test]
        fn funnel_never_creates_or_loses_money(amount in 1u64..u64::MAX, rate in 0.0f64..=1.0) {
            let (keep, pot) = funnel(amount, rate);
            prop_assert_eq!(u128::from(keep) + u128::from(pot), u128::from(amount));
        }
    }
}
