//! Seasons of competitive altruism: chapters (and countries, as groups of chapters) race on what
//! they give — revenue funnelled to the pot, impact delivered, lessons mastered, participation,
//! co-ops founded — each per member so small chapters can win; the weights are policies the
//! commune votes on; a shared goal sits above the leaderboard; two chapters may pledge a
//! challenge that both win only if both deliver. Everything here is arithmetic on counts the
//! shell derives from the ledger and the audit log, so a finished season can be recomputed.

use crate::validation::Invalid;
use std::collections::BTreeMap;

/// What a chapter gives, the five measures in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Revenue of the chapter's businesses funnelled to the pot, in minor units.
    Revenue,
    /// Impact of the tasks its members finished: the mean of members' impact scores (0–5) per
    /// task, in thousandths.
    Impact,
    /// Skills its members mastered (crossed the mastery threshold) during the season.
    Lessons,
    /// Ballots its members cast.
    Participation,
    /// Co-ops (businesses) founded in its place.
    Coops,
}

impl Measure {
    pub const ALL: [Measure; 5] =
        [Measure::Revenue, Measure::Impact, Measure::Lessons, Measure::Participation, Measure::Coops];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Revenue => "revenue",
            Measure::Impact => "impact",
            Measure::Lessons => "lessons",
            Measure::Participation => "participation",
            Measure::Coops => "coops",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Measure::Revenue => "revenue to the pot",
            Measure::Impact => "impact delivered",
            Measure::Lessons => "lessons mastered",
            Measure::Participation => "ballots cast",
            Measure::Coops => "co-ops founded",
        }
    }

    /// The policy that weighs it in the score.
    pub fn policy(self) -> &'static str {
        match self {
            Measure::Revenue => "season_weight_revenue",
            Measure::Impact => "season_weight_impact",
            Measure::Lessons => "season_weight_lessons",
            Measure::Participation => "season_weight_participation",
            Measure::Coops => "season_weight_coops",
        }
    }

    pub fn parse(field: &'static str, raw: &str) -> Result<Measure, Invalid> {
        let raw = raw.trim().to_ascii_lowercase();
        Measure::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| Invalid::new(field, "one of revenue, impact, lessons, participation, coops"))
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The five amounts, in [`Measure::ALL`]'s order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Given(pub [u64; 5]);

impl Given {
    pub fn get(&self, m: Measure) -> u64 {
        self.0[m.index()]
    }

    pub fn add(&mut self, m: Measure, amount: u64) {
        self.0[m.index()] = self.0[m.index()].saturating_add(amount);
    }

    fn plus(mut self, other: &Given) -> Given {
        for m in Measure::ALL {
            self.add(m, other.get(m));
        }
        self
    }
}

/// A competitor: a chapter, or a country summing its chapters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Team {
    pub id: String,
    pub name: String,
    /// Its country's two-letter code (empty when the chapter has no place).
    pub country: String,
    /// Members at the season's end.
    pub members: u64,
    pub given: Given,
}

/// The weights of the five measures (each 0–10; all zero counts as all equal).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights(pub [f64; 5]);

impl Default for Weights {
    fn default() -> Self {
        Weights([1.0; 5])
    }
}

/// One line of a leaderboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Standing {
    pub rank: usize,
    pub id: String,
    pub name: String,
    pub country: String,
    pub members: u64,
    pub given: Given,
    /// Each measure per member.
    pub per_member: [f64; 5],
    /// Each per-member value over the best one (the leader of a measure has 1).
    pub relative: [f64; 5],
    /// The weighted mean of `relative`, in parts per million.
    pub score_ppm: u64,
}

/// Ranks teams by the weighted mean of their per-member measures, each relative to the best
/// team's, so a chapter of five can beat a chapter of five hundred. Ties share a rank.
pub fn standings(teams: &[Team], weights: &Weights) -> Vec<Standing> {
    let per_member = |t: &Team| -> [f64; 5] {
        let mut out = [0.0; 5];
        for m in Measure::ALL {
            if t.members > 0 {
                out[m.index()] = t.given.get(m) as f64 / t.members as f64;
            }
        }
        out
    };
    let mut best = [0.0f64; 5];
    for t in teams {
        for (b, v) in best.iter_mut().zip(per_member(t)) {
            *b = b.max(v);
        }
    }
    let total_weight: f64 = weights.0.iter().map(|w| w.clamp(0.0, 10.0)).sum();
    let w: [f64; 5] = if total_weight > 0.0 { weights.0.map(|w| w.clamp(0.0, 10.0)) } else { [1.0; 5] };
    let sum_w: f64 = w.iter().sum();
    let mut out: Vec<Standing> = teams
        .iter()
        .map(|t| {
            let pm = per_member(t);
            let mut relative = [0.0; 5];
            for i in 0..5 {
                relative[i] = if best[i] > 0.0 { pm[i] / best[i] } else { 0.0 };
            }
            let score = relative.iter().zip(w).map(|(r, w)| r * w).sum::<f64>() / sum_w;
            Standing {
                rank: 0,
                id: t.id.clone(),
                name: t.name.clone(),
                country: t.country.clone(),
                members: t.members,
                given: t.given,
                per_member: pm,
                relative,
                score_ppm: (score * 1_000_000.0).round() as u64,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score_ppm.cmp(&a.score_ppm).then(a.name.cmp(&b.name)).then(a.id.cmp(&b.id)));
    for i in 0..out.len() {
        out[i].rank = if i > 0 && out[i].score_ppm == out[i - 1].score_ppm { out[i - 1].rank } else { i + 1 };
    }
    out
}

/// Countries as groups of chapters: members and amounts summed; chapters without a place are
/// left out.
pub fn countries(chapters: &[Team], name_of: impl Fn(&str) -> String) -> Vec<Team> {
    let mut by: BTreeMap<&str, Team> = BTreeMap::new();
    for c in chapters.iter().filter(|c| !c.country.is_empty()) {
        let t = by.entry(&c.country).or_insert_with(|| Team {
            id: c.country.clone(),
            name: name_of(&c.country),
            country: c.country.clone(),
            members: 0,
            given: Given::default(),
        });
        t.members += c.members;
        t.given = t.given.plus(&c.given);
    }
    by.into_values().collect()
}

/// The goal everyone shares: one measure summed over every chapter, against a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Goal {
    pub measure: Measure,
    pub target: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GoalProgress {
    pub reached: u64,
    pub target: u64,
    /// Parts per million of the target, at most 1,000,000.
    pub ppm: u64,
}

pub fn goal_progress(goal: &Goal, teams: &[Team]) -> GoalProgress {
    let reached = teams.iter().fold(0u64, |s, t| s.saturating_add(t.given.get(goal.measure)));
    let ppm = if goal.target == 0 {
        1_000_000
    } else {
        ((u128::from(reached) * 1_000_000 / u128::from(goal.target)).min(1_000_000)) as u64
    };
    GoalProgress { reached, target: goal.target, ppm }
}

/// A challenge between two chapters: each pledges a target of one measure; both win if both
/// deliver, and neither does otherwise.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pledge {
    pub chapter_id: String,
    pub target: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeOutcome {
    /// Still running: each side's progress so far.
    Running,
    BothWon,
    /// At least one side fell short, so neither won.
    NeitherWon,
}

/// Where a challenge stands: each side's amount so far, and the outcome once the season is over.
pub fn challenge(
    measure: Measure,
    pledges: [&Pledge; 2],
    given: impl Fn(&str) -> Given,
    over: bool,
) -> ([u64; 2], ChallengeOutcome) {
    let amounts = pledges.map(|p| given(&p.chapter_id).get(measure));
    let delivered = amounts.iter().zip(pledges).all(|(a, p)| *a >= p.target);
    let outcome = match (over, delivered) {
        (false, _) => ChallengeOutcome::Running,
        (true, true) => ChallengeOutcome::BothWon,
        (true, false) => ChallengeOutcome::NeitherWon,
    };
    (amounts, outcome)
}

/// A season's name, dates and goal, checked: 3–80 characters, at least a week and at most a
/// year long, a positive target.
pub fn check_season(name: &str, start_day: i64, end_day: i64, target: u64) -> Result<String, Invalid> {
    let name = crate::validation::text("name", name, 3, 80, false)?;
    if end_day - start_day < 7 {
        return Err(Invalid::new("ends_on", "a season lasts at least a week"));
    }
    if end_day - start_day > 366 {
        return Err(Invalid::new("ends_on", "a season lasts at most a year"));
    }
    if target == 0 {
        return Err(Invalid::new("goal_target", "the shared goal needs a positive target"));
    }
    Ok(name)
}

/// The results a finished season keeps, recomputable from the same counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Results {
    pub weights: Weights,
    pub chapters: Vec<Standing>,
    pub countries: Vec<Standing>,
    pub goal: GoalProgress,
}

impl Results {
    /// Where a recomputation disagrees with these results, in words: every chapter's and
    /// country's rank, members, amounts and score, and the goal must match exactly (the
    /// per-member ratios are derived from them, and floats read back from JSON may differ in
    /// the last bit, so they are not compared).
    pub fn differences(&self, again: &Results) -> Vec<String> {
        let key = |s: &Standing| (s.id.clone(), s.rank, s.members, s.given, s.score_ppm);
        let mut out = Vec::new();
        for (what, mine, theirs) in
            [("chapter", &self.chapters, &again.chapters), ("country", &self.countries, &again.countries)]
        {
            for s in mine {
                match theirs.iter().find(|t| t.id == s.id) {
                    Some(t) if key(t) == key(s) => {}
                    Some(t) => out.push(format!(
                        "{what} {}: frozen rank {} with {:?} from {} members (score {}), recomputed rank {} with {:?} from {} members (score {})",
                        s.name, s.rank, s.given.0, s.members, s.score_ppm, t.rank, t.given.0, t.members, t.score_ppm
                    )),
                    None => out.push(format!("{what} {} is not in the recomputed results", s.name)),
                }
            }
            for t in theirs.iter().filter(|t| !mine.iter().any(|s| s.id == t.id)) {
                out.push(format!("{what} {} is missing from the frozen results", t.name));
            }
        }
        if self.goal != again.goal {
            out.push(format!("the goal: frozen {:?}, recomputed {:?}", self.goal, again.goal));
        }
        out
    }
}

pub fn results(chapters: &[Team], weights: &Weights, goal: &Goal, country_name: impl Fn(&str) -> String) -> Results {
    Results {
        weights: *weights,
        chapters: standings(chapters, weights),
        countries: standings(&countries(chapters, country_name), weights),
        goal: goal_progress(goal, chapters),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: &str, country: &str, members: u64, given: [u64; 5]) -> Team {
        Team { id: id.into(), name: id.to_uppercase(), country: country.into(), members, given: Given(given) }
    }

    #[test]
    fn small_chapters_can_win_per_member() {
        let teams = [
            team("big", "de", 500, [500_000, 1000, 50, 2000, 1]),
            team("small", "fr", 5, [10_000, 50, 5, 40, 1]),
            team("idle", "de", 20, [0, 0, 0, 0, 0]),
        ];
        let s = standings(&teams, &Weights::default());
        assert_eq!(s[0].id, "small");
        // small leads every measure per member: relative 1 everywhere.
        assert_eq!(s[0].score_ppm, 1_000_000);
        assert_eq!(s[2].id, "idle");
        assert_eq!(s[2].score_ppm, 0);
        assert_eq!(s.iter().map(|x| x.rank).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn the_weights_decide_which_kind_of_giving_counts() {
        let teams = [team("money", "de", 10, [10_000, 0, 0, 0, 0]), team("learners", "de", 10, [0, 0, 30, 0, 0])];
        let money = standings(&teams, &Weights([5.0, 1.0, 1.0, 1.0, 1.0]));
        assert_eq!(money[0].id, "money");
        let learning = standings(&teams, &Weights([1.0, 1.0, 5.0, 1.0, 1.0]));
        assert_eq!(learning[0].id, "learners");
        let even = standings(&teams, &Weights::default());
        assert_eq!(even[0].rank, even[1].rank, "a tie shares the rank");
        let zero = standings(&teams, &Weights([0.0; 5]));
        assert_eq!(zero[0].score_ppm, 200_000, "all-zero weights count as equal");
    }

    #[test]
    fn countries_group_their_chapters() {
        let teams =
            [team("a", "de", 10, [1, 2, 3, 4, 5]), team("b", "de", 5, [1, 1, 1, 1, 1]), team("c", "", 3, [9; 5])];
        let c = countries(&teams, |c| c.to_uppercase());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].members, 15);
        assert_eq!(c[0].given, Given([2, 3, 4, 5, 6]));
        assert_eq!(c[0].name, "DE");
    }

    #[test]
    fn goals_and_challenges() {
        let teams = [team("a", "de", 10, [600, 0, 0, 0, 0]), team("b", "fr", 5, [500, 0, 0, 0, 0])];
        let g = goal_progress(&Goal { measure: Measure::Revenue, target: 2000 }, &teams);
        assert_eq!((g.reached, g.ppm), (1100, 550_000));
        let over = goal_progress(&Goal { measure: Measure::Revenue, target: 1000 }, &teams);
        assert_eq!(over.ppm, 1_000_000);
        let given = |id: &str| teams.iter().find(|t| t.id == id).map(|t| t.given).unwrap_or_default();
        let pa = Pledge { chapter_id: "a".into(), target: 500 };
        let pb = Pledge { chapter_id: "b".into(), target: 600 };
        assert_eq!(challenge(Measure::Revenue, [&pa, &pb], given, false), ([600, 500], ChallengeOutcome::Running));
        assert_eq!(challenge(Measure::Revenue, [&pa, &pb], given, true).1, ChallengeOutcome::NeitherWon);
        let pb = Pledge { chapter_id: "b".into(), target: 500 };
        assert_eq!(challenge(Measure::Revenue, [&pa, &pb], given, true).1, ChallengeOutcome::BothWon);
    }

    #[test]
    fn a_recount_must_match_every_integer_of_the_frozen_results() {
        let teams = [team("a", "de", 10, [600, 5, 1, 9, 0]), team("b", "fr", 5, [500, 0, 2, 3, 1])];
        let goal = Goal { measure: Measure::Participation, target: 100 };
        let frozen = results(&teams, &Weights::default(), &goal, str::to_uppercase);
        let json: Results = serde_json::from_str(&serde_json::to_string(&frozen).unwrap()).unwrap();
        assert!(json.differences(&frozen).is_empty(), "read back from JSON, it still matches");
        let mut changed = teams.clone();
        changed[1].given.add(Measure::Participation, 1);
        let again = results(&changed, &Weights::default(), &goal, str::to_uppercase);
        let diff = frozen.differences(&again);
        assert!(diff.iter().any(|d| d.starts_with("chapter B")), "{diff:?}");
        assert!(diff.iter().any(|d| d.starts_with("the goal")), "{diff:?}");
        let fewer = results(&teams[..1], &Weights::default(), &goal, str::to_uppercase);
        assert!(frozen.differences(&fewer).iter().any(|d| d.contains("not in the recomputed")));
    }

    #[test]
    fn seasons_are_bounded() {
        assert!(check_season("Spring", 0, 90, 1).is_ok());
        assert!(check_season("Spring", 0, 3, 1).is_err());
        assert!(check_season("Spring", 0, 400, 1).is_err());
        assert!(check_season("Spring", 0, 90, 0).is_err());
        assert!(check_season("x", 0, 90, 1).is_err());
    }
}
