use super::*;

fn facts(status: Status, doer: Option<&str>, reviewer: Option<&str>) -> Facts {
    Facts { status, creator: "cy".into(), doer: doer.map(Into::into), reviewer: reviewer.map(Into::into) }
}

fn who(id: &str, steward: bool) -> Who {
    Who { member_id: id.into(), steward }
}

#[test]
fn a_task_flows_from_open_to_done_and_the_doer_never_reviews() {
    use Status::*;
    let (ann, bo, cy, st) = (who("ann", false), who("bo", false), who("cy", false), who("st", true));
    assert_eq!(decide(&facts(Open, None, None), &ann, &Step::Assign("ann".into())), Ok(Assigned));
    assert!(decide(&facts(Open, None, None), &ann, &Step::Assign("bo".into())).is_err(), "not for someone else");
    assert_eq!(decide(&facts(Open, None, None), &cy, &Step::Assign("bo".into())), Ok(Assigned), "the creator may");
    assert!(
        decide(&facts(Assigned, Some("ann"), None), &bo, &Step::Assign("bo".into())).is_err(),
        "nobody takes another's task"
    );
    assert_eq!(
        decide(&facts(Assigned, Some("ann"), None), &st, &Step::Assign("bo".into())),
        Ok(Assigned),
        "a steward reassigns"
    );
    assert!(decide(&facts(Open, None, Some("ann")), &st, &Step::Assign("ann".into())).is_err(), "reviewer ≠ doer");
    assert!(decide(&facts(Assigned, Some("ann"), None), &st, &Step::SetReviewer("ann".into())).is_err());
    assert_eq!(
        decide(&facts(Assigned, Some("ann"), None), &bo, &Step::Start).map_err(|r| r.message()),
        Err("only the doer starts the task")
    );
    assert_eq!(decide(&facts(Assigned, Some("ann"), None), &ann, &Step::Start), Ok(InProgress));
    assert!(decide(&facts(InProgress, Some("ann"), None), &ann, &Step::Submit).is_err(), "a reviewer first");
    assert_eq!(decide(&facts(InProgress, Some("ann"), Some("bo")), &ann, &Step::Submit), Ok(Review));
    assert_eq!(
        decide(&facts(Review, Some("ann"), Some("bo")), &ann, &Step::Review).map_err(|r| r.message()),
        Err("nobody reviews their own task")
    );
    assert!(decide(&facts(Review, Some("ann"), Some("bo")), &st, &Step::Review).is_err(), "only the reviewer");
    assert_eq!(decide(&facts(Review, Some("ann"), Some("bo")), &bo, &Step::SendBack), Ok(InProgress));
    assert_eq!(decide(&facts(Review, Some("ann"), Some("bo")), &bo, &Step::Review), Ok(Done));
    assert!(decide(&facts(Done, Some("ann"), Some("bo")), &st, &Step::Drop).is_err());
    assert_eq!(decide(&facts(InProgress, Some("ann"), Some("bo")), &st, &Step::Drop), Ok(Dropped));
    assert_eq!(decide(&facts(Dropped, None, None), &cy, &Step::Reopen), Ok(Open));
}

#[test]
fn board_moves_are_steps_one_column_at_a_time() {
    use Status::*;
    let ann = who("ann", false);
    assert_eq!(board_step(Open, Assigned, &ann), Ok(Step::Assign("ann".into())));
    assert_eq!(board_step(InProgress, Review, &ann), Ok(Step::Submit));
    assert!(board_step(Open, Done, &ann).is_err());
    assert!(board_step(Review, Done, &ann).is_err(), "done needs the review form");
    // Every status pair: a board step, when there is one, is decided by the same rule.
    for from in Status::ALL {
        for to in Status::ALL {
            if let Ok(step) = board_step(from, to, &ann) {
                let f = facts(from, Some("ann"), Some("bo"));
                if let Ok(next) = decide(&f, &who("st", true), &step).or_else(|_| decide(&f, &ann, &step)) {
                    assert_eq!(next, to, "{from:?} → {to:?}");
                }
            }
        }
    }
}

#[test]
fn hours_are_parsed_strictly() {
    assert_eq!(hours("h", "6", MAX_EFFORT_MINUTES), Ok(360));
    assert_eq!(hours("h", "1.5", MAX_EFFORT_MINUTES), Ok(90));
    assert_eq!(hours("h", ".25", MAX_EFFORT_MINUTES), Ok(15));
    for bad in ["", "-1", "0", "1e3", "1.", "1.234", "one", "+2", "1 5", "NaN", "0.00"] {
        assert!(hours("h", bad, MAX_EFFORT_MINUTES).is_err(), "{bad:?}");
    }
    assert!(hours("h", "25", MAX_LOG_MINUTES).is_err());
    assert_eq!(hours_text(90), "1.5");
    assert_eq!(hours_text(15), "0.25");
    assert_eq!(hours_text(360), "6");
}

#[test]
fn days_are_civil_and_checked() {
    assert_eq!(day("d", "2026-11-30").map(crate::ledger::export::date_of), Ok("2026-11-30".to_owned()));
    assert_eq!(day("d", "2024-02-29").map(crate::ledger::export::date_of), Ok("2024-02-29".to_owned()));
    for bad in ["2026-02-29", "2026-13-01", "26-01-01", "2026/01/01", "2026-1-01", "", "1999-01-01"] {
        assert!(day("d", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_form_reports_every_problem_and_reviews_score_as_evidence() {
    let form = TaskForm {
        title: " ".into(),
        effort_hours: "-2".into(),
        seats: Some(0),
        due: "soon".into(),
        ..TaskForm::default()
    };
    let err = form.validate(Ok(-1)).unwrap_err();
    let fields: Vec<&str> = err.0.iter().map(|i| i.field).collect();
    assert_eq!(fields, ["title", "effort_hours", "seats", "value", "due"]);
    let ok = TaskForm { title: "Fix the oven".into(), domains: "Baking, ops baking".into(), ..TaskForm::default() }
        .validate(Ok(5_000))
        .unwrap();
    assert_eq!(ok.domains, ["baking", "ops"]);
    assert_eq!((ok.effort_minutes, ok.difficulty, ok.seats), (60, 3, 1));
    assert_eq!(Review::new(true, 5, true).unwrap().evidence_score(), 10.0);
    assert_eq!(Review::new(false, 1, false).unwrap().evidence_score(), 1.0);
    assert!(Review::new(true, 6, true).is_err());
    assert!(overloaded(11 * 60, 10 * 60) && !overloaded(600, 600));
}
