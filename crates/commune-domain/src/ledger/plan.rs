//! Planning a movement of money: which transfers it takes, linked into one chain, with the
//! funnel share decided by one rule; and who may settle a hold. Pure: the operations layer
//! resolves the parties and the rate, calls these, and submits what they return.

use super::payments::{Owner, Payer, derive_id, funnel, may_debit, transfer_code};
use super::{Transfer, TransferFlags};
use crate::validation::Invalid;

/// Longest hold, in seconds (30 days).
pub const MAX_HOLD_TIMEOUT_S: u32 = 30 * 24 * 3600;

/// The right to debit one owner's accounts, as [`may_debit`] granted it. Only [`authorize_debit`]
/// makes one, and [`plan`] refuses a movement whose source is not the owner it names: money cannot
/// be planned (so cannot move) without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitRight {
    owner: Owner,
}

impl DebitRight {
    pub fn owner(&self) -> &Owner {
        &self.owner
    }
}

/// Asks [`may_debit`] and, when it agrees, hands out the right it granted.
pub fn authorize_debit(payer: &Payer, owner: &Owner) -> Result<DebitRight, &'static str> {
    may_debit(payer, owner).map(|()| DebitRight { owner: owner.clone() })
}

/// Who may settle a hold: whoever may debit the payer's wallet, or the payee's (the payee captures
/// what the payer agreed to when placing it, and either side may release). The right returned is
/// for the side that granted it.
pub fn may_settle(payer: &Payer, hold_payer: &Owner, hold_payee: &Owner) -> Result<DebitRight, &'static str> {
    if matches!(hold_payer, Owner::Budget(_)) {
        // A round's award is settled by the round (a steward marking the milestone), never by
        // the project's proposer capturing their own award.
        return authorize_debit(payer, hold_payer);
    }
    authorize_debit(payer, hold_payer).or_else(|why| authorize_debit(payer, hold_payee).map_err(|_| why))
}

/// Why money arriving somewhere carries no funnel share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum NoFunnel {
    /// Only revenue of a business feeds the pot.
    NotABusiness,
    /// Money moving between one owner's own accounts is not revenue.
    OwnMoney,
    /// A hold reserves money without moving it; its capture pays the share.
    HoldNotCaptured,
    /// Allocations, budgets and payouts spend money; they are nobody's revenue.
    Spending,
}

impl NoFunnel {
    pub fn reason(self) -> &'static str {
        match self {
            NoFunnel::NotABusiness => "the payee is not a business",
            NoFunnel::OwnMoney => "money moved within one owner is not revenue",
            NoFunnel::HoldNotCaptured => "a hold pays its funnel share when it is captured",
            NoFunnel::Spending => "allocations, budgets and payouts are spending, not revenue",
        }
    }
}

/// The funnel rule, in one place: revenue of a business (a payment, a booked sale, a paid invoice
/// or a captured hold arriving from anyone but itself) sends the funnel share to the common pot.
pub fn funnel_applies(
    code: u16,
    from: &Owner,
    to: &Owner,
    payee_is_business: bool,
    pending: bool,
) -> Result<(), NoFunnel> {
    use transfer_code::{HOLD, INVOICE, PAYMENT, REVENUE};
    if !matches!(code, PAYMENT | REVENUE | INVOICE | HOLD) {
        return Err(NoFunnel::Spending);
    }
    if pending {
        return Err(NoFunnel::HoldNotCaptured);
    }
    if !payee_is_business {
        return Err(NoFunnel::NotABusiness);
    }
    if from == to {
        return Err(NoFunnel::OwnMoney);
    }
    Ok(())
}

/// A movement of money, resolved and authorized, before it becomes transfers.
#[derive(Debug, Clone)]
pub struct Movement {
    pub id: u128,
    pub from: Owner,
    pub to: Owner,
    pub amount: u64,
    pub ledger: u32,
    pub code: u16,
    /// A hold: pending until captured or released, expiring after this many seconds (0 = never).
    pub hold_timeout_s: Option<u32>,
    pub payee_is_business: bool,
}

/// The transfers of a movement, linked so they apply together or not at all.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub transfers: Vec<Transfer>,
    pub funnel_minor: u64,
    /// Why there is no funnel share, when there is none.
    pub no_funnel: Option<NoFunnel>,
}

/// Plans a movement: the transfer itself and, for revenue of a business, the funnel share from
/// the payee to the pot in the same linked chain. `right` must be the right to debit `m.from`.
pub fn plan(m: &Movement, right: &DebitRight, funnel_rate: f64) -> Result<Plan, Invalid> {
    if right.owner != m.from {
        return Err(Invalid::new("from", "no right to spend from this wallet was granted"));
    }
    if m.amount == 0 {
        return Err(Invalid::new("amount", "must be more than zero"));
    }
    let mut main = Transfer {
        id: m.id,
        debit_account_id: m.from.wallet(m.ledger).id,
        credit_account_id: m.to.wallet(m.ledger).id,
        amount: m.amount,
        ledger: m.ledger,
        code: m.code,
        ..Transfer::default()
    };
    if let Some(timeout) = m.hold_timeout_s {
        if timeout > MAX_HOLD_TIMEOUT_S {
            return Err(Invalid::new("timeout_s", format!("at most {MAX_HOLD_TIMEOUT_S} seconds (30 days)")));
        }
        main.flags.pending = true;
        main.timeout = timeout;
    }
    let pending = m.hold_timeout_s.is_some();
    Ok(with_funnel(main, &m.from, &m.to, m.payee_is_business, pending, m.amount, funnel_rate))
}

/// How a hold is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    CaptureAll,
    Capture(u64),
    Release,
}

/// A hold as stored, with its two sides.
#[derive(Debug, Clone)]
pub struct Hold {
    pub transfer: Transfer,
    pub payer: Owner,
    pub payee: Owner,
    pub payee_is_business: bool,
}

/// Plans the capture or release of a hold (the ledger checks it is still pending and that a
/// capture does not exceed it); a capture of a business's revenue carries the funnel share.
pub fn plan_settlement(
    hold: &Hold,
    settlement: Settlement,
    right: &DebitRight,
    funnel_rate: f64,
) -> Result<Plan, Invalid> {
    if right.owner != hold.payer && right.owner != hold.payee {
        return Err(Invalid::new("hold", "no right to settle this hold was granted"));
    }
    let (capture, amount) = match settlement {
        Settlement::CaptureAll => (true, 0),
        Settlement::Capture(0) => return Err(Invalid::new("amount_minor", "capture more than zero")),
        Settlement::Capture(n) => (true, n),
        Settlement::Release => (false, 0),
    };
    let hold_id = hold.transfer.id;
    let id = derive_id(&[if capture { "capture" } else { "release" }, &format!("{hold_id:032x}")]);
    let settle = Transfer {
        id,
        pending_id: hold_id,
        amount,
        flags: TransferFlags {
            post_pending_transfer: capture,
            void_pending_transfer: !capture,
            ..TransferFlags::default()
        },
        ..Transfer::default()
    };
    if !capture {
        return Ok(Plan { transfers: vec![settle], funnel_minor: 0, no_funnel: Some(NoFunnel::HoldNotCaptured) });
    }
    let posted = if amount == 0 { hold.transfer.amount } else { amount };
    let mut plan = with_funnel(settle, &hold.payer, &hold.payee, hold.payee_is_business, false, posted, funnel_rate);
    if let Some(share) = plan.transfers.get_mut(1) {
        // The settling transfer names no accounts (the ledger takes the hold's); the share does.
        share.debit_account_id = hold.transfer.credit_account_id;
        share.credit_account_id = Owner::Pot.wallet(hold.transfer.ledger).id;
        share.ledger = hold.transfer.ledger;
    }
    Ok(plan)
}

/// `main`, followed (linked) by the funnel share when the rule applies and the share is not zero.
fn with_funnel(
    main: Transfer,
    from: &Owner,
    to: &Owner,
    business: bool,
    pending: bool,
    posted: u64,
    rate: f64,
) -> Plan {
    let rule = funnel_applies(main.code_or_hold(), from, to, business, pending);
    let share = if rule.is_ok() { funnel(posted, rate).1 } else { 0 };
    let mut transfers = vec![main];
    if share > 0 {
        transfers[0].flags.linked = true;
        transfers.push(Transfer {
            id: derive_id(&["funnel", &format!("{:032x}", main.id)]),
            debit_account_id: main.credit_account_id,
            credit_account_id: Owner::Pot.wallet(main.ledger).id,
            amount: share,
            ledger: main.ledger,
            code: transfer_code::FUNNEL,
            ..Transfer::default()
        });
    }
    assert!(
        transfers.iter().all(|t| t.amount > 0 || t.flags.post_pending_transfer || t.flags.void_pending_transfer),
        "only a settlement may carry a zero amount (meaning: the whole hold)"
    );
    Plan { transfers, funnel_minor: share, no_funnel: rule.err() }
}

impl Transfer {
    /// A settling transfer carries no code of its own; for the funnel rule it is a captured hold.
    fn code_or_hold(&self) -> u16 {
        if self.flags.post_pending_transfer { transfer_code::HOLD } else { self.code }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str) -> Owner {
        Owner::Member(id.into())
    }

    fn right(owner: &Owner) -> DebitRight {
        DebitRight { owner: owner.clone() }
    }

    fn movement(code: u16, to: Owner, business: bool) -> Movement {
        Movement {
            id: 7,
            from: member("ada"),
            to,
            amount: 10_000,
            ledger: 1,
            code,
            hold_timeout_s: None,
            payee_is_business: business,
        }
    }

    #[test]
    fn the_funnel_rule_by_example() {
        let biz = Owner::Org("forge".into());
        let paid = plan(&movement(transfer_code::PAYMENT, biz.clone(), true), &right(&member("ada")), 0.2).unwrap();
        assert_eq!(paid.funnel_minor, 2_000);
        assert!(paid.transfers[0].flags.linked, "share and payment apply together");
        assert_eq!(paid.transfers[1].debit_account_id, biz.wallet(1).id, "the business pays the share");
        let to_person =
            plan(&movement(transfer_code::PAYMENT, member("bo"), false), &right(&member("ada")), 0.2).unwrap();
        assert_eq!(to_person.no_funnel, Some(NoFunnel::NotABusiness));
        let mut held = movement(transfer_code::HOLD, biz.clone(), true);
        held.hold_timeout_s = Some(60);
        assert_eq!(plan(&held, &right(&member("ada")), 0.2).unwrap().no_funnel, Some(NoFunnel::HoldNotCaptured));
        let mut own = movement(transfer_code::PAYMENT, biz.clone(), true);
        own.from = biz.clone();
        assert_eq!(plan(&own, &right(&biz), 0.2).unwrap().no_funnel, Some(NoFunnel::OwnMoney));
        let mut grant = movement(transfer_code::ALLOCATION, biz, true);
        grant.from = Owner::Pot;
        assert_eq!(plan(&grant, &right(&Owner::Pot), 0.2).unwrap().no_funnel, Some(NoFunnel::Spending));
    }

    #[test]
    fn no_plan_without_the_right_to_the_source() {
        let m = movement(transfer_code::PAYMENT, member("bo"), false);
        assert!(plan(&m, &right(&member("bo")), 0.2).is_err());
        assert!(authorize_debit(&Payer::Governance, &member("ada")).is_err());
    }

    #[test]
    fn a_captured_hold_pays_the_share_of_what_is_posted() {
        let biz = Owner::Org("forge".into());
        let mut t = movement(transfer_code::HOLD, biz.clone(), true);
        t.hold_timeout_s = Some(0);
        let held = plan(&t, &right(&member("ada")), 0.2).unwrap().transfers[0];
        let hold = Hold { transfer: held, payer: member("ada"), payee: biz.clone(), payee_is_business: true };
        let capture = plan_settlement(&hold, Settlement::Capture(5_000), &right(&biz), 0.2).unwrap();
        assert_eq!(capture.funnel_minor, 1_000);
        assert_eq!(capture.transfers[1].debit_account_id, biz.wallet(1).id);
        let release = plan_settlement(&hold, Settlement::Release, &right(&member("ada")), 0.2).unwrap();
        assert_eq!(release.transfers.len(), 1);
        assert!(plan_settlement(&hold, Settlement::Release, &right(&member("eve")), 0.2).is_err());
    }

    #[test]
    fn settling_needs_a_side() {
        let steward = Payer::Member { id: "s".into(), stewards: vec!["forge".into()] };
        assert!(may_settle(&steward, &member("ada"), &Owner::Org("forge".into())).is_ok());
        assert!(may_settle(&steward, &member("ada"), &member("bo")).is_err());
        // An award from a round's escrow: only that round settles it, never its payee.
        let award = Owner::Budget("p1".into());
        let ada = Payer::Member { id: "ada".into(), stewards: vec![] };
        assert!(may_settle(&ada, &award, &member("ada")).is_err());
        assert!(may_settle(&Payer::Round("p1".into()), &award, &member("ada")).is_ok());
        assert!(may_settle(&Payer::Round("p2".into()), &award, &member("ada")).is_err());
        assert!(authorize_debit(&Payer::Round("p1".into()), &Owner::Pot).is_err());
    }
}
