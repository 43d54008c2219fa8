//! The demo commune: a living sample so a newcomer sees real content in the first minute.
//! Deterministic (a fixed seed), loaded in one audited transaction, only into an empty instance.

use crate::secrets::hash_password;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::governance::methods::{Ballot, RankedRule, Stance, VotingMethod};
use commune_domain::governance::proposal::{Effect, Kind, Phase, Weighting};
use commune_domain::identity::{Handle, Profile};
use commune_domain::ledger::payments::{Owner, transfer_code};
use commune_domain::org::{Admission, NewOrg, OrgKind, Role};
use commune_store::{NewDot, WriteTx};

/// Every demo member's password.
pub const DEMO_PASSWORD: &str = "commune-demo";

const FIRST: [&str; 50] = [
    "Ada", "Bayo", "Chen", "Dalia", "Emeka", "Freya", "Goran", "Hana", "Ines", "Jonas", "Kemal", "Lena", "Mateo",
    "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Vik", "Wren", "Xiu", "Yara", "Zeno", "Amara",
    "Bruno", "Cleo", "Dmitri", "Esme", "Felix", "Gaia", "Hugo", "Ilse", "Jae", "Kira", "Luca", "Mina", "Nico", "Olu",
    "Pia", "Rafa", "Saoirse", "Teo", "Ulla", "Vera", "Wilu", "Yusuf", "Zara",
];
const LAST: [&str; 10] =
    ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Kowalski", "Reyes", "Berg"];
const PLACES: [&str; 4] = ["Riverside", "Old Town", "Harbour", "Hillcrest"];
const DOMAINS: [&str; 8] = ["finance", "engineering", "ecology", "food", "energy", "design", "education", "logistics"];
const BIOS: [&str; 6] = [
    "Fixes things, then writes down how.",
    "Bakes at dawn, balances the books at dusk.",
    "Solar installer and weekend cyclist.",
    "Teaches, learns, repeats.",
    "Keeps the supply chain honest.",
    "Designs for people who are not designers.",
];

struct DemoOrg {
    slug: &'static str,
    name: &'static str,
    kind: OrgKind,
    place: &'static str,
    description: &'static str,
}

const ORGS: [DemoOrg; 5] = [
    DemoOrg {
        slug: "solar-forge",
        name: "Solar Forge Co-op",
        kind: OrgKind::Business,
        place: "Harbour",
        description: "Community solar: we install, maintain and share the panels on our roofs.",
    },
    DemoOrg {
        slug: "byte-bakery",
        name: "Byte Bakery",
        kind: OrgKind::Business,
        place: "Old Town",
        description: "Sourdough, pastries and a café with open books.",
    },
    DemoOrg {
        slug: "loop-cycles",
        name: "Loop Cycles",
        kind: OrgKind::Business,
        place: "Riverside",
        description: "Bicycle repair, refurbishing and cargo-bike delivery.",
    },
    DemoOrg {
        slug: "common-code",
        name: "Common Code",
        kind: OrgKind::Business,
        place: "Hillcrest",
        description: "A software studio that builds the tools the commune runs on.",
    },
    DemoOrg {
        slug: "riverside",
        name: "Riverside Chapter",
        kind: OrgKind::Chapter,
        place: "Riverside",
        description: "The local chapter of members living along the river.",
    },
];

/// The domain's seeded generator, so the demo is the same on every machine.
struct Seeded(commune_domain::seeded::SplitMix64);

impl Seeded {
    fn next(&mut self, below: usize) -> usize {
        self.0.below(below as u64) as usize
    }
}

/// Fills an empty instance with the demo commune. Refused once the instance is set up.
pub async fn load(state: &AppState) -> Result<(), AppError> {
    if !crate::service::needs_setup(state).await? {
        return Err(AppError::Rule(
            "this instance already has a commune; the demo loads only into an empty one".into(),
        ));
    }
    // One hash for all demo members: they share a published password anyway.
    let hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    let mut rng = Seeded(commune_domain::seeded::SplitMix64(20261128));
    let mut tx = state.store.write("demo").await?;
    let mut members = Vec::new();
    for (i, first) in FIRST.iter().enumerate() {
        let last = LAST[i % LAST.len()];
        let handle = Handle::parse(&first.to_ascii_lowercase())?;
        let domains = vec![DOMAINS[i % DOMAINS.len()].to_owned(), DOMAINS[(i * 3 + 1) % DOMAINS.len()].to_owned()];
        let mut domains_dedup = domains.clone();
        domains_dedup.dedup();
        let profile = Profile {
            display_name: format!("{first} {last}"),
            bio: BIOS[i % BIOS.len()].to_owned(),
            place: PLACES[i % PLACES.len()].to_owned(),
            domains: domains_dedup,
        };
        members.push(tx.create_member(&handle, &profile, &hash).await?);
    }
    let commune = NewOrg {
        slug: "neon-valley".into(),
        name: "Neon Valley Commune".into(),
        kind: OrgKind::Commune,
        description: "Fifty members, four co-op businesses and a chapter, owning everything together.".into(),
        place: "Neon Valley".into(),
        admission: Admission::Steward,
    };
    let root = tx.create_org(&commune, &members[0].id).await?;
    tx.set_setting("demo", "1").await?;
    for member in &members[1..] {
        tx.add_member(&root.id, &member.id, Role::Member).await?;
    }
    tx.set_role(&root.id, &members[1].id, Role::Steward).await?;
    let mut orgs: Vec<(commune_store::Org, Vec<String>)> =
        vec![(root.clone(), members.iter().map(|m| m.id.clone()).collect())];
    for (k, spec) in ORGS.iter().enumerate() {
        let founder = &members[(k * 7 + 2) % members.len()];
        let new = NewOrg {
            slug: spec.slug.into(),
            name: spec.name.into(),
            kind: spec.kind,
            description: spec.description.into(),
            place: spec.place.into(),
            admission: Admission::Steward,
        };
        let org = tx.create_org(&new, &founder.id).await?;
        let size = 8 + rng.next(8);
        let mut joined = vec![founder.id.clone()];
        while joined.len() < size {
            let candidate = &members[rng.next(members.len())];
            if joined.contains(&candidate.id) {
                continue;
            }
            let role = if joined.len() == 1 { Role::Steward } else { Role::Member };
            tx.add_member(&org.id, &candidate.id, role).await?;
            joined.push(candidate.id.clone());
        }
        // Ada (the demo's first steward) stewards Common Code too, so she sees requests.
        if spec.slug == "common-code" && !joined.contains(&members[0].id) {
            tx.add_member(&org.id, &members[0].id, Role::Steward).await?;
            joined.push(members[0].id.clone());
        }
        // Two pending requests per organisation, from members not yet in it.
        let outsiders: Vec<_> = members.iter().filter(|m| !joined.contains(&m.id)).collect();
        let mut requested: Vec<&str> = Vec::new();
        while requested.len() < 2.min(outsiders.len()) {
            let candidate = outsiders[rng.next(outsiders.len())];
            if !requested.contains(&candidate.id.as_str()) {
                tx.create_join_request(&org.id, &candidate.id, "I would love to help out here.").await?;
                requested.push(&candidate.id);
            }
        }
        orgs.push((org, joined));
    }
    // A season of governance: delegations and proposals in every phase.
    let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    for (i, (domain, delegate)) in
        [(Some("finance"), 1), (None, 0), (Some("energy"), 4), (None, 1), (None, 7), (Some("design"), 0)]
            .iter()
            .enumerate()
    {
        let delegator = &ids[10 + i * 3];
        tx.delegate(&root.id, delegator, &ids[*delegate], domain.unwrap_or("")).await?;
    }
    let now = commune_store::now_ms();
    merit_demo(&mut tx, &mut rng, &root.id, &ids, now).await?;
    tx.commit().await?;
    crate::merit::recompute(state, now).await?;
    ledger_demo(state, &mut rng, &orgs, &members, now).await?;
    governance_season(state, &mut rng, &orgs, &members, now).await
}

/// Six months of books, written as imported history (each week a batch dated in the past).
struct Books {
    ledger: u32,
    rate: f64,
    counter: u64,
    transfers: Vec<commune_domain::ledger::Transfer>,
    notes: std::collections::HashMap<u128, commune_store::Note>,
}

impl Books {
    fn next_id(&mut self) -> u128 {
        self.counter += 1;
        commune_domain::ledger::payments::derive_id(&["demo", &self.counter.to_string()])
    }

    fn transfer(&mut self, from: &Owner, to: &Owner, amount: u64, code: u16, memo: &str) -> usize {
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
    fn revenue(&mut self, from: &Owner, business: &Owner, amount: u64, code: u16, memo: &str) {
        let (_, share) = commune_domain::ledger::payments::funnel(amount, self.rate);
        let main = self.transfer(from, business, amount, code, memo);
        if share > 0 {
            self.transfers[main].flags.linked = true;
            self.transfer(business, &Owner::Pot, share, transfer_code::FUNNEL, "");
        }
    }

    /// Writes what was booked as one batch dated `at_ms`.
    async fn close(
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

type Staffed = (commune_store::Org, Vec<String>);

/// Six months of money: opening savings, weekly business revenue with the funnel share to the
/// pot, purchases, payments between members, monthly pay and payouts; then, in the present,
/// open invoices for Ada, a paid one, a hold and an expired hold.
async fn ledger_demo(
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
fn demo_week(
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
async fn demo_present(
    state: &AppState,
    businesses: &[&Staffed],
    members: &[commune_store::Member],
    ledger: &commune_store::LedgerInfo,
) -> Result<(), AppError> {
    use crate::caller::{Caller, SignedIn};
    use crate::payments::{self, HoldInput, Party, PaymentInput, pay_request, request_payment, show_id};
    let as_member = |m: &commune_store::Member| {
        // The demo acts as plain members: nothing it does needs stewardship of the commune.
        Caller::Member(SignedIn { member: m.clone(), session_hash: String::new(), csrf: String::new(), instance_steward: false })
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
    payments::hold(state, &ada, hold(format!("org:{}", cycles.0.slug), 4_000, 7 * 24 * 3600, "Bike repair deposit")).await?;
    payments::hold(state, &ada, hold(members[2].handle.clone(), 1_500, 1, "Tool library deposit")).await?;
    state.store.ledger_expire(commune_store::now_ms() + 2_000, 100).await?;
    Ok(())
}

/// A season of dots (90 days, varied raters and members) and a past Dot Collector meeting.
async fn merit_demo(
    tx: &mut WriteTx,
    rng: &mut Seeded,
    org_id: &str,
    ids: &[String],
    now: i64,
) -> Result<(), AppError> {
    const ATTRIBUTES: [&str; 9] = [
        "reliability",
        "creativity",
        "big_picture",
        "attention_to_detail",
        "communication",
        "integrity",
        "open_mindedness",
        "expertise_finance",
        "expertise_engineering",
    ];
    let day = 24 * 3_600_000;
    // Each member's quality (1–10) and each rater's leniency, fixed by the seed.
    let quality: Vec<f64> = (0..ids.len()).map(|_| 3.0 + rng.next(60) as f64 / 10.0).collect();
    let leniency: Vec<f64> = (0..ids.len()).map(|_| rng.next(5) as f64 - 2.0).collect();
    for _ in 0..700 {
        let rater = rng.next(ids.len());
        let ratee = rng.next(ids.len());
        if rater == ratee {
            continue;
        }
        let noise = rng.next(3) as f64 - 1.0;
        let score = (quality[ratee] + leniency[rater] * 0.5 + noise).round().clamp(1.0, 10.0) as i64;
        let attribute = ATTRIBUTES[rng.next(ATTRIBUTES.len())];
        let at = now - (rng.next(90) as i64) * day - rng.next(day as usize) as i64;
        tx.create_dot(&NewDot {
            org_id,
            rater_id: &ids[rater],
            ratee_id: &ids[ratee],
            attribute,
            score,
            context_kind: "task",
            context_id: "",
            comment: "",
            at_ms: at,
        })
        .await?;
    }
    let meeting = tx.create_meeting(org_id, "Autumn planning circle", &ids[0]).await?;
    let circle: Vec<usize> = (0..8).collect();
    for &p in &circle[1..] {
        tx.join_meeting(&meeting, &ids[p]).await?;
    }
    for &rater in &circle {
        for &ratee in &circle {
            if rater == ratee || (ratee != 3 && rng.next(3) == 0) {
                continue;
            }
            // Everyone rates member 3 on big-picture thinking, and the room splits on it.
            let attribute = if ratee == 3 {
                "big_picture"
            } else {
                ["reliability", "communication", "creativity", "big_picture"][rng.next(4)]
            };
            let split = if ratee == 3 && attribute == "big_picture" {
                if rater % 2 == 0 { 2.0 } else { 9.0 }
            } else {
                quality[ratee]
            };
            let score = (split + rng.next(3) as f64 - 1.0).round().clamp(1.0, 10.0) as i64;
            let comment = if score >= 8 { "Kept us on track." } else { "" };
            tx.create_dot(&NewDot {
                org_id,
                rater_id: &ids[rater],
                ratee_id: &ids[ratee],
                attribute,
                score,
                context_kind: "meeting",
                context_id: &meeting,
                comment,
                at_ms: now - 2 * day,
            })
            .await?;
        }
    }
    tx.end_meeting(&meeting).await?;
    Ok(())
}

/// One demo proposal and the phase it should reach.
struct DemoProposal {
    org: usize,
    author: usize,
    title: &'static str,
    body: &'static str,
    domain: &'static str,
    kind: Kind,
    method: VotingMethod,
    weighting: Weighting,
    options: &'static [&'static str],
    effect: Effect,
    secret: bool,
    target: Phase,
    /// When voting opens (for a vote that ran in the past: when it closes, see `past`).
    opens_at: i64,
    closes_at: i64,
    /// How the electorate votes.
    voters: Voters,
}

/// Who votes on a demo proposal, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Voters {
    /// Nobody (yet).
    None,
    /// This share of the eligible members, with random ballots.
    Share(f64),
    /// Everyone votes yes or no: the most believable members, just fewer than half of them but
    /// holding more than half the merit weight, vote yes; the others no. Merit and headcount
    /// then disagree.
    SplitByMerit,
}

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn demo_proposals(now: i64) -> Vec<DemoProposal> {
    let yes_no = VotingMethod::YesNo { threshold: 0.5 };
    let schulze = VotingMethod::Ranked { rule: RankedRule::Schulze };
    let proposal = |org, author, title, body, domain, kind, method| DemoProposal {
        org,
        author,
        title,
        body,
        domain,
        kind,
        method,
        weighting: Weighting::Equal,
        options: &[],
        effect: Effect::None,
        secret: false,
        target: Phase::Executed,
        opens_at: now,
        closes_at: now,
        voters: Voters::None,
    };
    vec![
        DemoProposal {
            weighting: Weighting::Merit,
            effect: Effect::SetPolicy { key: "funnel_rate".into(), value: 0.22 },
            opens_at: now - 14 * DAY,
            closes_at: now - 10 * DAY,
            voters: Voters::Share(0.7),
            ..proposal(
                0,
                1,
                "Raise the funnel to 22% of revenue",
                "The pot needs more for the **winter repairs**. This raises the share of business revenue that flows into the common pot from 20% to 22%.",
                "finance",
                Kind::Policy,
                yes_no.clone(),
            )
        },
        DemoProposal {
            weighting: Weighting::Merit,
            target: Phase::Executed,
            opens_at: now - 9 * DAY,
            closes_at: now - 6 * DAY,
            voters: Voters::SplitByMerit,
            ..proposal(
                0,
                6,
                "Hire a part-time bookkeeper for the pot",
                "The pot's books are kept by volunteers. A bookkeeper, eight hours a week, paid from the pot.\n\nThe members with the strongest finance record are for it; most others would rather keep volunteering. **Decided by merit weights** in finance: see how merit and headcount disagree.",
                "finance",
                Kind::Decision,
                yes_no.clone(),
            )
        },
        DemoProposal {
            weighting: Weighting::Merit,
            options: &["Solar Forge Co-op", "Byte Bakery", "Loop Cycles", "Common Code"],
            target: Phase::Voting,
            opens_at: now - DAY,
            closes_at: now + 2 * DAY,
            voters: Voters::Share(0.45),
            ..proposal(
                0,
                3,
                "Which co-op do we fund next?",
                "Rank the four businesses. The winner gets the next round from the pot.\n\n- Solar Forge wants a second crew\n- Byte Bakery wants an oven\n- Loop Cycles wants cargo bikes\n- Common Code wants a server",
                "finance",
                Kind::Decision,
                schulze.clone(),
            )
        },
        DemoProposal {
            target: Phase::Discussion,
            opens_at: now + DAY,
            closes_at: now + 8 * DAY,
            ..proposal(
                0,
                5,
                "Adopt a four-day week across the commune",
                "Thirty-two hours, same pay, starting in spring. Discussion first: bring numbers.",
                "general",
                Kind::Decision,
                yes_no.clone(),
            )
        },
        DemoProposal {
            effect: Effect::Allocate {
                amount_minor: 4_800_000,
                currency: "EUR".into(),
                recipient: "org:solar-forge".into(),
            },
            target: Phase::Draft,
            opens_at: now + 5 * DAY,
            closes_at: now + 12 * DAY,
            ..proposal(
                0,
                0,
                "Community solar, phase two",
                "Draft: 40 more panels on the school roof. Numbers to follow. A large share of the pot, so the floors are higher: a longer vote, a higher quorum, a two-thirds-leaning majority.",
                "energy",
                Kind::Allocation,
                yes_no.clone(),
            )
        },
        DemoProposal {
            secret: true,
            target: Phase::Failed,
            opens_at: now - 20 * DAY,
            closes_at: now - 17 * DAY,
            voters: Voters::Share(0.6),
            ..proposal(
                0,
                8,
                "Rename the commune to Neon Delta",
                "Consent vote: object if you cannot live with it.",
                "general",
                Kind::Decision,
                VotingMethod::Consent { objection_limit: 0.1 },
            )
        },
        DemoProposal {
            target: Phase::Cancelled,
            opens_at: now + 2 * DAY,
            closes_at: now + 5 * DAY,
            ..proposal(
                0,
                9,
                "Buy a second delivery van",
                "Withdrawn: Loop Cycles' cargo bikes do the job.",
                "logistics",
                Kind::Decision,
                yes_no.clone(),
            )
        },
        DemoProposal {
            options: &["Rye and caraway", "Walnut", "Black garlic", "Pumpkin seed"],
            target: Phase::Voting,
            opens_at: now - 2 * DAY,
            closes_at: now + 3 * HOUR,
            voters: Voters::Share(0.6),
            ..proposal(
                2,
                1,
                "New sourdough flavours for winter",
                "Approve every flavour you would buy.",
                "food",
                Kind::Decision,
                VotingMethod::Approval,
            )
        },
        DemoProposal {
            options: &["Old Town", "Harbour", "Riverside", "Hillcrest"],
            target: Phase::Voting,
            opens_at: now - HOUR,
            closes_at: now + 4 * DAY,
            voters: Voters::Share(0.5),
            ..proposal(
                3,
                1,
                "Where should the cargo bikes go first?",
                "Quadratic vote: 25 credits each; 5 votes on one option cost all 25.",
                "logistics",
                Kind::Decision,
                VotingMethod::Quadratic { credits: 25 },
            )
        },
        DemoProposal {
            effect: Effect::Elect { role: "steward".into(), seats: 1 },
            target: Phase::Voting,
            opens_at: now - 6 * HOUR,
            closes_at: now + 3 * DAY,
            voters: Voters::Share(0.4),
            ..proposal(
                3,
                2,
                "A second steward for Loop Cycles",
                "Approve whoever you would trust with the books. The author is one of the candidates, so this proposal is marked as benefiting its author and their own ballot does not count toward the quorum.",
                "logistics",
                Kind::Election,
                VotingMethod::Approval,
            )
        },
        DemoProposal {
            options: &["SunCoop", "Photon & Sons", "Helio Works"],
            opens_at: now - 30 * DAY,
            closes_at: now - 27 * DAY,
            voters: Voters::Share(0.8),
            ..proposal(
                1,
                1,
                "Score the panel suppliers",
                "0 is never again, 5 is perfect.",
                "energy",
                Kind::Decision,
                VotingMethod::Score,
            )
        },
        DemoProposal {
            options: &["Backups", "Monitoring", "A second server"],
            effect: Effect::Budget { total_minor: 120_000, currency: "EUR".into() },
            opens_at: now - 9 * DAY,
            closes_at: now - 5 * DAY,
            voters: Voters::Share(0.8),
            ..proposal(
                4,
                0,
                "Split the hosting budget",
                "Allocate 100 points across what we run; the budget moves from our wallet into the round when this passes.",
                "engineering",
                Kind::Budget,
                VotingMethod::Points { budget: 100 },
            )
        },
        DemoProposal {
            options: &["Endorse", "Stay neutral"],
            target: Phase::Voting,
            opens_at: now - 3 * HOUR,
            closes_at: now + 2 * DAY,
            voters: Voters::Share(0.5),
            ..proposal(
                5,
                0,
                "Endorse the river clean-up campaign",
                "The chapter backs the campaign publicly.",
                "ecology",
                Kind::Endorsement,
                VotingMethod::SingleChoice,
            )
        },
    ]
}

/// A random ballot of the kind `method` takes.
fn demo_ballot(rng: &mut Seeded, method: &VotingMethod, options: usize) -> Ballot {
    let mut order: Vec<usize> = (0..options).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.next(i + 1));
    }
    match method {
        VotingMethod::YesNo { .. } => {
            Ballot::YesNo { stance: [Stance::Yes, Stance::Yes, Stance::No, Stance::Abstain][rng.next(4)] }
        }
        VotingMethod::Consent { .. } => Ballot::Consent { object: rng.next(4) == 0 },
        VotingMethod::SingleChoice => Ballot::Single { option: rng.next(options.max(1)).min(rng.next(options.max(1))) },
        VotingMethod::Approval => Ballot::Approval { options: order[..1 + rng.next(options.max(1))].to_vec() },
        VotingMethod::Score => Ballot::Score { scores: (0..options).map(|_| Some(rng.next(6) as u8)).collect() },
        VotingMethod::Ranked { .. } => Ballot::Ranked {
            ranking: order[..2 + rng.next(options.saturating_sub(1).max(1))].iter().map(|&o| vec![o]).collect(),
        },
        VotingMethod::Quadratic { credits } => {
            let mut votes = vec![0u32; options];
            let mut left = *credits;
            for &o in &order {
                let v = (rng.next(4) as u32).min((left as f64).sqrt() as u32);
                votes[o] = v;
                left -= v * v;
            }
            Ballot::Quadratic { votes }
        }
        VotingMethod::Points { budget } => {
            let mut points = vec![0u32; options];
            let mut left = *budget;
            for &o in &order[..options.saturating_sub(1)] {
                let p = rng.next(left as usize + 1) as u32;
                points[o] = p;
                left -= p;
            }
            if let Some(&last) = order.last() {
                points[last] = left;
            }
            Ballot::Points { points }
        }
    }
}

/// What happens at one instant of the demo's season.
enum Event {
    /// The scheduler's own tick: it opens, closes, counts and executes what is due.
    Tick,
    /// A member of an electorate votes on proposal `.0` (an index into the season).
    Vote(usize, String),
}

/// The demo as members live it: proposals drafted, published and cancelled through the real
/// operations at their own past instants, ballots cast through the real checks while each vote
/// was open, and the scheduler's own ticks opening, counting and executing them on time. Every
/// proposal meets the floors: where a spec asks for less, it is raised to them (as an author would).
async fn governance_season(
    state: &AppState,
    rng: &mut Seeded,
    orgs: &[Staffed],
    members: &[commune_store::Member],
    now: i64,
) -> Result<(), AppError> {
    use crate::caller::{Caller, SignedIn};
    let caller_of = |id: &str| -> Result<Caller, AppError> {
        let m =
            members.iter().find(|m| m.id == id).ok_or_else(|| AppError::internal(anyhow::anyhow!("demo member")))?;
        Ok(// The demo acts as plain members: nothing it does needs stewardship of the commune.
        Caller::Member(SignedIn { member: m.clone(), session_hash: String::new(), csrf: String::new(), instance_steward: false }))
    };
    let specs = demo_proposals(now);
    let mut ids: Vec<Option<String>> = vec![None; specs.len()];
    let mut events: Vec<(i64, usize, Event)> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let (org, staff) = &orgs[spec.org];
        let author = caller_of(&staff[spec.author % staff.len()])?;
        let floors = crate::governance::floors_now(state, org, spec.kind, &spec.effect).await?;
        let voting_ms = (spec.closes_at - spec.opens_at).max(floors.voting_ms);
        // A vote of the past keeps its closing time; one still to come keeps its opening.
        let (opens, closes) = if spec.target.is_final() && spec.target != Phase::Cancelled {
            (spec.closes_at - voting_ms, spec.closes_at)
        } else {
            (spec.opens_at, spec.opens_at + voting_ms)
        };
        let published = (opens - floors.discussion_ms - HOUR).min(now - 60_000);
        let input = crate::governance::ProposalInput {
            title: spec.title.into(),
            body: spec.body.into(),
            domain: spec.domain.into(),
            kind: spec.kind.as_str().into(),
            method: raised(&spec.method, &floors),
            weighting: spec.weighting.as_str().into(),
            quorum: Some((0.2f64).max(floors.quorum_ppm as f64 / 1e6)),
            options: spec.options.iter().map(|o| (*o).to_owned()).collect(),
            secret: spec.secret,
            voting_opens_at: opens,
            voting_closes_at: closes,
            effect: spec.effect.clone(),
            form_key: None,
        };
        let mut input = input;
        if matches!(spec.effect, Effect::Elect { .. }) {
            // The candidates: the author and the next two of the staff, by handle.
            let at = spec.author % staff.len();
            input.options = (0..3)
                .filter_map(|k| members.iter().find(|m| m.id == staff[(at + k) % staff.len()]))
                .map(|m| m.handle.clone())
                .collect();
        }
        let slug = &org.slug;
        let p = crate::governance::create_at(state, &author, slug, &input, published - HOUR).await?;
        ids[i] = Some(p.id.clone());
        match spec.target {
            Phase::Draft => continue,
            Phase::Cancelled => {
                crate::governance::publish_at(state, &author, &p.id, published).await?;
                crate::governance::cancel_at(state, &author, &p.id, published + HOUR).await?;
                continue;
            }
            _ => {
                crate::governance::publish_at(state, &author, &p.id, published).await?;
            }
        }
        events.push((opens, 0, Event::Tick));
        events.push((closes, 0, Event::Tick));
        events.push((closes + 1_000, 0, Event::Tick));
        let share = match spec.voters {
            Voters::None => 0.0,
            Voters::Share(share) => share,
            Voters::SplitByMerit => 1.0,
        };
        let last_vote = closes.min(now) - 60_000;
        for voter in staff {
            if (rng.next(1000) as f64) < share * 1000.0 && last_vote > opens {
                let at = opens + 60_000 + rng.next((last_vote - opens - 60_000).max(1) as usize) as i64;
                events.push((at, 1, Event::Vote(i, voter.clone())));
            }
        }
    }
    // Ticks before votes at one instant; the season's order is fixed by the seed.
    events.sort_by_key(|(at, order, _)| (*at, *order));
    let mut majorities: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (at, _, event) in events {
        if at > now {
            continue;
        }
        match event {
            Event::Tick => {
                crate::scheduler::tick(state, at).await?;
            }
            Event::Vote(i, voter) => {
                let (spec, Some(id)) = (&specs[i], &ids[i]) else { continue };
                let ballot = match spec.voters {
                    Voters::SplitByMerit => {
                        // The electorate's weights are fixed once voting opens: read them once.
                        if !majorities.contains_key(id) {
                            majorities.insert(id.clone(), merit_majority(state, id).await?);
                        }
                        let yes = majorities.get(id).is_some_and(|m| m.contains(&voter));
                        Ballot::YesNo { stance: if yes { Stance::Yes } else { Stance::No } }
                    }
                    _ => {
                        let options = state.store.proposal(id).await?.map_or(0, |p| p.options.len());
                        demo_ballot(rng, &spec.method, options)
                    }
                };
                crate::governance::cast_at(state, &caller_of(&voter)?, id, &ballot, at).await?;
            }
        }
    }
    Ok(())
}

/// A method's parameters raised to the floors (a yes/no threshold to the support floor, a
/// consent vote's objection limit down to what the floor allows).
fn raised(method: &VotingMethod, floors: &commune_domain::governance::floors::Floors) -> VotingMethod {
    let support = floors.support_ppm as f64 / 1e6;
    match method {
        VotingMethod::YesNo { threshold } => VotingMethod::YesNo { threshold: threshold.max(support) },
        VotingMethod::Consent { objection_limit } => {
            VotingMethod::Consent { objection_limit: objection_limit.min(1.0 - support) }
        }
        other => other.clone(),
    }
}

/// The most believable members of a proposal's electorate — the smallest group by merit weight
/// that holds more than half of it: they vote yes, everyone else no.
async fn merit_majority(state: &AppState, proposal_id: &str) -> Result<Vec<String>, AppError> {
    let mut weights = state.store.weights(proposal_id).await?;
    weights.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let total: u64 = weights.iter().map(|w| w.2).sum();
    let mut held = 0;
    let mut yes = Vec::new();
    for (member, _, merit) in weights {
        if 2 * held > total {
            break;
        }
        held += merit;
        yes.push(member);
    }
    Ok(yes)
}
