//! The ballot form's codec: which fields a ballot form sends for each voting method, read into a
//! [`Ballot`], and the values that show a stored ballot filled in. One contract for the page
//! template, the web handler and anyone scripting the form.

use super::methods::{Ballot, Stance, VotingMethod};
use crate::validation::Invalid;
use std::collections::{BTreeMap, HashMap};

/// The value of a form field (the first, when a name repeats), or "".
fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// Reads the fields a ballot form sent for `method` over `n` options (empty numeric fields are 0).
pub fn read(method: &VotingMethod, n: usize, f: &[(String, String)]) -> Result<Ballot, Invalid> {
    let bad = |m: &str| Invalid::new("ballot", m);
    let per_option = |prefix: &str| -> Result<Vec<u32>, Invalid> {
        (0..n)
            .map(|i| {
                let raw = field(f, &format!("{prefix}_{i}")).trim();
                if raw.is_empty() { Ok(0) } else { raw.parse().map_err(|_| bad("enter whole numbers of 0 or more")) }
            })
            .collect()
    };
    Ok(match method {
        VotingMethod::YesNo { .. } => Ballot::YesNo {
            stance: match field(f, "stance") {
                "yes" => Stance::Yes,
                "no" => Stance::No,
                "abstain" => Stance::Abstain,
                _ => return Err(bad("choose yes, no or abstain")),
            },
        },
        VotingMethod::Consent { .. } => match field(f, "consent") {
            "consent" => Ballot::Consent { object: false },
            "object" => Ballot::Consent { object: true },
            _ => return Err(bad("consent or object")),
        },
        VotingMethod::SingleChoice => {
            Ballot::Single { option: field(f, "option").parse().map_err(|_| bad("choose an option"))? }
        }
        VotingMethod::Approval => Ballot::Approval {
            options: f
                .iter()
                .filter(|(k, _)| k == "approve")
                .map(|(_, v)| v.parse().map_err(|_| bad("unknown option")))
                .collect::<Result<_, _>>()?,
        },
        VotingMethod::Score => Ballot::Score {
            scores: (0..n)
                .map(|i| {
                    let raw = field(f, &format!("score_{i}")).trim();
                    if raw.is_empty() {
                        Ok(None)
                    } else {
                        raw.parse().map(Some).map_err(|_| bad("scores go from 0 to 5"))
                    }
                })
                .collect::<Result<_, _>>()?,
        },
        VotingMethod::Ranked { .. } => {
            let mut tiers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for i in 0..n {
                let raw = field(f, &format!("rank_{i}")).trim();
                if !raw.is_empty() {
                    let rank: u32 = raw.parse().map_err(|_| bad("ranks are whole numbers"))?;
                    tiers.entry(rank).or_default().push(i);
                }
            }
            Ballot::Ranked { ranking: tiers.into_values().collect() }
        }
        VotingMethod::Quadratic { .. } => Ballot::Quadratic { votes: per_option("votes")? },
        VotingMethod::Points { .. } => Ballot::Points { points: per_option("points")? },
    })
}

/// The form values that show `ballot` filled in: each field's name and value (a checked approval
/// box as `approve_<option>` = `1`, since a form sends every box under the one name `approve`).
pub fn prefill(ballot: &Ballot) -> HashMap<String, String> {
    let mut values = HashMap::new();
    match ballot {
        Ballot::YesNo { stance } => {
            let s = match stance {
                Stance::Yes => "yes",
                Stance::No => "no",
                Stance::Abstain => "abstain",
            };
            values.insert("stance".into(), s.into());
        }
        Ballot::Consent { object } => {
            values.insert("consent".into(), if *object { "object" } else { "consent" }.into());
        }
        Ballot::Single { option } => {
            values.insert("option".into(), option.to_string());
        }
        Ballot::Approval { options } => {
            for o in options {
                values.insert(format!("approve_{o}"), "1".into());
            }
        }
        Ballot::Score { scores } => {
            for (i, s) in scores.iter().enumerate() {
                if let Some(s) = s {
                    values.insert(format!("score_{i}"), s.to_string());
                }
            }
        }
        Ballot::Ranked { ranking } => {
            for (tier, options) in ranking.iter().enumerate() {
                for o in options {
                    values.insert(format!("rank_{o}"), (tier + 1).to_string());
                }
            }
        }
        Ballot::Quadratic { votes } => {
            for (i, v) in votes.iter().enumerate() {
                values.insert(format!("votes_{i}"), v.to_string());
            }
        }
        Ballot::Points { points } => {
            for (i, v) in points.iter().enumerate() {
                values.insert(format!("points_{i}"), v.to_string());
            }
        }
    }
    values
}

/// The fields a browser sends for the form [`prefill`] fills in (checked boxes under their one name).
pub fn submitted(ballot: &Ballot) -> Vec<(String, String)> {
    match ballot {
        Ballot::Approval { options } => options.iter().map(|o| ("approve".to_owned(), o.to_string())).collect(),
        other => {
            let mut fields: Vec<(String, String)> = prefill(other).into_iter().collect();
            fields.sort();
            fields
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::methods::{RankedRule, validate};
    use proptest::prelude::*;

    fn methods() -> Vec<VotingMethod> {
        vec![
            VotingMethod::YesNo { threshold: 0.5 },
            VotingMethod::Consent { objection_limit: 0.1 },
            VotingMethod::SingleChoice,
            VotingMethod::Approval,
            VotingMethod::Score,
            VotingMethod::Ranked { rule: RankedRule::Schulze },
            VotingMethod::Quadratic { credits: 100 },
            VotingMethod::Points { budget: 10 },
        ]
    }

    fn ballot_for(method: &VotingMethod, n: usize, seed: &[u32]) -> Ballot {
        let at = |i: usize| seed[i % seed.len()];
        match method {
            VotingMethod::YesNo { .. } => {
                Ballot::YesNo { stance: [Stance::Yes, Stance::No, Stance::Abstain][at(0) as usize % 3] }
            }
            VotingMethod::Consent { .. } => Ballot::Consent { object: at(0) % 2 == 1 },
            VotingMethod::SingleChoice => Ballot::Single { option: at(0) as usize % n },
            VotingMethod::Approval => Ballot::Approval { options: (0..n).filter(|i| at(*i) % 2 == 0).collect() },
            VotingMethod::Score => {
                Ballot::Score { scores: (0..n).map(|i| (at(i) % 3 != 0).then_some((at(i) % 6) as u8)).collect() }
            }
            VotingMethod::Ranked { .. } => {
                let mut tiers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
                for i in 0..n {
                    if at(i) % 4 != 0 {
                        tiers.entry(at(i) % 3).or_default().push(i);
                    }
                }
                Ballot::Ranked { ranking: tiers.into_values().collect() }
            }
            VotingMethod::Quadratic { .. } => Ballot::Quadratic { votes: (0..n).map(|i| at(i) % 4).collect() },
            VotingMethod::Points { .. } => Ballot::Points { points: (0..n).map(|i| at(i) % 3).collect() },
        }
    }

    proptest! {
        /// Every valid ballot survives the form: what the page fills in is what the form sends
        /// back and reads as the same ballot.
        #[test]
        fn a_valid_ballot_round_trips_through_its_form(n in 2usize..6, seed in prop::collection::vec(0u32..100, 1..8)) {
            for method in methods() {
                let ballot = ballot_for(&method, n, &seed);
                if validate(&method, n, &ballot).is_ok() {
                    prop_assert_eq!(read(&method, n, &submitted(&ballot)), Ok(ballot.clone()), "{:?}", method);
                }
            }
        }
    }

    #[test]
    fn a_form_that_does_not_read_says_why() {
        assert!(read(&VotingMethod::YesNo { threshold: 0.5 }, 2, &[]).is_err());
        assert!(read(&VotingMethod::Points { budget: 5 }, 2, &[("points_0".into(), "-1".into())]).is_err());
        assert!(read(&VotingMethod::Ranked { rule: RankedRule::Borda }, 2, &[("rank_0".into(), "x".into())]).is_err());
    }
}
