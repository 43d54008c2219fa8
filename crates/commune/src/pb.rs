//! `commune pb`: decide a participatory-budgeting election from a Pabulib `.pb` file offline,
//! with the same rules the rounds use; prints one JSON object.

use anyhow::{Context, bail};
use commune_domain::capital::pb;
use commune_domain::capital::rules::{self, Options, Rule};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

pub fn run(rule_name: &str, file: &Path, explain: bool) -> anyhow::Result<Value> {
    let Some(rule) = Rule::parse(rule_name) else {
        let known: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
        bail!("unknown rule '{rule_name}'; use one of: {}", known.join(", "));
    };
    let shown = if file.as_os_str() == "-" { "standard input".to_owned() } else { file.display().to_string() };
    let text = if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("cannot read standard input")?;
        text
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {shown}"))?
    };
    let election = pb::parse(&text).with_context(|| format!("{shown} is not a valid .pb file"))?;
    // Add1 loops on large files take seconds: a spinner on stderr (hidden when not a terminal).
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner:.magenta} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    spinner.enable_steady_tick(Duration::from_millis(120));
    let budget = u128::from(election.budget);
    let mut progress = |runs: u32, cost: u128| {
        spinner.set_message(format!(
            "{} voters, {} projects: MES run {runs}, {}% of the budget",
            election.voters.len(),
            election.projects.len(),
            cost * 100 / budget.max(1)
        ));
    };
    let outcome = rules::run(rule, &election, Options { explain }, &mut progress)?;
    spinner.finish_and_clear();
    let ids = |list: &[usize]| {
        let mut ids: Vec<&str> = list.iter().map(|&p| election.projects[p].id.as_str()).collect();
        ids.sort();
        ids
    };
    let mut result = json!({
        "rule": rule.name(),
        "selected": outcome.ids(&election),
        "cost": election.show(election.cost_of(&outcome.selected)),
        "budget": election.show(budget),
        "voters": election.voters.len(),
        "projects": election.projects.len(),
        "ballot": election.kind.name(),
    });
    if let Some(per_voter) = &outcome.per_voter_budget {
        result["per_voter_budget"] = json!(rules::decimal(per_voter, election.unit));
        result["mes_runs"] = json!(outcome.runs);
    }
    if matches!(rule, Rule::MesAdd1 | Rule::EqualShares) {
        result["completion"] = json!(ids(&outcome.completion));
    }
    if explain {
        result["order"] = json!(outcome.selected.iter().map(|&p| &election.projects[p].id).collect::<Vec<_>>());
        result["effective_votes"] = outcome
            .purchases
            .iter()
            .map(|b| (election.projects[b.project].id.clone(), json!(rules::decimal(&b.effective_votes, 1))))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    if let Some(official) = pb::official_selection(&text) {
        let mut official: Vec<String> = official;
        official.sort();
        result["matches_file_selection"] = json!(official == outcome.ids(&election));
    }
    Ok(result)
}
