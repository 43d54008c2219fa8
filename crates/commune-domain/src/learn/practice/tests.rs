use super::*;

#[test]
fn exercises_grade_answers() {
    let mc = Exercise::from_form("choice", "red\n*green\nblue", "", "", "").unwrap();
    assert_eq!(mc.grade("1"), Ok(Some(true)));
    assert_eq!(mc.grade("0"), Ok(Some(false)));
    assert!(mc.grade("3").is_err() && mc.grade("x").is_err());
    let n = Exercise::from_form("numeric", "", "3.14", "0.01", "").unwrap();
    assert_eq!(n.grade("3.15"), Ok(Some(true)));
    assert_eq!(n.grade("3.2"), Ok(Some(false)));
    assert!(n.grade("3,14").is_err() && n.grade("1e3").is_err() && n.grade("NaN").is_err());
    let t = Exercise::from_form("text", "", "", "", "explains why").unwrap();
    assert_eq!(t.grade("because"), Ok(None));
    assert!(Exercise::from_form("choice", "a\nb", "", "", "").is_err(), "no right choice");
    assert!(Exercise::from_form("numeric", "", "1", "-1", "").is_err());
    assert!(Exercise::from_form("essay", "", "", "", "").is_err());
}

#[test]
fn peer_reviews_settle_by_two_agreeing() {
    assert_eq!(verdict(&[true]), None);
    assert_eq!(verdict(&[true, true]), Some(true));
    assert_eq!(verdict(&[true, false]), None);
    assert_eq!(verdict(&[true, false, false]), Some(false));
}

#[test]
fn mastery_is_an_ema_with_threshold() {
    assert!(!mastery([true; 8]).mastered);
    assert!(mastery([true; 9]).mastered);
    assert!(!mastery([true, true, true, true, true, true, true, true, true, false]).mastered);
    assert_eq!(mastery([]).attempts, 0);
}

#[test]
fn repeating_one_exercise_the_same_day_counts_once() {
    let g = |e: &str, day: i64, correct: bool| Graded { exercise: e.into(), day, correct };
    let same_day: Vec<Graded> = (0..20).map(|_| g("a", 1, true)).collect();
    assert_eq!(counted(&same_day), [true]);
    assert!(!mastery(counted(&same_day)).mastered);
    let spread: Vec<Graded> = (0..9).map(|k| g(&format!("e{k}"), 1, true)).collect();
    assert!(mastery(counted(&spread)).mastered);
    let daily: Vec<Graded> = (0..9).flat_map(|d| [g("a", d, true), g("a", d, false)]).collect();
    assert!(mastery(counted(&daily)).mastered, "the first attempt of each day counts");
}

#[test]
fn mastery_is_first_reached_when_the_counted_outcomes_first_reach_the_threshold() {
    let mut attempts = Vec::new();
    for i in 0..20i64 {
        // A wrong answer on day 3, and a second attempt on the same exercise and day that does not count.
        let correct = i != 3;
        attempts.push((Graded { exercise: format!("e{}", i % 2), day: i, correct }, i * 10));
        attempts.push((Graded { exercise: format!("e{}", i % 2), day: i, correct: true }, i * 10 + 1));
    }
    let at = first_mastered_at(&attempts).expect("mastered");
    let graded: Vec<Graded> = attempts.iter().map(|a| a.0.clone()).collect();
    let upto =
        |t: i64| graded.iter().zip(&attempts).filter(|(_, a)| a.1 <= t).map(|(g, _)| g.clone()).collect::<Vec<_>>();
    assert!(mastery(counted(&upto(at))).mastered);
    assert!(!mastery(counted(&upto(at - 1))).mastered);
    assert_eq!(first_mastered_at(&attempts[..4]), None);
}
