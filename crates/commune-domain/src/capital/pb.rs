//! A participatory-budgeting election and its Pabulib `.pb` form (pabulib.org/format): `META`,
//! `PROJECTS` and `VOTES` sections of `;`-separated rows, each section's first row its header.
//!
//! Amounts are exact integers: costs and the budget are scaled by `10^d`, `d` the most decimals
//! any of them is written with, so `12.5` and `1000` become `125` and `10000` with `unit = 10`
//! (the rules that depend on a currency unit, like Add1's "one more unit per voter", use `unit`).
//! Points are scaled the same way on their own. Reading follows the pabutools parser — an
//! approval ballot is a set, a cumulative ballot a map where a repeated project keeps its last
//! points — but is strict where that parser is lenient: a duplicate project id, a negative or
//! malformed cost, a vote for an unknown project or a points list of the wrong length is an error
//! naming its line. Ordinal elections are refused: no rule here reads rankings.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// How members vote in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BallotKind {
    /// Approve any set of projects (Pabulib `approval`, `choose-1`).
    Approval,
    /// Spread points over projects (Pabulib `cumulative`, `scoring`).
    Cumulative,
}

impl BallotKind {
    pub fn name(self) -> &'static str {
        match self {
            BallotKind::Approval => "approval",
            BallotKind::Cumulative => "cumulative",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project's id as written (`project_id`); rules break ties by it, in code-point order.
    pub id: String,
    /// In scaled units (see [`Election::unit`]); zero is allowed in files, never in a round.
    pub cost: u64,
    pub name: String,
}

/// One ballot: the projects it supports with their points (1 for an approval), at most once
/// each, and the voter's weight (1 in a file; micro-votes in a round).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub id: String,
    pub weight: u64,
    pub picks: Vec<(usize, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    pub kind: BallotKind,
    /// In scaled units.
    pub budget: u64,
    /// Scaled units in one currency unit (a power of ten).
    pub unit: u64,
    pub projects: Vec<Project>,
    pub voters: Vec<Voter>,
    /// The `META` section in file order (for export and display).
    pub meta: Vec<(String, String)>,
}

impl Election {
    pub fn total_weight(&self) -> u128 {
        self.voters.iter().map(|v| u128::from(v.weight)).sum()
    }

    /// Supporters of each project (voter index, points > 0).
    pub fn supporters(&self) -> Vec<Vec<(u32, u64)>> {
        let mut out = vec![Vec::new(); self.projects.len()];
        for (i, voter) in self.voters.iter().enumerate() {
            for &(p, points) in &voter.picks {
                if points > 0 {
                    out[p].push((i as u32, points));
                }
            }
        }
        out
    }

    pub fn cost_of(&self, selected: &[usize]) -> u128 {
        selected.iter().map(|&p| u128::from(self.projects[p].cost)).sum()
    }

    /// A scaled amount as a decimal in currency units (`125` with unit 10 is `12.5`).
    pub fn show(&self, scaled: u128) -> String {
        show_scaled(scaled, self.unit)
    }
}

/// `scaled / unit` written as a decimal without trailing zeros.
pub fn show_scaled(scaled: u128, unit: u64) -> String {
    let unit = u128::from(unit);
    let whole = scaled / unit;
    let mut fraction = scaled % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let mut digits = unit.ilog10() as usize;
    while fraction.is_multiple_of(10) {
        fraction /= 10;
        digits -= 1;
    }
    format!("{whole}.{fraction:0digits$}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbError {
    /// 1-based line in the file, 0 when the problem is the file as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { write!(f, "{}", self.message) } else { write!(f, "line {}: {}", self.line, self.message) }
    }
}

impl std::error::Error for PbError {}

fn err(line: usize, message: impl Into<String>) -> PbError {
    PbError { line, message: message.into() }
}

/// The most projects and ballots a file may hold (the largest Pabulib files have ~1,000 and
/// ~500,000).
pub const MAX_PROJECTS: usize = 10_000;
pub const MAX_VOTERS: usize = 5_000_000;

/// Splits one `;`-separated row the way Python's `csv` module does by default (`"` quotes,
/// `""` inside quotes for a quote); a row without quotes is only sliced.
fn split_row(line: &str, limit: usize) -> Vec<Cow<'_, str>> {
    // Only the first `limit` fields are read (a ballot row's district, age, ... are not): a
    // quote or separator after them cannot change them.
    let end = match limit {
        usize::MAX => line.len(),
        _ => line.match_indices(';').nth(limit.saturating_sub(1)).map_or(line.len(), |(i, _)| i),
    };
    let line = &line[..end];
    if !line.contains('"') {
        return line.split(';').map(Cow::Borrowed).collect();
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (';', false) => fields.push(Cow::Owned(std::mem::take(&mut field))),
            _ => field.push(c),
        }
    }
    fields.push(Cow::Owned(field));
    fields
}

/// A non-negative decimal (`12`, `12.50`, `12,5`) as (digits without the point, decimals).
fn decimal(raw: &str) -> Option<(u128, u32)> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once(['.', ',']).unwrap_or((raw, ""));
    let fraction = fraction.trim_end_matches('0');
    if whole.is_empty() || whole.len() + fraction.len() > 30 || (raw.contains(['.', ',']) && raw.ends_with(['.', ',']))
    {
        return None;
    }
    let mut value: u128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u128::from(b - b'0');
    }
    Some((value, fraction.len() as u32))
}

/// Brings decimals to one scale `10^d`; fails when a value would not fit in `u64`.
fn rescale(values: &[(u128, u32)]) -> Option<(Vec<u64>, u64)> {
    let decimals = values.iter().map(|v| v.1).max().unwrap_or(0);
    if decimals > 9 {
        return None;
    }
    let scaled = values
        .iter()
        .map(|&(v, d)| v.checked_mul(10u128.pow(decimals - d)).and_then(|x| u64::try_from(x).ok()))
        .collect::<Option<Vec<u64>>>()?;
    Some((scaled, 10u64.pow(decimals)))
}

#[derive(PartialEq)]
enum Section {
    None,
    Meta,
    Projects,
    Votes,
}

struct RawProject {
    line: usize,
    id: String,
    cost: (u128, u32),
    name: String,
}

struct RawVote {
    id: String,
    picks: Vec<(usize, (u128, u32))>,
}

/// Reads a `.pb` file.
pub fn parse(text: &str) -> Result<Election, PbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut section = Section::None;
    let mut header: Vec<String> = Vec::new();
    let mut meta: Vec<(String, String)> = Vec::new();
    let mut projects: Vec<RawProject> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut votes: Vec<RawVote> = Vec::new();
    let mut kind: Option<BallotKind> = None;
    let mut expect_header = false;
    // Fields a row needs: all of them, except in VOTES (the voter, the vote and the points).
    let mut limit = usize::MAX;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let row = split_row(line, if expect_header { usize::MAX } else { limit });
        if row.iter().all(|f| f.trim().is_empty()) && row.len() <= 1 {
            continue;
        }
        if expect_header {
            header = row.iter().map(|f| f.trim().to_owned()).collect();
            expect_header = false;
            if section == Section::Projects && header.iter().all(|h| h != "cost") {
                return Err(err(line_no, "the PROJECTS header has no `cost` column"));
            }
            limit = usize::MAX;
            if section == Section::Votes {
                let at = |name: &str| header.iter().position(|h| h == name);
                limit = at("vote").into_iter().chain(at("points")).max().map_or(usize::MAX, |i| i + 1);
                kind = Some(ballot_kind(&meta, line_no)?);
                if header.iter().all(|h| h != "vote") {
                    return Err(err(line_no, "the VOTES header has no `vote` column"));
                }
            }
            continue;
        }
        let first = row[0].trim().to_ascii_lowercase();
        match first.as_str() {
            "meta" => (section, expect_header) = (Section::Meta, true),
            "projects" => (section, expect_header) = (Section::Projects, true),
            "votes" => (section, expect_header) = (Section::Votes, true),
            _ => match section {
                Section::None => return Err(err(line_no, "expected a META, PROJECTS or VOTES section first")),
                Section::Meta => {
                    let value = row.get(1).map(|v| v.trim().to_owned()).unwrap_or_default();
                    meta.push((row[0].trim().to_owned(), value));
                }
                Section::Projects => {
                    let project = project_row(&header, &row, line_no)?;
                    if index.insert(project.id.clone(), projects.len()).is_some() {
                        return Err(err(line_no, format!("project `{}` is listed twice", project.id)));
                    }
                    if projects.len() == MAX_PROJECTS {
                        return Err(err(line_no, format!("more than {MAX_PROJECTS} projects")));
                    }
                    projects.push(project);
                }
                Section::Votes => {
                    let kind = kind.unwrap_or(BallotKind::Approval);
                    if votes.len() == MAX_VOTERS {
                        return Err(err(line_no, format!("more than {MAX_VOTERS} ballots")));
                    }
                    votes.push(vote_row(&header, &row, line_no, kind, &index)?);
                }
            },
        }
    }
    assemble(meta, projects, votes, kind)
}

fn ballot_kind(meta: &[(String, String)], line: usize) -> Result<BallotKind, PbError> {
    let vote_type = meta.iter().find(|(k, _)| k == "vote_type").map(|(_, v)| v.as_str());
    match vote_type {
        Some("approval" | "choose-1") => Ok(BallotKind::Approval),
        Some("cumulative" | "scoring") => Ok(BallotKind::Cumulative),
        Some("ordinal") => Err(err(line, "ordinal ballots are not supported: the rules read approvals or points")),
        Some(other) => Err(err(line, format!("unknown vote_type `{other}`"))),
        None => Err(err(line, "META has no vote_type before the VOTES section")),
    }
}

fn cell<'a>(header: &[String], row: &'a [Cow<'_, str>], name: &str) -> Option<&'a str> {
    let at = header.iter().position(|h| h == name)?;
    let value = row.get(at)?.trim();
    (!value.eq_ignore_ascii_case("none")).then_some(value)
}

fn project_row(header: &[String], row: &[Cow<'_, str>], line: usize) -> Result<RawProject, PbError> {
    let id = row[0].trim().to_owned();
    if id.is_empty() {
        return Err(err(line, "a project needs an id in the first column"));
    }
    let raw_cost = cell(header, row, "cost").ok_or_else(|| err(line, format!("project `{id}` has no cost")))?;
    let cost = decimal(raw_cost)
        .ok_or_else(|| err(line, format!("project `{id}` has cost `{raw_cost}`: write a number of at least 0")))?;
    let name = cell(header, row, "name").unwrap_or_default().to_owned();
    Ok(RawProject { line, id, cost, name })
}

fn vote_row(
    header: &[String],
    row: &[Cow<'_, str>],
    line: usize,
    kind: BallotKind,
    index: &HashMap<String, usize>,
) -> Result<RawVote, PbError> {
    let id = row[0].trim().to_owned();
    let listed: Vec<&str> = cell(header, row, "vote").unwrap_or_default().split(',').collect();
    let lookup = |name: &str| {
        index
            .get(name.trim())
            .copied()
            .ok_or_else(|| err(line, format!("a vote for unknown project `{}`", name.trim())))
    };
    let mut picks: Vec<(usize, (u128, u32))> = Vec::new();
    match kind {
        BallotKind::Approval => {
            for name in listed.into_iter().filter(|n| !n.trim().is_empty()) {
                let p = lookup(name)?;
                if !picks.iter().any(|&(q, _)| q == p) {
                    picks.push((p, (1, 0)));
                }
            }
        }
        BallotKind::Cumulative => {
            let Some(points) = cell(header, row, "points") else {
                return Ok(RawVote { id, picks });
            };
            let points: Vec<&str> = points.split(',').collect();
            if points.len() != listed.len() {
                return Err(err(line, format!("{} projects but {} points", listed.len(), points.len())));
            }
            for (name, raw) in listed.into_iter().zip(points) {
                let p = lookup(name)?;
                let value =
                    decimal(raw).ok_or_else(|| err(line, format!("points `{raw}`: write a number of at least 0")))?;
                match picks.iter_mut().find(|(q, _)| *q == p) {
                    Some(pick) => pick.1 = value,
                    None => picks.push((p, value)),
                }
            }
        }
    }
    Ok(RawVote { id, picks })
}

fn assemble(
    meta: Vec<(String, String)>,
    projects: Vec<RawProject>,
    votes: Vec<RawVote>,
    kind: Option<BallotKind>,
) -> Result<Election, PbError> {
    let meta_value = |key: &str| meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let kind = match kind {
        Some(kind) => kind,
        None => ballot_kind(&meta, 0)?,
    };
    let raw_budget = meta_value("budget").ok_or_else(|| err(0, "META has no budget"))?;
    let budget = decimal(&raw_budget).ok_or_else(|| err(0, format!("the budget `{raw_budget}` is not a number")))?;
    let mut amounts: Vec<(u128, u32)> = projects.iter().map(|p| p.cost).collect();
    amounts.push(budget);
    let (scaled, unit) = rescale(&amounts).ok_or_else(|| {
        let line = projects.last().map_or(0, |p| p.line);
        err(line, "costs and budget must fit in 19 digits with at most 9 decimals")
    })?;
    let points: Vec<(u128, u32)> = votes.iter().flat_map(|v| v.picks.iter().map(|p| p.1)).collect();
    let (scaled_points, _) = rescale(&points).ok_or_else(|| err(0, "points must have at most 9 decimals"))?;
    let mut next_points = scaled_points.into_iter();
    let projects: Vec<Project> =
        projects.into_iter().zip(&scaled).map(|(p, &cost)| Project { id: p.id, cost, name: p.name }).collect();
    let voters = votes
        .into_iter()
        .map(|v| {
            let picks = v.picks.iter().map(|&(p, _)| (p, next_points.next().unwrap_or(0))).collect();
            Voter { id: v.id, weight: 1, picks }
        })
        .collect();
    Ok(Election { kind, budget: scaled[scaled.len() - 1], unit, projects, voters, meta })
}

/// Writes an election as a `.pb` file that [`parse`] reads back to the same election; `selected`
/// fills the PROJECTS section's `selected` column (1 or 0).
pub fn write(election: &Election, selected: &[usize]) -> String {
    let quote = |s: &str| {
        if s.contains([';', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\"").replace(['\n', '\r'], " "))
        } else {
            s.to_owned()
        }
    };
    let mut out = String::from("META\nkey;value\n");
    let fixed = ["vote_type", "budget", "num_projects", "num_votes"];
    for (key, value) in election.meta.iter().filter(|(k, _)| !fixed.contains(&k.as_str())) {
        out.push_str(&format!("{};{}\n", quote(key), quote(value)));
    }
    out.push_str(&format!("vote_type;{}\n", election.kind.name()));
    out.push_str(&format!("budget;{}\n", election.show(u128::from(election.budget))));
    out.push_str(&format!("num_projects;{}\nnum_votes;{}\n", election.projects.len(), election.voters.len()));
    out.push_str("PROJECTS\nproject_id;cost;name;selected\n");
    for (i, p) in election.projects.iter().enumerate() {
        let chosen = u8::from(selected.contains(&i));
        out.push_str(&format!("{};{};{};{chosen}\n", quote(&p.id), election.show(u128::from(p.cost)), quote(&p.name)));
    }
    let cumulative = election.kind == BallotKind::Cumulative;
    out.push_str(if cumulative { "VOTES\nvoter_id;vote;points\n" } else { "VOTES\nvoter_id;vote\n" });
    for v in &election.voters {
        let ids: Vec<&str> = v.picks.iter().map(|&(p, _)| election.projects[p].id.as_str()).collect();
        out.push_str(&format!("{};{}", quote(&v.id), quote(&ids.join(","))));
        if cumulative {
            let points: Vec<String> = v.picks.iter().map(|&(_, x)| x.to_string()).collect();
            out.push_str(&format!(";{}", points.join(",")));
        }
        out.push('\n');
    }
    out
}

/// The `selected` column of a file's PROJECTS section, where it has one (the official outcome).
pub fn official_selection(text: &str) -> Option<Vec<String>> {
    let mut in_projects = false;
    let mut header: Option<Vec<String>> = None;
    let mut chosen = Vec::new();
    for line in text.strip_prefix('\u{feff}').unwrap_or(text).lines() {
        // Only the first field is needed to find the sections; ballots are never split.
        let first = split_row(line, 1)[0].trim().to_ascii_lowercase();
        if ["meta", "projects", "votes"].contains(&first.as_str()) {
            in_projects = first == "projects";
            header = None;
            continue;
        }
        if !in_projects {
            continue;
        }
        let row = split_row(line, usize::MAX);
        match &header {
            None => header = Some(row.iter().map(|f| f.trim().to_owned()).collect()),
            Some(h) => {
                if cell(h, &row, "selected")? == "1" {
                    chosen.push(row[0].trim().to_owned());
                }
            }
        }
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "META\nkey;value\nvote_type;approval\nbudget;10.5\nPROJECTS\nproject_id;cost;name\n1;4;\"a; b\"\n2;6.25;c\nVOTES\nvoter_id;vote\nv1;1,2,1\nv2;\n";

    #[test]
    fn reads_scales_and_writes_back() {
        let e = parse(SMALL).unwrap();
        assert_eq!((e.budget, e.unit), (1050, 100));
        assert_eq!(e.projects[1].cost, 625);
        assert_eq!(e.projects[0].name, "a; b");
        assert_eq!(e.voters[0].picks, vec![(0, 1), (1, 1)]);
        assert!(e.voters[1].picks.is_empty());
        let again = parse(&write(&e, &[0])).unwrap();
        assert_eq!(
            (again.budget, again.unit, &again.projects, &again.voters),
            (e.budget, e.unit, &e.projects, &e.voters)
        );
    }

    #[test]
    fn errors_name_their_line() {
        let check = |text: &str, expected: &str| {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{error} should contain {expected}");
        };
        check(&SMALL.replace("2;6.25;c", "1;6.25;c"), "line 8: project `1` is listed twice");
        check(&SMALL.replace("2;6.25;c", "2;-6;c"), "line 8: project `2` has cost `-6`");
        check(&SMALL.replace("v1;1,2,1", "v1;1,9"), "line 11: a vote for unknown project `9`");
        check(&SMALL.replace("approval", "ordinal"), "ordinal ballots are not supported");
        check(&SMALL.replace("budget;10.5\n", ""), "META has no budget");
    }
}
