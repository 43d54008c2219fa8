//! Liquid delegation: a member may hand their vote to another, per domain or globally.
//!
//! Resolution for one proposal (in one domain):
//! - a direct vote always overrides the voter's own delegation;
//! - otherwise the member's delegation for the proposal's domain is followed, else their global
//!   one; transitively, through members who did not vote but delegated onward;
//! - a chain that reaches a direct voter adds the delegator's weight to that voter's ballot;
//! - a chain that cycles, or ends at someone who neither voted nor delegated, passes no weight.

use std::collections::HashMap;

/// One member's delegations: per domain, and a global fallback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delegations {
    /// `(delegator, domain)` → delegate; the domain `None` is the global delegation.
    edges: HashMap<(String, Option<String>), String>,
}

impl Delegations {
    pub fn add(&mut self, delegator: &str, domain: Option<&str>, delegate: &str) {
        self.edges.insert((delegator.to_owned(), domain.map(str::to_owned)), delegate.to_owned());
    }

    /// Whom `member` delegates to for `domain`: the domain delegation, else the global one.
    pub fn delegate_of(&self, member: &str, domain: &str) -> Option<&str> {
        self.edges
            .get(&(member.to_owned(), Some(domain.to_owned())))
            .or_else(|| self.edges.get(&(member.to_owned(), None)))
            .map(String::as_str)
    }

    /// The cycle that `delegator → delegate` (for `domain`, or globally when `None`) would close,
    /// as the chain of members from the delegator back to them; `None` when it closes none.
    ///
    /// A domain delegation is followed in its domain. A global one applies in every domain where
    /// the delegator has no delegation of their own, so it is checked in each domain any
    /// delegation names and in one that none names (where only global delegations apply).
    pub fn cycle_with(&self, delegator: &str, domain: Option<&str>, delegate: &str) -> Option<Vec<String>> {
        let mut with = self.clone();
        with.add(delegator, domain, delegate);
        let mut domains: Vec<&str> = match domain {
            Some(d) => vec![d],
            None => self.edges.keys().filter_map(|(_, d)| d.as_deref()).collect(),
        };
        // No real domain contains a NUL: this one stands for "every domain nobody names".
        if domain.is_none() {
            domains.push("\u{0}");
        }
        domains.sort_unstable();
        domains.dedup();
        for d in domains {
            let mut chain = vec![delegator.to_owned()];
            let mut current = delegator.to_owned();
            // A chain longer than the number of edges has repeated someone.
            for _ in 0..=with.edges.len() {
                let Some(next) = with.delegate_of(&current, d) else { break };
                chain.push(next.to_owned());
                if next == delegator {
                    return Some(chain);
                }
                if chain[..chain.len() - 1].iter().any(|c| c == next) {
                    break; // an older cycle that does not pass through the delegator
                }
                current = next.to_owned();
            }
        }
        None
    }
}

/// Where one eligible member's weight went.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// They voted themselves.
    Direct,
    /// Through this chain of delegates (last = the direct voter who cast it).
    Delegated(Vec<String>),
    /// Their chain cycled or ended at someone who did not vote: the weight was not cast.
    Lost(Vec<String>),
    /// They neither voted nor delegated.
    Absent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    /// Per direct voter: own weight plus everything delegated to them, in micro-votes.
    pub effective: HashMap<String, u64>,
    /// Per direct voter: the weight they received from others.
    pub received: HashMap<String, u64>,
    /// Per eligible member: the route their weight took.
    pub routes: HashMap<String, Route>,
}

/// Resolves delegations for one proposal. `weights` holds every eligible member's weight;
/// `voted` says who cast a ballot. Members outside `weights` are not eligible: a chain through
/// them is followed (they may delegate onward) but they cannot receive weight unless eligible.
pub fn resolve(
    weights: &HashMap<String, u64>,
    voted: &dyn Fn(&str) -> bool,
    delegations: &Delegations,
    domain: &str,
) -> Resolution {
    let mut effective: HashMap<String, u64> = HashMap::new();
    let mut received: HashMap<String, u64> = HashMap::new();
    let mut routes = HashMap::new();
    for (member, &weight) in weights {
        if voted(member) {
            *effective.entry(member.clone()).or_default() += weight;
            routes.insert(member.clone(), Route::Direct);
            continue;
        }
        let mut chain: Vec<String> = Vec::new();
        let mut current = member.as_str();
        let route = loop {
            let Some(next) = delegations.delegate_of(current, domain) else {
                break if chain.is_empty() { Route::Absent } else { Route::Lost(chain) };
            };
            if next == member || chain.iter().any(|c| c == next) {
                chain.push(next.to_owned());
                break Route::Lost(chain);
            }
            chain.push(next.to_owned());
            if voted(next) && weights.contains_key(next) {
                *effective.entry(next.to_owned()).or_default() += weight;
                *received.entry(next.to_owned()).or_default() += weight;
                break Route::Delegated(chain);
            }
            current = chain.last().map_or("", String::as_str);
        };
        routes.insert(member.clone(), route);
    }
    Resolution { effective, received, routes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn weights(members: &[&str]) -> HashMap<String, u64> {
        members.iter().map(|m| ((*m).to_owned(), 1)).collect()
    }

    #[test]
    fn chains_cycles_and_overrides() {
        let mut d = Delegations::default();
        d.add("a", None, "b");
        d.add("b", None, "c"); // b did not vote: a's weight flows on to c
        d.add("e", None, "f");
        d.add("f", None, "e"); // a cycle: lost
        d.add("g", None, "h"); // h did not vote and did not delegate: lost
        d.add("c", None, "a"); // c voted: its own delegation is overridden
        d.add("i", Some("finance"), "c");
        d.add("i", None, "g");
        let w = weights(&["a", "b", "c", "e", "f", "g", "h", "i"]);
        let voted = |m: &str| m == "c";
        let r = resolve(&w, &voted, &d, "finance");
        assert_eq!(r.effective.get("c"), Some(&4), "c + a + b + i (domain delegation wins)");
        assert_eq!(r.received.get("c"), Some(&3));
        assert_eq!(r.routes["a"], Route::Delegated(vec!["b".into(), "c".into()]));
        assert!(matches!(r.routes["e"], Route::Lost(_)));
        assert!(matches!(r.routes["g"], Route::Lost(_)));
        assert_eq!(r.routes["h"], Route::Absent);
        assert_eq!(r.routes["c"], Route::Direct);
        // In another domain, i's global delegation applies: to g, who did not vote → h → lost.
        let r = resolve(&w, &voted, &d, "ecology");
        assert_eq!(r.effective.get("c"), Some(&3));
    }

    #[test]
    fn cycles_are_found_in_every_domain_they_would_close() {
        let mut d = Delegations::default();
        assert_eq!(d.cycle_with("a", None, "a"), Some(vec!["a".into(), "a".into()]));
        d.add("b", None, "a");
        assert_eq!(d.cycle_with("a", None, "b"), Some(vec!["a".into(), "b".into(), "a".into()]), "two members");
        d.add("c", None, "b");
        assert!(d.cycle_with("a", None, "c").is_some(), "three members");
        assert!(d.cycle_with("a", Some("ecology"), "c").is_some(), "b's global delegation applies in ecology");
        // b delegates finance elsewhere: a's finance delegation to b no longer loops...
        d.add("b", Some("finance"), "z");
        assert_eq!(d.cycle_with("a", Some("finance"), "b"), None);
        // ...but a global one still does, in every other domain.
        assert!(d.cycle_with("a", None, "b").is_some());
        // And a domain delegation that loops only in its own domain.
        let mut e = Delegations::default();
        e.add("y", Some("energy"), "x");
        assert!(e.cycle_with("x", Some("energy"), "y").is_some());
        assert_eq!(e.cycle_with("x", Some("design"), "y"), None);
        assert!(e.cycle_with("x", None, "y").is_some(), "x's global delegation applies in energy");
    }

    proptest! {
        /// Refusing every edge that closes a cycle leaves a graph in which no weight is lost to one.
        #[test]
        fn refusing_cycles_leaves_none(edges in proptest::collection::vec((0u8..6, 0u8..6, 0u8..3), 0..30)) {
            let names: Vec<String> = (0..6).map(|i| format!("m{i}")).collect();
            let domains = [None, Some("finance"), Some("ecology")];
            let mut d = Delegations::default();
            for (from, to, dom) in edges {
                let (from, to, dom) = (&names[from as usize], &names[to as usize], domains[dom as usize]);
                if d.cycle_with(from, dom, to).is_none() {
                    d.add(from, dom, to);
                }
            }
            let w: HashMap<String, u64> = names.iter().map(|n| (n.clone(), 1)).collect();
            for domain in ["finance", "ecology", "design"] {
                let r = resolve(&w, &|_| false, &d, domain);
                for route in r.routes.values() {
                    if let Route::Lost(chain) = route {
                        let last = chain.last().expect("a lost chain names someone");
                        prop_assert!(d.delegate_of(last, domain).is_none(), "lost only at a dead end, never in a cycle: {chain:?}");
                    }
                }
            }
        }

        /// Weight is conserved: what reaches voters plus what is lost or absent equals the total,
        /// and nobody receives their own weight back through a cycle.
        #[test]
        fn weight_is_never_created(edges in proptest::collection::vec((0u8..8, 0u8..8), 0..20), voters in proptest::collection::vec(any::<bool>(), 8)) {
            let names: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
            let mut d = Delegations::default();
            for (from, to) in edges {
                if from != to {
                    d.add(&names[from as usize], None, &names[to as usize]);
                }
            }
            let w: HashMap<String, u64> = names.iter().map(|n| (n.clone(), 1)).collect();
            let voted = |m: &str| names.iter().position(|n| n == m).is_some_and(|i| voters[i]);
            let r = resolve(&w, &voted, &d, "any");
            let cast: u64 = r.effective.values().sum();
            let not_cast = r.routes.values().filter(|route| matches!(route, Route::Lost(_) | Route::Absent)).count() as u64;
            prop_assert_eq!(cast + not_cast, 8);
            prop_assert!(r.effective.keys().all(|k| voted(k)));
        }
    }
}
