//! A deliberately naive model of the same rules, written differently from [`super::engine`]: an
//! ordered-map state, every check spelled out as a flat list of (condition, result) in order,
//! and linked chains run against a throw-away copy-on-write overlay instead of an undo log.
//! Property tests drive both with the same random workloads and require identical results.

use super::{Account, CreateTransferResult as R, PendingState, Transfer};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
struct State {
    accounts: BTreeMap<u128, Account>,
    transfers: BTreeMap<u128, (Transfer, u64, Option<i64>)>,
    pending: BTreeMap<u128, PendingState>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    base: State,
}

/// Reads through an overlay to the base; writes go to the overlay.
struct View<'a> {
    base: &'a State,
    over: State,
}

impl View<'_> {
    fn account(&self, id: u128) -> Option<Account> {
        self.over.accounts.get(&id).or_else(|| self.base.accounts.get(&id)).copied()
    }
    fn transfer(&self, id: u128) -> Option<(Transfer, u64, Option<i64>)> {
        self.over.transfers.get(&id).or_else(|| self.base.transfers.get(&id)).copied()
    }
    fn pending(&self, id: u128) -> Option<PendingState> {
        self.over.pending.get(&id).or_else(|| self.base.pending.get(&id)).copied()
    }
}

impl Model {
    pub fn account(&self, id: u128) -> Option<&Account> {
        self.base.accounts.get(&id)
    }

    /// Accounts are created by the engine's rules; the model only needs them present.
    pub fn add_account(&mut self, a: Account) {
        self.base.accounts.entry(a.id).or_insert(Account {
            debits_pending: 0,
            debits_posted: 0,
            credits_pending: 0,
            credits_posted: 0,
            ..a
        });
    }

    pub fn create_transfers(&mut self, batch: &[Transfer], now: i64) -> Vec<R> {
        let mut out = Vec::with_capacity(batch.len());
        let mut chain: Vec<&Transfer> = Vec::new();
        for (k, t) in batch.iter().enumerate() {
            chain.push(t);
            let closes = !t.flags.linked;
            let at_end = k + 1 == batch.len();
            if !closes && !at_end {
                continue;
            }
            let mut view = View { base: &self.base, over: State::default() };
            let mut results = Vec::new();
            let mut failed = None;
            for (j, t) in chain.iter().enumerate() {
                match apply(&mut view, t, now) {
                    R::Ok => results.push(R::Ok),
                    e => {
                        failed = Some((j, e));
                        break;
                    }
                }
            }
            if failed.is_none() && !closes {
                failed = Some((chain.len() - 1, R::LinkedEventChainOpen));
            }
            match failed {
                None => {
                    let over = view.over;
                    self.base.accounts.extend(over.accounts);
                    self.base.transfers.extend(over.transfers);
                    self.base.pending.extend(over.pending);
                    out.extend(results);
                }
                Some((j, e)) => out.extend((0..chain.len()).map(|x| if x == j { e } else { R::LinkedEventFailed })),
            }
            chain.clear();
        }
        out
    }

    pub fn expire(&mut self, now: i64) -> Vec<u128> {
        let mut due: Vec<(i64, u128)> = self
            .base
            .transfers
            .iter()
            .filter(|(id, (_, _, exp))| {
                exp.is_some_and(|e| e <= now) && self.base.pending.get(id) == Some(&PendingState::Pending)
            })
            .map(|(id, (_, _, exp))| (exp.unwrap_or(0), *id))
            .collect();
        due.sort();
        for &(_, id) in &due {
            let (t, amount, _) = self.base.transfers[&id];
            for (acct, debit) in [(t.debit_account_id, true), (t.credit_account_id, false)] {
                if let Some(a) = self.base.accounts.get_mut(&acct) {
                    if debit {
                        a.debits_pending -= amount;
                        if t.flags.closing_debit {
                            a.flags.closed = false;
                        }
                    } else {
                        a.credits_pending -= amount;
                        if t.flags.closing_credit {
                            a.flags.closed = false;
                        }
                    }
                }
            }
            self.base.pending.insert(id, PendingState::Expired);
        }
        due.into_iter().map(|(_, id)| id).collect()
    }
}

fn exists_result(e: &Transfer, t: &Transfer) -> R {
    let checks = [
        (e.flags != t.flags, R::ExistsWithDifferentFlags),
        (e.debit_account_id != t.debit_account_id, R::ExistsWithDifferentDebitAccountId),
        (e.credit_account_id != t.credit_account_id, R::ExistsWithDifferentCreditAccountId),
        (e.amount != t.amount, R::ExistsWithDifferentAmount),
        (e.pending_id != t.pending_id, R::ExistsWithDifferentPendingId),
        (e.user_data != t.user_data, R::ExistsWithDifferentUserData),
        (e.timeout != t.timeout, R::ExistsWithDifferentTimeout),
        (e.code != t.code, R::ExistsWithDifferentCode),
    ];
    checks.iter().find(|(c, _)| *c).map_or(R::Exists, |(_, r)| *r)
}

fn apply(v: &mut View<'_>, t: &Transfer, now: i64) -> R {
    let f = t.flags;
    let two = f.post_pending_transfer || f.void_pending_transfer;
    let head = [
        (t.id == 0, R::IdMustNotBeZero),
        (t.id == u128::MAX, R::IdMustNotBeIntMax),
        (
            (f.pending && two)
                || (f.post_pending_transfer && f.void_pending_transfer)
                || ((f.balancing_debit || f.balancing_credit) && two)
                || ((f.closing_debit || f.closing_credit) && two),
            R::FlagsAreMutuallyExclusive,
        ),
        ((f.closing_debit || f.closing_credit) && !f.pending, R::ClosingTransferMustBePending),
    ];
    if let Some((_, r)) = head.iter().find(|(c, _)| *c) {
        return *r;
    }
    if two { settle(v, t, now) } else { single(v, t, now) }
}

fn single(v: &mut View<'_>, t: &Transfer, now: i64) -> R {
    let checks = [
        (t.pending_id != 0, R::PendingIdMustBeZero),
        (t.timeout != 0 && !t.flags.pending, R::TimeoutReservedForPendingTransfer),
        (t.debit_account_id == 0, R::DebitAccountIdMustNotBeZero),
        (t.credit_account_id == 0, R::CreditAccountIdMustNotBeZero),
        (t.debit_account_id == t.credit_account_id, R::AccountsMustBeDifferent),
        (t.amount == 0, R::AmountMustNotBeZero),
        (t.ledger == 0, R::LedgerMustNotBeZero),
        (t.code == 0, R::CodeMustNotBeZero),
    ];
    if let Some((_, r)) = checks.iter().find(|(c, _)| *c) {
        return *r;
    }
    let Some(mut dr) = v.account(t.debit_account_id) else { return R::DebitAccountNotFound };
    let Some(mut cr) = v.account(t.credit_account_id) else { return R::CreditAccountNotFound };
    if dr.ledger != cr.ledger {
        return R::AccountsMustHaveTheSameLedger;
    }
    if t.ledger != dr.ledger {
        return R::TransferMustHaveTheSameLedgerAsAccounts;
    }
    if let Some((e, _, _)) = v.transfer(t.id) {
        return exists_result(&e, t);
    }
    if dr.flags.closed {
        return R::DebitAccountAlreadyClosed;
    }
    if cr.flags.closed {
        return R::CreditAccountAlreadyClosed;
    }
    // Wide arithmetic: overflow is a comparison against u64::MAX.
    let max = u128::from(u64::MAX);
    let w = |x: u64| u128::from(x);
    let mut amount = w(t.amount);
    if t.flags.balancing_debit {
        let have = w(dr.credits_posted);
        let used = w(dr.debits_posted) + w(dr.debits_pending);
        amount = amount.min(have.saturating_sub(used));
        if amount == 0 {
            return R::ExceedsCredits;
        }
    }
    if t.flags.balancing_credit {
        let have = w(cr.debits_posted);
        let used = w(cr.credits_posted) + w(cr.credits_pending);
        amount = amount.min(have.saturating_sub(used));
        if amount == 0 {
            return R::ExceedsDebits;
        }
    }
    let p = t.flags.pending;
    let checks = [
        (p && w(dr.debits_pending) + amount > max, R::OverflowsDebitsPending),
        (p && w(cr.credits_pending) + amount > max, R::OverflowsCreditsPending),
        (!p && w(dr.debits_posted) + amount > max, R::OverflowsDebitsPosted),
        (!p && w(cr.credits_posted) + amount > max, R::OverflowsCreditsPosted),
        (w(dr.debits_pending) + w(dr.debits_posted) + amount > max, R::OverflowsDebits),
        (w(cr.credits_pending) + w(cr.credits_posted) + amount > max, R::OverflowsCredits),
        (
            p && t.timeout > 0 && i128::from(now) + i128::from(t.timeout) * 1000 > i128::from(i64::MAX),
            R::OverflowsTimeout,
        ),
        (
            dr.flags.debits_must_not_exceed_credits
                && w(dr.debits_pending) + w(dr.debits_posted) + amount > w(dr.credits_posted),
            R::ExceedsCredits,
        ),
        (
            cr.flags.credits_must_not_exceed_debits
                && w(cr.credits_pending) + w(cr.credits_posted) + amount > w(cr.debits_posted),
            R::ExceedsDebits,
        ),
    ];
    if let Some((_, r)) = checks.iter().find(|(c, _)| *c) {
        return *r;
    }
    let amount = amount as u64;
    if p {
        dr.debits_pending += amount;
        cr.credits_pending += amount;
    } else {
        dr.debits_posted += amount;
        cr.credits_posted += amount;
    }
    dr.flags.closed |= t.flags.closing_debit;
    cr.flags.closed |= t.flags.closing_credit;
    v.over.accounts.insert(dr.id, dr);
    v.over.accounts.insert(cr.id, cr);
    let expires = (p && t.timeout > 0).then(|| now + i64::from(t.timeout) * 1000);
    v.over.transfers.insert(t.id, (*t, amount, expires));
    if p {
        v.over.pending.insert(t.id, PendingState::Pending);
    }
    R::Ok
}

fn settle(v: &mut View<'_>, t: &Transfer, now: i64) -> R {
    let checks = [
        (t.pending_id == 0, R::PendingIdMustNotBeZero),
        (t.pending_id == u128::MAX, R::IdMustNotBeIntMax),
        (t.pending_id == t.id, R::PendingIdMustBeDifferent),
        (t.timeout != 0, R::TimeoutReservedForPendingTransfer),
    ];
    if let Some((_, r)) = checks.iter().find(|(c, _)| *c) {
        return *r;
    }
    let Some((p, p_amount, p_expires)) = v.transfer(t.pending_id) else { return R::PendingTransferNotFound };
    let amount = if t.amount == 0 { p_amount } else { t.amount };
    let checks = [
        (!p.flags.pending, R::PendingTransferNotPending),
        (
            t.debit_account_id != 0 && t.debit_account_id != p.debit_account_id,
            R::PendingTransferHasDifferentDebitAccountId,
        ),
        (
            t.credit_account_id != 0 && t.credit_account_id != p.credit_account_id,
            R::PendingTransferHasDifferentCreditAccountId,
        ),
        (t.ledger != 0 && t.ledger != p.ledger, R::PendingTransferHasDifferentLedger),
        (t.code != 0 && t.code != p.code, R::PendingTransferHasDifferentCode),
        (t.flags.post_pending_transfer && amount > p_amount, R::ExceedsPendingTransferAmount),
        (t.flags.void_pending_transfer && amount != p_amount, R::PendingTransferHasDifferentAmount),
    ];
    if let Some((_, r)) = checks.iter().find(|(c, _)| *c) {
        return *r;
    }
    if let Some((e, _, _)) = v.transfer(t.id) {
        return exists_result(&e, t);
    }
    match v.pending(t.pending_id) {
        Some(PendingState::Posted) => return R::PendingTransferAlreadyPosted,
        Some(PendingState::Voided) => return R::PendingTransferAlreadyVoided,
        Some(PendingState::Expired) => return R::PendingTransferExpired,
        _ => {}
    }
    if p_expires.is_some_and(|e| e <= now) {
        return R::PendingTransferExpired;
    }
    let (Some(mut dr), Some(mut cr)) = (v.account(p.debit_account_id), v.account(p.credit_account_id)) else {
        return R::DebitAccountNotFound;
    };
    dr.debits_pending -= p_amount;
    cr.credits_pending -= p_amount;
    let state = if t.flags.post_pending_transfer {
        let (Some(d), Some(c)) = (dr.debits_posted.checked_add(amount), cr.credits_posted.checked_add(amount)) else {
            return if dr.debits_posted.checked_add(amount).is_none() {
                R::OverflowsDebitsPosted
            } else {
                R::OverflowsCreditsPosted
            };
        };
        dr.debits_posted = d;
        cr.credits_posted = c;
        PendingState::Posted
    } else {
        if p.flags.closing_debit {
            dr.flags.closed = false;
        }
        if p.flags.closing_credit {
            cr.flags.closed = false;
        }
        PendingState::Voided
    };
    v.over.accounts.insert(dr.id, dr);
    v.over.accounts.insert(cr.id, cr);
    v.over.transfers.insert(t.id, (*t, if t.flags.post_pending_transfer { amount } else { 0 }, None));
    v.over.pending.insert(t.pending_id, state);
    R::Ok
}
