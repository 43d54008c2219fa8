//! The ledger state machine. Every batch is applied event by event in order; a linked chain is
//! applied tentatively with an undo log and rolled back whole if any of its events fails.

use super::{Account, AccountFlags, CreateAccountResult as A, CreateTransferResult as R, PendingState, Transfer};
use std::collections::{BTreeSet, HashMap};
/// Maps keyed by 128-bit ids use foldhash: SipHash would cost a third of a batch's CPU time,
/// and foldhash's per-map random seed keeps clients from crafting colliding ids.
type IdMap<V> = HashMap<u128, V, foldhash::fast::RandomState>;

/// A transfer as recorded: the input (for idempotency checks) and what it actually moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub transfer: Transfer,
    pub amount: u64,
    pub timestamp_ms: i64,
    pub expires_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    accounts: IdMap<Account>,
    transfers: IdMap<Recorded>,
    pending: IdMap<PendingState>,
    expiries: BTreeSet<(i64, u128)>,
}

enum Undo {
    Account(Account),
    Transfer(u128),
    Pending(u128, Option<PendingState>),
    Expiry((i64, u128), bool),
}

impl Ledger {
    pub fn account(&self, id: u128) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    pub fn transfer(&self, id: u128) -> Option<&Recorded> {
        self.transfers.get(&id)
    }

    pub fn pending_state(&self, id: u128) -> Option<PendingState> {
        self.pending.get(&id).copied()
    }

    /// Puts back an account as stored (balances and `closed` included), for a shell that keeps
    /// the ledger in a database and loads only what a batch touches.
    pub fn restore_account(&mut self, a: Account) {
        self.accounts.insert(a.id, a);
    }

    /// Puts back a stored transfer and, for a pending one, what became of it.
    pub fn restore_transfer(&mut self, r: Recorded, state: Option<PendingState>) {
        if let Some(state) = state {
            self.pending.insert(r.transfer.id, state);
            if let (PendingState::Pending, Some(at)) = (state, r.expires_at_ms) {
                self.expiries.insert((at, r.transfer.id));
            }
        }
        self.transfers.insert(r.transfer.id, r);
    }

    pub fn create_accounts(&mut self, batch: &[Account]) -> Vec<A> {
        batch.iter().map(|a| self.create_account(a)).collect()
    }

    fn create_account(&mut self, a: &Account) -> A {
        if a.id == 0 {
            return A::IdMustNotBeZero;
        }
        if a.id == u128::MAX {
            return A::IdMustNotBeIntMax;
        }
        if a.flags.debits_must_not_exceed_credits && a.flags.credits_must_not_exceed_debits {
            return A::FlagsAreMutuallyExclusive;
        }
        if a.flags.closed {
            return A::ClosedMustNotBeSetAtCreation;
        }
        if a.ledger == 0 {
            return A::LedgerMustNotBeZero;
        }
        if a.code == 0 {
            return A::CodeMustNotBeZero;
        }
        if let Some(e) = self.accounts.get(&a.id) {
            // `closed` is state that closing transfers set, not part of what was created.
            let created_flags = AccountFlags { closed: false, ..e.flags };
            return if created_flags != a.flags {
                A::ExistsWithDifferentFlags
            } else if e.user_data != a.user_data {
                A::ExistsWithDifferentUserData
            } else if e.ledger != a.ledger {
                A::ExistsWithDifferentLedger
            } else if e.code != a.code {
                A::ExistsWithDifferentCode
            } else {
                A::Exists
            };
        }
        let fresh = Account { debits_pending: 0, debits_posted: 0, credits_pending: 0, credits_posted: 0, ..*a };
        self.accounts.insert(a.id, fresh);
        A::Ok
    }

    /// Applies a batch of transfers at `now_ms`; one result per transfer, in order.
    ///
    /// Asserted after every batch (cheaply: over the accounts the batch touched), in release
    /// builds too: per ledger, the change in debits (pending and posted) equals the change in
    /// credits, and no touched account breaks its flags.
    pub fn create_transfers(&mut self, batch: &[Transfer], now_ms: i64) -> Vec<R> {
        let touched = self.touched_by(batch);
        let before = self.totals_of(&touched);
        let results = self.apply_transfers(batch, now_ms);
        let after = self.totals_of(&touched);
        for (ledger, (debits, credits)) in &after {
            let (d0, c0) = before.get(ledger).copied().unwrap_or((0, 0));
            let (debits, credits, d0, c0) = (*debits as i128, *credits as i128, d0 as i128, c0 as i128);
            assert_eq!(debits - d0, credits - c0, "ledger {ledger}: a batch moved unequal debits and credits");
        }
        for id in &touched {
            if let Some(a) = self.accounts.get(id) {
                let debits = u128::from(a.debits_pending) + u128::from(a.debits_posted);
                let credits = u128::from(a.credits_pending) + u128::from(a.credits_posted);
                assert!(
                    !a.flags.debits_must_not_exceed_credits || debits <= u128::from(a.credits_posted),
                    "account {id:032x} debits exceed its credits"
                );
                assert!(
                    !a.flags.credits_must_not_exceed_debits || credits <= u128::from(a.debits_posted),
                    "account {id:032x} credits exceed its debits"
                );
            }
        }
        results
    }

    /// The accounts a batch can change: its own, and those of the pending transfers it settles.
    fn touched_by(&self, batch: &[Transfer]) -> Vec<u128> {
        let mut ids: Vec<u128> = Vec::with_capacity(batch.len() * 2);
        for t in batch {
            ids.extend([t.debit_account_id, t.credit_account_id]);
            if let Some(p) = self.transfers.get(&t.pending_id) {
                ids.extend([p.transfer.debit_account_id, p.transfer.credit_account_id]);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Per ledger, Σ (debits pending + posted) and Σ (credits pending + posted) of `ids`.
    fn totals_of(&self, ids: &[u128]) -> HashMap<u32, (u128, u128)> {
        let mut totals: HashMap<u32, (u128, u128)> = HashMap::new();
        for a in ids.iter().filter_map(|id| self.accounts.get(id)) {
            let t = totals.entry(a.ledger).or_default();
            t.0 += u128::from(a.debits_pending) + u128::from(a.debits_posted);
            t.1 += u128::from(a.credits_pending) + u128::from(a.credits_posted);
        }
        totals
    }

    fn apply_transfers(&mut self, batch: &[Transfer], now_ms: i64) -> Vec<R> {
        let mut results = vec![R::Ok; batch.len()];
        let mut i = 0;
        while i < batch.len() {
            // A chain runs from i to the first transfer without `linked` (inclusive).
            let mut end = i;
            while end < batch.len() && batch[end].flags.linked {
                end += 1;
            }
            let open = end == batch.len();
            let last = end.min(batch.len() - 1);
            let mut undo = Vec::new();
            let mut failed: Option<(usize, R)> = None;
            for (k, t) in batch.iter().enumerate().take(last + 1).skip(i) {
                if let Err(e) = self.create_transfer(t, now_ms, &mut undo) {
                    failed = Some((k, e));
                    break;
                }
            }
            if failed.is_none() && open {
                failed = Some((last, R::LinkedEventChainOpen));
            }
            if let Some((at, error)) = failed {
                self.rollback(undo);
                for (k, result) in results.iter_mut().enumerate().take(last + 1).skip(i) {
                    *result = if k == at { error } else { R::LinkedEventFailed };
                }
            }
            i = last + 1;
        }
        results
    }

    fn rollback(&mut self, undo: Vec<Undo>) {
        for step in undo.into_iter().rev() {
            match step {
                Undo::Account(a) => {
                    self.accounts.insert(a.id, a);
                }
                Undo::Transfer(id) => {
                    self.transfers.remove(&id);
                }
                Undo::Pending(id, Some(state)) => {
                    self.pending.insert(id, state);
                }
                Undo::Pending(id, None) => {
                    self.pending.remove(&id);
                }
                Undo::Expiry(key, true) => {
                    self.expiries.remove(&key);
                }
                Undo::Expiry(key, false) => {
                    self.expiries.insert(key);
                }
            }
        }
    }

    fn create_transfer(&mut self, t: &Transfer, now_ms: i64, undo: &mut Vec<Undo>) -> Result<(), R> {
        let f = t.flags;
        if t.id == 0 {
            return Err(R::IdMustNotBeZero);
        }
        if t.id == u128::MAX {
            return Err(R::IdMustNotBeIntMax);
        }
        let two_phase = f.post_pending_transfer || f.void_pending_transfer;
        if (f.pending && two_phase)
            || (f.post_pending_transfer && f.void_pending_transfer)
            || ((f.balancing_debit || f.balancing_credit) && two_phase)
            || ((f.closing_debit || f.closing_credit) && two_phase)
        {
            return Err(R::FlagsAreMutuallyExclusive);
        }
        if (f.closing_debit || f.closing_credit) && !f.pending {
            return Err(R::ClosingTransferMustBePending);
        }
        if two_phase { self.post_or_void(t, now_ms, undo) } else { self.single_phase(t, now_ms, undo) }
    }

    fn exists(&self, t: &Transfer) -> Option<R> {
        let e = &self.transfers.get(&t.id)?.transfer;
        Some(if e.flags != t.flags {
            R::ExistsWithDifferentFlags
        } else if e.debit_account_id != t.debit_account_id {
            R::ExistsWithDifferentDebitAccountId
        } else if e.credit_account_id != t.credit_account_id {
            R::ExistsWithDifferentCreditAccountId
        } else if e.amount != t.amount {
            R::ExistsWithDifferentAmount
        } else if e.pending_id != t.pending_id {
            R::ExistsWithDifferentPendingId
        } else if e.user_data != t.user_data {
            R::ExistsWithDifferentUserData
        } else if e.timeout != t.timeout {
            R::ExistsWithDifferentTimeout
        } else if e.code != t.code {
            R::ExistsWithDifferentCode
        } else {
            R::Exists
        })
    }

    fn single_phase(&mut self, t: &Transfer, now_ms: i64, undo: &mut Vec<Undo>) -> Result<(), R> {
        if t.pending_id != 0 {
            return Err(R::PendingIdMustBeZero);
        }
        if t.timeout != 0 && !t.flags.pending {
            return Err(R::TimeoutReservedForPendingTransfer);
        }
        if t.debit_account_id == 0 {
            return Err(R::DebitAccountIdMustNotBeZero);
        }
        if t.credit_account_id == 0 {
            return Err(R::CreditAccountIdMustNotBeZero);
        }
        if t.debit_account_id == t.credit_account_id {
            return Err(R::AccountsMustBeDifferent);
        }
        if t.amount == 0 {
            return Err(R::AmountMustNotBeZero);
        }
        if t.ledger == 0 {
            return Err(R::LedgerMustNotBeZero);
        }
        if t.code == 0 {
            return Err(R::CodeMustNotBeZero);
        }
        let dr = *self.accounts.get(&t.debit_account_id).ok_or(R::DebitAccountNotFound)?;
        let cr = *self.accounts.get(&t.credit_account_id).ok_or(R::CreditAccountNotFound)?;
        if dr.ledger != cr.ledger {
            return Err(R::AccountsMustHaveTheSameLedger);
        }
        if t.ledger != dr.ledger {
            return Err(R::TransferMustHaveTheSameLedgerAsAccounts);
        }
        if let Some(e) = self.exists(t) {
            return Err(e);
        }
        if dr.flags.closed {
            return Err(R::DebitAccountAlreadyClosed);
        }
        if cr.flags.closed {
            return Err(R::CreditAccountAlreadyClosed);
        }
        let mut amount = t.amount;
        if t.flags.balancing_debit {
            let available = dr.credits_posted.saturating_sub(dr.debits_posted.saturating_add(dr.debits_pending));
            amount = amount.min(available);
            if amount == 0 {
                return Err(R::ExceedsCredits);
            }
        }
        if t.flags.balancing_credit {
            let available = cr.debits_posted.saturating_sub(cr.credits_posted.saturating_add(cr.credits_pending));
            amount = amount.min(available);
            if amount == 0 {
                return Err(R::ExceedsDebits);
            }
        }
        let pending = t.flags.pending;
        if pending {
            dr.debits_pending.checked_add(amount).ok_or(R::OverflowsDebitsPending)?;
            cr.credits_pending.checked_add(amount).ok_or(R::OverflowsCreditsPending)?;
        } else {
            dr.debits_posted.checked_add(amount).ok_or(R::OverflowsDebitsPosted)?;
            cr.credits_posted.checked_add(amount).ok_or(R::OverflowsCreditsPosted)?;
        }
        dr.debits_pending
            .checked_add(dr.debits_posted)
            .and_then(|x| x.checked_add(amount))
            .ok_or(R::OverflowsDebits)?;
        cr.credits_pending
            .checked_add(cr.credits_posted)
            .and_then(|x| x.checked_add(amount))
            .ok_or(R::OverflowsCredits)?;
        let expires_at_ms = if pending && t.timeout > 0 {
            Some(now_ms.checked_add(i64::from(t.timeout) * 1000).ok_or(R::OverflowsTimeout)?)
        } else {
            None
        };
        if dr.flags.debits_must_not_exceed_credits && dr.debits_pending + dr.debits_posted + amount > dr.credits_posted
        {
            return Err(R::ExceedsCredits);
        }
        if cr.flags.credits_must_not_exceed_debits && cr.credits_pending + cr.credits_posted + amount > cr.debits_posted
        {
            return Err(R::ExceedsDebits);
        }
        // Apply.
        undo.push(Undo::Account(dr));
        undo.push(Undo::Account(cr));
        let (mut d, mut c) = (dr, cr);
        if pending {
            d.debits_pending += amount;
            c.credits_pending += amount;
        } else {
            d.debits_posted += amount;
            c.credits_posted += amount;
        }
        if t.flags.closing_debit {
            d.flags.closed = true;
        }
        if t.flags.closing_credit {
            c.flags.closed = true;
        }
        self.accounts.insert(d.id, d);
        self.accounts.insert(c.id, c);
        self.transfers.insert(t.id, Recorded { transfer: *t, amount, timestamp_ms: now_ms, expires_at_ms });
        undo.push(Undo::Transfer(t.id));
        if pending {
            undo.push(Undo::Pending(t.id, self.pending.insert(t.id, PendingState::Pending)));
            if let Some(at) = expires_at_ms {
                undo.push(Undo::Expiry((at, t.id), self.expiries.insert((at, t.id))));
            }
        }
        Ok(())
    }

    fn post_or_void(&mut self, t: &Transfer, now_ms: i64, undo: &mut Vec<Undo>) -> Result<(), R> {
        if t.pending_id == 0 {
            return Err(R::PendingIdMustNotBeZero);
        }
        if t.pending_id == u128::MAX {
            return Err(R::IdMustNotBeIntMax);
        }
        if t.pending_id == t.id {
            return Err(R::PendingIdMustBeDifferent);
        }
        if t.timeout != 0 {
            return Err(R::TimeoutReservedForPendingTransfer);
        }
        let p = *self.transfers.get(&t.pending_id).ok_or(R::PendingTransferNotFound)?;
        if !p.transfer.flags.pending {
            return Err(R::PendingTransferNotPending);
        }
        if t.debit_account_id != 0 && t.debit_account_id != p.transfer.debit_account_id {
            return Err(R::PendingTransferHasDifferentDebitAccountId);
        }
        if t.credit_account_id != 0 && t.credit_account_id != p.transfer.credit_account_id {
            return Err(R::PendingTransferHasDifferentCreditAccountId);
        }
        if t.ledger != 0 && t.ledger != p.transfer.ledger {
            return Err(R::PendingTransferHasDifferentLedger);
        }
        if t.code != 0 && t.code != p.transfer.code {
            return Err(R::PendingTransferHasDifferentCode);
        }
        let amount = if t.amount == 0 { p.amount } else { t.amount };
        if t.flags.post_pending_transfer && amount > p.amount {
            return Err(R::ExceedsPendingTransferAmount);
        }
        if t.flags.void_pending_transfer && amount != p.amount {
            return Err(R::PendingTransferHasDifferentAmount);
        }
        if let Some(e) = self.exists(t) {
            return Err(e);
        }
        match self.pending.get(&t.pending_id) {
            Some(PendingState::Posted) => return Err(R::PendingTransferAlreadyPosted),
            Some(PendingState::Voided) => return Err(R::PendingTransferAlreadyVoided),
            Some(PendingState::Expired) => return Err(R::PendingTransferExpired),
            _ => {}
        }
        if p.expires_at_ms.is_some_and(|at| at <= now_ms) {
            return Err(R::PendingTransferExpired);
        }
        let dr = *self.accounts.get(&p.transfer.debit_account_id).ok_or(R::DebitAccountNotFound)?;
        let cr = *self.accounts.get(&p.transfer.credit_account_id).ok_or(R::CreditAccountNotFound)?;
        undo.push(Undo::Account(dr));
        undo.push(Undo::Account(cr));
        let (mut d, mut c) = (dr, cr);
        d.debits_pending -= p.amount;
        c.credits_pending -= p.amount;
        let state = if t.flags.post_pending_transfer {
            d.debits_posted = d.debits_posted.checked_add(amount).ok_or(R::OverflowsDebitsPosted)?;
            c.credits_posted = c.credits_posted.checked_add(amount).ok_or(R::OverflowsCreditsPosted)?;
            PendingState::Posted
        } else {
            // Voiding a closing transfer reopens what it closed.
            if p.transfer.flags.closing_debit {
                d.flags.closed = false;
            }
            if p.transfer.flags.closing_credit {
                c.flags.closed = false;
            }
            PendingState::Voided
        };
        self.accounts.insert(d.id, d);
        self.accounts.insert(c.id, c);
        let moved = if t.flags.post_pending_transfer { amount } else { 0 };
        // The input is kept as given (zeros included), so an identical retry finds `exists`.
        self.transfers
            .insert(t.id, Recorded { transfer: *t, amount: moved, timestamp_ms: now_ms, expires_at_ms: None });
        undo.push(Undo::Transfer(t.id));
        undo.push(Undo::Pending(t.pending_id, self.pending.insert(t.pending_id, state)));
        if let Some(at) = p.expires_at_ms {
            let removed = self.expiries.remove(&(at, t.pending_id));
            if removed {
                undo.push(Undo::Expiry((at, t.pending_id), false));
            }
        }
        Ok(())
    }

    /// Expires every pending transfer whose timeout has passed at `now_ms`, each exactly once:
    /// its amounts are released as a void would. Returns the expired ids in expiry order.
    pub fn expire(&mut self, now_ms: i64) -> Vec<u128> {
        let due: Vec<(i64, u128)> = self.expiries.range(..=(now_ms, u128::MAX)).copied().collect();
        let mut expired = Vec::with_capacity(due.len());
        for key in due {
            self.expiries.remove(&key);
            let id = key.1;
            if self.pending.get(&id) != Some(&PendingState::Pending) {
                continue;
            }
            let Some(p) = self.transfers.get(&id).copied() else { continue };
            if let (Some(mut d), Some(mut c)) = (
                self.accounts.get(&p.transfer.debit_account_id).copied(),
                self.accounts.get(&p.transfer.credit_account_id).copied(),
            ) {
                d.debits_pending -= p.amount;
                c.credits_pending -= p.amount;
                if p.transfer.flags.closing_debit {
                    d.flags.closed = false;
                }
                if p.transfer.flags.closing_credit {
                    c.flags.closed = false;
                }
                self.accounts.insert(d.id, d);
                self.accounts.insert(c.id, c);
            }
            self.pending.insert(id, PendingState::Expired);
            expired.push(id);
        }
        expired
    }

    /// Per ledger: (Σ debits, Σ credits), pending and posted together. Always equal.
    pub fn totals(&self) -> HashMap<u32, (u128, u128)> {
        let mut totals: HashMap<u32, (u128, u128)> = HashMap::new();
        for a in self.accounts.values() {
            let t = totals.entry(a.ledger).or_default();
            t.0 += u128::from(a.debits_pending) + u128::from(a.debits_posted);
            t.1 += u128::from(a.credits_pending) + u128::from(a.credits_posted);
        }
        totals
    }
}
