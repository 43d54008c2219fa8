//! Stable matching with capacities (hospitals/residents): people propose to tasks in order of
//! their preferences (deferred acceptance, people proposing), each task keeps the people it
//! prefers up to its capacity. The result is the person-optimal stable matching — no person and
//! task would both rather have each other than what they got. A pair counts only when both
//! sides list each other (an unknown or one-sided entry is ignored), as the Python package
//! `matching` does.

use std::collections::{BTreeMap, HashMap, HashSet};

/// A person's ranked tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    pub preferences: Vec<String>,
}

/// A task's capacity and its ranked people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: String,
    pub capacity: usize,
    pub preferences: Vec<String>,
}

/// Task id → the people matched to it, ascending (every task present, possibly empty).
pub type Matching = BTreeMap<String, Vec<String>>;

pub fn deferred_acceptance(people: &[Person], tasks: &[Task]) -> Matching {
    let task_at: HashMap<&str, usize> = tasks.iter().enumerate().map(|(k, t)| (t.id.as_str(), k)).collect();
    let person_at: HashMap<&str, usize> = people.iter().enumerate().map(|(k, p)| (p.id.as_str(), k)).collect();
    // rank[t][p]: where task t ranks person p (only mutual, first mention counts).
    let rank: Vec<HashMap<usize, usize>> = tasks
        .iter()
        .map(|t| {
            let mut r = HashMap::new();
            for (k, id) in t.preferences.iter().enumerate() {
                if let Some(&p) = person_at.get(id.as_str()) {
                    r.entry(p).or_insert(k);
                }
            }
            r
        })
        .collect();
    // Each person's acceptable tasks, in order: known, listing them back, no repeats.
    let lists: Vec<Vec<usize>> = people
        .iter()
        .enumerate()
        .map(|(p, person)| {
            let mut seen = HashSet::new();
            person
                .preferences
                .iter()
                .filter_map(|id| task_at.get(id.as_str()).copied())
                .filter(|&t| rank[t].contains_key(&p) && seen.insert(t))
                .collect()
        })
        .collect();
    let mut next = vec![0usize; people.len()];
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    let mut free: Vec<usize> = (0..people.len()).rev().collect();
    while let Some(p) = free.pop() {
        let Some(&t) = lists[p].get(next[p]) else { continue };
        next[p] += 1;
        if tasks[t].capacity == 0 {
            free.push(p);
            continue;
        }
        held[t].push(p);
        if held[t].len() > tasks[t].capacity {
            let worst = (0..held[t].len()).max_by_key(|&k| rank[t][&held[t][k]]).expect("non-empty");
            free.push(held[t].swap_remove(worst));
        }
    }
    tasks
        .iter()
        .zip(held)
        .map(|(t, ps)| {
            let mut ids: Vec<String> = ps.into_iter().map(|p| people[p].id.clone()).collect();
            ids.sort();
            (t.id.clone(), ids)
        })
        .collect()
}

/// Pairs `(person, task)` that would both rather have each other: empty for a stable matching.
pub fn blocking_pairs(people: &[Person], tasks: &[Task], matching: &Matching) -> Vec<(String, String)> {
    let mut assigned: HashMap<&str, &str> = HashMap::new();
    for (t, ps) in matching {
        for p in ps {
            assigned.insert(p.as_str(), t.as_str());
        }
    }
    let mut out = Vec::new();
    for person in people {
        let mine = assigned.get(person.id.as_str()).copied();
        for want in &person.preferences {
            if Some(want.as_str()) == mine {
                break;
            }
            let Some(task) = tasks.iter().find(|t| &t.id == want) else { continue };
            let Some(my_rank) = task.preferences.iter().position(|x| x == &person.id) else { continue };
            let held = &matching[&task.id];
            let full = held.len() >= task.capacity;
            let prefers_me =
                held.iter().any(|h| task.preferences.iter().position(|x| x == h).is_none_or(|r| r > my_rank));
            if task.capacity > 0 && (!full || prefers_me) {
                out.push((person.id.clone(), task.id.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeded::SplitMix64;

    fn person(id: &str, prefs: &str) -> Person {
        Person { id: id.into(), preferences: prefs.split_whitespace().map(String::from).collect() }
    }

    fn task(id: &str, capacity: usize, prefs: &str) -> Task {
        Task { id: id.into(), capacity, preferences: prefs.split_whitespace().map(String::from).collect() }
    }

    #[test]
    fn people_get_their_best_stable_task() {
        let people = [person("a", "x y"), person("b", "x y"), person("c", "x")];
        let tasks = [task("x", 1, "c b a"), task("y", 2, "a b")];
        let m = deferred_acceptance(&people, &tasks);
        assert_eq!(m["x"], vec!["c"]);
        assert_eq!(m["y"], vec!["a", "b"]);
        assert!(blocking_pairs(&people, &tasks, &m).is_empty());
    }

    #[test]
    fn one_sided_and_unknown_entries_are_ignored() {
        let people = [person("a", "x ghost"), person("b", "x")];
        let tasks = [task("x", 2, "a nobody"), task("z", 1, "b")];
        let m = deferred_acceptance(&people, &tasks);
        assert_eq!(m["x"], vec!["a"]);
        assert!(m["z"].is_empty());
    }

    #[test]
    fn random_instances_have_no_blocking_pair() {
        let mut rng = SplitMix64(5);
        for _ in 0..300 {
            let (np, nt) = (1 + rng.below(9) as usize, 1 + rng.below(5) as usize);
            let ids = |prefix: &str, n: usize| (0..n).map(|k| format!("{prefix}{k}")).collect::<Vec<_>>();
            let (pids, tids) = (ids("p", np), ids("t", nt));
            let shuffled = |v: &[String], rng: &mut SplitMix64| {
                let mut v: Vec<String> = v.iter().filter(|_| rng.chance(80)).cloned().collect();
                for k in (1..v.len()).rev() {
                    v.swap(k, rng.below(k as u64 + 1) as usize);
                }
                v
            };
            let people: Vec<Person> =
                pids.iter().map(|p| Person { id: p.clone(), preferences: shuffled(&tids, &mut rng) }).collect();
            let tasks: Vec<Task> = tids
                .iter()
                .map(|t| Task {
                    id: t.clone(),
                    capacity: rng.below(3) as usize,
                    preferences: shuffled(&pids, &mut rng),
                })
                .collect();
            let m = deferred_acceptance(&people, &tasks);
            assert!(blocking_pairs(&people, &tasks, &m).is_empty());
            for t in &tasks {
                assert!(m[&t.id].len() <= t.capacity);
            }
        }
    }
}
