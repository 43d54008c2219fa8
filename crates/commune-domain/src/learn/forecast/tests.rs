use super::*;

#[test]
fn brier_and_log_scores() {
    assert!((brier(&[0.3, 0.7], 1) - 0.09).abs() < 1e-12);
    assert!((brier(&[0.3, 0.7], 0) - 0.49).abs() < 1e-12);
    assert!((brier(&[0.2, 0.5, 0.3], 1) - (0.04 + 0.25 + 0.09)).abs() < 1e-12);
    assert!((log_score(&[0.3, 0.7], 1) - 0.7f64.ln()).abs() < 1e-12);
    assert!(log_score(&[1.0, 0.0], 1).is_finite());
}

#[test]
fn probabilities_are_parsed_strictly() {
    assert_eq!(probability("p", "0.7"), Ok(0.7));
    assert_eq!(probability("p", "70%"), Ok(0.7));
    assert_eq!(probability("p", ".25"), Ok(0.25));
    for bad in ["1.2", "-0.1", "", "abc", "0.5.1", "1e-1", "NaN", "inf", "."] {
        assert!(probability("p", bad).is_err(), "{bad}");
    }
    assert_eq!(parse_forecast(2, &["0.8".into()]).unwrap(), vec![0.19999999999999996, 0.8]);
    assert!(parse_forecast(3, &["0.5".into(), "0.5".into(), "0.5".into()]).is_err());
    assert!(parse_forecast(3, &["0.5".into()]).is_err());
}

#[test]
fn calibration_bins_count_and_average() {
    let bins = calibration(&[(0.05, false), (0.95, true), (1.0, true), (0.91, false)]);
    assert_eq!(bins.len(), 10);
    assert_eq!(bins[0].count, 1);
    assert_eq!(bins[9].count, 3);
    assert!((bins[9].observed.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(bins[5].mean_forecast, None);
}

#[test]
fn the_aggregate_is_the_weighted_mean_of_log_odds() {
    let a = [0.2, 0.8];
    let b = [0.6, 0.4];
    let equal = aggregate(&[(&a, 1.0), (&b, 1.0)], 1.0).unwrap();
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let expected = 1.0 / (1.0 + (-(logit(0.8) + logit(0.4)) / 2.0).exp());
    assert!((equal[1] - expected).abs() < 1e-9, "{equal:?} {expected}");
    let trusted = aggregate(&[(&a, 3.0), (&b, 1.0)], 1.0).unwrap();
    assert!(trusted[1] > equal[1]);
    let sharp = aggregate(&[(&a, 1.0), (&b, 1.0)], 2.0).unwrap();
    assert!(sharp[1] > equal[1] && equal[1] > 0.5);
    assert!((sharp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert_eq!(aggregate(&[], 1.0), None);
}

#[test]
fn track_records_weigh_and_count_as_evidence() {
    assert_eq!(track_weight(None), 1.0);
    let sharp = record(&vec![(vec![0.1, 0.9], 1, None); 20]).unwrap();
    let coin = record(&vec![(vec![0.5, 0.5], 1, Some(vec![0.1, 0.9])); 20]).unwrap();
    let wrong = record(&vec![(vec![0.9, 0.1], 1, None); 20]).unwrap();
    assert!(track_weight(Some(&sharp)) > 1.5);
    assert!((track_weight(Some(&coin)) - 1.0).abs() < 1e-12);
    assert!(track_weight(Some(&wrong)) < 0.5);
    assert!(coin.relative_brier.unwrap() > 0.0);
    assert!(evidence(&sharp) > evidence(&coin) && evidence(&coin) > evidence(&wrong));
}

#[test]
fn numeric_ranges_are_bins() {
    let options = numeric_options(0.0, 100.0, 4).unwrap();
    assert_eq!(options, ["below 0", "0 to 25", "25 to 50", "50 to 75", "75 to 100", "100 or more"]);
    assert_eq!(numeric_outcome(0.0, 100.0, 4, -1.0), 0);
    assert_eq!(numeric_outcome(0.0, 100.0, 4, 25.0), 2);
    assert_eq!(numeric_outcome(0.0, 100.0, 4, 99.9), 4);
    assert_eq!(numeric_outcome(0.0, 100.0, 4, 100.0), 5);
    assert!(numeric_options(5.0, 5.0, 4).is_err());
    assert!(numeric_options(0.0, 1.0, 40).is_err());
}
