//! Snapshot's voting types, computed exactly as snapshot.js 0.17.5's `getScores()` does, so a
//! community moving from Snapshot can check our counts against its own.
//!
//! The input is snapshot.js's example shape: `{"proposal": {"choices": [...]}, "votes":
//! [{"choice": ..., "balance": ..., "scores": [...]}]}`. Validity follows each type's
//! `isValidChoice` (invalid votes are skipped, as Snapshot skips them), and arithmetic follows the
//! same order of floating-point operations, so results agree to the last bit or nearly so.
//! JavaScript's property order (integer-like keys ascending, then insertion order) is reproduced
//! where it decides a summation order or a tie.

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VotingType {
    SingleChoice,
    Approval,
    Quadratic,
    RankedChoice,
    Weighted,
    Copeland,
}

impl VotingType {
    pub const ALL: [VotingType; 6] = [
        VotingType::SingleChoice,
        VotingType::Approval,
        VotingType::Quadratic,
        VotingType::RankedChoice,
        VotingType::Weighted,
        VotingType::Copeland,
    ];

    pub fn name(self) -> &'static str {
        match self {
            VotingType::SingleChoice => "single-choice",
            VotingType::Approval => "approval",
            VotingType::Quadratic => "quadratic",
            VotingType::RankedChoice => "ranked-choice",
            VotingType::Weighted => "weighted",
            VotingType::Copeland => "copeland",
        }
    }

    pub fn parse(raw: &str) -> Option<VotingType> {
        let name = super::names::normalize_name(raw);
        VotingType::ALL.into_iter().find(|t| t.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SnapshotError(pub String);

/// One vote: its choice as given, and its balance (voting power).
struct Vote<'a> {
    index: usize,
    choice: &'a Value,
    balance: Option<f64>,
}

impl Vote<'_> {
    fn balance(&self) -> Result<f64, SnapshotError> {
        self.balance
            .ok_or_else(|| SnapshotError(format!("vote {} is counted but its balance is not a number", self.index + 1)))
    }
}

/// Computes `getScores()` for `voting_type` over a snapshot.js-shaped document.
pub fn scores(voting_type: VotingType, document: &Value) -> Result<Vec<f64>, SnapshotError> {
    let choices = document
        .pointer("/proposal/choices")
        .and_then(Value::as_array)
        .ok_or_else(|| SnapshotError("expected \"proposal\": {\"choices\": [...]}".into()))?
        .len();
    let votes: Vec<Vote<'_>> = document
        .get("votes")
        .and_then(Value::as_array)
        .ok_or_else(|| SnapshotError("expected \"votes\": [...]".into()))?
        .iter()
        .enumerate()
        .map(|(index, v)| {
            let choice = v.get("choice").unwrap_or(&Value::Null);
            Vote { index, choice, balance: v.get("balance").and_then(Value::as_f64) }
        })
        .collect();
    let result = match voting_type {
        VotingType::SingleChoice => single_choice(choices, &votes),
        VotingType::Approval => approval(choices, &votes),
        VotingType::Quadratic => quadratic(choices, &votes),
        VotingType::RankedChoice => ranked_choice(choices, &votes),
        VotingType::Weighted => weighted(choices, &votes),
        VotingType::Copeland => copeland(choices, &votes),
    }?;
    if let Some(i) = result.iter().position(|s| !s.is_finite()) {
        return Err(SnapshotError(format!(
            "the score of choice {} is not a finite number (check the balances)",
            i + 1
        )));
    }
    Ok(result)
}

/// JavaScript's `Number(v)`.
fn js_number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() { 0.0 } else { t.parse().unwrap_or(f64::NAN) }
        }
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Null => 0.0,
        Value::Array(items) => match items.as_slice() {
            [] => 0.0,
            [one] => js_number(&Value::String(js_string(one))),
            _ => f64::NAN,
        },
        Value::Object(_) => f64::NAN,
    }
}

/// JavaScript's `String(v)` for the values that matter here.
fn js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() < 1e21 { format!("{}", f as i64) } else { format!("{f}") }
        }
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(items) => items.iter().map(js_string).collect::<Vec<_>>().join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// `proposalChoices?.[x - 1] !== undefined`.
fn choice_exists(choices: usize, x: f64) -> bool {
    let index = x - 1.0;
    index.fract() == 0.0 && index >= 0.0 && index < choices as f64
}

/// JavaScript's SameValueZero, for `new Set(...)` and `includes`.
fn same_value_zero(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x.is_nan() && y.is_nan())
        }
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        // Arrays and objects are compared by reference in JavaScript: never equal here.
        _ => false,
    }
}

fn no_duplicates(items: &[Value]) -> bool {
    items.iter().enumerate().all(|(i, a)| items[..i].iter().all(|b| !same_value_zero(a, b)))
}

fn as_number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Whether a string is a canonical array index ("0", "1", …, no sign or leading zero), which
/// JavaScript orders numerically before all other keys.
fn integer_key(key: &str) -> Option<u64> {
    if key == "0" || (!key.is_empty() && !key.starts_with('0') && key.bytes().all(|b| b.is_ascii_digit())) {
        key.parse::<u64>().ok().filter(|&k| k < u64::from(u32::MAX))
    } else {
        None
    }
}

/// An object's entries in JavaScript property order.
fn js_entries(map: &Map<String, Value>) -> Vec<(&str, &Value)> {
    let mut integers: Vec<(u64, &str, &Value)> =
        map.iter().filter_map(|(k, v)| integer_key(k).map(|n| (n, k.as_str(), v))).collect();
    integers.sort_by_key(|e| e.0);
    let others = map.iter().filter(|(k, _)| integer_key(k).is_none()).map(|(k, v)| (k.as_str(), v));
    integers.into_iter().map(|(_, k, v)| (k, v)).chain(others).collect()
}

fn single_choice(choices: usize, votes: &[Vote<'_>]) -> Result<Vec<f64>, SnapshotError> {
    let valid: Vec<&Vote<'_>> =
        votes.iter().filter(|v| as_number(v.choice).is_some_and(|c| choice_exists(choices, c))).collect();
    (0..choices)
        .map(|i| {
            valid
                .iter()
                .filter(|v| as_number(v.choice) == Some((i + 1) as f64))
                .try_fold(0.0, |a, v| Ok(a + v.balance()?))
        })
        .collect()
}

fn approval_valid(choices: usize, choice: &Value) -> bool {
    choice
        .as_array()
        .is_some_and(|items| items.iter().all(|c| choice_exists(choices, js_number(c))) && no_duplicates(items))
}

fn approval(choices: usize, votes: &[Vote<'_>]) -> Result<Vec<f64>, SnapshotError> {
    let valid: Vec<&Vote<'_>> = votes.iter().filter(|v| approval_valid(choices, v.choice)).collect();
    (0..choices)
        .map(|i| {
            let wanted = Value::from((i + 1) as f64);
            valid
                .iter()
                .filter(|v| v.choice.as_array().is_some_and(|items| items.iter().any(|c| same_value_zero(c, &wanted))))
                .try_fold(0.0, |a, v| Ok(a + v.balance()?))
        })
        .collect()
}

/// `isValidChoice` of the weighted and quadratic types: a non-empty object whose keys name
/// choices and whose values are numbers ≥ 0, at least one positive.
fn map_valid(choices: usize, choice: &Value) -> bool {
    let Some(map) = choice.as_object() else { return false };
    !map.is_empty()
        && map.keys().all(|k| choice_exists(choices, js_number(&Value::String(k.clone()))))
        && map.values().all(|v| v.as_f64().is_some_and(|x| x >= 0.0))
        && map.values().any(|v| v.as_f64().is_some_and(|x| x > 0.0))
}

/// `(values[key] / Σ values)`, with JavaScript's NaN → 0 (a missing key is `undefined`).
fn share_of(map: &Map<String, Value>, i: usize) -> f64 {
    let whole: f64 = js_entries(map).iter().fold(0.0, |a, (_, v)| a + v.as_f64().unwrap_or(f64::NAN));
    let part = map.get(&(i + 1).to_string()).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let share = part / whole;
    if share.is_nan() { 0.0 } else { share }
}

fn quadratic(choices: usize, votes: &[Vote<'_>]) -> Result<Vec<f64>, SnapshotError> {
    let valid: Vec<&Vote<'_>> = votes.iter().filter(|v| map_valid(choices, v.choice)).collect();
    let total = valid.iter().try_fold(0.0, |a, v| Ok(a + v.balance()?))?;
    let quadratic: Vec<f64> = (0..choices)
        .map(|i| {
            let root_sum = valid.iter().try_fold(0.0, |a, v| {
                let map = v.choice.as_object().map_or_else(Map::new, Clone::clone);
                Ok::<f64, SnapshotError>(a + (share_of(&map, i) * v.balance()?).sqrt())
            })?;
            Ok(root_sum * root_sum)
        })
        .collect::<Result<_, SnapshotError>>()?;
    let whole: f64 = quadratic.iter().fold(0.0, |a, b| a + b);
    Ok(quadratic
        .iter()
        .map(|q| {
            let p = q / whole;
            total * if p.is_nan() { 0.0 } else { p }
        })
        .collect())
}

fn weighted(choices: usize, votes: &[Vote<'_>]) -> Result<Vec<f64>, SnapshotError> {
    let valid: Vec<&Vote<'_>> = votes.iter().filter(|v| map_valid(choices, v.choice)).collect();
    let results: Vec<f64> = (0..choices)
        .map(|i| {
            valid.iter().try_fold(0.0, |a, v| {
                let map = v.choice.as_object().map_or_else(Map::new, Clone::clone);
                // percentageOfTotal(i + 1, choice, values) / 100 * balance, as written.
                let percent = share_of_percent(&map, i);
                Ok::<f64, SnapshotError>(a + (percent / 100.0) * v.balance()?)
            })
        })
        .collect::<Result<_, SnapshotError>>()?;
    let valid_total = valid.iter().try_fold(0.0, |a, v| Ok::<f64, SnapshotError>(a + v.balance()?))?;
    let reduced: f64 = results.iter().fold(0.0, |a, b| a + b);
    Ok(results
        .iter()
        .map(|r| {
            let percent = (r / reduced) * 100.0;
            let p = if percent.is_nan() { 0.0 } else { percent };
            (valid_total / 100.0) * p
        })
        .collect())
}

/// `percentageOfTotal(i + 1, choice, Object.values(choice))`: `(values[i+1] / Σ) * 100`, NaN → 0.
fn share_of_percent(map: &Map<String, Value>, i: usize) -> f64 {
    let whole: f64 = js_entries(map).iter().fold(0.0, |a, (_, v)| a + v.as_f64().unwrap_or(f64::NAN));
    let part = map.get(&(i + 1).to_string()).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let percent = (part / whole) * 100.0;
    if percent.is_nan() { 0.0 } else { percent }
}

fn ranked_valid(choices: usize, choice: &Value) -> bool {
    choice.as_array().is_some_and(|items| {
        items.iter().all(|c| choice_exists(choices, js_number(c)))
            && no_duplicates(items)
            && !items.is_empty()
            && items.len() == choices
    })
}

/// snapshot.js's instant runoff: eliminate the first alternative (in property order) with the
/// fewest first choices, one per round, until one has more than half the weight or fewer than
/// three remain; scores are the final round's tallies (0 for the eliminated).
fn ranked_choice(choices: usize, votes: &[Vote<'_>]) -> Result<Vec<f64>, SnapshotError> {
    let mut ballots: Vec<(Vec<String>, f64)> = votes
        .iter()
        .filter(|v| ranked_valid(choices, v.choice))
        .map(|v| Ok((v.choice.as_array().map(|a| a.iter().map(js_string).collect()).unwrap_or_default(), v.balance()?)))
        .collect::<Result<_, SnapshotError>>()?;
    loop {
        // Candidates in first appearance, then in JavaScript property order.
        let mut seen: Vec<String> = Vec::new();
        for (choice, _) in &ballots {
            for c in choice {
                if !seen.contains(c) {
                    seen.push(c.clone());
                }
            }
        }
        let mut map = Map::new();
        for c in &seen {
            map.insert(c.clone(), Value::Null);
        }
        let keys: Vec<String> = js_entries(&map).into_iter().map(|(k, _)| k.to_owned()).collect();
        let mut counts: Vec<f64> = vec![0.0; keys.len()];
        for (choice, balance) in &ballots {
            if let Some(k) = keys.iter().position(|k| *k == choice[0]) {
                counts[k] += balance;
            }
        }
        let (mut top, mut bottom) = ((None, f64::NEG_INFINITY), (None, f64::INFINITY));
        for (k, &c) in counts.iter().enumerate() {
            if c > top.1 {
                top = (Some(k), c);
            }
            if c < bottom.1 {
                bottom = (Some(k), c);
            }
        }
        let total = ballots.iter().fold(0.0, |a, (_, b)| a + b);
        if top.1 > total / 2.0 || keys.len() < 3 {
            return Ok((0..choices)
                .map(|i| {
                    keys.iter()
                        .zip(&counts)
                        .filter(|(k, _)| js_number(&Value::String((*k).clone())) == (i + 1) as f64)
                        .fold(0.0, |a, (_, c)| a + c)
                })
                .collect());
        }
        let Some(bottom) = bottom.0.map(|k| keys[k].clone()) else {
            return Ok(vec![0.0; choices]);
        };
        ballots = ballots
            .into_iter()
            .map(|(choice, balance)| (choice.into_iter().filter(|c| *c != bottom).collect::<Vec<_>>(), balance))
            .filter(|(choice, _)| !choice.is_empty())
            .collect();
    }
}

fn copeland_valid(choices: usize, choice: &Value) -> bool {
    choice.as_array().is_some_and(|items| {
        !items.is_empty()
            && items.len() == choices
            && no_duplicates(items)
            && items.iter().all(|c| c.as_f64().is_some_and(|x| x.fract() == 0.0 && x >= 1.0 && x <= choices as f64))
    })
}

fn copeland(choices: usize, votes: &[Vote<'_>]) -> Result<Vec<f64>, SnapshotError> {
    let valid: Vec<(Vec<usize>, f64)> = votes
        .iter()
        .filter(|v| copeland_valid(choices, v.choice))
        .map(|v| {
            let order =
                v.choice.as_array().map(|a| a.iter().filter_map(Value::as_f64).map(|x| x as usize - 1).collect());
            Ok((order.unwrap_or_default(), v.balance()?))
        })
        .collect::<Result<_, SnapshotError>>()?;
    let mut pairwise = vec![vec![0.0; choices]; choices];
    let mut support_for = vec![0.0; choices];
    let total = valid.iter().fold(0.0, |a, (_, b)| a + b);
    for (order, balance) in &valid {
        for current in 0..order.len() {
            for next in (current + 1)..order.len() {
                let (preferred, lower) = (order[current], order[next]);
                pairwise[preferred][lower] += balance;
                pairwise[lower][preferred] -= balance;
                support_for[preferred] += balance;
            }
        }
    }
    let mut scores = vec![0.0; choices];
    for choice in 0..choices {
        for opponent in 0..choices {
            if choice != opponent {
                let comparison = pairwise[choice][opponent];
                if comparison > 0.0 {
                    scores[choice] += 1.0;
                } else if comparison < 0.0 {
                    scores[opponent] += 1.0;
                } else {
                    scores[choice] += 0.5;
                    scores[opponent] += 0.5;
                }
            }
        }
    }
    let matchups = choices.saturating_sub(1);
    if total > 0.0 && matchups > 0 {
        for choice in 0..choices {
            let average_support = support_for[choice] / (matchups as f64 * total);
            scores[choice] += 0.5 * average_support;
        }
    }
    let sum = scores.iter().fold(0.0, |a, b| a + b);
    if sum > 0.0 {
        return Ok(scores.iter().map(|s| (s / sum) * total).collect());
    }
    Ok(scores.iter().map(|_| total / choices as f64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(t: VotingType, doc: Value, expected: &[f64]) {
        let got = scores(t, &doc).expect("scores");
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() <= 1e-9 * e.abs().max(1.0), "{}: {got:?} vs {expected:?}", t.name());
        }
    }

    #[test]
    fn copeland_example_from_snapshot_js() {
        // snapshot.js's copeland example: one partial (invalid) ballot is skipped.
        let doc = json!({ "proposal": { "choices": ["A", "B", "C", "D"] }, "votes": [
            { "choice": [1, 2, 3, 4], "balance": 1, "scores": [1] },
            { "choice": [2, 1, 3, 4], "balance": 1, "scores": [1] },
            { "choice": [1, 3, 2, 4], "balance": 1, "scores": [1] },
            { "choice": [2, 1], "balance": 1, "scores": [1] } ] });
        // Wins (counted from both sides): A 5.5+, B 3.5+, C 2+, D 0+; plus half the average support.
        let got = scores(VotingType::Copeland, &doc).expect("scores");
        assert!((got.iter().sum::<f64>() - 3.0).abs() < 1e-12, "normalised to the valid power: {got:?}");
        assert!(got[0] > got[1] && got[1] > got[2] && got[2] > got[3]);
    }

    #[test]
    fn single_choice_and_approval_skip_invalid_votes() {
        let doc = json!({ "proposal": { "choices": ["a", "b"] }, "votes": [
            { "choice": 1, "balance": 2.5 }, { "choice": 3, "balance": 100 }, { "choice": 2, "balance": 1 } ] });
        check(VotingType::SingleChoice, doc, &[2.5, 1.0]);
        let doc = json!({ "proposal": { "choices": ["a", "b"] }, "votes": [
            { "choice": [1, 2], "balance": 2 }, { "choice": [1, 1], "balance": 100 }, { "choice": [2], "balance": 1 } ] });
        check(VotingType::Approval, doc, &[2.0, 3.0]);
    }

    #[test]
    fn weighted_and_quadratic_normalise_to_the_valid_power() {
        let doc = json!({ "proposal": { "choices": ["a", "b"] }, "votes": [
            { "choice": { "1": 1, "2": 1 }, "balance": 4 }, { "choice": { "2": 1 }, "balance": 1 } ] });
        check(VotingType::Weighted, doc.clone(), &[2.0, 3.0]);
        // Quadratic: (sqrt(2))^2 = 2 for a, (sqrt(2) + 1)^2 for b, scaled to a total of 5.
        let b = (2f64.sqrt() + 1.0).powi(2);
        check(VotingType::Quadratic, doc, &[5.0 * 2.0 / (2.0 + b), 5.0 * b / (2.0 + b)]);
    }

    #[test]
    fn ranked_choice_eliminates_until_a_majority() {
        let doc = json!({ "proposal": { "choices": ["a", "b", "c"] }, "votes": [
            { "choice": [1, 2, 3], "balance": 4 }, { "choice": [2, 3, 1], "balance": 3 }, { "choice": [3, 2, 1], "balance": 2 } ] });
        // 3 is eliminated; its voters go to 2: a 4, b 5.
        check(VotingType::RankedChoice, doc, &[4.0, 5.0, 0.0]);
    }

    #[test]
    fn javascript_key_order_is_reproduced() {
        let mut map = Map::new();
        for k in ["b", "10", "2", "a", "01"] {
            map.insert(k.into(), Value::Null);
        }
        let keys: Vec<&str> = js_entries(&map).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["2", "10", "b", "a", "01"]);
    }
}
