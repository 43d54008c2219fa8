//! An account's statement as a fold over a bounded slice of its history: running posted balances
//! from a stored checkpoint, walking the account's chain of transfers newest first.
//!
//! The store keeps every account's posted totals after each [`CHECKPOINT_EVERY`]th transfer on
//! it (and the account row itself is the newest checkpoint). A page walks from the second
//! checkpoint above it, so it passes and checks the nearest one on the way: at most
//! `2 × CHECKPOINT_EVERY` lines more than it shows, never the whole history.

use super::TransferFlags;

/// A checkpoint is stored after every this many transfers on an account.
pub const CHECKPOINT_EVERY: i64 = 128;

/// Whether an account's `n`-th transfer (counting from 1) carries a checkpoint: the one rule the
/// batch writer stores them by and `commune verify` re-derives them by.
pub fn checkpoint_due(n: i64) -> bool {
    n > 0 && n % CHECKPOINT_EVERY == 0
}

/// What a stored transfer with `flags` adds to both sides' posted totals.
pub fn posted_amount(flags: TransferFlags, amount: u64) -> u64 {
    if flags.moves_posted() { amount } else { 0 }
}

/// One stored transfer, as far as one account's statement needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub seq: i64,
    pub debit_account_id: u128,
    pub credit_account_id: u128,
    pub amount: u64,
    pub flags: TransferFlags,
    pub debit_prev_seq: i64,
    pub credit_prev_seq: i64,
}

impl Line {
    /// The account's previous transfer before this one (0: this was its first).
    pub fn prev_for(&self, me: u128) -> i64 {
        if self.debit_account_id == me { self.debit_prev_seq } else { self.credit_prev_seq }
    }

    /// What this transfer did to `me`'s posted balance (credits − debits).
    pub fn delta_for(&self, me: u128) -> i128 {
        let posted = i128::from(posted_amount(self.flags, self.amount));
        if self.credit_account_id == me { posted } else { -posted }
    }
}

/// A page of a statement: `(index into the lines walked, posted balance after that line)`,
/// newest first, and the cursor for older lines when there are any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub balances: Vec<(usize, i128)>,
    pub older: Option<i64>,
}

/// Walks `lines` (the account's chain, newest first, starting at the checkpoint whose posted
/// balance is `checkpoint_balance`) and returns up to `want` lines at or below `top` with their
/// running balances. Refuses a slice that is not one chain of `me`'s transfers, a balance that
/// differs from another checkpoint the walk passes (`crossed`: `(seq, balance after it)`), or a
/// history whose first transfer does not start from zero: corrupt or tampered rows are never
/// shown as balances.
pub fn page(
    me: u128,
    checkpoint_balance: i128,
    crossed: &[(i64, i128)],
    lines: &[Line],
    top: i64,
    want: usize,
) -> Result<Page, String> {
    let mut balance = checkpoint_balance;
    let mut out = Vec::with_capacity(want.min(lines.len()));
    for (i, line) in lines.iter().enumerate() {
        if line.debit_account_id != me && line.credit_account_id != me {
            return Err(format!("transfer {} is not this account's", line.seq));
        }
        if let Some(next) = lines.get(i + 1)
            && next.seq != line.prev_for(me)
        {
            return Err(format!("the history breaks after transfer {}", line.seq));
        }
        if let Some((_, stored)) = crossed.iter().find(|(seq, _)| *seq == line.seq)
            && *stored != balance
        {
            return Err(format!("the checkpoint at transfer {} says {stored}, the history {balance}", line.seq));
        }
        if line.seq <= top {
            out.push((i, balance));
        }
        balance -= line.delta_for(me);
        if line.prev_for(me) == 0 && balance != 0 {
            return Err(format!(
                "the history does not add up to the balance: {balance} left before the first transfer"
            ));
        }
        if out.len() == want {
            let prev = line.prev_for(me);
            return Ok(Page { balances: out, older: (prev > 0).then_some(line.seq) });
        }
        if line.prev_for(me) == 0 {
            return Ok(Page { balances: out, older: None });
        }
    }
    Err("the history slice ended before the page was complete".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u128 = 7;

    /// A chain of `n` transfers on ME, alternating in and out, newest first.
    fn chain(amounts: &[(bool, u64)]) -> Vec<Line> {
        let mut lines: Vec<Line> = amounts
            .iter()
            .enumerate()
            .map(|(i, (incoming, amount))| {
                let seq = i as i64 + 1;
                let (debit, credit) = if *incoming { (9, ME) } else { (ME, 9) };
                Line {
                    seq,
                    debit_account_id: debit,
                    credit_account_id: credit,
                    amount: *amount,
                    flags: TransferFlags::default(),
                    debit_prev_seq: if debit == ME { seq - 1 } else { 0 },
                    credit_prev_seq: if credit == ME { seq - 1 } else { 0 },
                }
            })
            .collect();
        lines.reverse();
        lines
    }

    #[test]
    fn pages_carry_true_running_balances() {
        let lines = chain(&[(true, 100), (false, 30), (true, 5), (false, 1)]);
        let first = page(ME, 74, &[], &lines, 4, 2).unwrap();
        assert_eq!(first.balances, vec![(0, 74), (1, 75)]);
        assert_eq!(first.older, Some(3));
        let rest = page(ME, 74, &[], &lines, 2, 10).unwrap();
        assert_eq!(rest.balances, vec![(2, 70), (3, 100)]);
        assert_eq!(rest.older, None);
    }

    #[test]
    fn holds_and_voids_leave_posted_balances_alone() {
        let mut lines = chain(&[(true, 100), (true, 50)]);
        lines[0].flags.pending = true;
        assert_eq!(page(ME, 100, &[], &lines, 2, 5).unwrap().balances, vec![(0, 100), (1, 100)]);
    }

    #[test]
    fn broken_or_tampered_history_is_refused() {
        let lines = chain(&[(true, 100), (false, 30)]);
        assert!(page(ME, 71, &[], &lines, 2, 5).is_err(), "a wrong checkpoint does not add up to zero");
        let mut broken = lines.clone();
        broken[0].credit_prev_seq = 5;
        broken[0].debit_prev_seq = 5;
        assert!(page(ME, 70, &[], &broken, 2, 5).is_err());
        assert!(page(ME, 70, &[], &lines[..1], 2, 5).is_err(), "a slice that stops early");
        assert!(page(ME, 70, &[(1, 99)], &lines, 2, 5).is_err(), "a checkpoint passed on the way that disagrees");
        assert!(page(ME, 70, &[(1, 100)], &lines, 2, 5).is_ok());
    }
}
