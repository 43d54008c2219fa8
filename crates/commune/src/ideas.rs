//! `commune bridge` and `commune opinions`: bridging-based ranking and the opinion map offline,
//! on CSV files, with the same core the server uses. Readers are strict: a malformed line is an
//! error naming the file and line, and nothing is printed.

use crate::work::{read, records};
use anyhow::{Context, bail};
use commune_domain::ideas::{bridge, opinion};
use std::collections::HashSet;
use std::path::Path;

/// The body rows of a CSV whose header is exactly `expected` (any case), as `(line, fields)`.
fn rows(file: &Path, expected: [&str; 3]) -> anyhow::Result<Vec<(usize, [String; 3])>> {
    let all = records(file, &read(file)?)?;
    let Some(((_, header), body)) = all.split_first() else {
        bail!("{} is empty: it needs the header {}", file.display(), expected.join(","))
    };
    let header: Vec<String> = header.iter().map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect();
    if header != expected {
        bail!("{} line 1: the header must be {}, not {}", file.display(), expected.join(","), header.join(","));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(body.len());
    for (line, f) in body {
        let [a, b, c] = f.as_slice() else {
            bail!("{} line {line}: expected {} fields ({}), got {}", file.display(), 3, expected.join(","), f.len())
        };
        if a.is_empty() || b.is_empty() {
            bail!("{} line {line}: the {} and the {} must not be empty", file.display(), expected[0], expected[1]);
        }
        if !seen.insert((a.clone(), b.clone())) {
            bail!(
                "{} line {line}: {a} already gave a {} for {b} (one per {} and {})",
                file.display(),
                expected[2],
                expected[0],
                expected[1]
            );
        }
        out.push((*line, [a.clone(), b.clone(), c.clone()]));
    }
    Ok(out)
}

/// `commune bridge --ratings R.csv`: prints `item,intercept,factor,status`.
pub fn bridge(file: &Path) -> anyhow::Result<()> {
    let rows = rows(file, ["rater", "item", "rating"])?;
    let mut parsed = Vec::with_capacity(rows.len());
    for (line, [rater, item, rating]) in &rows {
        let h = bridge::Helpfulness::parse("rating", rating)
            .map_err(|e| anyhow::anyhow!("{} line {line}: {}", file.display(), e.message))?;
        parsed.push((rater.as_str(), item.as_str(), h));
    }
    let scored = bridge::score(parsed);
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    w.write_record(["item", "intercept", "factor", "status"])?;
    for s in scored {
        w.write_record([
            s.item,
            format!("{:.6}", s.intercept),
            format!("{:.6}", s.factor),
            s.status.as_str().to_owned(),
        ])?;
    }
    w.flush().context("cannot write the output")
}

/// `commune opinions --votes V.csv`: prints the groups, consensus and representative statements
/// as JSON.
pub fn opinions(file: &Path) -> anyhow::Result<()> {
    let rows = rows(file, ["participant", "statement", "vote"])?;
    let mut votes = Vec::with_capacity(rows.len());
    for (line, [p, s, v]) in rows {
        let value: i8 = match v.as_str() {
            "1" | "+1" | "1.0" => 1,
            "-1" | "-1.0" => -1,
            "0" | "-0" | "0.0" => 0,
            other => {
                bail!("{} line {line}: vote '{other}' is not 1 (agree), -1 (disagree) or 0 (pass)", file.display())
            }
        };
        votes.push((p, s, value));
    }
    let named = opinion::analyse_named(&votes);
    println!("{}", serde_json::to_string_pretty(&named.to_json())?);
    Ok(())
}
