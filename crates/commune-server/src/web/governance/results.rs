//! Results as the proposal page shows them: both weightings, shares, margins and rounds, and
//! whether merit and headcount disagree.

use super::form::number;
use crate::error::AppError;
use commune_app::governance::{self};
use commune_app::state::AppState;
use commune_domain::governance::count::ModeTally;
use commune_domain::governance::methods::{RankedRule, VotingMethod};
use commune_domain::governance::weight;
use commune_store::Proposal;

/// One row of the results chart: an option in both modes.
pub struct ResultRow {
    pub(crate) label: String,
    pub(crate) equal: String,
    pub(crate) merit: String,
    /// Percent of the votes cast (or of all points), as shown beside the number.
    pub(crate) equal_share: String,
    pub(crate) merit_share: String,
    pub(crate) equal_pct: i64,
    pub(crate) merit_pct: i64,
    pub(crate) equal_wins: bool,
    pub(crate) merit_wins: bool,
}

/// A pairwise margin table or runoff rounds of one mode.
pub struct Detail {
    pub(crate) mode: &'static str,
    /// Column headings (options or rounds).
    pub(crate) head: Vec<String>,
    /// Row label and cells.
    pub(crate) rows: Vec<(String, Vec<String>)>,
}

/// A motion's decisive measure in one mode, drawn against its threshold: support (yes of yes
/// and no) against the threshold, or objections against the objection limit.
pub struct Meter {
    pub(crate) mode: &'static str,
    pub(crate) what: &'static str,
    pub(crate) value_pct: f64,
    pub(crate) threshold_pct: f64,
    /// "more than 50% needed", "fails at 10%".
    pub(crate) rule: String,
    pub(crate) good: bool,
}

pub struct ResultsView {
    pub(crate) primary: String,
    /// Whether the deciding count passed (or chose a winner).
    pub(crate) passed: bool,
    pub(crate) meters: Vec<Meter>,
    /// How the bars are scaled, said under the chart.
    pub(crate) scale_note: &'static str,
    pub(crate) verdict: String,
    pub(crate) summary: String,
    pub(crate) differ: bool,
    /// What each mode decided, in words, for the disagreement banner.
    pub(crate) equal_says: String,
    pub(crate) merit_says: String,
    /// What the percentages are of.
    pub(crate) share_of: &'static str,
    pub(crate) rows: Vec<ResultRow>,
    pub(crate) details: Vec<Detail>,
    pub(crate) received: Vec<(String, String)>,
    /// Delegated and lost votes (totals only, for a secret proposal).
    pub(crate) delegated: String,
    pub(crate) lost: String,
    pub(crate) receipts: Vec<String>,
}

pub(crate) fn labels(p: &Proposal) -> Vec<String> {
    match p.method {
        VotingMethod::YesNo { .. } => vec!["yes".into(), "no".into(), "abstain".into()],
        VotingMethod::Consent { .. } => vec!["consent".into(), "object".into()],
        _ => p.options.clone(),
    }
}

/// What a mode decided, in words.
pub(crate) fn verdict_of(p: &Proposal, t: &commune_domain::governance::methods::Tally) -> String {
    match (&p.method, t.passed) {
        (_, false) if !t.quorum_met => "no decision: quorum not reached".to_owned(),
        (VotingMethod::YesNo { .. } | VotingMethod::Consent { .. }, true) => "passed".to_owned(),
        (VotingMethod::YesNo { .. } | VotingMethod::Consent { .. }, false) => "did not pass".to_owned(),
        (_, _) => {
            let names: Vec<&str> = t.winners.iter().filter_map(|&w| p.options.get(w).map(String::as_str)).collect();
            if names.is_empty() { "no winner".to_owned() } else { format!("winner: {}", names.join(" and ")) }
        }
    }
}

/// Percentages of what: the votes cast for choices that split the votes, all points for
/// methods that hand out points, nothing for pairwise counts (their margins say more).
pub(crate) fn share_basis(method: &VotingMethod) -> Option<&'static str> {
    match method {
        VotingMethod::YesNo { .. }
        | VotingMethod::Consent { .. }
        | VotingMethod::SingleChoice
        | VotingMethod::Approval => Some("of the votes cast"),
        VotingMethod::Ranked { rule: RankedRule::Plurality | RankedRule::Irv } => Some("of the votes cast"),
        VotingMethod::Score | VotingMethod::Quadratic { .. } | VotingMethod::Points { .. } => Some("of all points"),
        VotingMethod::Ranked { rule: RankedRule::Borda } => Some("of all Borda points"),
        VotingMethod::Ranked { .. } => None,
    }
}

pub(crate) fn percent_text(part: f64, whole: f64) -> String {
    if whole > 0.0 { format!("{:.1}%", part / whole * 100.0) } else { "–".to_owned() }
}

pub(crate) fn details_of(
    p: &Proposal,
    mode: &'static str,
    t: &commune_domain::governance::methods::Tally,
) -> Option<Detail> {
    if !t.margins.is_empty() {
        let rows = p
            .options
            .iter()
            .zip(&t.margins)
            .map(|(label, row)| {
                (
                    label.clone(),
                    row.iter().map(|m| if *m > 0.0 { format!("+{}", number(*m)) } else { number(*m) }).collect(),
                )
            })
            .collect();
        return Some(Detail { mode, head: p.options.clone(), rows });
    }
    if !t.rounds.is_empty() {
        let head = (1..=t.rounds.len()).map(|r| format!("round {r}")).collect();
        let rows = p
            .options
            .iter()
            .enumerate()
            .map(|(i, label)| {
                let cells = t
                    .rounds
                    .iter()
                    .map(|round| round.get(i).copied().flatten().map_or("out".to_owned(), number))
                    .collect();
                (label.clone(), cells)
            })
            .collect();
        return Some(Detail { mode, head, rows });
    }
    None
}

pub(crate) async fn results_view(
    state: &AppState,
    p: &Proposal,
    r: governance::Results,
) -> Result<ResultsView, AppError> {
    let primary: &ModeTally = if r.primary_mode == "merit" { &r.merit } else { &r.equal };
    let t = &primary.tally;
    let verdict = verdict_of(p, t);
    let mut summary = format!(
        "{} of {} eligible voted ({:.0}% of the weight; quorum {:.0}%, counted {} voters toward it)",
        t.voters,
        p_eligible(t),
        t.participation * 100.0,
        p.quorum * 100.0,
        t.quorum_voters
    );
    if let Some(s) = t.support {
        summary.push_str(&format!(", support {:.1}%", s * 100.0));
    }
    let basis = share_basis(&p.method);
    let whole = |tally: &commune_domain::governance::methods::Tally| match basis {
        Some("of the votes cast") => weight::votes(tally.cast_weight),
        _ => tally.scores.iter().sum(),
    };
    let (we, wm) = (whole(&r.equal.tally), whole(&r.merit.tally));
    // Bars are shares of the whole when there is one; pairwise counts (no whole) scale to the
    // largest, and the note under the chart says so.
    let max_of = |scores: &[f64]| scores.iter().copied().map(f64::abs).fold(0.0, f64::max);
    let (me, mm) = match basis {
        Some(_) => (we, wm),
        None => (max_of(&r.equal.tally.scores), max_of(&r.merit.tally.scores)),
    };
    let pct = |x: f64, whole: f64| if whole > 0.0 { ((x.abs() / whole) * 100.0).round().min(100.0) as i64 } else { 0 };
    let rows = labels(p)
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let e = r.equal.tally.scores.get(i).copied().unwrap_or(0.0);
            let m = r.merit.tally.scores.get(i).copied().unwrap_or(0.0);
            ResultRow {
                label,
                equal: number(e),
                merit: number(m),
                equal_share: basis.map_or_else(String::new, |_| percent_text(e, we)),
                merit_share: basis.map_or_else(String::new, |_| percent_text(m, wm)),
                equal_pct: pct(e, me),
                merit_pct: pct(m, mm),
                equal_wins: r.equal.tally.winners.contains(&i),
                merit_wins: r.merit.tally.winners.contains(&i),
            }
        })
        .collect();
    let details = [("equal weights", &r.equal), ("merit weights", &r.merit)]
        .into_iter()
        .filter_map(|(mode, m)| details_of(p, mode, &m.tally))
        .collect();
    let mut received = Vec::new();
    for (id, w) in &primary.received {
        let handle = state.store.member_by_id(id).await?.map_or_else(|| id.clone(), |m| m.handle);
        received.push((handle, number(weight::votes(*w))));
    }
    let meters = [("One member, one vote", &r.equal.tally), ("Merit weights", &r.merit.tally)]
        .into_iter()
        .filter_map(|(mode, t)| meter(&p.method, mode, t))
        .collect();
    Ok(ResultsView {
        passed: t.passed,
        meters,
        scale_note: if basis.is_some() {
            "Bars are shares of the whole."
        } else {
            "Bars compare each option with the strongest; the margins below say by how much."
        },
        primary: mode_words(&r.primary_mode).to_owned(),
        verdict: capitalised(&verdict),
        summary,
        differ: r.modes_differ,
        equal_says: verdict_of(p, &r.equal.tally),
        merit_says: verdict_of(p, &r.merit.tally),
        share_of: basis.unwrap_or(""),
        rows,
        details,
        received,
        delegated: number(weight::votes(primary.delegated_weight)),
        lost: number(weight::votes(primary.lost_weight)),
        receipts: r.receipts,
    })
}

/// A weighting in words.
pub(crate) fn mode_words(mode: &str) -> &'static str {
    if mode == "merit" { "merit weights (believability in the proposal's domain)" } else { "one member, one vote" }
}

/// The decisive measure of a motion in one mode; none for choices among options.
fn meter(method: &VotingMethod, mode: &'static str, t: &commune_domain::governance::methods::Tally) -> Option<Meter> {
    match method {
        VotingMethod::YesNo { threshold } => {
            let support = t.support.unwrap_or(0.0) * 100.0;
            Some(Meter {
                mode,
                what: "Support (yes of yes + no)",
                value_pct: support,
                threshold_pct: threshold * 100.0,
                rule: format!("passes above {:.0}%", threshold * 100.0),
                good: t.passed,
            })
        }
        VotingMethod::Consent { objection_limit } => {
            let total: f64 = t.scores.iter().sum();
            let objections = if total > 0.0 { t.scores.get(1).copied().unwrap_or(0.0) / total * 100.0 } else { 0.0 };
            Some(Meter {
                mode,
                what: "Objections",
                value_pct: objections,
                threshold_pct: objection_limit * 100.0,
                rule: format!("fails at {:.0}% objections", objection_limit * 100.0),
                good: t.passed,
            })
        }
        _ => None,
    }
}

/// The eligible electorate, in votes (every member's equal weight is one vote).
pub(crate) fn p_eligible(t: &commune_domain::governance::methods::Tally) -> String {
    number(weight::votes(t.eligible_weight))
}

pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
