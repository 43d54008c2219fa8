//! Chapters and politics in the demo: Neon City's districts (in Germany) and Belleville (in
//! Paris) with outlines, three chapters in two countries, members placed at the precision each
//! chose, a co-op founded in Belleville mid-season, volunteer tasks and mastered lessons in each
//! chapter's past, a finished season frozen by the scheduler's own step, a live one with a
//! challenge between two chapters, and elections past and upcoming for the leverage view;
//! principles, a questionnaire and three candidates' answers, an endorsement voted by the
//! district's members and a campaign funded by a vote of everyone.

use super::people::{DAY, HOUR, PLACES, caller};
use crate::caller::Caller;
use crate::error::AppError;
use crate::learn::library::{self, DocInput};
use crate::politics::endorsements;
use crate::politics::{elections, places, seasons};
use crate::state::AppState;
use commune_domain::governance::methods::{Ballot, Stance, VotingMethod};
use commune_domain::governance::proposal::{Effect, Kind};
use commune_domain::ideas::analytics::{DAY_MS, day_label};
use commune_domain::org::{Admission, NewOrg, OrgKind, Role};
use commune_domain::politics::places::parse_boundaries;
use commune_store::{Member, Org};

const CITY: &str = "de/nv/neon-city";
const BELLEVILLE: &str = "fr/idf/paris/belleville";

/// The district codes of the demo's place labels, in `PLACES` order.
const DISTRICTS: [&str; 4] = ["riverside", "old-town", "harbour", "hillcrest"];

/// A hexagon of `r` degrees around a point, as a GeoJSON feature.
fn hexagon(code: &str, name: &str, (lon, lat): (f64, f64), r: f64) -> String {
    let k = lat.to_radians().cos();
    let mut ring: Vec<String> = (0..6)
        .map(|i| {
            let a = f64::from(i) * std::f64::consts::PI / 3.0;
            format!("[{:.4},{:.4}]", lon + r * a.cos() / k, lat + r * a.sin())
        })
        .collect();
    ring.push(ring[0].clone());
    format!(
        r#"{{"type":"Feature","properties":{{"code":"{code}","name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
        ring.join(",")
    )
}

fn outlines() -> String {
    let centres = [(9.86, 51.52), (9.95, 51.53), (9.90, 51.46), (9.99, 51.47)];
    let mut features: Vec<String> = DISTRICTS
        .iter()
        .zip(PLACES)
        .zip(centres)
        .map(|((code, name), at)| hexagon(&format!("{CITY}/{code}"), name, at, 0.035))
        .collect();
    features.push(hexagon(CITY, "Neon City", (9.925, 51.495), 0.11));
    features.push(hexagon("fr/idf/paris", "Paris", (2.35, 48.86), 0.09));
    features.push(hexagon(BELLEVILLE, "Belleville", (2.385, 48.872), 0.012));
    format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
}

/// Where member `i` lives and how precisely they show it: two in ten in Belleville, the rest in
/// the Neon City district of their place label; some show only the city, a few hide.
fn member_place(i: usize) -> (String, &'static str) {
    let place = if i % 10 >= 8 { BELLEVILLE.to_owned() } else { format!("{CITY}/{}", DISTRICTS[i % DISTRICTS.len()]) };
    let shown = if i % 11 == 5 {
        "hidden"
    } else if i % 7 == 3 {
        "city"
    } else {
        "district"
    };
    (place, shown)
}

async fn found_chapter(
    state: &AppState,
    at: i64,
    spec: (&str, &str, &str),
    members: &[&Member],
) -> Result<Org, AppError> {
    let (slug, name, description) = spec;
    let new = NewOrg {
        slug: slug.into(),
        name: name.into(),
        kind: OrgKind::Chapter,
        description: description.into(),
        place: name.trim_end_matches(" Chapter").into(),
        admission: Admission::Steward,
    };
    let mut tx = state.store.write_at("demo", at).await?;
    let org = tx.create_org(&new, &members[0].id).await?;
    for (k, m) in members.iter().enumerate().skip(1) {
        tx.add_member(&org.id, &m.id, if k == 1 { Role::Steward } else { Role::Member }).await?;
    }
    tx.commit().await?;
    Ok(org)
}

/// Places, chapters, seasons and elections. `orgs[0]` is the commune; `founded` is when the
/// demo commune was founded; `ada` stewards the commune.
pub(crate) async fn season(
    state: &AppState,
    orgs: &[(Org, Vec<String>)],
    members: &[Member],
    founded: i64,
    now: i64,
) -> Result<(), AppError> {
    let ada = caller(&members[0]);
    let settled = founded + DAY;
    // The places, with outlines, and where every organisation is.
    let mut rows: Vec<(String, String, Option<String>)> =
        vec![("de/nv".into(), "Neon Valley".into(), None), ("fr/idf".into(), "Île-de-France".into(), None)];
    let mut outlined = parse_boundaries(&outlines())?;
    outlined.sort_by_key(|b| b.code.level());
    rows.extend(outlined.iter().map(|b| (b.code.to_string(), b.name.clone(), Some(b.geometry_json()))));
    let mut tx = state.store.write_at("demo", settled).await?;
    tx.import_places(&rows).await?;
    tx.commit().await?;
    let in_district = |d: &str| -> Vec<&Member> {
        members.iter().enumerate().filter(|(i, _)| member_place(*i).0.ends_with(d)).map(|(_, m)| m).collect()
    };
    let harbour = found_chapter(
        state,
        settled,
        ("harbour", "Harbour Chapter", "Members by the docks: solar on every warehouse roof."),
        &in_district("/harbour"),
    )
    .await?;
    let belleville = found_chapter(
        state,
        settled,
        ("belleville", "Belleville Chapter", "Our chapter in Paris: small, loud and generous."),
        &in_district(BELLEVILLE),
    )
    .await?;
    let mut tx = state.store.write_at("demo", settled).await?;
    for (org, _) in &orgs[1..] {
        let district = match org.slug.as_str() {
            "solar-forge" => "harbour",
            "byte-bakery" => "old-town",
            "loop-cycles" | "riverside" => "riverside",
            _ => "hillcrest",
        };
        tx.set_org_place(&org.id, &format!("{CITY}/{district}")).await?;
    }
    tx.set_org_place(&harbour.id, &format!("{CITY}/harbour")).await?;
    tx.set_org_place(&belleville.id, BELLEVILLE).await?;
    tx.commit().await?;
    // Every member says where they live, at the precision they chose.
    for (i, m) in members.iter().enumerate() {
        let (place, shown_as) = member_place(i);
        places::set_my_place(state, &caller(m), &places::MyPlaceInput { place, shown_as: shown_as.into() }).await?;
    }
    // A co-op founded in Belleville in the middle of the finished season.
    let today = now.div_euclid(DAY_MS);
    let kitchen_at = (today - 60) * DAY_MS + 10 * 3_600_000;
    let paris = in_district(BELLEVILLE);
    let mut tx = state.store.write_at("demo", kitchen_at).await?;
    let kitchen = NewOrg {
        slug: "canal-kitchen".into(),
        name: "Canal Kitchen".into(),
        kind: OrgKind::Business,
        description: "A worker-owned canteen by the canal: one menu, fair prices, open books.".into(),
        place: "Belleville".into(),
        admission: Admission::Steward,
    };
    let org = tx.create_org(&kitchen, &paris[0].id).await?;
    tx.set_org_place(&org.id, BELLEVILLE).await?;
    tx.commit().await?;
    // What the chapters gave in the finished season besides revenue, ballots and co-ops.
    let riverside = orgs.iter().find(|(o, _)| o.slug == "riverside");
    let of_ids = |ids: &[String]| -> Vec<&Member> { members.iter().filter(|m| ids.contains(&m.id)).collect() };
    let mut chapters: Vec<(&Org, Vec<&Member>)> = Vec::new();
    if let Some((org, ids)) = riverside {
        chapters.push((org, of_ids(ids)));
    }
    chapters.push((&harbour, in_district("/harbour")));
    chapters.push((&belleville, in_district(BELLEVILLE)));
    past_giving(state, &chapters, &orgs[4].0, today).await?;
    // A finished season (frozen by the scheduler's own step) and a live one with a challenge.
    seasons::create(
        state,
        &ada,
        &seasons::SeasonInput {
            name: "Autumn race".into(),
            starts_on: day_label(today - 120),
            ends_on: day_label(today - 8),
            goal: "1,000 ballots cast across every chapter".into(),
            goal_measure: "participation".into(),
            goal_target: 1_000,
        },
    )
    .await?;
    seasons::finish_due(state, now).await?;
    let live = seasons::create(
        state,
        &ada,
        &seasons::SeasonInput {
            name: "Winter race".into(),
            starts_on: day_label(today - 7),
            ends_on: day_label(today + 83),
            goal: "€2,000 to the pot, together".into(),
            goal_measure: "revenue".into(),
            goal_target: 200_000,
        },
    )
    .await?;
    seasons::challenge(
        state,
        &ada,
        &live.id,
        &seasons::ChallengeInput {
            measure: "participation".into(),
            chapter_a: "riverside".into(),
            target_a: 40,
            chapter_b: "belleville".into(),
            target_b: 15,
            note: "Riverside and Belleville: every member votes this winter".into(),
        },
    )
    .await?;
    // Elections: last results and the upcoming dates.
    let year = day_label(today)[..4].parse::<i64>().unwrap_or(2026);
    let csv = format!(
        "district,date,office,candidate,votes,turnout
{CITY}/riverside,{past}-09-26,district council,Greta Vogel,4210,9800
{CITY}/riverside,{past}-09-26,district council,Paul Richter,4190,9800
{CITY}/riverside,{soon},district council,,,
{CITY}/harbour,{past}-09-26,district council,Ole Hansen,6100,11200
{CITY}/harbour,{past}-09-26,district council,Mira Jung,3800,11200
{CITY}/harbour,{later},district council,,,
{BELLEVILLE},2020-06-28,mayor,Claire Martin,8120,17000
{BELLEVILLE},2020-06-28,mayor,Luc Bernard,7930,17000
{BELLEVILLE},{latest},mayor,,,
",
        past = year - 4,
        soon = day_label(today + 25),
        later = day_label(today + 60),
        latest = day_label(today + 110),
    );
    elections::import(state, &ada, &elections::ElectionsImport { csv }).await?;
    endorsement(state, &orgs[0].0, members, &ada, today, now).await
}

/// Volunteer tasks each chapter finished in the finished season (scored for impact by its members
/// when they were proposed, reviewed when done) and members who mastered the design skill in the
/// business's course, written as the history they are: the demo's own work and lessons happen
/// today, in the live season. Chapter `k` does `TASKS[k]` tasks and `MASTERED[k]` members master
/// the skill, so the small chapter can lead per member.
async fn past_giving(
    state: &AppState,
    chapters: &[(&Org, Vec<&Member>)],
    school: &Org,
    today: i64,
) -> Result<(), AppError> {
    const TASKS: [&[(&str, i64)]; 3] = [
        &[("Clean up the riverbank", 4), ("Repair café for the street", 5)],
        &[("Survey the warehouse roofs for solar", 5), ("Teach a wiring workshop", 3), ("Paint the dock mural", 2)],
        &[("Cook for the Saturday canteen", 5), ("Translate the welcome pack", 4)],
    ];
    const MASTERED: [usize; 3] = [1, 1, 2];
    let exercises = match state.store.learn_courses(&school.id).await?.first() {
        Some(course) => state.store.learn_exercises(&course.id).await?,
        None => Vec::new(),
    };
    let start = (today - 100) * DAY_MS + 10 * HOUR;
    for (k, (chapter, people)) in chapters.iter().enumerate().take(TASKS.len()) {
        if people.len() < 4 {
            continue;
        }
        let mut tx = state.store.write_at(&people[0].id, start).await?;
        let project = tx
            .create_work_project(
                &chapter.id,
                "Volunteer days",
                "What the chapter does for its streets, one day at a time.",
                None,
                0,
            )
            .await?;
        tx.commit().await?;
        for (j, (title, impact)) in TASKS[k].iter().enumerate() {
            let day = start + (k as i64 * 4 + j as i64 * 11) * DAY;
            let (steward, doer, reviewer) =
                (people[0], people[1 + j % (people.len() - 1)], people[people.len() - 1 - j]);
            let domains = vec!["community".to_owned()];
            let new = commune_store::NewTask {
                project_id: &project,
                org_id: &chapter.id,
                title,
                description: "A volunteer day the chapter agreed on at its monthly meeting.",
                domains: &domains,
                effort_minutes: 240,
                points: 2,
                value_minor: 0,
                difficulty: 2,
                seats: 1,
                due_at: Some(day + 7 * DAY),
            };
            let mut tx = state.store.write_at(&steward.id, day).await?;
            let task = tx.create_task(new).await?;
            tx.move_task(&task, "open", "assigned", Some(&doer.id), Some(&reviewer.id), "volunteered").await?;
            tx.commit().await?;
            // Members score the impact while it is open to volunteers.
            for (i, scorer) in people.iter().skip(2).take(3).enumerate() {
                let mut tx = state.store.write_at(&scorer.id, day + HOUR * (1 + i as i64)).await?;
                tx.score_impact(&task, &scorer.id, (impact - i as i64 % 2).clamp(0, 5)).await?;
                tx.commit().await?;
            }
            let mut tx = state.store.write_at(&doer.id, day + 2 * DAY).await?;
            tx.move_task(&task, "assigned", "in_progress", Some(&doer.id), Some(&reviewer.id), "").await?;
            tx.move_task(&task, "in_progress", "review", Some(&doer.id), Some(&reviewer.id), "").await?;
            tx.commit().await?;
            let mut tx = state.store.write_at(&reviewer.id, day + 3 * DAY).await?;
            tx.move_task(&task, "review", "done", Some(&doer.id), Some(&reviewer.id), "reviewed").await?;
            let at = tx.at_ms();
            tx.record_review(&commune_store::TaskReview {
                task_id: task.clone(),
                reviewer_id: reviewer.id.clone(),
                doer_id: doer.id.clone(),
                success: true,
                quality: *impact,
                on_time: true,
                note: "Done, and the street noticed.".into(),
                at,
            })
            .await?;
            tx.commit().await?;
        }
        // Mastery: nine right first answers on nine exercises, one morning.
        for (i, learner) in people.iter().skip(1).take(MASTERED[k]).enumerate() {
            let morning = start + (20 + k as i64 * 9 + i as i64 * 5) * DAY;
            let mut tx = state.store.write_at(&learner.id, morning).await?;
            for e in exercises.iter().take(9) {
                tx.record_attempt(&e.id, &school.id, &e.skill, "(answered at the chapter's study evening)", Some(true))
                    .await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// The commune's principles and the questionnaire drawn from them; three candidates and their
/// answers; Greta Vogel endorsed by the members living in Riverside, and her campaign funded by
/// the whole commune, both through votes the scheduler counted.
async fn endorsement(
    state: &AppState,
    root: &Org,
    members: &[Member],
    ada: &Caller,
    today: i64,
    now: i64,
) -> Result<(), AppError> {
    let principles = [
        (
            "Surplus belongs to those who make it",
            "Profit is shared by the people whose work made it, by rules they voted on.",
            "Byte Bakery's patronage dividend.",
            "Will you support worker ownership when a business in the district is sold?",
        ),
        (
            "Those affected decide",
            "A decision belongs to the people who live with its consequences.",
            "Riverside votes on Riverside's endorsement.",
            "Should district budgets be decided by participatory budgeting?",
        ),
        (
            "Open books",
            "Every figure that matters to members can be checked by them.",
            "commune verify recomputes every season from the ledger.",
            "Will you publish every contract your office signs?",
        ),
    ];
    let mut questions = Vec::new();
    for (title, body, example, question) in principles {
        let doc = library::create(
            state,
            ada,
            &root.slug,
            &DocInput {
                kind: "principle".into(),
                title: title.into(),
                body: body.into(),
                examples: example.into(),
                domains: "politics".into(),
                ..DocInput::default()
            },
        )
        .await?;
        let q = endorsements::add_question(
            state,
            ada,
            &endorsements::QuestionInput { question: question.into(), principle_id: doc.id },
        )
        .await?;
        questions.push(q.id);
    }
    let soon = day_label(today + 25);
    let later = day_label(today + 60);
    let people = [
        (
            "Greta Vogel",
            "person",
            "riverside",
            soon.as_str(),
            "Bike mechanic, tenant organiser, chair of the Riverside food co-op.",
            ["agree", "agree", "agree"],
        ),
        (
            "Paul Richter",
            "person",
            "riverside",
            soon.as_str(),
            "Twenty years on the council; runs on keeping taxes low.",
            ["unsure", "disagree", "agree"],
        ),
        (
            "Harbour Solar Now",
            "campaign",
            "harbour",
            later.as_str(),
            "A campaign for solar panels on every public roof by the docks.",
            ["agree", "agree", "unsure"],
        ),
    ];
    let mut greta = String::new();
    for (name, kind, district, day, bio, stances) in people {
        let c = endorsements::add_candidate(
            state,
            ada,
            &endorsements::CandidateInput {
                name: name.into(),
                kind: kind.into(),
                office: "district council".into(),
                district: format!("{CITY}/{district}"),
                election_on: day.into(),
                bio: bio.into(),
                website: String::new(),
                member: String::new(),
            },
        )
        .await?;
        let answers = questions
            .iter()
            .zip(stances)
            .map(|(q, s)| endorsements::AnswerInput {
                question_id: q.clone(),
                stance: s.into(),
                comment: String::new(),
            })
            .collect();
        endorsements::answer(state, ada, &c.id, &endorsements::AnswersInput { answers }).await?;
        if greta.is_empty() {
            greta = c.id;
        }
    }
    let riverside: Vec<&Member> = members
        .iter()
        .enumerate()
        .filter(|(i, _)| member_place(*i).0.ends_with("/riverside"))
        .map(|(_, m)| m)
        .collect();
    let everyone: Vec<&Member> = members.iter().take(32).collect();
    // Both votes happen after the finished season's last day, so its frozen results stay what
    // `verify` recomputes.
    let endorse = Effect::Endorse { candidate_id: greta.clone() };
    decided(
        state,
        ada,
        root,
        (Kind::Endorsement, endorse),
        "Endorse Greta Vogel for the Riverside district council",
        &riverside,
        now - 6 * DAY,
    )
    .await?;
    let fund = Effect::Fund { candidate_id: greta.clone(), amount_minor: 30_000, currency: "EUR".into() };
    decided(
        state,
        ada,
        root,
        (Kind::Allocation, fund),
        "Fund Greta Vogel's campaign with €300",
        &everyone,
        now - 3 * DAY - 12 * HOUR,
    )
    .await?;
    // The campaign becomes a project: volunteer tasks before election day and a content plan.
    let item = |title: &str, owner: &str, days: i64| endorsements::PlanItem {
        title: title.into(),
        due: day_label(today + days),
        owner: owner.into(),
        seats: None,
    };
    let plan = endorsements::CampaignPlanInput {
        org: String::new(),
        volunteer: Vec::new(),
        content: vec![
            item("Post: Greta's answers to our questionnaire", "bayo", 2),
            item("Video: why Riverside endorsed Greta", "ada", 6),
            item("Post: where the €300 went", "chen", 20),
        ],
    };
    endorsements::campaign_project(state, ada, &greta, &plan).await?;
    // The commune opts in to its public transparency page.
    crate::politics::transparency::switch(state, ada, true).await?;
    Ok(())
}

/// A yes/no motion of the commune voted through at past instants: published, opened by the
/// scheduler, four in five voters for it, counted and executed by the scheduler's own ticks.
async fn decided(
    state: &AppState,
    author: &Caller,
    root: &Org,
    (kind, effect): (Kind, Effect),
    title: &str,
    voters: &[&Member],
    opens: i64,
) -> Result<String, AppError> {
    let floors = crate::governance::floors_now(state, root, kind, &effect).await?;
    let closes = opens + floors.voting_ms;
    let published = opens - floors.discussion_ms - HOUR;
    let input = crate::governance::ProposalInput {
        title: title.into(),
        body: "Put to the vote from the candidate's page.".into(),
        domain: "politics".into(),
        kind: kind.as_str().into(),
        method: VotingMethod::YesNo { threshold: (floors.support_ppm as f64 / 1e6).max(0.5) },
        weighting: "merit".into(),
        quorum: Some((floors.quorum_ppm as f64 / 1e6).max(0.2)),
        options: Vec::new(),
        secret: false,
        voting_opens_at: opens,
        voting_closes_at: closes,
        effect,
        form_key: None,
    };
    let p = crate::governance::create_at(state, author, &root.slug, &input, published - HOUR).await?;
    crate::governance::publish_at(state, author, &p.id, published).await?;
    crate::scheduler::tick(state, opens).await?;
    for (k, v) in voters.iter().enumerate() {
        let stance = if k % 5 == 4 { Stance::No } else { Stance::Yes };
        crate::governance::cast_at(
            state,
            &caller(v),
            &p.id,
            &Ballot::YesNo { stance },
            opens + (k as i64 + 1) * 60_000,
        )
        .await?;
    }
    crate::scheduler::tick(state, closes).await?;
    crate::scheduler::tick(state, closes + 1_000).await?;
    Ok(p.id)
}
