//! `commune learn` and `commune forecast`: spaced repetition and forecast scoring offline, on
//! CSV files, with the same core the server uses. Readers are strict: a malformed line is an
//! error naming the file and line, and nothing is printed.

use crate::work::{read, records};
use anyhow::{Context, bail};
use commune_domain::learn::{forecast, memory};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;

/// The columns named in `wanted`, found in `header` (any case); a missing one is an error.
fn columns<const N: usize>(file: &Path, header: &[String], wanted: [&[&str]; N]) -> anyhow::Result<[usize; N]> {
    let mut out = [0; N];
    for (k, names) in wanted.iter().enumerate() {
        out[k] = header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
            .with_context(|| format!("{} line 1: the header needs a column '{}'", file.display(), names[0]))?;
    }
    Ok(out)
}

fn cell(fields: &[String], column: usize) -> &str {
    fields.get(column).map(String::as_str).unwrap_or("")
}

fn integer(file: &Path, line: usize, what: &str, raw: &str) -> anyhow::Result<i64> {
    let ok = !raw.is_empty() && raw.strip_prefix('-').unwrap_or(raw).bytes().all(|b| b.is_ascii_digit());
    match ok.then(|| raw.parse::<i64>().ok()).flatten() {
        Some(v) if v.abs() <= 1_000_000_000 => Ok(v),
        _ => bail!("{} line {line}: {what} '{raw}' is not a whole number of days", file.display()),
    }
}

/// Cards in order of first appearance with their reviews (R.csv: card,rating,day).
fn review_log(file: &Path) -> anyhow::Result<(Vec<String>, Vec<Vec<memory::Review>>)> {
    let rows = records(file, &read(file)?)?;
    let Some(((_, header), body)) = rows.split_first() else {
        bail!("{} is empty: it needs the header card,rating,day", file.display())
    };
    let [c_card, c_rating, c_day] = columns(file, header, [&["card"], &["rating"], &["day"]])?;
    let mut index: HashMap<String, usize> = HashMap::new();
    let (mut names, mut cards): (Vec<String>, Vec<Vec<memory::Review>>) = (Vec::new(), Vec::new());
    for (line, f) in body {
        let card = cell(f, c_card);
        if card.is_empty() {
            bail!("{} line {line}: the card is empty", file.display());
        }
        let rating = match cell(f, c_rating) {
            r @ ("1" | "2" | "3" | "4") => r.parse::<u8>().expect("a digit"),
            r => bail!("{} line {line}: rating '{r}' is not 1, 2, 3 or 4", file.display()),
        };
        let day = integer(file, *line, "day", cell(f, c_day))?;
        let k = *index.entry(card.to_owned()).or_insert_with(|| {
            names.push(card.to_owned());
            cards.push(Vec::new());
            cards.len() - 1
        });
        if let Some(last) = cards[k].last()
            && day < last.day
        {
            bail!("{} line {line}: card '{card}' goes back in time (day {day} after day {})", file.display(), last.day);
        }
        cards[k].push(memory::Review { rating, day });
    }
    Ok((names, cards))
}

fn csv_out(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// `commune learn memory`: stability and difficulty after each card's last review, with the
/// FSRS-6 defaults.
pub fn memory_states(reviews: &Path) -> anyhow::Result<()> {
    let (names, cards) = review_log(reviews)?;
    let model = memory::Model::default();
    let mut rows = Vec::with_capacity(names.len());
    for (name, card) in names.iter().zip(&cards) {
        let m = model.memory(card).map_err(|e| anyhow::anyhow!("card '{name}': {e}"))?.context("no reviews")?;
        rows.push(vec![name.clone(), (m.stability as f32).to_string(), (m.difficulty as f32).to_string()]);
    }
    csv_out(&["card", "stability", "difficulty"], rows)
}

/// `commune learn fit`: FSRS-6 parameters fitted on R.csv, as a JSON array of 21 numbers; with
/// P.csv (card,day) the predicted probability of recall on each row's day instead, as CSV.
pub fn fit(reviews: &Path, predict: Option<&Path>) -> anyhow::Result<Option<Value>> {
    let (names, cards) = review_log(reviews)?;
    let asked = match predict {
        Some(file) => Some(prediction_rows(file, &names, &cards)?),
        None => None,
    };
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!(
        "fitting FSRS-6 on {} reviews of {} cards",
        cards.iter().map(Vec::len).sum::<usize>(),
        cards.len()
    ));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let parameters = memory::fit(&cards).map_err(|e| anyhow::anyhow!("{e}"));
    spinner.finish_and_clear();
    let parameters = parameters?;
    let Some(asked) = asked else {
        return Ok(Some(json!(parameters.iter().map(|&w| json_f32(w)).collect::<Vec<_>>())));
    };
    let model = memory::Model::new(&parameters).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rows = Vec::with_capacity(asked.len());
    for (name, k, day) in asked {
        let m = model.memory(&cards[k]).map_err(|e| anyhow::anyhow!("{e}"))?.context("no reviews")?;
        rows.push(vec![name, day.to_string(), format!("{:.6}", model.recall(m, day))]);
    }
    csv_out(&["card", "day", "p"], rows)?;
    Ok(None)
}

/// A parameter as JSON with the digits an f32 has (not the f64 expansion of them).
fn json_f32(w: f32) -> Value {
    w.to_string().parse::<f64>().map(Value::from).unwrap_or(Value::Null)
}

fn prediction_rows(
    file: &Path,
    names: &[String],
    cards: &[Vec<memory::Review>],
) -> anyhow::Result<Vec<(String, usize, i64)>> {
    let rows = records(file, &read(file)?)?;
    let Some(((_, header), body)) = rows.split_first() else {
        bail!("{} is empty: it needs the header card,day", file.display())
    };
    let [c_card, c_day] = columns(file, header, [&["card"], &["day"]])?;
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(k, n)| (n.as_str(), k)).collect();
    let mut out = Vec::with_capacity(body.len());
    for (line, f) in body {
        let card = cell(f, c_card);
        let Some(&k) = index.get(card) else {
            bail!("{} line {line}: card '{card}' has no reviews in the review log", file.display())
        };
        let day = integer(file, *line, "day", cell(f, c_day))?;
        let last = cards[k].last().map_or(day, |r| r.day);
        if day < last {
            bail!("{} line {line}: day {day} is before card '{card}''s last review (day {last})", file.display());
        }
        out.push((card.to_owned(), k, day));
    }
    Ok(out)
}

/// `commune forecast score`: Brier, log score and calibration per forecaster.
///
/// F.csv: forecaster,question,p (p the probability that the question resolves yes; a later row
/// for the same forecaster and question replaces the earlier). O.csv: question,outcome (1/0,
/// yes/no or true/false). Forecasts on questions without an outcome are counted as unresolved.
pub fn score(forecasts: &Path, outcomes: &Path) -> anyhow::Result<Value> {
    let rows = records(outcomes, &read(outcomes)?)?;
    let Some(((_, header), body)) = rows.split_first() else {
        bail!("{} is empty: it needs the header question,outcome", outcomes.display())
    };
    let [c_q, c_o] =
        columns(outcomes, header, [&["question", "question_id", "id"], &["outcome", "resolution", "result"]])?;
    let mut resolved: HashMap<String, bool> = HashMap::new();
    for (line, f) in body {
        let q = cell(f, c_q);
        if q.is_empty() {
            bail!("{} line {line}: the question is empty", outcomes.display());
        }
        let o = match cell(f, c_o).to_ascii_lowercase().as_str() {
            "1" | "yes" | "true" => true,
            "0" | "no" | "false" => false,
            other => bail!("{} line {line}: outcome '{other}' is not 1 or 0", outcomes.display()),
        };
        if resolved.insert(q.to_owned(), o).is_some() {
            bail!("{} line {line}: question '{q}' has a second outcome", outcomes.display());
        }
    }
    let rows = records(forecasts, &read(forecasts)?)?;
    let Some(((_, header), body)) = rows.split_first() else {
        bail!("{} is empty: it needs the header forecaster,question,p", forecasts.display())
    };
    let [c_f, c_q, c_p] = columns(
        forecasts,
        header,
        [&["forecaster", "member", "user"], &["question", "question_id", "id"], &["p", "probability", "forecast"]],
    )?;
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<(String, String), f64> = HashMap::new();
    let mut question_order: Vec<(String, String)> = Vec::new();
    for (line, f) in body {
        let (who, q) = (cell(f, c_f), cell(f, c_q));
        if who.is_empty() || q.is_empty() {
            bail!("{} line {line}: forecaster and question must not be empty", forecasts.display());
        }
        let p = forecast::probability("p", cell(f, c_p))
            .map_err(|e| anyhow::anyhow!("{} line {line}: {}", forecasts.display(), e.message))?;
        if !order.iter().any(|o| o == who) {
            order.push(who.to_owned());
        }
        let key = (who.to_owned(), q.to_owned());
        if latest.insert(key.clone(), p).is_none() {
            question_order.push(key);
        }
    }
    order.sort();
    let mut out = Map::new();
    let mut unresolved = 0usize;
    for who in &order {
        let mut scored = Vec::new();
        let mut pairs = Vec::new();
        for key in question_order.iter().filter(|k| &k.0 == who) {
            let p = latest[key];
            match resolved.get(&key.1) {
                Some(&o) => {
                    let probs = vec![1.0 - p, p];
                    pairs.extend(forecast::calibration_pairs(&probs, usize::from(o)));
                    scored.push((probs, usize::from(o), None));
                }
                None => unresolved += 1,
            }
        }
        let entry = match forecast::record(&scored) {
            Some(r) => json!({
                "forecasts": r.forecasts,
                "brier": r.brier,
                "log_score": r.log_score,
                "log_loss": -r.log_score,
                "calibration": forecast::calibration(&pairs),
            }),
            None => {
                json!({"forecasts": 0, "brier": null, "log_score": null, "log_loss": null, "calibration": forecast::calibration(&[])})
            }
        };
        out.insert(who.clone(), entry);
    }
    Ok(json!({
        "scoring": "brier = mean (p - outcome)^2; log_score = mean ln(p of the outcome), p clipped to [1e-15, 1-1e-15]; log_loss = -log_score; ten calibration bins of p, the last including 1",
        "questions_resolved": resolved.len(),
        "unresolved_forecasts": unresolved,
        "forecasters": out,
    }))
}

/// `commune learn eval`: the time-ordered evaluation on R.csv or on a seeded synthetic log whose
/// learner is unlike the defaults.
pub fn eval(reviews: Option<&Path>, seed: u64, cards: usize, days: i64, train_percent: u64) -> anyhow::Result<Value> {
    if !(10..=90).contains(&train_percent) {
        bail!("--train-percent is between 10 and 90");
    }
    let (source, log) = match reviews {
        Some(file) => (file.display().to_string(), review_log(file)?.1),
        None => {
            if !(1..=100_000).contains(&cards) || !(2..=3650).contains(&days) {
                bail!("--cards is 1 to 100000 and --days 2 to 3650");
            }
            let truth = memory::unlike_defaults();
            let log = memory::synthetic(seed, cards, days, &truth).map_err(|e| anyhow::anyhow!("{e}"))?;
            (format!("synthetic (seed {seed}, {cards} cards, {days} days)"), log)
        }
    };
    let e = memory::evaluate(&log, train_percent).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(json!({ "source": source, "evaluation": e }))
}
