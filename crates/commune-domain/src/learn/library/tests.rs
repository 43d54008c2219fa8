use super::*;

#[test]
fn diffs_show_added_and_removed_lines() {
    let d = diff("a\nb\nc\n", "a\nB\nc\nd\n");
    let tags: String = d.iter().map(|l| l.tag).collect();
    assert_eq!(tags, " -+ +");
    assert_eq!(change_size("a\nb\n", "a\nb\n"), 0);
    assert_eq!(change_size("a\n", "a\nxyz\n"), 4);
}

#[test]
fn principles_and_big_changes_go_to_a_vote() {
    assert_eq!(route(Kind::Principle, 1, 2000), Route::Vote);
    assert_eq!(route(Kind::Lesson, 2001, 2000), Route::Vote);
    assert_eq!(route(Kind::Lesson, 2000, 2000), Route::Maintainer);
}

#[test]
fn cards_come_from_cloze_gaps_and_questions() {
    let text = Text {
        title: "Double entry".into(),
        body: "Every transfer has a {{debit}} and a {{credit}}.\nQ: What never changes?\nA: The sum of balances.\nQ: dangling".into(),
        ..Text::default()
    };
    let cards = cards(Kind::Lesson, &text);
    assert_eq!(cards.len(), 3);
    assert_eq!(cards[0].front, "Every transfer has a […] and a credit.");
    assert_eq!(cards[1].front, "Every transfer has a debit and a […].");
    assert_eq!(cards[0].back, "Every transfer has a debit and a credit.");
    assert_eq!((cards[2].kind, cards[2].back.as_str()), ("qa", "The sum of balances."));
    let principle = Text {
        title: "Pain + reflection = progress".into(),
        body: "Look at mistakes.".into(),
        examples: "x".into(),
        ..Text::default()
    };
    assert_eq!(super::cards(Kind::Principle, &principle).len(), 1);
}

#[test]
fn texts_are_checked() {
    let t = Text { title: "ok title".into(), body: "body".into(), ..Text::default() };
    assert!(t.checked(Kind::Lesson).is_ok());
    assert!(t.checked(Kind::Principle).is_err(), "a principle needs an example");
    assert!(Text { title: "x".into(), ..t.clone() }.checked(Kind::Lesson).is_err());
    assert_eq!(tags("Co-op, ledger co-op").unwrap(), ["co-op", "ledger"]);
    let id = "0192f0c4-1111-7222-8333-444455556666";
    assert_eq!(links(&format!("see [x](/learn/{id}) and /learn/{id}")), [id]);
}
