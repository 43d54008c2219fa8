//! `commune tally`: count a ballot file offline with the same core the server uses.

use anyhow::{Context, bail};
use commune_domain::governance::preflib::{self, DataType};
use commune_domain::governance::ranked::{self, Method};
use commune_domain::governance::snapshot::{self, VotingType};
use serde_json::{Map, Value, json};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// PrefLib ranked ballots: .soc, .soi, .toc, .toi.
    Preflib,
    /// snapshot.js's vote examples: {"proposal": {"choices": [...]}, "votes": [...]}.
    Snapshot,
}

/// How errors name the input: "standard input" for `-`, else the path.
fn shown(file: &Path) -> String {
    if file.as_os_str() == "-" { "standard input".to_owned() } else { file.display().to_string() }
}

fn read(file: &Path) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("cannot read standard input")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Runs the tally and returns the JSON object to print.
pub fn run(format: Format, method: &str, file: &Path) -> anyhow::Result<Value> {
    let text = read(file)?;
    match format {
        Format::Preflib => preflib_tally(method, file, &text),
        Format::Snapshot => {
            let Some(voting_type) = VotingType::parse(method) else {
                let known: Vec<&str> = VotingType::ALL.iter().map(|t| t.name()).collect();
                let hint = if Method::parse(method).is_some() {
                    " (that is a PrefLib method: drop --format snapshot)"
                } else {
                    ""
                };
                bail!("unknown snapshot voting type '{method}'{hint}; use one of: {}", known.join(", "));
            };
            let document: Value =
                serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", shown(file)))?;
            let scores = snapshot::scores(voting_type, &document).with_context(|| format!("in {}", shown(file)))?;
            Ok(json!({ "scores": scores }))
        }
    }
}

fn preflib_tally(method_name: &str, file: &Path, text: &str) -> anyhow::Result<Value> {
    let Some(method) = Method::parse(method_name) else {
        let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        let hint = if VotingType::parse(method_name).is_some() {
            " (that is a snapshot voting type: add --format snapshot)"
        } else {
            ""
        };
        bail!("unknown PrefLib method '{method_name}'{hint}; use one of: {}", known.join(", "));
    };
    let hint = file.extension().and_then(|e| e.to_str()).and_then(DataType::parse);
    let (profile, _) =
        preflib::parse(text, hint).with_context(|| format!("{} is not a valid PrefLib file", shown(file)))?;
    let outcome = ranked::tally(method, &profile)?;
    let label = |i: usize| profile.labels[i];
    let names = preflib::alternative_names(text);
    let mut scores = Map::new();
    for (i, score) in outcome.scores.iter().enumerate() {
        scores.insert(label(i).to_string(), json!(score));
    }
    let mut result = json!({
        "method": method.name(),
        "winners": outcome.winners.iter().map(|&i| label(i)).collect::<Vec<_>>(),
        "scores": scores,
        "score_meaning": method.score_meaning(),
        "alternatives": profile.alternatives(),
        "orders": profile.ballots(),
        "total_weight": commune_domain::governance::weight::votes(profile.total_weight()),
    });
    let named: Option<Vec<&String>> = outcome.winners.iter().map(|&i| names.get(&label(i))).collect();
    if let Some(named) = named.filter(|n| !n.is_empty()) {
        result["winner_names"] = json!(named);
    }
    if !outcome.rounds.is_empty() {
        let rounds: Vec<Value> = outcome
            .rounds
            .iter()
            .map(|round| {
                let mut tallies = Map::new();
                for (i, count) in round.iter().enumerate() {
                    if let Some(count) = count {
                        tallies.insert(label(i).to_string(), json!(count));
                    }
                }
                Value::Object(tallies)
            })
            .collect();
        result["rounds"] = Value::Array(rounds);
    }
    Ok(result)
}
