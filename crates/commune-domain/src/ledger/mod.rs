//! The ledger's rules, modelled on TigerBeetle: accounts on ledgers (currencies, integer minor
//! units), transfers between two accounts of one ledger, two-phase transfers (pending, then
//! post or void, with timeouts that expire exactly once), linked chains that succeed or fail as
//! a whole, balancing transfers that move "up to" an amount, idempotent ids, and result codes as
//! specific as TigerBeetle's. Pure: the shell persists what [`engine::Ledger`] decides.
//!
//! Differences from TigerBeetle, on purpose: amounts are `u64` and must be positive on input;
//! times are unix milliseconds and timeouts whole seconds; a post with amount 0 posts the full
//! pending amount; a balancing transfer that would move nothing fails (`exceeds_credits` or
//! `exceeds_debits`) instead of recording a zero transfer.

pub mod amount;
pub mod check;
pub mod engine;
pub mod export;
pub mod payments;
pub mod plan;
pub mod reference;
pub mod statement;

/// Account flags (immutable once created, except `closed`, which closing transfers set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct AccountFlags {
    pub debits_must_not_exceed_credits: bool,
    pub credits_must_not_exceed_debits: bool,
    pub history: bool,
    pub closed: bool,
}

impl AccountFlags {
    /// TigerBeetle's bit layout (bit 0 is `linked`, unused for accounts here).
    pub fn bits(self) -> u16 {
        u16::from(self.debits_must_not_exceed_credits) << 1
            | u16::from(self.credits_must_not_exceed_debits) << 2
            | u16::from(self.history) << 3
            | u16::from(self.closed) << 5
    }

    pub fn from_bits(bits: u16) -> AccountFlags {
        AccountFlags {
            debits_must_not_exceed_credits: bits & 1 << 1 != 0,
            credits_must_not_exceed_debits: bits & 1 << 2 != 0,
            history: bits & 1 << 3 != 0,
            closed: bits & 1 << 5 != 0,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Account {
    pub id: u128,
    pub ledger: u32,
    pub code: u16,
    pub flags: AccountFlags,
    pub user_data: u128,
    pub debits_pending: u64,
    pub debits_posted: u64,
    pub credits_pending: u64,
    pub credits_posted: u64,
}

impl Account {
    /// What may still be debited: posted credits less posted and pending debits.
    pub fn available(&self) -> i128 {
        i128::from(self.credits_posted) - i128::from(self.debits_posted) - i128::from(self.debits_pending)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TransferFlags {
    pub linked: bool,
    pub pending: bool,
    pub post_pending_transfer: bool,
    pub void_pending_transfer: bool,
    pub balancing_debit: bool,
    pub balancing_credit: bool,
    pub closing_debit: bool,
    pub closing_credit: bool,
}

impl TransferFlags {
    /// TigerBeetle's bit layout; the high byte is free for the shell's own markers.
    pub fn bits(self) -> u16 {
        [
            self.linked,
            self.pending,
            self.post_pending_transfer,
            self.void_pending_transfer,
            self.balancing_debit,
            self.balancing_credit,
            self.closing_debit,
            self.closing_credit,
        ]
        .iter()
        .enumerate()
        .fold(0, |bits, (i, on)| bits | u16::from(*on) << i)
    }

    pub fn from_bits(bits: u16) -> TransferFlags {
        let on = |i: u32| bits & 1 << i != 0;
        TransferFlags {
            linked: on(0),
            pending: on(1),
            post_pending_transfer: on(2),
            void_pending_transfer: on(3),
            balancing_debit: on(4),
            balancing_credit: on(5),
            closing_debit: on(6),
            closing_credit: on(7),
        }
    }

    /// `post` or `void`: the second phase of a two-phase transfer.
    pub fn settles(self) -> bool {
        self.post_pending_transfer || self.void_pending_transfer
    }

    /// Whether a stored transfer with these flags moved posted balances by its amount: every
    /// transfer but a hold (which only reserves) and a void (which only releases). The one rule
    /// the statement's running balance and the stored checkpoints both follow.
    pub fn moves_posted(self) -> bool {
        !self.pending && !self.void_pending_transfer
    }

    /// The bit mask of the flags that keep a transfer off posted balances (for SQL).
    pub const OFF_POSTED_BITS: u16 = 1 << 1 | 1 << 3;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Transfer {
    pub id: u128,
    pub debit_account_id: u128,
    pub credit_account_id: u128,
    pub amount: u64,
    /// For post and void: the pending transfer's id.
    pub pending_id: u128,
    /// Pending transfers only: seconds until it expires (0 = never).
    pub timeout: u32,
    pub ledger: u32,
    pub code: u16,
    pub flags: TransferFlags,
    pub user_data: u128,
}

/// The outcome of creating an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateAccountResult {
    Ok,
    IdMustNotBeZero,
    IdMustNotBeIntMax,
    FlagsAreMutuallyExclusive,
    LedgerMustNotBeZero,
    CodeMustNotBeZero,
    ClosedMustNotBeSetAtCreation,
    ExistsWithDifferentFlags,
    ExistsWithDifferentUserData,
    ExistsWithDifferentLedger,
    ExistsWithDifferentCode,
    Exists,
}

/// The outcome of creating a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateTransferResult {
    Ok,
    LinkedEventFailed,
    LinkedEventChainOpen,
    IdMustNotBeZero,
    IdMustNotBeIntMax,
    FlagsAreMutuallyExclusive,
    ClosingTransferMustBePending,
    DebitAccountIdMustNotBeZero,
    CreditAccountIdMustNotBeZero,
    AccountsMustBeDifferent,
    PendingIdMustBeZero,
    PendingIdMustNotBeZero,
    PendingIdMustBeDifferent,
    TimeoutReservedForPendingTransfer,
    AmountMustNotBeZero,
    LedgerMustNotBeZero,
    CodeMustNotBeZero,
    DebitAccountNotFound,
    CreditAccountNotFound,
    AccountsMustHaveTheSameLedger,
    TransferMustHaveTheSameLedgerAsAccounts,
    PendingTransferNotFound,
    PendingTransferNotPending,
    PendingTransferHasDifferentDebitAccountId,
    PendingTransferHasDifferentCreditAccountId,
    PendingTransferHasDifferentLedger,
    PendingTransferHasDifferentCode,
    ExceedsPendingTransferAmount,
    PendingTransferHasDifferentAmount,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
    PendingTransferExpired,
    ExistsWithDifferentFlags,
    ExistsWithDifferentDebitAccountId,
    ExistsWithDifferentCreditAccountId,
    ExistsWithDifferentAmount,
    ExistsWithDifferentPendingId,
    ExistsWithDifferentUserData,
    ExistsWithDifferentTimeout,
    ExistsWithDifferentCode,
    Exists,
    DebitAccountAlreadyClosed,
    CreditAccountAlreadyClosed,
    OverflowsDebitsPending,
    OverflowsCreditsPending,
    OverflowsDebitsPosted,
    OverflowsCreditsPosted,
    OverflowsDebits,
    OverflowsCredits,
    OverflowsTimeout,
    ExceedsCredits,
    ExceedsDebits,
}

impl CreateTransferResult {
    /// The snake_case name, as in TigerBeetle and in the API.
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

impl CreateAccountResult {
    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// What became of a pending transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingState {
    Pending,
    Posted,
    Voided,
    Expired,
}

impl PendingState {
    pub const ALL: [PendingState; 4] =
        [PendingState::Pending, PendingState::Posted, PendingState::Voided, PendingState::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            PendingState::Pending => "pending",
            PendingState::Posted => "posted",
            PendingState::Voided => "voided",
            PendingState::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<PendingState> {
        PendingState::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::engine::Ledger;
    use super::reference::Model;
    use super::*;

    use crate::seeded::SplitMix64 as Rng;

    fn accounts(rng: &mut Rng) -> Vec<Account> {
        (1..=30u128)
            .map(|id| {
                let roll = rng.below(10);
                Account {
                    id,
                    ledger: if id.is_multiple_of(3) { 2 } else { 1 },
                    code: 1 + (id % 4) as u16,
                    flags: AccountFlags {
                        debits_must_not_exceed_credits: roll < 3 && id > 4,
                        credits_must_not_exceed_debits: roll == 3 && id > 4,
                        history: roll == 9,
                        closed: false,
                    },
                    ..Account::default()
                }
            })
            .collect()
    }

    fn random_transfer(rng: &mut Rng, next_id: &mut u128, sent: &[Transfer], pendings: &[Transfer]) -> Transfer {
        // Retries of earlier transfers, identical or altered: idempotency and its errors.
        if !sent.is_empty() && rng.chance(3) {
            let mut t = sent[rng.below(sent.len() as u64) as usize];
            t.flags.linked = false;
            if rng.chance(50) {
                match rng.below(4) {
                    0 => t.amount = t.amount.wrapping_add(1),
                    1 => t.user_data ^= 1,
                    2 => t.code = t.code % 4 + 1,
                    _ => t.credit_account_id = 1 + rng.below(30) as u128,
                }
            }
            return t;
        }
        *next_id += 1;
        let id = if rng.chance(1) { 0 } else { *next_id };
        let mut t = Transfer {
            id,
            debit_account_id: 1 + rng.below(31) as u128,
            credit_account_id: 1 + rng.below(31) as u128,
            amount: match rng.below(50) {
                0 => 0,
                1 => u64::MAX / 2 + rng.below(1000),
                _ => 1 + rng.below(1000),
            },
            ledger: if rng.chance(2) {
                0
            } else if rng.chance(50) {
                1
            } else {
                2
            },
            code: if rng.chance(1) { 0 } else { 1 + rng.below(3) as u16 },
            user_data: u128::from(rng.below(4)),
            ..Transfer::default()
        };
        // Fund from accounts without limits so limited accounts can move money too.
        if rng.chance(30) {
            t.debit_account_id = 1 + rng.below(4) as u128;
        }
        if t.debit_account_id != 0 && t.debit_account_id <= 30 && t.debit_account_id.is_multiple_of(3) {
            t.ledger = if rng.chance(95) { 2 } else { 1 };
        } else if t.ledger != 0 {
            t.ledger = if rng.chance(95) { 1 } else { 2 };
        }
        match rng.below(20) {
            0..=2 => {
                t.flags.pending = true;
                t.timeout = rng.below(4) as u32;
                if rng.chance(5) {
                    t.flags.closing_debit = true;
                }
            }
            3..=5 if !pendings.is_empty() => {
                let p = pendings[rng.below(pendings.len() as u64) as usize];
                let post = rng.chance(60);
                t = Transfer {
                    id,
                    pending_id: if rng.chance(3) { 9_999_999 } else { p.id },
                    amount: if rng.chance(40) { 0 } else { rng.below(p.amount.max(1) + 2) },
                    debit_account_id: if rng.chance(50) { 0 } else { p.debit_account_id },
                    ledger: if rng.chance(70) { 0 } else { p.ledger },
                    ..Transfer::default()
                };
                t.flags.post_pending_transfer = post;
                t.flags.void_pending_transfer = !post;
            }
            6 => t.flags.balancing_debit = true,
            7 => t.flags.balancing_credit = true,
            8 => {
                t.flags.pending = true;
                t.flags.post_pending_transfer = true;
            }
            _ => {}
        }
        t
    }

    /// At least 100,000 operations: the engine and the naive model must agree on every result,
    /// every expiry and every balance, and each ledger's debits must equal its credits after
    /// every batch.
    #[test]
    fn the_engine_matches_the_naive_model_on_a_random_workload() {
        let mut rng = Rng(20261128);
        let mut engine = Ledger::default();
        let mut model = Model::default();
        let accounts = accounts(&mut rng);
        assert!(engine.create_accounts(&accounts).iter().all(|r| *r == CreateAccountResult::Ok));
        for a in &accounts {
            model.add_account(*a);
        }
        let (mut next_id, mut now, mut operations) = (1_000u128, 1_700_000_000_000i64, 0usize);
        let mut sent: Vec<Transfer> = Vec::new();
        let mut pendings: Vec<Transfer> = Vec::new();
        let mut outcomes: std::collections::HashMap<CreateTransferResult, usize> = Default::default();
        while operations < 100_000 {
            let size = 1 + rng.below(64) as usize;
            let mut batch = Vec::with_capacity(size);
            for _ in 0..size {
                let mut t = random_transfer(&mut rng, &mut next_id, &sent, &pendings);
                t.flags.linked = rng.chance(12);
                batch.push(t);
            }
            now += rng.below(1500) as i64;
            let ours = engine.create_transfers(&batch, now);
            let theirs = model.create_transfers(&batch, now);
            assert_eq!(ours, theirs, "batch at op {operations}: {batch:?}");
            for (t, r) in batch.iter().zip(&ours) {
                *outcomes.entry(*r).or_default() += 1;
                if *r == CreateTransferResult::Ok {
                    sent.push(*t);
                    if t.flags.pending {
                        pendings.push(*t);
                    }
                }
            }
            assert_eq!(engine.expire(now), model.expire(now), "expiries at {now}");
            for (ledger, (debits, credits)) in engine.totals() {
                assert_eq!(debits, credits, "ledger {ledger} out of balance");
            }
            operations += batch.len();
        }
        for a in engine.accounts() {
            assert_eq!(Some(a), model.account(a.id), "account {}", a.id);
            assert!(!a.flags.debits_must_not_exceed_credits || a.debits_pending + a.debits_posted <= a.credits_posted);
            assert!(!a.flags.credits_must_not_exceed_debits || a.credits_pending + a.credits_posted <= a.debits_posted);
        }
        // The workload exercised the rules, not just the happy path.
        for must in [
            CreateTransferResult::Ok,
            CreateTransferResult::Exists,
            CreateTransferResult::ExistsWithDifferentAmount,
            CreateTransferResult::LinkedEventFailed,
            CreateTransferResult::ExceedsCredits,
            CreateTransferResult::AccountsMustHaveTheSameLedger,
            CreateTransferResult::PendingTransferAlreadyPosted,
            CreateTransferResult::FlagsAreMutuallyExclusive,
            CreateTransferResult::AmountMustNotBeZero,
            CreateTransferResult::OverflowsDebits,
        ] {
            assert!(outcomes.get(&must).copied().unwrap_or(0) > 0, "{must:?} never happened: {outcomes:?}");
        }
    }

    fn t(id: u128, dr: u128, cr: u128, amount: u64) -> Transfer {
        Transfer { id, debit_account_id: dr, credit_account_id: cr, amount, ledger: 1, code: 1, ..Transfer::default() }
    }

    #[test]
    fn flags_round_trip_through_their_bits() {
        for bits in 0..=255u16 {
            assert_eq!(TransferFlags::from_bits(bits).bits(), bits);
        }
        for bits in [0u16, 2, 4, 8, 32, 42] {
            assert_eq!(AccountFlags::from_bits(bits).bits(), bits);
        }
        assert_eq!(CreateTransferResult::ExceedsCredits.as_str(), "exceeds_credits");
    }

    #[test]
    fn two_phase_linked_and_balancing_by_example() {
        let mut l = Ledger::default();
        let limited = AccountFlags { debits_must_not_exceed_credits: true, ..AccountFlags::default() };
        let acct = |id, flags| Account { id, ledger: 1, code: 1, flags, ..Account::default() };
        l.create_accounts(&[acct(1, AccountFlags::default()), acct(2, limited), acct(3, AccountFlags::default())]);
        use CreateTransferResult as R;
        assert_eq!(l.create_transfers(&[t(10, 1, 2, 100)], 0), [R::Ok]);
        assert_eq!(l.create_transfers(&[t(11, 2, 3, 150)], 0), [R::ExceedsCredits], "no overdraft");
        let mut pending = t(12, 2, 3, 60);
        pending.flags.pending = true;
        pending.timeout = 10;
        assert_eq!(l.create_transfers(&[pending], 0), [R::Ok]);
        assert_eq!(l.create_transfers(&[t(13, 2, 3, 50)], 0), [R::ExceedsCredits], "the hold counts");
        let mut post = Transfer { id: 14, pending_id: 12, amount: 40, ..Transfer::default() };
        post.flags.post_pending_transfer = true;
        assert_eq!(l.create_transfers(&[post], 5_000), [R::Ok]);
        assert_eq!(l.create_transfers(&[post], 5_000), [R::Exists], "a retry is applied once");
        let a2 = *l.account(2).expect("account");
        assert_eq!((a2.debits_posted, a2.debits_pending), (40, 0), "posting less than held releases the rest");
        // A linked chain fails whole.
        let mut first = t(15, 1, 3, 5);
        first.flags.linked = true;
        assert_eq!(l.create_transfers(&[first, t(16, 2, 3, 1_000)], 5_000), [R::LinkedEventFailed, R::ExceedsCredits]);
        assert!(l.transfer(15).is_none());
        // Balancing moves up to what is there.
        let mut sweep = t(17, 2, 3, 1_000);
        sweep.flags.balancing_debit = true;
        assert_eq!(l.create_transfers(&[sweep], 5_000), [R::Ok]);
        assert_eq!(l.transfer(17).map(|r| r.amount), Some(60));
        // A pending transfer expires exactly once.
        let mut hold = t(18, 1, 3, 7);
        hold.flags.pending = true;
        hold.timeout = 1;
        l.create_transfers(&[hold], 10_000);
        assert!(l.expire(10_999).is_empty());
        assert_eq!(l.expire(11_000), [18]);
        assert!(l.expire(20_000).is_empty());
        let mut late = Transfer { id: 19, pending_id: 18, ..Transfer::default() };
        late.flags.post_pending_transfer = true;
        assert_eq!(l.create_transfers(&[late], 20_000), [R::PendingTransferExpired]);
    }
}
