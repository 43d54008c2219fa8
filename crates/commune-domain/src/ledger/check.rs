//! Re-deriving the ledger from its history: every balance must equal the sum of its posted and
//! pending transfers, each ledger's debits must equal its credits, no flag may be violated, and
//! every pending transfer's fate must match the transfers that settled it. Streams: transfers
//! are fed one by one, so a database of millions is checked in bounded memory per pending id.

use super::{Account, PendingState, TransferFlags};
use std::collections::{BTreeMap, HashMap};

/// A stored transfer as the shell reads it back: accounts, ledger and code are the effective
/// ones (a post or void inherits them from its pending transfer), `amount` is what it moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredTransfer {
    pub seq: i64,
    pub id: u128,
    pub debit_account_id: u128,
    pub credit_account_id: u128,
    pub amount: u64,
    pub pending_id: u128,
    pub ledger: u32,
    pub code: u16,
    pub flags: TransferFlags,
    pub at_ms: i64,
}

#[derive(Debug, Default)]
struct Sums {
    debits_pending: u128,
    debits_posted: u128,
    credits_pending: u128,
    credits_posted: u128,
}

/// What the check found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub accounts: usize,
    pub transfers: u64,
    /// Per ledger: Σ debits and Σ credits, pending and posted together.
    pub totals: BTreeMap<u32, (u128, u128)>,
    /// Every problem, in words; empty when the ledger is sound.
    pub problems: Vec<String>,
}

/// Feeds on transfers in `seq` order, then [`Recheck::finish`] compares with the accounts.
pub struct Recheck {
    ledgers: HashMap<u128, u32>,
    sums: HashMap<u128, Sums>,
    pendings: HashMap<u128, (u64, PendingState)>,
    settled: HashMap<u128, (u32, u32)>,
    last_seq: i64,
    transfers: u64,
    problems: Vec<String>,
}

/// A problem list is capped: a badly broken database should not print a million lines.
const MAX_PROBLEMS: usize = 100;

impl Recheck {
    pub fn new(accounts: &[Account]) -> Recheck {
        Recheck {
            ledgers: accounts.iter().map(|a| (a.id, a.ledger)).collect(),
            sums: HashMap::new(),
            pendings: HashMap::new(),
            settled: HashMap::new(),
            last_seq: 0,
            transfers: 0,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, text: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(text);
        }
    }

    /// One transfer, with its pending state when it is a pending transfer.
    pub fn transfer(&mut self, t: &StoredTransfer, state: Option<PendingState>) {
        self.transfers += 1;
        let id = format!("transfer {:032x} (seq {})", t.id, t.seq);
        if t.seq <= self.last_seq {
            self.problem(format!("{id} is out of order"));
        }
        self.last_seq = t.seq;
        if t.debit_account_id == t.credit_account_id {
            self.problem(format!("{id} debits and credits the same account"));
        }
        for account in [t.debit_account_id, t.credit_account_id] {
            match self.ledgers.get(&account) {
                None => self.problem(format!("{id} names account {account:032x}, which does not exist")),
                Some(ledger) if *ledger != t.ledger => {
                    self.problem(format!("{id} is on ledger {} but account {account:032x} on {ledger}", t.ledger))
                }
                Some(_) => {}
            }
        }
        let f = t.flags;
        if f.pending {
            if t.amount == 0 {
                self.problem(format!("{id} is a pending transfer of nothing"));
            }
            let Some(state) = state else {
                self.problem(format!("{id} is pending but has no recorded state"));
                return;
            };
            self.pendings.insert(t.id, (t.amount, state));
            if state == PendingState::Pending {
                self.add(t, true);
            }
            return;
        }
        if state.is_some() {
            self.problem(format!("{id} is not pending but has a pending state"));
        }
        if f.settles() {
            let Some((held, _)) = self.pendings.get(&t.pending_id).copied() else {
                self.problem(format!("{id} settles {:032x}, which is not an earlier pending transfer", t.pending_id));
                return;
            };
            let counts = self.settled.entry(t.pending_id).or_default();
            if f.post_pending_transfer {
                counts.0 += 1;
                if t.amount > held {
                    self.problem(format!("{id} posts {} of a pending {held}", t.amount));
                }
            } else {
                counts.1 += 1;
                if t.amount != 0 {
                    self.problem(format!("{id} is a void that moved {}", t.amount));
                }
            }
        } else if t.amount == 0 {
            self.problem(format!("{id} moved nothing"));
        }
        self.add(t, false);
    }

    fn add(&mut self, t: &StoredTransfer, pending: bool) {
        let amount = u128::from(t.amount);
        let debit = self.sums.entry(t.debit_account_id).or_default();
        if pending {
            debit.debits_pending += amount
        } else {
            debit.debits_posted += amount
        }
        let credit = self.sums.entry(t.credit_account_id).or_default();
        if pending { credit.credits_pending += amount } else { credit.credits_posted += amount }
    }

    pub fn finish(mut self, accounts: &[Account]) -> Report {
        let mut fates: Vec<(u128, PendingState, (u32, u32))> = self
            .pendings
            .iter()
            .map(|(id, (_, state))| (*id, *state, self.settled.get(id).copied().unwrap_or_default()))
            .collect();
        fates.sort_unstable_by_key(|f| f.0);
        for (id, state, (posts, voids)) in fates {
            let expected = match state {
                PendingState::Posted => (1, 0),
                PendingState::Voided => (0, 1),
                PendingState::Pending | PendingState::Expired => (0, 0),
            };
            if (posts, voids) != expected {
                self.problem(format!(
                    "pending transfer {id:032x} is {} but has {posts} post(s) and {voids} void(s)",
                    state.as_str()
                ));
            }
        }
        let mut totals: BTreeMap<u32, (u128, u128)> = BTreeMap::new();
        for a in accounts {
            let s = self.sums.remove(&a.id).unwrap_or_default();
            let stored = [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted].map(u128::from);
            let derived = [s.debits_pending, s.debits_posted, s.credits_pending, s.credits_posted];
            if stored != derived {
                self.problem(format!(
                    "account {:032x}: stored balances (debits pending, posted; credits pending, posted) {stored:?} \
                     but its transfers sum to {derived:?}",
                    a.id
                ));
            }
            let f = a.flags;
            if f.debits_must_not_exceed_credits && stored[0] + stored[1] > stored[3] {
                self.problem(format!("account {:032x}: debits exceed credits against its flag", a.id));
            }
            if f.credits_must_not_exceed_debits && stored[2] + stored[3] > stored[1] {
                self.problem(format!("account {:032x}: credits exceed debits against its flag", a.id));
            }
            let total = totals.entry(a.ledger).or_default();
            total.0 += stored[0] + stored[1];
            total.1 += stored[2] + stored[3];
        }
        let mut orphans: Vec<u128> = self.sums.keys().copied().collect();
        orphans.sort_unstable();
        for id in orphans {
            self.problem(format!("transfers move money on account {id:032x}, which does not exist"));
        }
        for (ledger, (debits, credits)) in &totals {
            if debits != credits {
                self.problem(format!("ledger {ledger}: debits {debits} ≠ credits {credits}"));
            }
        }
        Report { accounts: accounts.len(), transfers: self.transfers, totals, problems: self.problems }
    }
}

#[cfg(test)]
mod tests {
    use super::super::engine::Ledger;
    use super::super::{AccountFlags, Transfer};
    use super::*;

    fn stored(l: &Ledger, ids: &[u128]) -> Vec<(StoredTransfer, Option<PendingState>)> {
        ids.iter()
            .enumerate()
            .filter_map(|(seq, id)| {
                let r = l.transfer(*id)?;
                let t = r.transfer;
                let p = (t.pending_id != 0).then(|| l.transfer(t.pending_id)).flatten().map(|p| p.transfer);
                Some((
                    StoredTransfer {
                        seq: seq as i64 + 1,
                        id: t.id,
                        debit_account_id: p.map_or(t.debit_account_id, |p| p.debit_account_id),
                        credit_account_id: p.map_or(t.credit_account_id, |p| p.credit_account_id),
                        amount: r.amount,
                        pending_id: t.pending_id,
                        ledger: p.map_or(t.ledger, |p| p.ledger),
                        code: p.map_or(t.code, |p| p.code),
                        flags: t.flags,
                        at_ms: r.timestamp_ms,
                    },
                    l.pending_state(t.id),
                ))
            })
            .collect()
    }

    #[test]
    fn a_sound_ledger_passes_and_a_tampered_one_is_named() {
        let mut l = Ledger::default();
        let limited = AccountFlags { debits_must_not_exceed_credits: true, ..AccountFlags::default() };
        let accounts: Vec<Account> = (1..=3)
            .map(|id| Account {
                id,
                ledger: 1,
                code: 1,
                flags: if id == 2 { limited } else { AccountFlags::default() },
                ..Account::default()
            })
            .collect();
        l.create_accounts(&accounts);
        let t = |id, dr, cr, amount| Transfer {
            id,
            debit_account_id: dr,
            credit_account_id: cr,
            amount,
            ledger: 1,
            code: 1,
            ..Transfer::default()
        };
        let mut hold = t(11, 2, 3, 40);
        hold.flags.pending = true;
        let mut post = Transfer { id: 12, pending_id: 11, amount: 25, ..Transfer::default() };
        post.flags.post_pending_transfer = true;
        let mut hold2 = t(13, 2, 3, 10);
        hold2.flags.pending = true;
        l.create_transfers(&[t(10, 1, 2, 100), hold, post, hold2], 0);
        let final_accounts: Vec<Account> = (1..=3).filter_map(|id| l.account(id).copied()).collect();
        let rows = stored(&l, &[10, 11, 12, 13]);
        let check = |accounts: &[Account], rows: &[(StoredTransfer, Option<PendingState>)]| {
            let mut r = Recheck::new(accounts);
            for (t, s) in rows {
                r.transfer(t, *s);
            }
            r.finish(accounts)
        };
        let report = check(&final_accounts, &rows);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.totals[&1], (135, 135));
        // A changed amount, a dropped transfer, a forged balance: each is named.
        let mut changed = rows.clone();
        changed[0].0.amount = 99;
        assert!(!check(&final_accounts, &changed).problems.is_empty());
        assert!(!check(&final_accounts, &rows[..3]).problems.is_empty());
        let mut forged = final_accounts.clone();
        forged[1].credits_posted += 1;
        assert!(check(&forged, &rows).problems.iter().any(|p| p.contains("stored balances")));
        let mut twice = rows.clone();
        let mut again = twice[2];
        again.0.seq = 9;
        twice.push(again);
        assert!(check(&final_accounts, &twice).problems.iter().any(|p| p.contains("post(s)")));
    }
}
