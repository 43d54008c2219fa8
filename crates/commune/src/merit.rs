//! `commune merit`: fit the believability model offline, with the same core as the server.

use anyhow::{Context, bail};
use commune_domain::merit::model::{self, ModelConfig, Rating};
use commune_domain::merit::simulation::{self, SimulationConfig};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// Members by their string ids, in order of first appearance.
#[derive(Default)]
struct Ids {
    index: HashMap<String, usize>,
    names: Vec<String>,
}

impl Ids {
    fn get_or_add(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.index.insert(id.to_owned(), self.names.len());
        self.names.push(id.to_owned());
        self.names.len() - 1
    }
}

fn columns(headers: &csv::StringRecord, file: &Path, wanted: &[&str]) -> anyhow::Result<Vec<usize>> {
    wanted
        .iter()
        .map(|w| {
            headers.iter().position(|h| h.trim().eq_ignore_ascii_case(w)).with_context(|| {
                format!("{} has no '{w}' column; its header must name {}", file.display(), wanted.join(", "))
            })
        })
        .collect()
}

fn read_ratings(file: &Path, ids: &mut Ids) -> anyhow::Result<Vec<Rating>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers().with_context(|| format!("{} has no header line", file.display()))?.clone();
    let cols = columns(&headers, file, &["rater", "ratee", "score"])?;
    let mut ratings = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{} line {line}: not valid CSV", file.display()))?;
        let field = |c: usize| record.get(c).map(str::trim).unwrap_or("");
        let (rater, ratee, score) = (field(cols[0]), field(cols[1]), field(cols[2]));
        if rater.is_empty() || ratee.is_empty() {
            bail!("{} line {line}: rater and ratee must not be empty", file.display());
        }
        let score: f64 = score
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite())
            .with_context(|| format!("{} line {line}: the score '{score}' is not a number", file.display()))?;
        ratings.push(Rating { rater: ids.get_or_add(rater), ratee: ids.get_or_add(ratee), score, weight: 1.0 });
    }
    if ratings.is_empty() {
        bail!("{} holds no ratings", file.display());
    }
    Ok(ratings)
}

/// Fits the model on `ratings`; prints predictions for `predict` or scores, as CSV.
pub fn fit(ratings_file: &Path, predict: Option<&Path>, scores: bool) -> anyhow::Result<()> {
    if predict.is_none() && !scores {
        bail!("say what to print: --predict P.csv, --scores, or both");
    }
    let mut ids = Ids::default();
    let ratings = read_ratings(ratings_file, &mut ids)?;
    // Prediction pairs may name members the ratings never mention; they get no index.
    let pairs = match predict {
        Some(file) => Some(read_pairs(file)?),
        None => None,
    };
    let fit = model::fit(ids.names.len(), &ratings, ModelConfig::default());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Some(pairs) = pairs {
        writeln!(out, "rater,ratee,predicted")?;
        for (rater, ratee) in pairs {
            let p = fit.predict(ids.index.get(&rater).copied(), ids.index.get(&ratee).copied());
            writeln!(out, "{},{},{p}", quote(&rater), quote(&ratee))?;
        }
    }
    if scores {
        writeln!(out, "member,believability,lower")?;
        for (j, name) in ids.names.iter().enumerate() {
            if fit.distinct_raters[j] > 0 {
                writeln!(out, "{},{},{}", quote(name), fit.believability(j), fit.lower(j))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn read_pairs(file: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers().with_context(|| format!("{} has no header line", file.display()))?.clone();
    let cols = columns(&headers, file, &["rater", "ratee"])?;
    reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let record = record.with_context(|| format!("{} line {}: not valid CSV", file.display(), i + 2))?;
            let field = |c: usize| record.get(c).map(str::trim).unwrap_or("").to_owned();
            Ok((field(cols[0]), field(cols[1])))
        })
        .collect()
}

/// CSV-quotes a field when it needs it.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Runs the manipulation simulation, one attack at a time, and prints its report as JSON: per
/// attack, the attackers' lift in percentile rank and honest members' Spearman correlation, for
/// the model and for a plain mean.
pub fn simulate(seed: u64, members: usize) -> anyhow::Result<()> {
    let reports = simulation::run(SimulationConfig { seed, members, ..SimulationConfig::default() });
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "seed": seed, "attacks": reports }))?);
    Ok(())
}
