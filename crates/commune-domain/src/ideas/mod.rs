//! Ideas and analytics: bridging-based ranking (Community Notes), the opinion map (Pol.is),
//! the issue log's metrics and the dashboards' statistics.

pub mod analytics;
pub mod bridge;
pub mod opinion;
pub mod problems;

use std::cmp::Ordering;
use std::collections::HashMap;

/// Gives each distinct name a dense index in order of first appearance.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    ids: HashMap<String, usize>,
    names: Vec<String>,
}

impl Interner {
    pub fn id(&mut self, name: &str) -> usize {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), self.names.len() - 1);
        self.names.len() - 1
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// Orders identifiers numerically when both are integers, otherwise as text.
pub fn natural(a: &str, b: &str) -> Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        _ => a.cmp(b),
    }
}
