//! Elections the commune may matter in: the CSV they are imported from (past results and
//! upcoming dates, one row per candidate), and the leverage view, which ranks upcoming elections
//! by how many of our members live in the district against the last margin of victory and the
//! turnout, with the arithmetic spelled out.

use super::places::PlaceCode;
use crate::validation::Invalid;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The largest election CSV an import may carry.
pub const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;
/// The most rows one import may carry.
pub const MAX_ROWS: usize = 50_000;
/// The columns, in order.
pub const HEADER: [&str; 6] = ["district", "date", "office", "candidate", "votes", "turnout"];

/// One election: a district, a day, an office; its results when it has happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Election {
    pub district: PlaceCode,
    /// Days since 1970-01-01.
    pub day: i64,
    pub office: String,
    /// Ballots cast, when known.
    pub turnout: Option<u64>,
    /// Votes per candidate, most first; empty for an upcoming election.
    pub results: Vec<(String, u64)>,
}

impl Election {
    /// The winner's lead over the runner-up (the winner's votes when unopposed).
    pub fn margin(&self) -> Option<u64> {
        let first = self.results.first()?.1;
        Some(first - self.results.get(1).map_or(0, |r| r.1))
    }
}

/// Reads `district,date,office,candidate,votes,turnout` (a header row first). Rows of one
/// election share district, date and office; an upcoming election is a row with no candidate
/// and no votes. Refuses the whole file at the first problem, naming the line.
pub fn parse_csv(raw: &str) -> Result<Vec<Election>, Invalid> {
    let field = "csv";
    if raw.len() > MAX_CSV_BYTES {
        return Err(Invalid::new(field, format!("at most {} MiB of CSV", MAX_CSV_BYTES >> 20)));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(raw.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Invalid::new(field, format!("line 1: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if header != HEADER {
        return Err(Invalid::new(field, format!("line 1: the header must be {}", HEADER.join(","))));
    }
    let mut elections: BTreeMap<(PlaceCode, i64, String), Election> = BTreeMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if i >= MAX_ROWS {
            return Err(Invalid::new(field, format!("line {line}: at most {MAX_ROWS} rows")));
        }
        let at = |m: String| Invalid::new(field, format!("line {line}: {m}"));
        let record = record.map_err(|e| at(e.to_string()))?;
        let cell = |n: usize| record.get(n).unwrap_or_default().trim();
        let district = PlaceCode::parse(field, cell(0)).map_err(|e| at(e.message))?;
        let day = crate::ideas::analytics::parse_day(field, cell(1)).map_err(|e| at(e.message))?;
        let office =
            crate::validation::text(field, cell(2), 1, 100, false).map_err(|e| at(format!("office {}", e.message)))?;
        let candidate = crate::validation::text(field, cell(3), 0, 100, false)
            .map_err(|e| at(format!("candidate {}", e.message)))?;
        let count = |n: usize, what: &str| -> Result<Option<u64>, Invalid> {
            match cell(n) {
                "" => Ok(None),
                raw if raw.len() <= 12 && raw.bytes().all(|b| b.is_ascii_digit()) => {
                    raw.parse().map(Some).map_err(|_| at(format!("{what} must be a whole number")))
                }
                raw => Err(at(format!("{what} must be a whole number, not '{raw}'"))),
            }
        };
        let votes = count(4, "votes")?;
        let turnout = count(5, "turnout")?;
        let election = elections.entry((district.clone(), day, office.clone())).or_insert_with(|| Election {
            district,
            day,
            office,
            turnout,
            results: Vec::new(),
        });
        if election.turnout != turnout {
            return Err(at("every row of one election gives the same turnout".into()));
        }
        match (candidate.is_empty(), votes) {
            (true, None) => {}
            (false, Some(v)) => {
                if election.results.iter().any(|(c, _)| *c == candidate) {
                    return Err(at(format!("candidate '{candidate}' appears twice in this election")));
                }
                election.results.push((candidate, v));
            }
            _ => return Err(at("a candidate needs votes and votes need a candidate".into())),
        }
        let cast: u64 = election.results.iter().map(|r| r.1).sum();
        if let Some(t) = election.turnout
            && cast > t
        {
            return Err(at(format!("the votes ({cast}) exceed the turnout ({t})")));
        }
    }
    if elections.is_empty() {
        return Err(Invalid::new(field, "the file has no elections"));
    }
    let mut out: Vec<Election> = elections.into_values().collect();
    for e in &mut out {
        e.results.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    Ok(out)
}

/// The last result an upcoming election is measured against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LastResult {
    pub day: i64,
    pub office: String,
    pub winner: String,
    pub margin: u64,
    pub turnout: Option<u64>,
}

/// One row of the leverage view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Leverage {
    pub district: PlaceCode,
    pub day: i64,
    pub office: String,
    /// Members who visibly live in the district.
    pub members: u64,
    pub last: Option<LastResult>,
    /// Members per vote of margin, in parts per million (1,000,000: our members alone equal the
    /// last margin).
    pub margin_ppm: Option<u64>,
    /// Members per ballot cast last time, in parts per million.
    pub turnout_ppm: Option<u64>,
    /// The arithmetic, in words.
    pub explain: String,
}

fn ppm(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        return u64::MAX;
    }
    ((u128::from(part) * 1_000_000 + u128::from(whole) / 2) / u128::from(whole)) as u64
}

/// Ranks the elections on or after `today` by the share of the last margin our members make up
/// (compared exactly, a tied last result first), then by their share of the last turnout, then by
/// date. The last result is the latest earlier election in the same district for the same office,
/// else for any office. `members_in(district)` counts members who show a place inside it.
pub fn leverage(elections: &[Election], today: i64, members_in: impl Fn(&PlaceCode) -> u64) -> Vec<Leverage> {
    let mut rows: Vec<Leverage> = elections
        .iter()
        .filter(|e| e.day >= today)
        .map(|e| {
            let earlier =
                elections.iter().filter(|p| p.district == e.district && p.day < e.day && !p.results.is_empty());
            let last = earlier
                .clone()
                .filter(|p| p.office == e.office)
                .max_by_key(|p| p.day)
                .or_else(|| earlier.max_by_key(|p| p.day));
            let members = members_in(&e.district);
            let last = last.and_then(|p| {
                Some(LastResult {
                    day: p.day,
                    office: p.office.clone(),
                    winner: p.results.first()?.0.clone(),
                    margin: p.margin()?,
                    turnout: p.turnout,
                })
            });
            let margin_ppm = last.as_ref().map(|l| ppm(members, l.margin));
            let turnout_ppm = last.as_ref().and_then(|l| l.turnout).map(|t| ppm(members, t));
            let explain = explain(members, last.as_ref());
            Leverage {
                district: e.district.clone(),
                day: e.day,
                office: e.office.clone(),
                members,
                last,
                margin_ppm,
                turnout_ppm,
                explain,
            }
        })
        .collect();
    rows.sort_by(rank);
    rows
}

fn rank(a: &Leverage, b: &Leverage) -> Ordering {
    // members/margin compared by cross-multiplication: exact, ties at zero margin first.
    let by_margin = match (&a.last, &b.last) {
        (Some(x), Some(y)) => {
            (u128::from(b.members) * u128::from(x.margin)).cmp(&(u128::from(a.members) * u128::from(y.margin)))
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_margin
        .then_with(|| b.turnout_ppm.unwrap_or(0).cmp(&a.turnout_ppm.unwrap_or(0)))
        .then_with(|| a.day.cmp(&b.day))
        .then_with(|| a.district.cmp(&b.district))
}

fn explain(members: u64, last: Option<&LastResult>) -> String {
    let Some(last) = last else {
        return format!("{members} members live here; no earlier result to measure them against");
    };
    let date = crate::ideas::analytics::day_label(last.day);
    let mut text = if last.margin == 0 {
        format!("{members} members; the {} race on {date} was tied, so every vote decides", last.office)
    } else {
        format!(
            "{members} members ÷ margin of {} votes ({} won the {} race on {date}) = {:.3}",
            last.margin,
            last.winner,
            last.office,
            members as f64 / last.margin as f64
        )
    };
    if let Some(t) = last.turnout {
        text.push_str(&format!(
            "; {members} ÷ turnout of {t} = {:.2}%",
            if t == 0 { 0.0 } else { members as f64 * 100.0 / t as f64 }
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "district,date,office,candidate,votes,turnout
de/be/berlin/mitte,2021-09-26,mayor,Alice Green,5200,12000
de/be/berlin/mitte,2021-09-26,mayor,Bob Brown,5000,12000
de/be/berlin/mitte,2026-12-20,mayor,,,
de/be/berlin/pankow,2021-09-26,council,Cara Blue,7000,15000
de/be/berlin/pankow,2021-09-26,council,Dan Red,3000,15000
de/be/berlin/pankow,2027-03-01,council,,,
fr/idf/paris/11e,2027-01-10,mayor,,,
";

    #[test]
    fn reads_results_and_upcoming_elections() {
        let all = parse_csv(CSV).unwrap();
        assert_eq!(all.len(), 5);
        let past = &all[0];
        assert_eq!(past.results[0], ("Alice Green".to_owned(), 5200));
        assert_eq!(past.margin(), Some(200));
        assert!(
            all.iter().any(|e| e.results.is_empty() && e.office == "mayor" && e.district.as_str().ends_with("11e"))
        );
    }

    #[test]
    fn bad_rows_are_named_by_line() {
        let head = "district,date,office,candidate,votes,turnout\n";
        let cases = [
            ("district,date,office,votes\nx,y,z,1\n".to_owned(), "line 1: the header"),
            (format!("{head}nowhere!,2026-01-01,mayor,,,\n"), "line 2"),
            (format!("{head}de/x,2026-01-01,mayor,,,\nde/x,2026-13-01,mayor,,,\n"), "line 3"),
            (format!("{head}de/x,2026-01-01,mayor,A,-5,100\n"), "votes must be a whole number"),
            (format!("{head}de/x,2026-01-01,mayor,A,,100\n"), "a candidate needs votes"),
            (
                format!("{head}de/x,2026-01-01,mayor,A,60,100\nde/x,2026-01-01,mayor,B,50,100\n"),
                "line 3: the votes (110) exceed",
            ),
            (format!("{head}de/x,2026-01-01,mayor,A,6,100\nde/x,2026-01-01,mayor,A,5,100\n"), "appears twice"),
            (format!("{head}de/x,2026-01-01,mayor,A,6,100\nde/x,2026-01-01,mayor,B,5,99\n"), "same turnout"),
            (format!("{head}de/x,2026-01-01,mayor,A,6\n"), "line 2"),
            (head.to_owned(), "no elections"),
            (" ".repeat(MAX_CSV_BYTES + 1), "MiB"),
        ];
        for (doc, expected) in cases {
            let err = parse_csv(&doc).unwrap_err();
            assert!(err.message.contains(expected), "{expected}: {}", err.message);
        }
    }

    #[test]
    fn leverage_ranks_by_members_against_the_last_margin() {
        let all = parse_csv(CSV).unwrap();
        let today = crate::ideas::analytics::parse_day("d", "2026-12-01").unwrap();
        let members = |d: &PlaceCode| match d.as_str() {
            "de/be/berlin/mitte" => 20,
            "de/be/berlin/pankow" => 100,
            _ => 50,
        };
        let rows = leverage(&all, today, members);
        assert_eq!(rows.len(), 3, "past elections are not ranked");
        // Mitte: 20 / 200 = 0.1 beats Pankow: 100 / 4000 = 0.025; Paris has no earlier result.
        assert_eq!(rows[0].district.as_str(), "de/be/berlin/mitte");
        assert_eq!(rows[0].margin_ppm, Some(100_000));
        assert_eq!(rows[0].turnout_ppm, Some(1_667));
        assert!(rows[0].explain.contains("20 members ÷ margin of 200 votes"), "{}", rows[0].explain);
        assert_eq!(rows[1].district.as_str(), "de/be/berlin/pankow");
        assert_eq!(rows[2].last, None);
        assert!(rows[2].explain.contains("no earlier result"));
    }

    #[test]
    fn a_tied_last_race_ranks_first() {
        let head = "district,date,office,candidate,votes,turnout\n";
        let doc = format!(
            "{head}de/a,2020-01-01,mayor,A,10,20\nde/a,2020-01-01,mayor,B,10,20\nde/a,2027-01-01,mayor,,,\nde/b,2020-01-01,mayor,A,10,22\nde/b,2020-01-01,mayor,B,9,22\nde/b,2027-01-01,mayor,,,\n"
        );
        let rows = leverage(&parse_csv(&doc).unwrap(), 0, |_| 5);
        assert_eq!(rows[0].district.as_str(), "de/a");
        assert_eq!(rows[0].margin_ppm, Some(u64::MAX));
    }
}
