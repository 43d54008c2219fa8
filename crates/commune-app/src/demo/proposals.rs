//! The demo season's proposals, as data: who drafts what, when, and how members vote.

use super::people::{DAY, HOUR};
use commune_domain::governance::methods::{RankedRule, VotingMethod};
use commune_domain::governance::proposal::{Effect, Kind, Phase, Weighting};

/// One demo proposal and the phase it should reach.
pub(crate) struct DemoProposal {
    pub(crate) org: usize,
    pub(crate) author: usize,
    pub(crate) title: &'static str,
    pub(crate) body: &'static str,
    pub(crate) domain: &'static str,
    pub(crate) kind: Kind,
    pub(crate) method: VotingMethod,
    pub(crate) weighting: Weighting,
    pub(crate) options: &'static [&'static str],
    pub(crate) effect: Effect,
    pub(crate) secret: bool,
    pub(crate) target: Phase,
    /// When voting opens (for a vote that ran in the past: when it closes, see `past`).
    pub(crate) opens_at: i64,
    pub(crate) closes_at: i64,
    /// How the electorate votes.
    pub(crate) voters: Voters,
}

/// Who votes on a demo proposal, and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Voters {
    /// Nobody (yet).
    None,
    /// This share of the eligible members, with random ballots.
    Share(f64),
    /// Everyone votes yes or no: the most believable members, just fewer than half of them but
    /// holding more than half the merit weight, vote yes; the others no. Merit and headcount
    /// then disagree.
    SplitByMerit,
}

pub(crate) fn demo_proposals(now: i64) -> Vec<DemoProposal> {
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
            options: &["Parks", "Repairs", "Learning"],
            effect: Effect::Budget { total_minor: 80_000, currency: "EUR".into() },
            opens_at: now - 6 * DAY,
            closes_at: now - 2 * DAY,
            voters: Voters::Share(0.8),
            ..proposal(
                0,
                2,
                "A fund for neighbourhood projects",
                "800 EUR that members spend in a budgeting round: anyone proposes, everyone votes.",
                "ecology",
                Kind::Budget,
                VotingMethod::Points { budget: 100 },
            )
        },
        DemoProposal {
            options: &["Spring", "Summer", "Autumn"],
            effect: Effect::Budget { total_minor: 50_000, currency: "EUR".into() },
            opens_at: now - 6 * DAY,
            closes_at: now - 2 * DAY,
            voters: Voters::Share(0.8),
            ..proposal(
                0,
                3,
                "A matching pot for members' gifts",
                "500 EUR that matches what members give to each other's projects, broad support first.",
                "finance",
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
