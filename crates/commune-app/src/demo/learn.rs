//! The demo's learning, through the real operations: a library with a lesson revised by its
//! members (a merged suggestion, one waiting for a maintainer), a lesson linking to it, a
//! principle whose change is being voted on, ratings with both tallies and a citation; a course
//! with multiple-choice, numeric and peer-reviewed exercises, members part-way to mastery (the
//! visitor close to it, with an answer to review); cards due today for the visitor; forecasting
//! questions resolved with calibrated and overconfident forecasters (so track records weigh the
//! open question's community forecast away from the equal-weight one); and a study circle.

use super::people::{Staffed, caller};
use crate::error::AppError;
use crate::learn::{cards, circles, forecasting, library, practice};
use crate::state::AppState;
use commune_store::Member;

fn lesson(title: &str, body: &str, domains: &str) -> library::DocInput {
    library::DocInput { title: title.into(), body: body.into(), domains: domains.into(), ..Default::default() }
}

/// The learning of one organisation; `visitor` is a member of it.
pub(crate) async fn season(
    state: &AppState,
    staffed: &Staffed,
    members: &[Member],
    visitor: &Member,
) -> Result<(), AppError> {
    let (org, _) = staffed;
    let (stewards, others) = super::people::staff(state, staffed, members, visitor).await?;
    let (Some(steward), true) = (stewards.first().cloned(), others.len() >= 5) else { return Ok(()) };
    let (boss, me) = (caller(&steward), caller(visitor));
    let slug = &org.slug;
    let who: Vec<_> = others.iter().map(caller).collect();

    // The library.
    let dark = library::create(
        state,
        &who[0],
        slug,
        &lesson(
            "Designing charts for dark mode",
            "Dark interfaces need **more contrast, not less**. Keep text at a contrast ratio of at least {{4.5:1}} \
             against its background, and never rely on colour alone: pair each colour with a shape or a label.\n\n\
             Q: Which standard sets the 4.5:1 minimum?\nA: WCAG 2 (level AA).\n\n\
             Saturated neon reads well on near-black, but {{pure white}} text glows: use an off-white.",
            "design",
        ),
    )
    .await?;
    let body2 = format!(
        "{}\n\nCheck every chart in both themes before shipping; the [contributor guide](/learn/{}) says how.",
        dark.body, dark.id
    );
    library::edit(
        state,
        &who[1],
        &dark.id,
        &library::EditInput {
            base: 1,
            title: dark.title.clone(),
            body: body2.clone(),
            note: "check both themes".into(),
            ..Default::default()
        },
    )
    .await
    .and(Ok(()))?;
    let pending = state.store.learn_revisions(&dark.id).await?.into_iter().find(|r| r.status == "pending");
    if let Some(r) = pending {
        library::decide(
            state,
            &caller(&others[0]),
            &r.id,
            &library::DecideInput { decision: "merge".into(), note: String::new() },
        )
        .await?;
    }
    let guide = library::create(
        state,
        &who[2],
        slug,
        &lesson(
            "Writing the contributor guide",
            &format!(
                "A guide is for the newcomer's **first hour**. Start with how to run the tests, then where the rules live.\n\n\
                 Q: What comes first in a contributor guide?\nA: How to run the project and its tests.\n\n\
                 Every screen follows [the dark-mode rules](/learn/{}).",
                dark.id
            ),
            "education design",
        ),
    )
    .await?;
    // A suggestion waiting for a maintainer (the visitor may merge it when they steward).
    library::edit(
        state,
        &who[3],
        &guide.id,
        &library::EditInput {
            base: 1,
            title: guide.title.clone(),
            body: format!("{}\n\nEnd with where to ask for help.", guide.body),
            note: "say where to ask".into(),
            ..Default::default()
        },
    )
    .await?;
    let principle = library::create(
        state,
        &boss,
        slug,
        &library::DocInput {
            kind: "principle".into(),
            title: "Pain plus reflection equals progress".into(),
            body: "A mistake looked at honestly, together, teaches more than a success nobody examines.".into(),
            examples: "The release that broke sign-ups became the checklist every release now follows.".into(),
            counter_examples: "Blaming the person who shipped it: nobody reflects, everybody hides.".into(),
            domains: "engineering".into(),
            ..Default::default()
        },
    )
    .await?;
    library::edit(
        state,
        &who[4],
        &principle.id,
        &library::EditInput {
            base: 1,
            title: principle.title.clone(),
            body: format!("{} Write the lesson down the same week.", principle.body),
            examples: principle.examples.clone(),
            counter_examples: principle.counter_examples.clone(),
            note: "write it down".into(),
        },
    )
    .await?;
    for (k, score) in [(0usize, 9), (1, 8), (3, 6)] {
        library::rate(state, &who[k + 1], &dark.id, &library::RateInput { attribute: "communication".into(), score })
            .await?;
    }
    library::rate(state, &me, &dark.id, &library::RateInput { attribute: "attention_to_detail".into(), score: 8 })
        .await?;

    // A course with exercises, attempts and mastery.
    let course = practice::create_course(
        state,
        &boss,
        slug,
        &practice::CourseInput {
            title: "Design for everyone".into(),
            summary: "Contrast, colour and writing for the newcomer: what every screen we ship needs.".into(),
            lessons: vec![dark.id.clone(), guide.id.clone()],
        },
    )
    .await?;
    let ex = |kind: &str, prompt: &str, choices: &str, answer: &str, tolerance: &str, rubric: &str, lesson: &str| {
        practice::ExerciseInput {
            kind: kind.into(),
            prompt: prompt.into(),
            skill: "design".into(),
            lesson: Some(lesson.to_owned()),
            choices: choices.into(),
            answer: answer.into(),
            tolerance: tolerance.into(),
            rubric: rubric.into(),
        }
    };
    let mc = practice::add_exercise(
        state,
        &boss,
        &course.id,
        &ex(
            "choice",
            "Which text colour suits a near-black background best?",
            "Pure white #FFFFFF\n*Off-white #ECE9FF\nMid grey #777777",
            "",
            "",
            "",
            &dark.id,
        ),
    )
    .await?;
    let num = practice::add_exercise(
        state,
        &boss,
        &course.id,
        &ex(
            "numeric",
            "The minimum contrast ratio for body text (WCAG AA), as x in x:1?",
            "",
            "4.5",
            "0.05",
            "",
            &dark.id,
        ),
    )
    .await?;
    let text = practice::add_exercise(
        state,
        &boss,
        &course.id,
        &ex(
            "text",
            "Why never rely on colour alone in a chart?",
            "",
            "",
            "",
            "mentions colour blindness or greyscale, and a second cue",
            &guide.id,
        ),
    )
    .await?;
    let answer = |a: &str| practice::AttemptInput { answer: a.into() };
    // More practice: quick checks, one per idea.
    let mut drills = Vec::new();
    for (prompt, choices, right) in [
        (
            "A chart shows profit in green and loss in red. What else does it need?",
            "*A sign or label on each bar\nBrighter colours\nA legend in red",
            "0",
        ),
        ("Large text (18pt and up) needs a contrast ratio of at least…", "2:1\n*3:1\n7:1", "1"),
        (
            "Where does a contributor guide start?",
            "*Running the project and its tests\nThe history of the project\nThe licence",
            "0",
        ),
        ("On near-black, which accent reads best?", "Navy\n*Cyan\nDark red", "1"),
        ("What does a focus ring help?", "Mouse users\n*Keyboard users\nNobody", "1"),
        ("An icon-only button needs…", "*An accessible name\nA tooltip only\nNothing", "0"),
        ("Greyscale print of a colour-coded chart: what survives?", "The colours\n*Shapes and labels\nNothing", "1"),
        ("Body text contrast at AA, in x:1?", "3\n*4.5\n7", "1"),
    ] {
        let e = practice::add_exercise(state, &boss, &course.id, &ex("choice", prompt, choices, "", "", "", &dark.id))
            .await?;
        drills.push((e.id, right));
    }
    // The visitor: seven right after a slip — close to mastery, not there yet (the first
    // exercise and one drill are left for them to try).
    practice::attempt(state, &me, &num.id, &answer("3")).await?;
    for (id, right) in drills.iter().take(7) {
        practice::attempt(state, &me, id, &answer(right)).await?;
    }
    // Others: one master (every exercise right), one still learning.
    practice::attempt(state, &who[0], &mc.id, &answer("1")).await?;
    practice::attempt(state, &who[0], &num.id, &answer("4.5")).await?;
    for (id, right) in &drills {
        practice::attempt(state, &who[0], id, &answer(right)).await?;
    }
    for (k, (id, right)) in drills.iter().take(4).enumerate() {
        practice::attempt(state, &who[1], id, &answer(if k % 2 == 0 { right } else { "2" })).await?;
    }
    // A free-text answer graded by two peers, and one waiting (for the visitor to review).
    let graded = practice::attempt(
        state,
        &who[2],
        &text.id,
        &answer("Colour-blind readers and greyscale prints lose it: add a shape or a label."),
    )
    .await?;
    for r in [&who[3], &who[4]] {
        practice::review_attempt(
            state,
            r,
            &graded.attempt.id,
            &practice::PeerReviewInput { pass: true, note: "names both".into() },
        )
        .await?;
    }
    practice::attempt(
        state,
        &who[3],
        &text.id,
        &answer("Because some people cannot tell red from green, so a second cue is needed."),
    )
    .await?;

    // Cards due today for the visitor.
    cards::study(state, &me, &dark.id).await?;
    cards::study(state, &me, &guide.id).await?;
    cards::study(state, &who[0], &dark.id).await?;

    // Forecasting: five resolved questions, one open. who[0] forecasts well, who[1] is
    // overconfident and wrong, the visitor is in between.
    let closes = commune_domain::ledger::export::date_of(commune_store::now_ms() + 21 * super::people::DAY);
    let question = |title: &str, criteria: &str| forecasting::QuestionInput {
        title: title.into(),
        criteria: criteria.into(),
        domain: "engineering".into(),
        closes: closes.clone(),
        ..Default::default()
    };
    let resolved = [
        (
            "Will the 2.0 release ship by the end of the month?",
            "Yes if the release tag exists on the last day of the month.",
            1,
            ["0.8", "0.99", "0.7"],
        ),
        (
            "Will the test suite run under ten minutes in CI?",
            "Yes if the median CI run of the week is below 10 minutes.",
            0,
            ["0.2", "0.95", "0.4"],
        ),
        (
            "Will the new sign-up flow lift completions by 10%?",
            "Yes if completions rise at least 10% over the four weeks after launch.",
            1,
            ["0.65", "0.1", "0.6"],
        ),
        (
            "Will we need a second database server this quarter?",
            "Yes if a second server is ordered before the quarter ends.",
            0,
            ["0.15", "0.9", "0.3"],
        ),
        (
            "Will the accessibility audit find fewer than five issues?",
            "Yes if the external audit report lists fewer than five issues.",
            1,
            ["0.75", "0.05", "0.55"],
        ),
    ];
    for (title, criteria, outcome, ps) in resolved {
        let q = forecasting::create(state, &who[4], slug, &question(title, criteria)).await?;
        for (c, p) in [&who[0], &who[1], &me].into_iter().zip(ps) {
            forecasting::forecast(state, c, &q.id, &forecasting::ForecastInput { p: vec![p.into()] }).await?;
        }
        forecasting::resolve(state, &boss, &q.id, &forecasting::ResolveInput { outcome: outcome.to_string() }).await?;
    }
    let open = forecasting::create(
        state,
        &who[4],
        slug,
        &question(
            "Will the members' app reach 500 weekly users by its launch?",
            "Yes if the analytics show at least 500 distinct weekly users in launch week.",
        ),
    )
    .await?;
    for (c, p) in [(&who[0], "0.7"), (&who[1], "0.1"), (&who[2], "0.3"), (&who[3], "0.35")] {
        forecasting::forecast(state, c, &open.id, &forecasting::ForecastInput { p: vec![p.into()] }).await?;
    }
    let choice = forecasting::create(
        state,
        &who[2],
        slug,
        &forecasting::QuestionInput {
            kind: "choice".into(),
            options: "Rust\nGo\nTypeScript".into(),
            ..question(
                "Which language will the next plug-in be written in?",
                "The language of the first commit of the next plug-in repository.",
            )
        },
    )
    .await?;
    forecasting::forecast(
        state,
        &who[0],
        &choice.id,
        &forecasting::ForecastInput { p: vec!["0.6".into(), "0.1".into(), "0.3".into()] },
    )
    .await?;

    // A study circle on the course.
    let circle = circles::create(
        state,
        &who[0],
        slug,
        &circles::CircleInput {
            name: "Thursday design circle".into(),
            course_id: course.id.clone(),
            schedule: "Thursdays 17:30, the studio".into(),
        },
    )
    .await?;
    circles::join(state, &me, &circle.id).await?;
    circles::join(state, &who[1], &circle.id).await?;
    for (c, l, body) in [
        (&who[0], &dark.id, "Tried the off-white on the treasury chart: much calmer. Screenshots in the channel."),
        (&me, &dark.id, "Does the 4.5:1 rule apply to chart lines too, or only text?"),
        (&who[1], &guide.id, "I'll draft the 'first hour' section before Thursday."),
    ] {
        circles::post(state, c, &circle.id, &circles::PostInput { lesson: l.clone(), body: body.into() }).await?;
    }
    Ok(())
}
