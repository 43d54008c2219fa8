//! The governance season: proposals drafted, published and voted through the real operations
//! at past instants, opened, counted and executed by the scheduler's own ticks.

use super::people::{HOUR, Seeded, Staffed};
use super::proposals::{DemoProposal, Voters, demo_proposals};
use crate::caller::{Caller, SignedIn};
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::governance::methods::{Ballot, Stance, VotingMethod};
use commune_domain::governance::proposal::{Effect, Phase};

/// A random ballot of the kind `method` takes.
pub(crate) fn demo_ballot(rng: &mut Seeded, method: &VotingMethod, options: usize) -> Ballot {
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
pub(crate) enum Event {
    /// The scheduler's own tick: it opens, closes, counts and executes what is due.
    Tick,
    /// A member of an electorate votes on proposal `.0` (an index into the season).
    Vote(usize, String),
}

/// The demo as members live it: proposals drafted, published and cancelled through the real
/// operations at their own past instants, ballots cast through the real checks while each vote
/// was open, and the scheduler's own ticks opening, counting and executing them on time. Every
/// proposal meets the floors: where a spec asks for less, it is raised to them (as an author would).
pub(crate) async fn governance_season(
    state: &AppState,
    rng: &mut Seeded,
    orgs: &[Staffed],
    members: &[commune_store::Member],
    now: i64,
) -> Result<(), AppError> {
    let specs = demo_proposals(now);
    let mut ids: Vec<Option<String>> = vec![None; specs.len()];
    let mut events: Vec<(i64, usize, Event)> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let (org, staff) = &orgs[spec.org];
        let author = member_caller(members, &staff[spec.author % staff.len()])?;
        let (id, window) = propose(state, &author, org, staff, members, spec, now).await?;
        ids[i] = Some(id);
        if let Some((opens, closes)) = window {
            events.extend([(opens, 0, Event::Tick), (closes, 0, Event::Tick), (closes + 1_000, 0, Event::Tick)]);
            events.extend(votes(rng, i, spec, staff, opens, closes.min(now) - 60_000));
        }
    }
    // Ticks before votes at one instant; the season's order is fixed by the seed.
    events.sort_by_key(|(at, order, _)| (*at, *order));
    play(state, rng, &specs, &ids, members, events, now).await
}

/// A demo member as a caller. The demo acts as plain members: nothing it does needs stewardship
/// of the commune.
fn member_caller(members: &[commune_store::Member], id: &str) -> Result<Caller, AppError> {
    let m = members.iter().find(|m| m.id == id).ok_or_else(|| AppError::internal(anyhow::anyhow!("demo member")))?;
    Ok(Caller::Member(SignedIn {
        member: m.clone(),
        session_hash: String::new(),
        csrf: String::new(),
        instance_steward: false,
        signed_in_at: 0,
    }))
}

/// Drafts one proposal of the season at a past instant, meeting the floors in force, and
/// publishes (or cancels) it as the season says: its id, and its voting window when it is put to
/// the vote.
async fn propose(
    state: &AppState,
    author: &Caller,
    org: &commune_store::Org,
    staff: &[String],
    members: &[commune_store::Member],
    spec: &DemoProposal,
    now: i64,
) -> Result<(String, Option<(i64, i64)>), AppError> {
    let floors = crate::governance::floors_now(state, org, spec.kind, &spec.effect).await?;
    let voting_ms = (spec.closes_at - spec.opens_at).max(floors.voting_ms);
    // A vote of the past keeps its closing time; one still to come keeps its opening.
    let (opens, closes) = if spec.target.is_final() && spec.target != Phase::Cancelled {
        (spec.closes_at - voting_ms, spec.closes_at)
    } else {
        (spec.opens_at, spec.opens_at + voting_ms)
    };
    let published = (opens - floors.discussion_ms - HOUR).min(now - 60_000);
    let mut input = crate::governance::ProposalInput {
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
    if matches!(spec.effect, Effect::Elect { .. }) {
        // The candidates: the author and the next two of the staff, by handle.
        let at = spec.author % staff.len();
        input.options = (0..3)
            .filter_map(|k| members.iter().find(|m| m.id == staff[(at + k) % staff.len()]))
            .map(|m| m.handle.clone())
            .collect();
    }
    let p = crate::governance::create_at(state, author, &org.slug, &input, published - HOUR).await?;
    if spec.target == Phase::Draft {
        return Ok((p.id, None));
    }
    crate::governance::publish_at(state, author, &p.id, published).await?;
    if spec.target == Phase::Cancelled {
        crate::governance::cancel_at(state, author, &p.id, published + HOUR).await?;
        return Ok((p.id, None));
    }
    Ok((p.id, Some((opens, closes))))
}

/// When each of the staff votes on proposal `i` (a seeded share of them, inside its window).
fn votes(
    rng: &mut Seeded,
    i: usize,
    spec: &DemoProposal,
    staff: &[String],
    opens: i64,
    last_vote: i64,
) -> Vec<(i64, usize, Event)> {
    let share = match spec.voters {
        Voters::None => 0.0,
        Voters::Share(share) => share,
        Voters::SplitByMerit => 1.0,
    };
    let mut out = Vec::new();
    for voter in staff {
        if (rng.next(1000) as f64) < share * 1000.0 && last_vote > opens {
            let at = opens + 60_000 + rng.next((last_vote - opens - 60_000).max(1) as usize) as i64;
            out.push((at, 1, Event::Vote(i, voter.clone())));
        }
    }
    out
}

/// Plays the season's events up to `now`: the scheduler's own ticks, and ballots cast through
/// the voting operation at their instants.
async fn play(
    state: &AppState,
    rng: &mut Seeded,
    specs: &[DemoProposal],
    ids: &[Option<String>],
    members: &[commune_store::Member],
    events: Vec<(i64, usize, Event)>,
    now: i64,
) -> Result<(), AppError> {
    let mut majorities: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (at, _, event) in events.into_iter().filter(|(at, ..)| *at <= now) {
        let (i, voter) = match event {
            Event::Tick => {
                crate::scheduler::tick(state, at).await?;
                continue;
            }
            Event::Vote(i, voter) => (i, voter),
        };
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
        crate::governance::cast_at(state, &member_caller(members, &voter)?, id, &ballot, at).await?;
    }
    Ok(())
}

/// A method's parameters raised to the floors (a yes/no threshold to the support floor, a
/// consent vote's objection limit down to what the floor allows).
pub(crate) fn raised(method: &VotingMethod, floors: &commune_domain::governance::floors::Floors) -> VotingMethod {
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
pub(crate) async fn merit_majority(state: &AppState, proposal_id: &str) -> Result<Vec<String>, AppError> {
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
