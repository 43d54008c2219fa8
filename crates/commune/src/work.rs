//! `commune skill`, `commune assign` and `commune match`: the work module's core offline, on
//! CSV files. Every reader is strict: a malformed line is an error naming the file and line.

use anyhow::{Context, bail};
use commune_domain::work::irt::{self, Options, Response};
use commune_domain::work::{assign, evaluate, simulate, stable};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

pub(crate) fn read(file: &Path) -> anyhow::Result<String> {
    if file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("cannot read standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
    }
}

/// CSV records with their 1-based line numbers (RFC 4180 quoting via the csv crate).
pub(crate) fn records(file: &Path, text: &str) -> anyhow::Result<Vec<(usize, Vec<String>)>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: not valid CSV", file.display()))?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_owned()).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        out.push((line, fields));
    }
    Ok(out)
}

/// Ids in order of first appearance.
#[derive(Default)]
struct Ids {
    index: HashMap<String, u32>,
    names: Vec<String>,
}

impl Ids {
    fn add(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        self.index.insert(id.to_owned(), self.names.len() as u32);
        self.names.push(id.to_owned());
        self.names.len() as u32 - 1
    }
}

/// The columns of `wanted` by header name, or the first three when the header names none.
fn positions(header: &[String], wanted: [&str; 3]) -> [usize; 3] {
    let find = |w: &str| header.iter().position(|h| h.eq_ignore_ascii_case(w));
    match (find(wanted[0]), find(wanted[1]), find(wanted[2])) {
        (Some(a), Some(b), Some(c)) => [a, b, c],
        _ => [0, 1, 2],
    }
}

/// `commune skill fit`: fit the 2PL on person,item,outcome rows and print person,item,p for
/// every row of the prediction file, in order.
pub fn skill_fit(responses: &Path, predict: &Path) -> anyhow::Result<()> {
    let (mut people, mut items) = (Ids::default(), Ids::default());
    let rows = records(responses, &read(responses)?)?;
    let Some(((_, header), body)) = rows.split_first() else {
        bail!("{} is empty: it needs a header line", responses.display())
    };
    let cols = positions(header, ["person", "item", "outcome"]);
    let mut data = Vec::with_capacity(body.len());
    for (line, f) in body {
        let get = |c: usize| f.get(c).map(String::as_str).unwrap_or("");
        let (person, item, outcome) = (get(cols[0]), get(cols[1]), get(cols[2]));
        if person.is_empty() || item.is_empty() {
            bail!("{} line {line}: person and item must not be empty", responses.display());
        }
        let correct = match outcome {
            "1" => true,
            "0" => false,
            other => bail!("{} line {line}: the outcome '{other}' is not 0 or 1", responses.display()),
        };
        data.push(Response { person: people.add(person), item: items.add(item), correct });
    }
    if data.is_empty() {
        bail!("{} has no responses", responses.display());
    }
    let prows = records(predict, &read(predict)?)?;
    let Some(((_, pheader), pbody)) = prows.split_first() else {
        bail!("{} is empty: it needs a header line", predict.display())
    };
    let find = |w: &str| pheader.iter().position(|h| h.eq_ignore_ascii_case(w));
    let (pc, ic) = match (find("person"), find("item")) {
        (Some(a), Some(b)) => (a, b),
        _ => (0, 1),
    };
    let mut wanted = Vec::with_capacity(pbody.len());
    for (line, f) in pbody {
        let get = |c: usize| f.get(c).cloned().unwrap_or_default();
        let (person, item) = (get(pc), get(ic));
        if person.is_empty() || item.is_empty() {
            bail!("{} line {line}: person and item must not be empty", predict.display());
        }
        wanted.push((person, item));
    }
    let fit = irt::fit(people.names.len(), items.names.len(), &data, Options::default());
    let mut answers: Vec<Vec<(u32, bool)>> = vec![Vec::new(); people.names.len()];
    for r in &data {
        answers[r.person as usize].push((r.item, r.correct));
    }
    let nobody = fit.ability(&[]);
    let abilities: Vec<irt::Ability> = answers.iter().map(|a| fit.ability(a)).collect();
    let typical = fit.typical_item();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "person,item,p")?;
    for (person, item) in wanted {
        let ability = people.index.get(&person).map_or(&nobody, |&p| &abilities[p as usize]);
        let item_params = items.index.get(&item).map_or(typical, |&i| fit.items[i as usize]);
        writeln!(out, "{},{},{:.6}", field(&person), field(&item), ability.p(item_params))?;
    }
    out.flush()?;
    Ok(())
}

fn field(raw: &str) -> String {
    if raw.contains([',', '"', '\n', '\r']) { format!("\"{}\"", raw.replace('"', "\"\"")) } else { raw.to_owned() }
}

/// `commune skill eval`: the held-out evaluation on a wide 0/1 matrix (a header; first column the
/// person, then one column per item; empty = not answered).
pub fn skill_eval(wide: &Path, held_out_percent: u64, seed: u64) -> anyhow::Result<Value> {
    let rows = records(wide, &read(wide)?)?;
    let Some(((_, header), body)) = rows.split_first() else { bail!("{} is empty", wide.display()) };
    let items = header.len().saturating_sub(1);
    let mut data = Vec::new();
    for (person, (line, f)) in body.iter().enumerate() {
        for (item, cell) in f.iter().skip(1).enumerate() {
            let correct = match cell.as_str() {
                "" => continue,
                "1" => true,
                "0" => false,
                other => bail!("{} line {line}: '{other}' is not 0, 1 or empty", wide.display()),
            };
            if item >= items {
                bail!("{} line {line}: more cells than the header has items", wide.display());
            }
            data.push(Response { person: person as u32, item: item as u32, correct });
        }
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("fitting on {} answers of {} people × {items} items", data.len(), body.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let evaluation = evaluate::holdout(body.len(), items, &data, held_out_percent, seed);
    spinner.finish_and_clear();
    Ok(
        json!({ "file": wide.display().to_string(), "seed": seed, "held_out_percent": held_out_percent, "evaluation": evaluation }),
    )
}

/// `commune skill simulate`: the seeded matching simulation, on `seeds` consecutive seeds; per
/// policy the mean (and range) of successes and regret, and the first seed's learning curve.
pub fn skill_simulate(setup: simulate::Setup, seeds: u64) -> Value {
    let all: Vec<Vec<simulate::Run>> =
        (0..seeds.max(1)).map(|k| simulate::run(simulate::Setup { seed: setup.seed + k, ..setup })).collect();
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let policies = simulate::Policy::ALL.iter().enumerate().map(|(k, policy)| {
        let regrets: Vec<f64> = all.iter().map(|runs| runs[k].regret).collect();
        let successes: Vec<f64> = all.iter().map(|runs| runs[k].successes as f64).collect();
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let wins = all.iter().filter(|runs| runs[k].regret < runs[2].regret).count();
        json!({
            "policy": policy,
            "mean_successes": round2(mean(&successes)),
            "mean_regret": round2(mean(&regrets)),
            "regret_range": [round2(regrets.iter().copied().fold(f64::INFINITY, f64::min)), round2(regrets.iter().copied().fold(0.0, f64::max))],
            "seeds_with_less_regret_than_greedy": wins,
            "first_seed_cumulative_successes": checkpoints(&all[0][k].cumulative),
        })
    }).collect::<Vec<_>>();
    json!({
        "members": setup.members, "domains": setup.domains, "tasks_per_round": setup.tasks_per_round,
        "rounds": setup.rounds, "first_seed": setup.seed, "seeds": seeds.max(1),
        "exploration": commune_domain::work::recommend::EXPLORATION,
        "policies": policies,
    })
}

/// Cumulative successes after rounds 10, 25 and the last.
fn checkpoints(cumulative: &[u64]) -> Vec<[u64; 2]> {
    [10, 25, cumulative.len()].iter().filter_map(|&k| cumulative.get(k.max(1) - 1).map(|&c| [k as u64, c])).collect()
}

/// A dense numeric matrix without header: every row the same length. Large files are split at
/// line boundaries and parsed on every core; each cell goes through [`number`].
pub fn read_matrix(file: &Path) -> anyhow::Result<(Vec<f64>, usize, usize)> {
    let owned = read(file)?;
    let text = owned.as_str();
    let bytes = text.as_bytes();
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    // Cut points at line starts, so each part holds whole lines.
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let mut at = bytes.len() * k / parts;
        while at < bytes.len() && bytes[at - 1] != b'\n' {
            at += 1;
        }
        if at > *cuts.last().unwrap_or(&0) && at < bytes.len() {
            cuts.push(at);
        }
    }
    cuts.push(bytes.len());
    let first_line = |start: usize| bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    let pieces: Vec<anyhow::Result<Rows>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                scope.spawn(move || parse_rows(file, &text[start..end], first_line(start)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| bail!("a parser thread panicked"))).collect()
    });
    let mut values = Vec::new();
    let (mut rows, mut cols) = (0usize, None);
    for piece in pieces {
        let (vals, row_lens) = piece?;
        for (line, n) in row_lens {
            match cols {
                None => cols = Some(n),
                Some(c) if c != n => bail!("{} line {line}: {n} values where the first row has {c}", file.display()),
                _ => {}
            }
            rows += 1;
        }
        if values.is_empty() {
            values = vals;
        } else {
            values.extend_from_slice(&vals);
        }
    }
    Ok((values, rows, cols.unwrap_or(0)))
}

/// Values, and per non-empty line its number and length.
type Rows = (Vec<f64>, Vec<(usize, usize)>);

/// The values of some lines and, per non-empty line, its number and length: one pass over the
/// bytes, cells cut at commas.
fn parse_rows(file: &Path, text: &str, first_line: usize) -> anyhow::Result<Rows> {
    let bytes = text.as_bytes();
    let mut values = Vec::with_capacity(bytes.len() / 8);
    let mut rows = Vec::new();
    let (mut line, mut start, mut row_start) = (first_line, 0usize, 0usize);
    for at in 0..=bytes.len() {
        let b = bytes.get(at).copied().unwrap_or(b'\n');
        if b != b',' && b != b'\n' {
            continue;
        }
        let cell = text[start..at].trim();
        start = at + 1;
        if b == b'\n' && cell.is_empty() && values.len() == row_start {
            line += 1;
            continue;
        }
        let v = number(cell).with_context(|| {
            let column = text[..at].rsplit('\n').next().map_or(0, |l| l.matches(',').count()) + 1;
            format!("{} line {line}, column {column}: '{cell}' is not a number", file.display())
        })?;
        values.push(v);
        if b == b'\n' {
            rows.push((line, values.len() - row_start));
            row_start = values.len();
            line += 1;
        }
    }
    Ok((values, rows))
}

/// A cell as a number (never NaN). Plain decimals such as `123.456789` take Clinger's fast path
/// (an integer below 2^53 divided by a power of ten up to 10^22: both exact, so the one
/// division is correctly rounded, the same value `str::parse` gives); everything else
/// (exponents, long mantissas, `inf`) goes through `str::parse`.
fn number(cell: &str) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];
    let bytes = cell.as_bytes();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let (mut mantissa, mut count, mut decimals, mut point) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' if count < 19 => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                decimals += usize::from(point);
            }
            b'.' if !point => point = true,
            _ => return cell.parse::<f64>().ok().filter(|v| !v.is_nan()),
        }
    }
    if count == 0 || mantissa >= 1 << 53 || decimals > 22 {
        return cell.parse::<f64>().ok().filter(|v| !v.is_nan());
    }
    let v = mantissa as f64 / POW10[decimals];
    Some(if negative { -v } else { v })
}

/// `commune assign`: an optimal assignment of the cost matrix.
pub fn assign(costs: &Path, maximize: bool) -> anyhow::Result<Value> {
    let (matrix, rows, cols) = read_matrix(costs)?;
    let solved = assign::solve(&matrix, rows, cols, maximize).with_context(|| format!("{}", costs.display()))?;
    Ok(json!({ "pairs": solved.pairs.iter().map(|&(r, c)| [r, c]).collect::<Vec<_>>(), "total": solved.total }))
}

fn list(raw: &str) -> Vec<String> {
    raw.split_whitespace().map(str::to_owned).collect()
}

/// `commune match`: the person-optimal stable matching with capacities.
pub fn matching(people_file: &Path, tasks_file: &Path) -> anyhow::Result<Value> {
    let mut people = Vec::new();
    let mut seen = HashMap::new();
    for (line, f) in records(people_file, &read(people_file)?)?.into_iter().skip(1) {
        let id = f.first().cloned().unwrap_or_default();
        if id.is_empty() {
            bail!("{} line {line}: the person id is empty", people_file.display());
        }
        if f.len() > 2 {
            bail!(
                "{} line {line}: expected person,preferences (separate preferences by spaces)",
                people_file.display()
            );
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            bail!("{} line {line}: person '{id}' is already on line {first}", people_file.display());
        }
        people.push(stable::Person { id, preferences: list(f.get(1).map(String::as_str).unwrap_or("")) });
    }
    let mut tasks = Vec::new();
    let mut seen = HashMap::new();
    for (k, (line, f)) in records(tasks_file, &read(tasks_file)?)?.into_iter().enumerate() {
        let id = f.first().cloned().unwrap_or_default();
        let capacity = f.get(1).map(String::as_str).unwrap_or("");
        if k == 0 && capacity.eq_ignore_ascii_case("capacity") {
            continue;
        }
        if id.is_empty() {
            bail!("{} line {line}: the task id is empty", tasks_file.display());
        }
        if f.len() > 3 {
            bail!(
                "{} line {line}: expected task,capacity,preferences (separate preferences by spaces)",
                tasks_file.display()
            );
        }
        let capacity: usize = capacity.parse().with_context(|| {
            format!("{} line {line}: the capacity '{capacity}' is not a whole number ≥ 0", tasks_file.display())
        })?;
        if let Some(first) = seen.insert(id.clone(), line) {
            bail!("{} line {line}: task '{id}' is already on line {first}", tasks_file.display());
        }
        tasks.push(stable::Task { id, capacity, preferences: list(f.get(2).map(String::as_str).unwrap_or("")) });
    }
    let matching = stable::deferred_acceptance(&people, &tasks);
    Ok(json!({ "matching": matching }))
}
