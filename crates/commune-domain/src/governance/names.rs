//! How a counting method's name is read from people: case does not matter, and `_` or a space
//! means the same as `-` (`Ranked Pairs`, `ranked_pairs`, `RANKED-PAIRS`).

/// The canonical spelling of a method name someone typed.
pub fn normalize_name(raw: &str) -> String {
    raw.trim().chars().map(|c| if c == '_' || c == ' ' { '-' } else { c.to_ascii_lowercase() }).collect()
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[test]
    fn case_and_separators_do_not_matter() {
        for raw in ["Ranked Pairs", "ranked_pairs", " RANKED-PAIRS "] {
            assert_eq!(normalize_name(raw), "ranked-pairs");
        }
    }
}
