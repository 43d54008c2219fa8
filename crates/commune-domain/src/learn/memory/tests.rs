use super::*;

fn reviews(ratings: &[u8], intervals: &[i64]) -> Vec<Review> {
    let mut day = 0;
    ratings
        .iter()
        .zip(intervals)
        .map(|(&rating, &gap)| {
            day += gap;
            Review { rating, day }
        })
        .collect()
}

#[test]
fn the_known_answer_with_default_parameters() {
    let r = reviews(&[1, 3, 3, 3, 3, 3], &[0, 0, 1, 3, 8, 21]);
    let m = Model::default().memory(&r).unwrap().unwrap();
    assert!((m.stability - 53.62691).abs() < 1e-4, "{}", m.stability);
    assert!((m.difficulty - 6.3574867).abs() < 1e-4, "{}", m.difficulty);
    assert_eq!(DEFAULT_PARAMETERS.to_vec(), fsrs::DEFAULT_PARAMETERS.to_vec());
}

#[test]
fn reviewing_step_by_step_gives_the_state_of_the_whole_history() {
    let model = Model::default();
    let r = reviews(&[3, 1, 3, 4, 2, 3, 3], &[0, 2, 0, 5, 9, 1, 30]);
    let mut m = None;
    for review in &r {
        m = Some(model.review(m, review.rating, review.day, 0.9).unwrap().0);
    }
    let whole = model.memory(&r).unwrap().unwrap();
    let step = m.unwrap();
    assert!((whole.stability - step.stability).abs() < 1e-3 * whole.stability);
    assert!((whole.difficulty - step.difficulty).abs() < 1e-4);
}

#[test]
fn recall_is_the_desired_retention_at_the_scheduled_interval() {
    let model = Model::default();
    let (m, due) = model.review(None, 3, 100, 0.9).unwrap();
    assert!(due > 100);
    assert!((model.recall(m, 100) - 1.0).abs() < 1e-9);
    // At exactly `stability` days recall is 90% (FSRS's definition of stability).
    let at_s = model.recall(Memory { day: 0, ..m }, m.stability.round() as i64);
    assert!((at_s - 0.9).abs() < 0.02, "{at_s}");
    let (_, again) = model.review(Some(m), 1, due, 0.9).unwrap();
    assert_eq!(again, due, "an again is due the same day");
    let (_, lower) = model.review(Some(m), 3, due, 0.8).unwrap();
    let (_, higher) = model.review(Some(m), 3, due, 0.97).unwrap();
    assert!(lower > higher, "a higher desired retention reviews sooner");
}

#[test]
fn bad_histories_are_refused() {
    let model = Model::default();
    assert!(model.memory(&[Review { rating: 5, day: 0 }]).is_err());
    assert!(model.memory(&[Review { rating: 3, day: 5 }, Review { rating: 3, day: 4 }]).is_err());
    assert!(model.review(None, 0, 0, 0.9).is_err());
    assert!(Model::new(&[1.0; 20]).is_err());
    assert!(Model::new(&[f32::NAN; 21]).is_err());
    assert_eq!(rating("r", "good"), Ok(3));
    assert!(rating("r", "5").is_err());
}

#[test]
fn fitting_recovers_a_learner_unlike_the_defaults_better_than_the_defaults() {
    let truth = unlike_defaults();
    let cards = synthetic(7, 600, 240, &truth).unwrap();
    let e = evaluate(&cards, 70).unwrap();
    let [default, fitted, constant] = [&e.scores[0], &e.scores[1], &e.scores[2]];
    assert!(fitted.log_loss < default.log_loss, "{e:?}");
    assert!(fitted.auc > default.auc, "{e:?}");
    assert!(fitted.log_loss < constant.log_loss, "{e:?}");
    assert!(fitted.auc > 0.6, "{e:?}");
    assert!(e.predicted > 1000);
}

#[test]
fn too_little_data_fits_the_defaults() {
    assert_eq!(fit(&[]).unwrap(), DEFAULT_PARAMETERS.to_vec());
    let one = vec![vec![Review { rating: 3, day: 0 }, Review { rating: 3, day: 3 }]];
    assert_eq!(fit(&one).unwrap().len(), 21);
    let same_day = vec![vec![Review { rating: 1, day: 0 }, Review { rating: 3, day: 0 }]; 20];
    assert_eq!(fit(&same_day).unwrap(), DEFAULT_PARAMETERS.to_vec());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// Any well-formed history fits without panicking and gives 21 finite parameters.
    #[test]
    fn fitting_never_panics(cards in proptest::collection::vec(
        proptest::collection::vec((1u8..=4, 0i64..4), 1..7), 1..60)) {
        let cards: Vec<Vec<Review>> = cards
            .iter()
            .map(|c| {
                let mut day = 0;
                c.iter().map(|&(rating, gap)| { day += gap; Review { rating, day } }).collect()
            })
            .collect();
        let w = fit(&cards).unwrap();
        proptest::prop_assert_eq!(w.len(), 21);
        proptest::prop_assert!(w.iter().all(|x| x.is_finite()));
        proptest::prop_assert!(Model::new(&w).is_ok());
    }
}
