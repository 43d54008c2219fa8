//! Field-level validation errors shared by every constructor of a validated type.

use std::fmt;

/// One field that failed validation, with a message that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Invalid {
        Invalid { field, message: message.into() }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

/// Every violation found in one input, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Violations(pub Vec<Invalid>);

impl Violations {
    /// Records the error of `result`, if any, and returns its value.
    pub fn check<T>(&mut self, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.0.push(invalid);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|v| v.to_string()).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Violations {}

impl From<Invalid> for Violations {
    fn from(invalid: Invalid) -> Violations {
        Violations(vec![invalid])
    }
}

/// Trimmed free text between `min` and `max` characters without control characters
/// (newlines are allowed only when `multiline`).
pub fn text(
    field: &'static str,
    raw: &str,
    min_chars: usize,
    max_chars: usize,
    multiline: bool,
) -> Result<String, Invalid> {
    let value = raw.trim();
    let count = value.chars().count();
    if count < min_chars {
        return Err(if min_chars == 1 {
            Invalid::new(field, "must not be empty")
        } else {
            Invalid::new(field, format!("must be at least {min_chars} characters"))
        });
    }
    if count > max_chars {
        return Err(Invalid::new(field, format!("must be at most {max_chars} characters (got {count})")));
    }
    let bad = value.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// A lowercase identifier: `[a-z0-9]` plus the given extra characters, within length bounds.
pub fn identifier(
    field: &'static str,
    raw: &str,
    min_len: usize,
    max_len: usize,
    extra: &[char],
) -> Result<String, Invalid> {
    let value = raw.trim();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c);
    let shape: String = std::iter::once("a-z0-9".to_owned()).chain(extra.iter().map(|c| c.to_string())).collect();
    if value.len() < min_len || value.len() > max_len || !value.chars().all(allowed) {
        return Err(Invalid::new(field, format!("must be {min_len} to {max_len} characters of [{shape}]")));
    }
    Ok(value.to_owned())
}
