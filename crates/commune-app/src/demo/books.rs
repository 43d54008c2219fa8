//! The demo's books: half a year of trade between members and businesses (revenue with its
//! funnel share, pay, payouts) written as backdated batches, then the payment requests and holds
//! of now through the real operations.

use super::people::{Seeded, Staffed};
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::ledger::payments::{Owner, transfer_code};
use commune_domain::org::OrgKind;

/// Six months of books, written as imported history (each week a batch dated in the past).
pub(crate) struct Books {
    pub(crate) ledger: u32,
    pub(crate) rate: f64,
    pub(crate) counter: u64,
    pub(crate) transfers: Vec<commune_domain::ledger::Transfer>,
    pub(crate) notes: std::collections::HashMap<u128, commune_store::Note>,
}

impl Books {
    pub(crate) fn next_id(&mut self) -> u128 {
        self.counter += 1;
        commune_domain::ledger::payments::derive_id(&["demo", &self.counter.to_string()])
    }

    pub(crate) fn transfer(&mut self, from: &Owner, to: &Owner, amount: u64, code: u16, memo: &str) -> usize {
        let id = self.next_id();
        self.transfers.push(commune_domain::ledger::Transfer {
            id,
            debit_account_id: from.wallet(self.ledger).id,
            credit_account_id: to.wallet(self.ledger).id,
            amount,
            ledger: self.ledger,
            code,
            ..commune_domain::ledger::Transfer::default()
        });
        if !memo.is_empty() {
            self.notes.insert(id, commune_store::Note { memo: memo.to_owned(), actor: "demo".into() });
        }
        self.transfers.len() - 1
    }

    /// Revenue of a business, with the funnel share to the pot in the same linked chain.
    pub(crate) fn revenue(&mut self, from: &Owner, business: &Owner, amount: u64, code: u16, memo: &str) {
        let (_, share) = commune_domain::ledger::payments::funnel(amount, self.rate);
        let main = self.transfer(from, business, amount, code, memo);
        if share > 0 {
            self.transfers[main].flags.linked = true;
            self.transfer(business, &Owner::Pot, share, transfer_code::FUNNEL, "");
        }
    }

    /// Writes what was booked as one batch dated `at_ms`.
    pub(crate) async fn close(
        &mut self,
        state: &AppState,
        at_ms: i64,
        accounts: Vec<commune_store::NewAccount>,
    ) -> Result<(), AppError> {
        let batch = commune_store::LedgerBatch {
            accounts,
            transfers: std::mem::take(&mut self.transfers),
            notes: std::mem::take(&mut self.notes),
            imported_at_ms: Some(at_ms),
            settles: Vec::new(),
        };
        // A member payment larger than what that member holds that week is refused alone, as a
        // real one would be.
        state.store.ledger_batch("demo", &batch).await?;
        Ok(())
    }
}

/// Six months of money: opening savings, weekly business revenue with the funnel share to the
/// pot, purchases, payments between members, monthly pay and payouts; then, in the present,
/// open invoices for Ada, a paid one, a hold and an expired hold.
pub(crate) async fn ledger_demo(
    state: &AppState,
    rng: &mut Seeded,
    orgs: &[Staffed],
    members: &[commune_store::Member],
    now: i64,
) -> Result<(), AppError> {
    let ledger = crate::payments::ledger_named(state, None).await?;
    let rate = crate::policy::commune(&state.store).await?.get("funnel_rate");
    let mut books = Books { ledger: ledger.id, rate, counter: 0, transfers: Vec::new(), notes: Default::default() };
    let businesses: Vec<&Staffed> = orgs.iter().filter(|(o, _)| o.kind == OrgKind::Business).collect();
    let member = |i: usize| Owner::Member(members[i % members.len()].id.clone());
    let mut owners: Vec<Owner> = members.iter().map(|m| Owner::Member(m.id.clone())).collect();
    owners.extend(orgs.iter().map(|(o, _)| Owner::Org(o.id.clone())));
    owners.extend([Owner::Pot, Owner::Settlement]);
    let accounts = owners
        .iter()
        .map(|o| commune_store::NewAccount {
            account: o.wallet(ledger.id),
            owner_kind: o.kind().into(),
            owner_id: o.id().into(),
            only_if_used: false,
        })
        .collect();
    let day = 86_400_000i64;
    let start = now - 182 * day;
    for i in 0..members.len() {
        let savings = (200 + rng.next(1000) as u64) * 100;
        books.transfer(&Owner::Settlement, &member(i), savings, transfer_code::DEPOSIT, "opening savings");
    }
    books.close(state, start, accounts).await?;
    for week in 0..26i64 {
        demo_week(&mut books, rng, &businesses, members.len(), &member, week % 4 == 3);
        books.close(state, start + week * 7 * day + 3_600_000 * (1 + week % 9), Vec::new()).await?;
    }
    demo_present(state, &businesses, members, &ledger).await
}

/// One week: revenue for every business, purchases, payments between members; at the end of
/// a month, pay for the people of each business and a few payouts.
pub(crate) fn demo_week(
    books: &mut Books,
    rng: &mut Seeded,
    businesses: &[&Staffed],
    people: usize,
    member: &dyn Fn(usize) -> Owner,
    month_end: bool,
) {
    const SALES: [&str; 5] = ["market day", "wholesale order", "repair jobs", "subscriptions", "consulting"];
    const SHARED: [&str; 5] = ["dinner", "tools", "childcare swap", "books", "garden share"];
    for (b, (org, _)) in businesses.iter().enumerate() {
        for _ in 0..2 + rng.next(3) {
            let amount = (150 + rng.next(2_350) as u64) * 100 + rng.next(100) as u64;
            let memo = SALES[(b + rng.next(5)) % 5];
            books.revenue(&Owner::Settlement, &Owner::Org(org.id.clone()), amount, transfer_code::REVENUE, memo);
        }
    }
    for _ in 0..4 {
        let (org, _) = businesses[rng.next(businesses.len())];
        let amount = (5 + rng.next(55) as u64) * 100;
        books.revenue(
            &member(rng.next(people)),
            &Owner::Org(org.id.clone()),
            amount,
            transfer_code::PAYMENT,
            "purchase",
        );
    }
    for _ in 0..6 {
        let (a, b) = (rng.next(people), rng.next(people));
        if a != b {
            let amount = (5 + rng.next(75) as u64) * 100;
            books.transfer(&member(a), &member(b), amount, transfer_code::PAYMENT, SHARED[rng.next(5)]);
        }
    }
    if month_end {
        for (org, staff) in businesses {
            for person in staff.iter().take(5) {
                let pay = (300 + rng.next(600) as u64) * 100;
                books.transfer(
                    &Owner::Org(org.id.clone()),
                    &Owner::Member(person.clone()),
                    pay,
                    transfer_code::PAYMENT,
                    "monthly pay",
                );
            }
        }
        for _ in 0..3 {
            let amount = (50 + rng.next(200) as u64) * 100;
            books.transfer(&member(rng.next(people)), &Owner::Settlement, amount, transfer_code::PAYOUT, "to my bank");
        }
    }
}

/// The present, through the same operations people use: open invoices for Ada, a paid
/// invoice, a hold Ada placed, and a hold that expired.
pub(crate) async fn demo_present(
    state: &AppState,
    businesses: &[&Staffed],
    members: &[commune_store::Member],
    ledger: &commune_store::LedgerInfo,
) -> Result<(), AppError> {
    use crate::caller::{Caller, SignedIn};
    use crate::payments::{self, HoldInput, Party, PaymentInput, pay_request, request_payment, show_id};
    let as_member = |m: &commune_store::Member| {
        // The demo acts as plain members: nothing it does needs stewardship of the commune.
        Caller::Member(SignedIn {
            member: m.clone(),
            session_hash: String::new(),
            csrf: String::new(),
            instance_steward: false,
            signed_in_at: 0,
        })
    };
    let party = |m: &commune_store::Member| Party {
        kind: "member".into(),
        handle: m.handle.clone(),
        name: m.display_name.clone(),
        owner: Some(Owner::Member(m.id.clone())),
        is_business: false,
    };
    let founder = |b: &Staffed| members.iter().find(|m| m.id == b.1[0]).cloned();
    for (b, memo, amount) in [(1usize, "Sourdough subscription, December", 2_400u64), (0, "Panel cleaning", 6_000)] {
        let business = businesses[b % businesses.len()];
        if let Some(steward) = founder(business) {
            let payee = Owner::Org(business.0.id.clone());
            request_payment(state, &as_member(&steward), &payee, &party(&members[0]), amount, ledger, memo).await?;
        }
    }
    let cycles = businesses[2 % businesses.len()];
    if let Some(steward) = founder(cycles) {
        let payee = Owner::Org(cycles.0.id.clone());
        let request =
            request_payment(state, &as_member(&steward), &payee, &party(&members[3]), 3_500, ledger, "Bike service")
                .await?;
        pay_request(state, &as_member(&members[3]), &request.id).await?;
    }
    let hold = |to: String, amount: u64, timeout_s: u32, memo: &str| HoldInput {
        payment: PaymentInput {
            id: Some(show_id(commune_domain::ledger::payments::derive_id(&["demo-hold", memo]))),
            to,
            amount_minor: Some(amount),
            currency: Some(ledger.asset.clone()),
            memo: memo.to_owned(),
            ..PaymentInput::default()
        },
        timeout_s: Some(timeout_s),
    };
    let ada = as_member(&members[0]);
    payments::hold(state, &ada, hold(format!("org:{}", cycles.0.slug), 4_000, 7 * 24 * 3600, "Bike repair deposit"))
        .await?;
    payments::hold(state, &ada, hold(members[2].handle.clone(), 1_500, 1, "Tool library deposit")).await?;
    state.store.ledger_expire(commune_store::now_ms() + 2_000, 100).await?;
    Ok(())
}
