//! PrefLib's ordinal formats: `.soc` (strict complete orders), `.soi` (strict incomplete),
//! `.toc` (complete with ties, `{a,b}`) and `.toi`, in the current format (`# KEY: value`
//! header, then `count: order` lines) and the legacy one (alternative count, names, a totals line,
//! then `count,order` lines). The count before each order is its weight; alternatives keep the
//! file's numbers. Every error names its line.

use super::profile::{BallotError, MAX_ALTERNATIVES, Profile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Soc,
    Soi,
    Toc,
    Toi,
}

impl DataType {
    pub fn parse(raw: &str) -> Option<DataType> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "soc" => Some(DataType::Soc),
            "soi" => Some(DataType::Soi),
            "toc" => Some(DataType::Toc),
            "toi" => Some(DataType::Toi),
            _ => None,
        }
    }

    fn complete(self) -> bool {
        matches!(self, DataType::Soc | DataType::Toc)
    }

    fn strict(self) -> bool {
        matches!(self, DataType::Soc | DataType::Soi)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

/// Parses a PrefLib file. `hint` is the data type implied by the file name, used when the file
/// does not declare one.
pub fn parse(text: &str, hint: Option<DataType>) -> Result<(Profile, DataType), ParseError> {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.starts_with('#') { parse_current(text, hint) } else { parse_legacy(text, hint) }
}

fn parse_current(text: &str, hint: Option<DataType>) -> Result<(Profile, DataType), ParseError> {
    let mut declared_type = None;
    let mut declared_count: Option<usize> = None;
    let mut named: Vec<i64> = Vec::new();
    let mut data_start = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let Some(meta) = line.strip_prefix('#') else {
            data_start = Some(i);
            break;
        };
        let Some((key, value)) = meta.split_once(':') else { continue };
        let key = key.trim().to_ascii_uppercase();
        if key == "DATA TYPE" {
            declared_type = Some(DataType::parse(value).ok_or_else(|| {
                err(i + 1, format!("unknown data type '{}': expected soc, soi, toc or toi", value.trim()))
            })?);
        } else if key == "NUMBER ALTERNATIVES" {
            let n: usize =
                value.trim().parse().map_err(|_| err(i + 1, "NUMBER ALTERNATIVES must be a whole number"))?;
            if n == 0 || n > MAX_ALTERNATIVES {
                return Err(err(i + 1, format!("NUMBER ALTERNATIVES must be between 1 and {MAX_ALTERNATIVES}")));
            }
            declared_count = Some(n);
        } else if let Some(number) = key.strip_prefix("ALTERNATIVE NAME") {
            let label = number
                .trim()
                .parse()
                .map_err(|_| err(i + 1, "ALTERNATIVE NAME needs a number, e.g. '# ALTERNATIVE NAME 3: Carol'"))?;
            named.push(label);
        }
    }
    let data_type = declared_type.or(hint).unwrap_or(DataType::Toi);
    // Alternatives are the named ones when every declared alternative is named; otherwise
    // 1..=n as declared (some files name only a few).
    let labels: Vec<i64> = match declared_count {
        Some(n) if named.len() == n => named,
        Some(n) => (1..=n as i64).collect(),
        None if !named.is_empty() => named,
        None => return Err(err(1, "the header must declare '# NUMBER ALTERNATIVES: n'")),
    };
    let mut profile = Profile::new(labels);
    let mut pairs = Vec::new();
    for (i, raw) in text.lines().enumerate().skip(data_start.unwrap_or(usize::MAX)) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (count, order) =
            line.split_once(':').ok_or_else(|| err(i + 1, "expected 'count: order', e.g. '3: 1,2,3'"))?;
        ballot_line(&mut profile, &mut pairs, count, order, data_type, i + 1)?;
    }
    Ok((profile, data_type))
}

fn parse_legacy(text: &str, hint: Option<DataType>) -> Result<(Profile, DataType), ParseError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (i, first) = lines.next().ok_or_else(|| err(1, "the file is empty"))?;
    let n: usize = first.trim().parse().map_err(|_| {
        err(i + 1, "expected the number of alternatives (legacy format) or a '# DATA TYPE' header (current format)")
    })?;
    if n == 0 || n > MAX_ALTERNATIVES {
        return Err(err(i + 1, format!("the number of alternatives must be between 1 and {MAX_ALTERNATIVES}")));
    }
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let (i, line) = lines.next().ok_or_else(|| err(i + 1, format!("expected {n} alternative lines")))?;
        let label =
            line.split(',').next().unwrap_or("").trim().parse().map_err(|_| err(i + 1, "expected 'number,name'"))?;
        labels.push(label);
    }
    let (i, _totals) = lines.next().ok_or_else(|| err(i + 1, "expected the 'voters,sum,unique' line"))?;
    let data_type = hint.unwrap_or(DataType::Toi);
    let mut profile = Profile::new(labels);
    let mut pairs = Vec::new();
    let _ = i;
    for (i, raw) in lines {
        let line = raw.trim();
        let (count, order) = line.split_once(',').ok_or_else(|| err(i + 1, "expected 'count,order'"))?;
        ballot_line(&mut profile, &mut pairs, count, order, data_type, i + 1)?;
    }
    Ok((profile, data_type))
}

/// The names a file gives its alternatives (`# ALTERNATIVE NAME 3: Carol`, or the legacy
/// format's `3,Carol` lines), by alternative number; empty when it names none.
pub fn alternative_names(text: &str) -> std::collections::BTreeMap<i64, String> {
    let mut names = std::collections::BTreeMap::new();
    let first = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if first.starts_with('#') {
        for meta in text.lines().map(str::trim).map_while(|l| l.strip_prefix('#').or(l.is_empty().then_some(""))) {
            let Some((key, value)) = meta.split_once(':') else { continue };
            let key = key.trim().to_ascii_uppercase();
            if let Some(number) = key.strip_prefix("ALTERNATIVE NAME").and_then(|n| n.trim().parse().ok()) {
                names.insert(number, value.trim().to_owned());
            }
        }
    } else if let Ok(n) = first.parse::<usize>() {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()).skip(1).take(n.min(MAX_ALTERNATIVES)) {
            if let Some((number, name)) = line.split_once(',')
                && let Ok(number) = number.trim().parse()
            {
                names.insert(number, name.trim().to_owned());
            }
        }
    }
    names.retain(|_, name| !name.is_empty());
    names
}

/// Parses one `order` (e.g. `3,{1,2},4`) with its `count` and adds it to the profile.
fn ballot_line(
    profile: &mut Profile,
    pairs: &mut Vec<(i64, u16)>,
    count: &str,
    order: &str,
    data_type: DataType,
    line: usize,
) -> Result<(), ParseError> {
    let weight = super::weight::parse_votes(count)
        .map_err(|why| err(line, format!("the count '{}' is not a number of votes: {why}", count.trim())))?;
    pairs.clear();
    let mut tier: u16 = 0;
    let mut in_group = false;
    let mut group_len = 0;
    for token in order.split(',') {
        let mut token = token.trim();
        let opens = token.starts_with('{');
        if opens {
            if in_group {
                return Err(err(line, "a '{' inside another tie group"));
            }
            if data_type.strict() {
                return Err(err(line, "ties ('{…}') are not allowed in strict orders (soc, soi)"));
            }
            in_group = true;
            group_len = 0;
            token = token[1..].trim();
        }
        let closes = token.ends_with('}');
        if closes {
            if !in_group {
                return Err(err(line, "a '}' without its '{'"));
            }
            token = token[..token.len() - 1].trim();
        }
        if token.is_empty() {
            if opens && closes {
                return Err(err(line, "an empty tie group '{}'"));
            }
            if !(closes && group_len > 0) {
                return Err(err(line, "an empty position in the order (two commas in a row?)"));
            }
        } else {
            let label: i64 = token.parse().map_err(|_| err(line, format!("'{token}' is not an alternative number")))?;
            pairs.push((label, tier));
            group_len += 1;
        }
        if closes || !in_group {
            in_group = false;
            tier = tier.saturating_add(1);
        }
    }
    if in_group {
        return Err(err(line, "a '{' is never closed"));
    }
    if data_type.complete() && pairs.len() != profile.alternatives() {
        return Err(err(
            line,
            format!(
                "this order ranks {} of the {} alternatives, but the data type requires complete orders",
                pairs.len(),
                profile.alternatives()
            ),
        ));
    }
    profile.push_pairs(weight, pairs).map_err(|e| match e {
        BallotError::Unknown(label) => {
            err(line, format!("alternative {label} is not one of the declared alternatives"))
        }
        BallotError::Repeated(label) => err(line, format!("alternative {label} appears twice")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_either_format() {
        let names = alternative_names(SOC);
        assert_eq!(names.get(&2).map(String::as_str), Some("B"));
        let legacy = alternative_names("2\n1,Ada Lovelace\n2,Bruno\n3,3,2\n3,1,2\n");
        assert_eq!(legacy.get(&1).map(String::as_str), Some("Ada Lovelace"));
        assert!(alternative_names("# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 2\n1: 1,2\n").is_empty());
    }

    const SOC: &str = "# FILE NAME: x.soc\n# DATA TYPE: soc\n# NUMBER ALTERNATIVES: 3\n# ALTERNATIVE NAME 1: A\n# ALTERNATIVE NAME 2: B\n# ALTERNATIVE NAME 3: C\n# NUMBER VOTERS: 7\n4: 1,2,3\n3: 3, 2, 1\n";

    #[test]
    fn current_format() {
        let (p, t) = parse(SOC, None).expect("valid");
        assert_eq!(
            (t, p.labels.clone(), p.weights.clone()),
            (DataType::Soc, vec![1, 2, 3], vec![4_000_000, 3_000_000])
        );
        assert_eq!(p.ballot(1), [2, 1, 0]);
    }

    #[test]
    fn ties_and_partial_orders() {
        let text = "# DATA TYPE: toi\n# NUMBER ALTERNATIVES: 4\n2: {1,3},2\n1: 4\n";
        let (p, _) = parse(text, None).expect("valid");
        assert_eq!(p.ballot(0), [0, 1, 0, u16::MAX]);
        assert_eq!(p.ballot(1), [u16::MAX, u16::MAX, u16::MAX, 0]);
    }

    #[test]
    fn legacy_format() {
        let text = "3\n1,A\n2,B\n3,C\n7,7,2\n4,1,2,3\n3,3,{1,2}\n";
        let (p, _) = parse(text, Some(DataType::Toc)).expect("valid");
        assert_eq!(p.weights, [4_000_000, 3_000_000]);
        assert_eq!(p.ballot(1), [1, 1, 0]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (SOC.replace("3: 3, 2, 1", "3: 3, 2"), 9, "complete"),
            (SOC.replace("3: 3, 2, 1", "3: 3, 9, 1"), 9, "alternative 9"),
            (SOC.replace("3: 3, 2, 1", "3: 3, 3, 1"), 9, "twice"),
            (SOC.replace("3: 3, 2, 1", "x: 3, 2, 1"), 9, "count"),
            (SOC.replace("3: 3, 2, 1", "3: {3, 2}, 1"), 9, "strict"),
            (SOC.replace("3: 3, 2, 1", "3 3 2 1"), 9, "count: order"),
            (SOC.replace("3: 3, 2, 1", "-3: 3, 2, 1"), 9, "at least 0"),
            (SOC.replace("3: 3, 2, 1", "3.1234567: 3, 2, 1"), 9, "six decimals"),
            (SOC.replace("# DATA TYPE: soc", "# DATA TYPE: xyz"), 2, "data type"),
            ("# DATA TYPE: toc\n# NUMBER ALTERNATIVES: 2\n1: {1,2\n".to_owned(), 3, "never closed"),
        ];
        for (text, line, words) in cases {
            let e = parse(&text, None).expect_err(words);
            assert_eq!(e.line, line, "{e}");
            assert!(e.message.contains(words), "{e}");
        }
    }
}
