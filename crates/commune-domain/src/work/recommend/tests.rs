use super::*;
use crate::work::assign;

fn task(id: &str, effort_minutes: i64, seats: usize) -> TaskFacts {
    TaskFacts { id: id.into(), difficulty: 3, value: 100.0, impact: 2.0, impact_votes: 3, effort_minutes, seats }
}

fn cap(id: &str, hours: i64) -> Capacity {
    Capacity { member_id: id.into(), minutes: hours * 60 }
}

#[test]
fn people_are_ranked_by_expected_value_and_told_why() {
    let t = task("t", 60, 1);
    let strong = Skill { mean: 1.5, sd: 0.3, outcomes: 6 };
    let new = Skill::PRIOR;
    let ranked = rank_people(
        &t,
        &[Candidate { member_id: "new".into(), skill: new }, Candidate { member_id: "pro".into(), skill: strong }],
        10.0,
    );
    assert_eq!(ranked[0].id, "pro");
    assert!(ranked[0].why.contains("6 reviewed outcomes"), "{}", ranked[0].why);
    assert!(ranked[1].why.contains("newcomer prior"));
    assert!((ranked[0].expected_value - (ranked[0].p * 100.0 + 20.0)).abs() < 1e-9);
}

#[test]
fn thompson_sampling_tries_newcomers_and_reports_a_propensity() {
    let t = task("t", 60, 1);
    let candidates = [
        Candidate { member_id: "pro".into(), skill: Skill { mean: 0.5, sd: 0.2, outcomes: 20 } },
        Candidate { member_id: "new".into(), skill: Skill::PRIOR },
    ];
    let picks: Vec<Pick> = (0..200).map(|seed| thompson_pick(&t, &candidates, 1.0, seed).unwrap()).collect();
    let newcomer = picks.iter().filter(|p| p.member_id == "new").count();
    assert!(newcomer > 20 && newcomer < 180, "the newcomer is tried sometimes: {newcomer}/200");
    for p in &picks {
        assert!(p.propensity > 0.0 && p.propensity < 1.0);
    }
    // The propensity estimates the pick's frequency.
    let mean_new = picks.iter().find(|p| p.member_id == "new").unwrap().propensity;
    assert!((mean_new - newcomer as f64 / 200.0).abs() < 0.12, "{mean_new} vs {newcomer}/200");
    assert_eq!(thompson_pick(&t, &[], 1.0, 1), None);
}

#[test]
fn the_plan_respects_hours_and_seats_and_is_optimal_when_both_are_one() {
    let mut rng = SplitMix64(3);
    for _ in 0..200 {
        let (np, nt) = (1 + rng.below(5) as usize, 1 + rng.below(5) as usize);
        let people: Vec<Capacity> = (0..np).map(|k| cap(&format!("p{k}"), 1 + rng.below(4) as i64)).collect();
        let tasks: Vec<TaskFacts> = (0..nt)
            .map(|k| task(&format!("t{k}"), 60 * (1 + rng.below(3) as i64), 1 + rng.below(2) as usize))
            .collect();
        let score: Vec<Option<f64>> =
            (0..np * nt).map(|_| if rng.chance(10) { None } else { Some(rng.uniform() * 10.0) }).collect();
        let pairs = plan(&people, &tasks, &score);
        for (p, c) in people.iter().enumerate() {
            let used: i64 = pairs.iter().filter(|x| x.0 == p).map(|x| tasks[x.1].effort_minutes).sum();
            assert!(used <= c.minutes);
        }
        for (t, task) in tasks.iter().enumerate() {
            assert!(pairs.iter().filter(|x| x.1 == t).count() <= task.seats);
        }
        assert!(pairs.iter().all(|&(p, t)| score[p * nt + t].is_some()));
        // One task each, one seat each, everyone has the hours: the linear assignment optimum.
        let ones: Vec<TaskFacts> =
            tasks.iter().map(|t| TaskFacts { seats: 1, effort_minutes: 60, ..t.clone() }).collect();
        let one_each: Vec<Capacity> = people.iter().map(|c| Capacity { minutes: 60, ..c.clone() }).collect();
        let got: f64 = plan(&one_each, &ones, &score).iter().map(|&(p, t)| score[p * nt + t].unwrap()).sum();
        let matrix: Vec<f64> = score.iter().map(|s| s.unwrap_or(0.0)).collect();
        let best = assign::solve(&matrix, np, nt, true).unwrap().total;
        assert!((got - best).abs() < 1e-9, "{got} vs {best}");
    }
}

#[test]
fn a_thompson_plan_logs_propensities() {
    let people = [cap("a", 8), cap("b", 8), cap("c", 8)];
    let tasks = [task("x", 240, 1), task("y", 240, 1)];
    let skills = vec![
        Some(Skill { mean: 1.0, sd: 0.2, outcomes: 9 }),
        Some(Skill::PRIOR),
        Some(Skill::PRIOR),
        None,
        Some(Skill::PRIOR),
        Some(Skill::PRIOR),
    ];
    let planned = thompson_plan(&people, &tasks, &skills, 0.0, EXPLORATION, 9, 50);
    assert!(!planned.is_empty());
    assert!(planned.iter().all(|p| p.propensity > 0.0 && p.propensity < 1.0 && !(p.person == 1 && p.task == 1)));
}
