//! Exercises and mastery. An exercise is multiple choice (one right option), numeric (right
//! within a tolerance) or free text (reviewed by peers: two reviewers, neither its author; both
//! pass it → correct, both fail it → wrong, a split is settled by a third). Every graded attempt
//! is an outcome for the skill model. Mastery of a skill (stated rule): an exponential moving
//! average of its graded attempts, `m ← (1 − α)·m + α·correct` with `α = 0.3` from `m = 0`,
//! mastered at `m ≥ 0.95` (nine right in a row from scratch). Only the first graded attempt at
//! an exercise on a given day counts ([`counted`]): repeating one question until its answer is
//! remembered does not make a master.

use crate::validation::{self, Invalid, Violations};

pub const ALPHA: f64 = 0.3;
pub const THRESHOLD: f64 = 0.95;
pub const MAX_CHOICES: usize = 8;
/// Reviews that settle a free-text answer at most.
pub const REVIEWS_TO_SETTLE: usize = 3;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exercise {
    Choice { choices: Vec<String>, answer: usize },
    Numeric { answer: f64, tolerance: f64 },
    Text { rubric: String },
}

impl Exercise {
    pub fn kind(&self) -> &'static str {
        match self {
            Exercise::Choice { .. } => "choice",
            Exercise::Numeric { .. } => "numeric",
            Exercise::Text { .. } => "text",
        }
    }

    /// An exercise as a form gives it: `kind`, choices one per line (the right one marked with a
    /// leading `*`), or the number and tolerance, or a rubric for reviewers.
    pub fn from_form(
        kind: &str,
        choices: &str,
        answer: &str,
        tolerance: &str,
        rubric: &str,
    ) -> Result<Exercise, Violations> {
        let mut v = Violations::default();
        let out = match kind.trim() {
            "choice" => {
                let lines: Vec<&str> = choices.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                let right: Vec<usize> =
                    lines.iter().enumerate().filter(|(_, l)| l.starts_with('*')).map(|(i, _)| i).collect();
                if !(2..=MAX_CHOICES).contains(&lines.len()) {
                    v.0.push(Invalid::new("choices", format!("2 to {MAX_CHOICES} choices, one per line")));
                }
                if right.len() != 1 {
                    v.0.push(Invalid::new("choices", "mark exactly one right choice with a leading *"));
                }
                let texts: Vec<String> = lines
                    .iter()
                    .map(|l| l.trim_start_matches('*').trim().chars().take(300).collect::<String>())
                    .collect();
                if texts.iter().any(String::is_empty) {
                    v.0.push(Invalid::new("choices", "a choice has words"));
                }
                Exercise::Choice { choices: texts, answer: right.first().copied().unwrap_or(0) }
            }
            "numeric" => {
                let a = v.check(number("answer", answer));
                let t = if tolerance.trim().is_empty() { Some(0.0) } else { v.check(number("tolerance", tolerance)) };
                if t.is_some_and(|t| t < 0.0) {
                    v.0.push(Invalid::new("tolerance", "not negative"));
                }
                Exercise::Numeric { answer: a.unwrap_or(0.0), tolerance: t.unwrap_or(0.0) }
            }
            "text" => {
                let r = v.check(validation::text("rubric", rubric, 3, 2000, true));
                Exercise::Text { rubric: r.unwrap_or_default() }
            }
            _ => {
                v.0.push(Invalid::new("kind", "choice, numeric or text"));
                Exercise::Text { rubric: String::new() }
            }
        };
        v.into_result()?;
        Ok(out)
    }

    /// Grades an answer as typed: Some(correct) for choice and numeric; None for free text (its
    /// reviewers grade it). Malformed answers are refused.
    pub fn grade(&self, raw: &str) -> Result<Option<bool>, Invalid> {
        match self {
            Exercise::Choice { choices, answer } => {
                let pick: usize = raw
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&i: &usize| i < choices.len())
                    .ok_or_else(|| Invalid::new("answer", format!("pick one of the {} choices", choices.len())))?;
                Ok(Some(pick == *answer))
            }
            Exercise::Numeric { answer, tolerance } => {
                let x = number("answer", raw)?;
                Ok(Some((x - answer).abs() <= tolerance + 1e-12))
            }
            Exercise::Text { .. } => {
                validation::text("answer", raw, 1, 5000, true)?;
                Ok(None)
            }
        }
    }
}

/// A decimal number as typed: an optional minus, digits, one optional point (`-2.5`, `40`).
pub fn number(field: &'static str, raw: &str) -> Result<f64, Invalid> {
    let s = raw.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    let ok = !digits.is_empty()
        && digits.len() <= 24
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
        && digits != ".";
    ok.then(|| s.parse::<f64>().ok())
        .flatten()
        .filter(|x| x.is_finite())
        .ok_or_else(|| Invalid::new(field, format!("'{s}' is not a number such as 42 or -2.5")))
}

/// The verdict of a free-text answer's peer reviews so far (in order): Some once two agree.
pub fn verdict(reviews: &[bool]) -> Option<bool> {
    let pass = reviews.iter().filter(|&&r| r).count();
    let fail = reviews.len() - pass;
    if pass >= 2 {
        Some(true)
    } else if fail >= 2 {
        Some(false)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Mastery {
    pub level: f64,
    pub attempts: usize,
    pub mastered: bool,
}

/// A graded attempt as mastery sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    pub exercise: String,
    /// The day it was made (any day numbering).
    pub day: i64,
    pub correct: bool,
}

/// The outcomes that count, in order: the first graded attempt per exercise and day.
pub fn counted(attempts: &[Graded]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    attempts.iter().filter(|a| seen.insert((a.exercise.as_str(), a.day))).map(|a| a.correct).collect()
}

/// When mastery was first reached: the time of the counted outcome (`at`, beside each graded
/// attempt in time order) that lifted it to the threshold; `None` while it has not been.
pub fn first_mastered_at(attempts: &[(Graded, i64)]) -> Option<i64> {
    let mut seen = std::collections::HashSet::new();
    let mut level = 0.0;
    for (a, at) in attempts {
        if !seen.insert((a.exercise.as_str(), a.day)) {
            continue;
        }
        level = (1.0 - ALPHA) * level + ALPHA * f64::from(u8::from(a.correct));
        if level >= THRESHOLD - 1e-12 {
            return Some(*at);
        }
    }
    None
}

/// Mastery from counted outcomes in time order.
pub fn mastery(outcomes: impl IntoIterator<Item = bool>) -> Mastery {
    let mut level = 0.0;
    let mut attempts = 0;
    for correct in outcomes {
        level = (1.0 - ALPHA) * level + ALPHA * f64::from(u8::from(correct));
        attempts += 1;
    }
    Mastery { level, attempts, mastered: level >= THRESHOLD - 1e-12 }
}

#[cfg(test)]
mod tests;
