//! Tasks: what they hold, how they move `open → assigned → in progress → review → done |
//! dropped`, who may move them, and what a review records. The doer and the reviewer are always
//! two people; the outcome is recorded once, by the reviewer, and becomes evidence.

use crate::validation::{self, Invalid, Violations};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Assigned,
    InProgress,
    Review,
    Done,
    Dropped,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Open, Status::Assigned, Status::InProgress, Status::Review, Status::Done, Status::Dropped];

    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::Review => "review",
            Status::Done => "done",
            Status::Dropped => "dropped",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::Assigned => "Assigned",
            Status::InProgress => "In progress",
            Status::Review => "Review",
            Status::Done => "Done",
            Status::Dropped => "Dropped",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        let raw = raw.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Status::ALL.into_iter().find(|s| s.name() == raw)
    }

    pub fn finished(self) -> bool {
        matches!(self, Status::Done | Status::Dropped)
    }
}

/// A validated new task (or the new values of an edited one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskInput {
    pub title: String,
    pub description: String,
    pub domains: Vec<String>,
    /// Estimated effort in minutes (entered as hours).
    pub effort_minutes: i64,
    /// Story points, separate from the estimate.
    pub points: i64,
    /// What success is worth, in minor units of the commune's currency.
    pub value_minor: i64,
    /// 1 (easy) to 5 (hard): the item difficulty of the skill model.
    pub difficulty: i64,
    /// People the task takes at most.
    pub seats: i64,
    /// The due day as unix milliseconds of its midnight UTC.
    pub due_ms: Option<i64>,
}

/// The raw form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TaskForm {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Comma- or space-separated domain names.
    #[serde(default)]
    pub domains: String,
    /// Hours, e.g. "6" or "1.5".
    #[serde(default)]
    pub effort_hours: String,
    #[serde(default)]
    pub points: Option<i64>,
    #[serde(default)]
    pub difficulty: Option<i64>,
    #[serde(default)]
    pub seats: Option<i64>,
    /// `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub due: String,
}

pub const MAX_DOMAINS: usize = 5;
pub const MAX_EFFORT_MINUTES: i64 = 1_000 * 60;
/// The most hours one worklog entry holds.
pub const MAX_LOG_MINUTES: i64 = 24 * 60;
pub const MAX_VALUE_MINOR: i64 = 10_000_000_000;

impl TaskForm {
    /// Every problem at once; `value_minor` is parsed by the caller's money grammar.
    pub fn validate(&self, value_minor: Result<i64, Invalid>) -> Result<TaskInput, Violations> {
        let mut v = Violations::default();
        let title = v.check(validation::text("title", &self.title, 1, 200, false));
        let description = v.check(validation::text("description", &self.description, 0, 20_000, true));
        let domains = v.check(domains(&self.domains));
        let effort_minutes = v.check(if self.effort_hours.trim().is_empty() {
            Ok(60)
        } else {
            hours("effort_hours", &self.effort_hours, MAX_EFFORT_MINUTES)
        });
        let points = v.check(bounded("points", self.points.unwrap_or(0), 0, 100));
        let difficulty = v.check(bounded("difficulty", self.difficulty.unwrap_or(3), 1, 5));
        let seats = v.check(bounded("seats", self.seats.unwrap_or(1), 1, 10));
        let value_minor = v.check(value_minor.and_then(|m| {
            if (0..=MAX_VALUE_MINOR).contains(&m) {
                Ok(m)
            } else {
                Err(Invalid::new("value", "must be between 0 and 100,000,000"))
            }
        }));
        let due_ms = v.check(if self.due.trim().is_empty() { Ok(None) } else { day("due", &self.due).map(Some) });
        v.into_result()?;
        Ok(TaskInput {
            title: title.expect("checked"),
            description: description.expect("checked"),
            domains: domains.expect("checked"),
            effort_minutes: effort_minutes.expect("checked"),
            points: points.expect("checked"),
            value_minor: value_minor.expect("checked"),
            difficulty: difficulty.expect("checked"),
            seats: seats.expect("checked"),
            due_ms: due_ms.expect("checked"),
        })
    }
}

fn bounded(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, Invalid> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Invalid::new(field, format!("must be between {min} and {max}")))
    }
}

/// Domain names: lowercase words, at most five, no repeats.
pub fn domains(raw: &str) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for word in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()) {
        let name = validation::identifier("domains", &word.to_ascii_lowercase(), 2, 32, &['-'])?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.len() > MAX_DOMAINS {
        return Err(Invalid::new("domains", format!("at most {MAX_DOMAINS} domains")));
    }
    Ok(out)
}

/// Hours as typed ("6", "1.5", "0.25") → whole minutes, more than 0 and at most `max_minutes`.
/// Strict: digits, one optional point and at most two decimals; no signs, exponents or spaces inside.
pub fn hours(field: &'static str, raw: &str, max_minutes: i64) -> Result<i64, Invalid> {
    let raw = raw.trim();
    let bad = || Invalid::new(field, "hours as a number such as 6 or 1.5 (at most two decimals)");
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 6
        || (raw.contains('.') && frac.is_empty())
    {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let hundredths: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let minutes = (whole * 100 + hundredths) * 60 / 100;
    if minutes <= 0 {
        return Err(Invalid::new(field, "must be more than zero (at least a minute)"));
    }
    if minutes > max_minutes {
        return Err(Invalid::new(field, format!("at most {} hours", max_minutes / 60)));
    }
    Ok(minutes)
}

/// Minutes as hours for people: "1.5", "6", "0.25".
pub fn hours_text(minutes: i64) -> String {
    let hundredths = (minutes * 100 + 30) / 60;
    let (whole, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// `YYYY-MM-DD` → unix milliseconds of that midnight UTC (years 2000–2999).
pub fn day(field: &'static str, raw: &str) -> Result<i64, Invalid> {
    let bad = || Invalid::new(field, "a date as YYYY-MM-DD");
    let raw = raw.trim();
    let parts: Vec<&str> = raw.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let num = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<i64>().ok()).flatten();
    let (y, m, d) = (num(parts[0]).ok_or_else(bad)?, num(parts[1]).ok_or_else(bad)?, num(parts[2]).ok_or_else(bad)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(2000..=2999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in[(m - 1) as usize] {
        return Err(bad());
    }
    // days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

/// What someone wants to do to a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Give the task to a doer (oneself, or anyone when a steward or its creator).
    Assign(String),
    Unassign,
    Start,
    /// Hand in for review.
    Submit,
    /// The reviewer sends it back for more work.
    SendBack,
    /// The reviewer records the outcome (the task is done).
    Review,
    Drop,
    Reopen,
    /// Choose the reviewer.
    SetReviewer(String),
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub member_id: String,
    /// A steward of the task's organisation.
    pub steward: bool,
}

/// What the rule needs to know about the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub status: Status,
    pub creator: String,
    pub doer: Option<String>,
    pub reviewer: Option<String>,
}

/// Why a step is refused (a sentence for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotAllowed(&'static str),
    WrongState(&'static str),
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotAllowed(m) | Refusal::WrongState(m) => m,
        }
    }
}

/// Decides a step: the status the task moves to, or why not.
pub fn decide(facts: &Facts, who: &Who, step: &Step) -> Result<Status, Refusal> {
    use Refusal::{NotAllowed as No, WrongState as Not};
    use Status::*;
    let me = who.member_id.as_str();
    let manager = who.steward || facts.creator == me;
    let doer = facts.doer.as_deref() == Some(me);
    let reviewer = facts.reviewer.as_deref() == Some(me);
    match (step, facts.status) {
        (Step::Assign(to), Open | Assigned) => {
            if !(manager || (to == me && facts.status == Open)) {
                Err(No("you may take an open task yourself; only a steward or its creator gives a task to someone"))
            } else if facts.reviewer.as_deref() == Some(to.as_str()) {
                Err(No("the doer and the reviewer are different people: choose another reviewer first"))
            } else {
                Ok(Assigned)
            }
        }
        (Step::Assign(_), _) => Err(Not("only an open or assigned task is given to someone")),
        (Step::Unassign, Assigned) if manager || doer => Ok(Open),
        (Step::Unassign, Assigned) => Err(No("only the doer, a steward or the task's creator hands it back")),
        (Step::Unassign, _) => Err(Not("only an assigned task is handed back")),
        (Step::Start, Assigned) if doer => Ok(InProgress),
        (Step::Start, Assigned) => Err(No("only the doer starts the task")),
        (Step::Start, _) => Err(Not("only an assigned task is started")),
        (Step::Submit, InProgress) if !doer => Err(No("only the doer hands the task in for review")),
        (Step::Submit, InProgress) if facts.reviewer.is_none() => Err(Not("choose a reviewer before handing it in")),
        (Step::Submit, InProgress) => Ok(Review),
        (Step::Submit, _) => Err(Not("only a task in progress is handed in")),
        (Step::SendBack | Step::Review, Review) if doer => Err(No("nobody reviews their own task")),
        (Step::SendBack | Step::Review, Review) if !reviewer => Err(No("only the task's reviewer reviews it")),
        (Step::SendBack, Review) => Ok(InProgress),
        (Step::Review, Review) => Ok(Done),
        (Step::SendBack | Step::Review, _) => Err(Not("only a task in review is reviewed")),
        (Step::Drop, Open | Assigned | InProgress | Review) if manager => Ok(Dropped),
        (Step::Drop, Open | Assigned | InProgress | Review) => Err(No("only a steward or the task's creator drops it")),
        (Step::Drop, _) => Err(Not("a done or dropped task stays as it is")),
        (Step::Reopen, Dropped) if manager => Ok(Open),
        (Step::Reopen, Dropped) => Err(No("only a steward or the task's creator reopens it")),
        (Step::Reopen, _) => Err(Not("only a dropped task is reopened")),
        (Step::SetReviewer(to), s) if !s.finished() => {
            if !manager {
                Err(No("only a steward or the task's creator chooses the reviewer"))
            } else if facts.doer.as_deref() == Some(to.as_str()) {
                Err(No("the doer and the reviewer are different people"))
            } else {
                Ok(s)
            }
        }
        (Step::SetReviewer(_), _) => Err(Not("a done or dropped task keeps its reviewer")),
    }
}

/// The step a board move from one column to another means, for this person (a card dropped on
/// `assigned` by someone taking an open task assigns it to them).
pub fn board_step(from: Status, to: Status, who: &Who) -> Result<Step, Refusal> {
    use Status::*;
    match (from, to) {
        (Open, Assigned) => Ok(Step::Assign(who.member_id.clone())),
        (Assigned, Open) => Ok(Step::Unassign),
        (Assigned, InProgress) => Ok(Step::Start),
        (InProgress, Review) => Ok(Step::Submit),
        (Review, InProgress) => Ok(Step::SendBack),
        (Review, Done) => {
            Err(Refusal::WrongState("open the task and record the review: the outcome needs its ratings"))
        }
        (_, Dropped) => Ok(Step::Drop),
        (Dropped, Open) => Ok(Step::Reopen),
        (a, b) if a == b => Err(Refusal::WrongState("the task is already there")),
        _ => Err(Refusal::WrongState("a task moves one column at a time along its path")),
    }
}

/// A reviewer's rating of the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Review {
    pub success: bool,
    /// 1 (poor) to 5 (excellent).
    pub quality: i64,
    pub on_time: bool,
}

impl Review {
    pub fn new(success: bool, quality: i64, on_time: bool) -> Result<Review, Invalid> {
        bounded("quality", quality, 1, 5)?;
        Ok(Review { success, quality, on_time })
    }

    /// The outcome as performance evidence on the 1–10 scale of the merit model: a success
    /// scores 6–10 by quality, a failure 1–5, one point off when late.
    pub fn evidence_score(&self) -> f64 {
        let base = if self.success { 5 + self.quality } else { self.quality };
        (base - i64::from(!self.on_time)).clamp(1, 10) as f64
    }
}

/// Whether a member's open work this week exceeds their capacity.
pub fn overloaded(committed_minutes: i64, capacity_minutes: i64) -> bool {
    committed_minutes > capacity_minutes
}

#[cfg(test)]
mod tests;
