use super::*;

fn lsat6() -> Vec<Response> {
    let path = format!("{}/../../../shared/data/merit/lsat6.csv", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("../shared/data/merit/lsat6.csv");
    let mut out = Vec::new();
    for (person, line) in text.lines().skip(1).enumerate() {
        for (item, cell) in line.split(',').enumerate() {
            out.push(Response { person: person as u32, item: item as u32, correct: cell.trim() == "1" });
        }
    }
    out
}

#[test]
fn two_pl_on_lsat6_recovers_the_published_estimates() {
    let responses = lsat6();
    let fit = fit(1000, 5, &responses, Options::default());
    let b = [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236];
    let a = [0.8254, 0.7229, 0.8905, 0.6886, 0.6575];
    for (i, item) in fit.items.iter().enumerate() {
        println!("item {}: b {:.4} (published {:.4}), a {:.4} (published {:.4})", i + 1, item.b, b[i], item.a, a[i]);
        assert!((item.b - b[i]).abs() < 0.05, "item {i}: b {} vs {}", item.b, b[i]);
        assert!((item.a - a[i]).abs() < 0.05, "item {i}: a {} vs {}", item.a, a[i]);
    }
    println!("log-likelihood {:.3} (published -2466.653) after {} EM iterations", fit.log_likelihood, fit.iterations);
    assert!((fit.log_likelihood - -2466.653).abs() < 0.05, "log-likelihood {}", fit.log_likelihood);
}

#[test]
fn one_pl_shares_one_discrimination_and_fits_no_better_than_two_pl() {
    let responses = lsat6();
    let one = fit(1000, 5, &responses, Options { model: Model::OnePl, ..Options::default() });
    let two = fit(1000, 5, &responses, Options::default());
    assert!(one.items.iter().all(|i| (i.a - one.items[0].a).abs() < 1e-12));
    assert!(one.log_likelihood <= two.log_likelihood + 1e-6);
}

#[test]
fn posterior_predictions_move_with_evidence_and_stay_probabilities() {
    let mut responses = Vec::new();
    let mut rng = crate::seeded::SplitMix64(7);
    let truth: Vec<f64> = (0..300).map(|_| rng.normal()).collect();
    let items: Vec<Item> = (0..10).map(|i| Item { a: 1.0 + 0.1 * i as f64, b: -1.5 + 0.3 * i as f64 }).collect();
    for (p, theta) in truth.iter().enumerate() {
        for (i, item) in items.iter().enumerate() {
            responses.push(Response { person: p as u32, item: i as u32, correct: rng.uniform() < item.p(*theta) });
        }
    }
    let fitted = fit(300, 10, &responses, Options::default());
    let nobody = fitted.ability(&[]);
    let strong = fitted.ability(&(0..10).map(|i| (i, true)).collect::<Vec<_>>());
    let weak = fitted.ability(&(0..10).map(|i| (i, false)).collect::<Vec<_>>());
    assert!(strong.mean() > nobody.mean() && nobody.mean() > weak.mean());
    assert!(strong.sd() < nobody.sd());
    for item in &fitted.items {
        let p = strong.p(*item);
        assert!(p > 0.0 && p < 1.0);
    }
    // Recovered difficulties are ordered as the truth.
    let bs: Vec<f64> = fitted.items.iter().map(|i| i.b).collect();
    assert!(bs.windows(2).filter(|w| w[0] < w[1]).count() >= 8, "{bs:?}");
}

#[test]
fn an_item_everyone_gets_right_stays_finite() {
    let responses: Vec<Response> = (0..50)
        .flat_map(|p| {
            [Response { person: p, item: 0, correct: true }, Response { person: p, item: 1, correct: p % 2 == 0 }]
        })
        .collect();
    let fitted = fit(50, 3, &responses, Options::default());
    assert!(fitted.items.iter().all(|i| i.a.is_finite() && i.b.is_finite()));
}

#[test]
fn auc_counts_ties_as_half() {
    let (auc, _) = auc_and_log_loss(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]);
    assert!((auc - 0.75).abs() < 1e-12);
    let (auc, loss) = auc_and_log_loss(&[0.5, 0.5], &[false, true]);
    assert!((auc - 0.5).abs() < 1e-12 && (loss - std::f64::consts::LN_2).abs() < 1e-12);
}
