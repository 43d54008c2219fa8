//! Endorsements with substance and campaign funding with rules. Stewards of the commune add
//! candidates (people or campaigns, each with a district) and the questionnaire drawn from the
//! commune's principles; a candidate (through their member account) or a steward records the
//! answers; members compare them side by side and put a candidate to an endorsement vote, open
//! only to members living in the candidate's district; a passed vote publishes the endorsement.
//! Money reaches a campaign only through a passed funding proposal, paid out of the pot within
//! the commune's caps and outside its blackout window — checked when it is drafted and again,
//! race-safely, when the money moves — and every transfer is in the public disclosure report.

use super::commune_for;
use super::funding::{funded_now, funding_rules};
use super::places::{known_place, named};
use crate::caller::Caller;
use crate::error::AppError;
use crate::governance::drafting::{Motion, draft_motion};
use crate::payments::movement::{Movement, authorize_debit, move_money};
use crate::payments::{ledger_named, show_id};
use crate::state::AppState;
use commune_domain::authz::{Action, Denied};
use commune_domain::governance::proposal::{Effect, Kind};
use commune_domain::ideas::analytics::{DAY_MS, day_label, parse_day};
use commune_domain::ledger::amount;
use commune_domain::ledger::payments::{Owner, Payer, derive_id, transfer_code};
use commune_domain::ledger::plan;
use commune_domain::politics::campaigns::{self as rules, Profile, Stance};
use commune_domain::politics::places::PlaceCode;
use commune_domain::validation::{Invalid, text};
use commune_store::{CampaignTransfer, Candidate, NewCandidate, Proposal};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CandidateInput {
    pub name: String,
    /// `person` or `campaign`.
    pub kind: String,
    pub office: String,
    /// A known place: who lives inside it votes on the candidate's endorsement.
    pub district: String,
    /// The day of the imported election (same district and office) the candidate stands in, if any.
    #[serde(default)]
    pub election_on: String,
    #[serde(default)]
    pub bio: String,
    /// An https:// address.
    #[serde(default)]
    pub website: String,
    /// The candidate's own member handle, if they have one here: they answer for themselves.
    #[serde(default)]
    pub member: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct QuestionInput {
    pub question: String,
    /// The principle (a document of the commune's library) the question is drawn from.
    pub principle_id: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AnswerInput {
    pub question_id: String,
    /// `agree`, `disagree` or `unsure`.
    pub stance: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AnswersInput {
    pub answers: Vec<AnswerInput>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FundingInput {
    /// A decimal amount, e.g. `250.00`.
    pub amount: String,
    /// The ledger's currency (default: the first).
    #[serde(default)]
    pub currency: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    pub id: String,
    pub question: String,
    pub principle_id: String,
    pub principle: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AnswerView {
    pub question_id: String,
    pub stance: Option<String>,
    pub comment: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub office: String,
    pub district: String,
    pub district_name: String,
    pub election_on: Option<String>,
    pub bio: String,
    pub website: String,
    pub member: Option<String>,
    /// One per question of the questionnaire, in order (stance absent when not answered).
    pub answers: Vec<AnswerView>,
    /// The passed vote that published the endorsement, if any.
    pub endorsed_by: Option<String>,
    pub endorsed_on: Option<String>,
    /// Endorsement and funding votes about this candidate: (proposal id, title, phase, outcome).
    pub votes: Vec<(String, String, String, String)>,
    pub funded: String,
    pub may_answer: bool,
    /// The work project the campaign became, and where its board is.
    pub project_id: Option<String>,
    pub project_board: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Candidates {
    pub candidates: Vec<CandidateView>,
    pub questions: Vec<QuestionView>,
    /// The commune's principles, for drawing a question from one: (id, title).
    pub principles: Vec<(String, String)>,
}

/// One line of the public disclosure report.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Disclosure {
    pub date: String,
    pub candidate_id: String,
    pub candidate: String,
    pub kind: String,
    pub office: String,
    pub district: String,
    pub election_on: Option<String>,
    pub amount: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The vote that authorised it.
    pub proposal_id: String,
    pub proposal_title: String,
    pub transfer_id: String,
}

/// Whether the caller may record the candidate's answers: their own account, or a steward of
/// the commune recording for them.
async fn may_answer(state: &AppState, caller: &Caller, c: &Candidate) -> Result<bool, AppError> {
    Ok(is_the_candidate(caller, c) || may_manage(state, caller).await)
}

async fn may_manage(state: &AppState, caller: &Caller) -> bool {
    caller.member().is_some() && commune_for(state, caller, Action::ManagePolitics).await.is_ok()
}

/// Whether the caller is the candidate's own account (who may answer besides the stewards).
fn is_the_candidate(caller: &Caller, c: &Candidate) -> bool {
    caller.member().is_some_and(|me| c.member_id.as_deref() == Some(me.member.id.as_str()))
}

pub async fn add_candidate(
    state: &AppState,
    caller: &Caller,
    input: &CandidateInput,
) -> Result<CandidateView, AppError> {
    commune_for(state, caller, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let profile = Profile::parse(&input.name, &input.kind, &input.office, &input.bio, &input.website)?;
    let district = known_place(&state.store, "district", &input.district).await?;
    let election_id = match input.election_on.trim() {
        "" => None,
        raw => {
            let day = parse_day("election_on", raw)?;
            let found = state.store.elections().await?.into_iter().find(|e| {
                e.district == district.as_str() && e.day == day && e.office.eq_ignore_ascii_case(&profile.office)
            });
            Some(
                found
                    .ok_or_else(|| {
                        Invalid::new("election_on", "no imported election for this district and office on that day")
                    })?
                    .id,
            )
        }
    };
    let member_id = match input.member.trim().trim_start_matches('@') {
        "" => None,
        handle => Some(
            state
                .store
                .member_by_handle(&handle.to_ascii_lowercase())
                .await?
                .ok_or_else(|| Invalid::new("member", "no member with this handle"))?
                .id,
        ),
    };
    let new = NewCandidate {
        name: profile.name,
        kind: profile.kind.as_str().to_owned(),
        office: profile.office,
        district: district.to_string(),
        election_id,
        bio: profile.bio,
        website: profile.website,
        member_id,
    };
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.add_candidate(&new).await?;
    tx.commit().await?;
    candidate(state, caller, &id).await
}

pub async fn add_question(state: &AppState, caller: &Caller, input: &QuestionInput) -> Result<QuestionView, AppError> {
    let root = commune_for(state, caller, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let question = rules::check_question(&input.question)?;
    let principle = match state.store.learn_doc(input.principle_id.trim()).await? {
        Some(doc) if doc.org_id == root.id && doc.kind == "principle" => doc,
        _ => return Err(Invalid::new("principle_id", "a principle of the commune's library").into()),
    };
    if state.store.questionnaire().await?.len() >= rules::MAX_QUESTIONS {
        return Err(AppError::Rule(format!("the questionnaire holds at most {} questions", rules::MAX_QUESTIONS)));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.add_question(&question, &principle.id).await?;
    tx.commit().await?;
    Ok(QuestionView { id, question, principle_id: principle.id, principle: principle.title })
}

pub async fn answer(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &AnswersInput,
) -> Result<CandidateView, AppError> {
    // A candidate with an account answers even when they are not a member of the commune.
    let me = caller.require_member()?;
    let c = state.store.candidate(id).await?.ok_or(AppError::NotFound("candidate"))?;
    if !may_answer(state, caller, &c).await? {
        return Err(Denied::Forbidden("only the candidate or a steward of the commune records these answers").into());
    }
    let questions = state.store.questionnaire().await?;
    if input.answers.is_empty() || input.answers.len() > questions.len() {
        return Err(Invalid::new("answers", "answer one or more questions of the questionnaire").into());
    }
    let mut rows = Vec::new();
    for (i, a) in input.answers.iter().enumerate() {
        let at = |e: Invalid| Invalid::new("answers", format!("answer {i}: {}", e.message));
        if !questions.iter().any(|q| q.id == a.question_id) {
            return Err(at(Invalid::new("answers", "not a question of the questionnaire")).into());
        }
        let stance = Stance::parse(&a.stance).map_err(at)?;
        let comment = text("comment", &a.comment, 0, 1_000, true).map_err(at)?;
        if rows.iter().any(|(q, _, _): &(String, String, String)| *q == a.question_id) {
            return Err(at(Invalid::new("answers", "this question is answered twice")).into());
        }
        rows.push((a.question_id.clone(), stance.as_str().to_owned(), comment));
    }
    let mut tx = state.store.write(&me.member.id).await?;
    tx.answer(&c.id, &rows).await?;
    tx.commit().await?;
    candidate(state, caller, id).await
}

fn money(minor: i64, scale: u32) -> String {
    amount::format(i128::from(minor), scale)
}

/// What every candidate's view draws on, read once per page rather than once per candidate.
struct Shared {
    questions: Vec<commune_store::QuestionnaireItem>,
    answers: Vec<commune_store::Answer>,
    proposals: Vec<Proposal>,
    places: BTreeMap<PlaceCode, (String, bool)>,
    elections: Vec<commune_store::ElectionRow>,
    scale: u32,
    may_manage: bool,
}

impl Shared {
    async fn load(state: &AppState, caller: &Caller, root_id: &str) -> Result<Shared, AppError> {
        Ok(Shared {
            questions: state.store.questionnaire().await?,
            answers: state.store.answers().await?,
            proposals: state.store.org_proposals(root_id, "").await?,
            places: named(&state.store).await?,
            elections: state.store.elections().await?,
            scale: ledger_named(state, None).await.map_or(2, |l| l.scale),
            may_manage: may_manage(state, caller).await,
        })
    }
}

async fn view_of(state: &AppState, caller: &Caller, c: &Candidate, shared: &Shared) -> Result<CandidateView, AppError> {
    let Shared { questions, answers, proposals, places, elections, scale, may_manage } = shared;
    let district_name = match PlaceCode::parse("district", &c.district) {
        Ok(code) => places.get(&code).map_or_else(|| c.district.clone(), |k| k.0.clone()),
        Err(_) => c.district.clone(),
    };
    let election_on =
        c.election_id.as_ref().and_then(|e| elections.iter().find(|x| &x.id == e)).map(|e| day_label(e.day));
    let member = match &c.member_id {
        Some(id) => state.store.member_by_id(id).await?.map(|m| m.handle),
        None => None,
    };
    let answer_of = |q: &str| answers.iter().find(|a| a.candidate_id == c.id && a.question_id == q);
    let votes = proposals
        .iter()
        .filter(|p| match &p.effect {
            // Drafts are their authors' own until published.
            Effect::Endorse { candidate_id } | Effect::Fund { candidate_id, .. } => {
                *candidate_id == c.id && p.phase != commune_domain::governance::proposal::Phase::Draft
            }
            _ => false,
        })
        .map(|p| (p.id.clone(), p.title.clone(), p.phase.as_str().to_owned(), p.outcome.clone()))
        .collect();
    let project_board = match &c.project_id {
        Some(p) => match state.store.work_project(p).await? {
            Some(project) => state.store.org_by_id(&project.org_id).await?.map(|o| format!("/orgs/{}/work", o.slug)),
            None => None,
        },
        None => None,
    };
    Ok(CandidateView {
        id: c.id.clone(),
        name: c.name.clone(),
        kind: c.kind.clone(),
        office: c.office.clone(),
        district: c.district.clone(),
        district_name,
        election_on,
        bio: c.bio.clone(),
        website: c.website.clone(),
        member,
        answers: questions
            .iter()
            .map(|q| AnswerView {
                question_id: q.id.clone(),
                stance: answer_of(&q.id).map(|a| a.stance.clone()),
                comment: answer_of(&q.id).map(|a| a.comment.clone()).unwrap_or_default(),
            })
            .collect(),
        endorsed_by: c.endorsed_by.clone(),
        endorsed_on: c.endorsed_at.map(|t| day_label(t.div_euclid(DAY_MS))),
        votes,
        funded: money(c.funded_minor, *scale),
        may_answer: *may_manage || is_the_candidate(caller, c),
        project_id: c.project_id.clone(),
        project_board,
    })
}

async fn questions_of(state: &AppState, root_id: &str) -> Result<(Vec<QuestionView>, Vec<(String, String)>), AppError> {
    let docs = state.store.learn_docs(root_id, "").await?;
    let principles: Vec<(String, String)> =
        docs.iter().filter(|d| d.kind == "principle").map(|d| (d.id.clone(), d.title.clone())).collect();
    let title: BTreeMap<&str, &str> = docs.iter().map(|d| (d.id.as_str(), d.title.as_str())).collect();
    let questions = state
        .store
        .questionnaire()
        .await?
        .into_iter()
        .map(|q| QuestionView {
            principle: title.get(q.principle_id.as_str()).copied().unwrap_or("a retired principle").to_owned(),
            id: q.id,
            question: q.question,
            principle_id: q.principle_id,
        })
        .collect();
    Ok((questions, principles))
}

/// Every candidate with their answers, the questionnaire, and the principles to draw from. `ids`
/// (when not empty) picks the candidates to compare side by side.
pub async fn candidates(state: &AppState, caller: &Caller, ids: &[String]) -> Result<Candidates, AppError> {
    let root = commune_for(state, caller, Action::ReadProposals).await?;
    let (questions, principles) = questions_of(state, &root.id).await?;
    let shared = Shared::load(state, caller, &root.id).await?;
    let mut out = Vec::new();
    for c in state.store.candidates().await? {
        if ids.is_empty() || ids.contains(&c.id) {
            out.push(view_of(state, caller, &c, &shared).await?);
        }
    }
    Ok(Candidates { candidates: out, questions, principles })
}

/// A candidate as the public transparency page shows them.
pub async fn public_view(state: &AppState, c: &Candidate) -> Result<CandidateView, AppError> {
    let root = state.store.root_org().await?.ok_or(AppError::NotFound("commune"))?;
    let anonymous = Caller::Anonymous { expired: false };
    view_of(state, &anonymous, c, &Shared::load(state, &anonymous, &root.id).await?).await
}

pub async fn candidate(state: &AppState, caller: &Caller, id: &str) -> Result<CandidateView, AppError> {
    let root = commune_for(state, caller, Action::ReadProposals).await?;
    let c = state.store.candidate(id).await?.ok_or(AppError::NotFound("candidate"))?;
    view_of(state, caller, &c, &Shared::load(state, caller, &root.id).await?).await
}

/// Drafts the endorsement vote (a yes/no motion of the commune, open to the district's members).
pub async fn propose_endorsement(state: &AppState, caller: &Caller, id: &str) -> Result<Proposal, AppError> {
    let root = commune_for(state, caller, Action::Participate).await?;
    let c = state.store.candidate(id).await?.ok_or(AppError::NotFound("candidate"))?;
    if c.endorsed_by.is_some() {
        return Err(AppError::Rule("this candidate is endorsed already".into()));
    }
    let body = format!(
        "Endorse **{}** ({}, {}) for {}. Members living in `{}` vote. Their answers to our questionnaire are on the candidate's page: /candidates/{}.",
        c.name, c.kind, c.office, c.office, c.district, c.id
    );
    let motion =
        Motion { kind: Kind::Endorsement, effect: Effect::Endorse { candidate_id: c.id.clone() }, weighting: "merit" };
    draft_motion(
        state,
        caller,
        &root,
        motion,
        &format!("Endorse {} for {}", c.name, c.office),
        &body,
        "politics",
        DAY_MS,
    )
    .await
}

/// Drafts a funding proposal for the candidate's campaign, refused at once when it would break a
/// cap or fall in the blackout window as things stand.
pub async fn propose_funding(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &FundingInput,
) -> Result<Proposal, AppError> {
    let root = commune_for(state, caller, Action::Participate).await?;
    let c = state.store.candidate(id).await?.ok_or(AppError::NotFound("candidate"))?;
    let ledger =
        ledger_named(state, Some(&input.currency).filter(|c| !c.trim().is_empty()).map(String::as_str)).await?;
    let amount_minor = i64::try_from(amount::parse(&input.amount, ledger.scale, "amount")?)
        .map_err(|_| Invalid::new("amount", "too large"))?;
    let today = commune_store::now_ms().div_euclid(DAY_MS);
    rules::may_fund(
        amount_minor,
        &funded_now(&state.store, &c).await?,
        &funding_rules(&state.store, ledger.scale).await?,
        today,
    )
    .map_err(AppError::Rule)?;
    let body = format!(
        "Pay {} {} from the pot to the campaign of **{}** ({}, `{}`). It is published in the disclosure report with this vote.",
        money(amount_minor, ledger.scale),
        ledger.asset,
        c.name,
        c.office,
        c.district
    );
    let effect = Effect::Fund { candidate_id: c.id.clone(), amount_minor, currency: ledger.asset.clone() };
    let motion = Motion { kind: Kind::Allocation, effect, weighting: "merit" };
    draft_motion(state, caller, &root, motion, &format!("Fund the campaign of {}", c.name), &body, "politics", DAY_MS)
        .await
}

/// The members of `members` who live in the candidate's district: an endorsement's electorate,
/// read in the transaction that opens its vote.
pub async fn electorate(
    tx: &mut commune_store::WriteTx,
    candidate_id: &str,
    members: Vec<String>,
) -> Result<Vec<String>, AppError> {
    let Some(c) = tx.candidate(candidate_id).await? else { return Ok(Vec::new()) };
    let Ok(district) = PlaceCode::parse("district", &c.district) else { return Ok(Vec::new()) };
    let living: BTreeMap<String, PlaceCode> = tx
        .member_places()
        .await?
        .into_iter()
        .filter_map(|p| Some((p.member_id, PlaceCode::parse("place", &p.place_code).ok()?)))
        .collect();
    Ok(members.into_iter().filter(|m| living.get(m).is_some_and(|p| district.contains(p))).collect())
}

/// Publishes a passed endorsement, inside the transaction that marks the proposal executed.
pub async fn publish(
    tx: &mut commune_store::WriteTx,
    candidate_id: &str,
    proposal_id: &str,
) -> Result<String, AppError> {
    Ok(if tx.publish_endorsement(candidate_id, proposal_id).await? {
        "endorsement published".to_owned()
    } else {
        "already endorsed".to_owned()
    })
}

/// Carries out a passed funding proposal: reserves the amount under the caps (race-safe), checks
/// the blackout window, then pays it out of the pot with an id derived from the proposal, so a
/// retry moves nothing twice. `Ok(Err(reason))` when a rule or the ledger refused it.
pub async fn execute_funding(
    state: &AppState,
    proposal: &Proposal,
    now_ms: i64,
) -> Result<Result<String, String>, AppError> {
    let Effect::Fund { candidate_id, amount_minor, currency } = &proposal.effect else {
        return Ok(Err("this proposal funds no campaign".into()));
    };
    let Some(c) = state.store.candidate(candidate_id).await? else {
        return Ok(Err("the candidate no longer exists".into()));
    };
    let ledger = match ledger_named(state, Some(currency)).await {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let id = derive_id(&["campaign", &proposal.id]);
    let reserved = match state.store.campaign_transfer(&proposal.id).await? {
        Some(t) => t,
        None => {
            let rules = funding_rules(&state.store, ledger.scale).await?;
            let today = now_ms.div_euclid(DAY_MS);
            if let Err(why) = rules::may_fund(*amount_minor, &funded_now(&state.store, &c).await?, &rules, today) {
                return Ok(Err(why));
            }
            let t = CampaignTransfer {
                proposal_id: proposal.id.clone(),
                candidate_id: c.id.clone(),
                election_id: c.election_id.clone(),
                amount_minor: *amount_minor,
                currency: ledger.asset.clone(),
                reserved_at: 0,
                moved_at: None,
                transfer_id: show_id(id),
            };
            let mut tx = state.store.write_at("scheduler", now_ms).await?;
            if !tx.reserve_campaign_transfer(&t, rules.cap_per_candidate_minor, rules.cap_per_election_minor).await? {
                return Ok(Err("a cap would be exceeded (another transfer reached it first)".into()));
            }
            tx.commit().await?;
            t
        }
    };
    if reserved.moved_at.is_some() {
        return Ok(Ok(format!(
            "paid {} {} to the campaign of {}",
            money(*amount_minor, ledger.scale),
            ledger.asset,
            c.name
        )));
    }
    let right = authorize_debit(&Payer::Governance, &Owner::Pot)?;
    let moved = move_money(
        state,
        "system",
        Movement {
            what: plan::Movement {
                id,
                from: Owner::Pot,
                to: Owner::Settlement,
                amount: u64::try_from(*amount_minor).unwrap_or(0),
                ledger: ledger.id,
                code: transfer_code::CAMPAIGN,
                hold_timeout_s: None,
                payee_is_business: false,
            },
            ledger: ledger.clone(),
            memo: format!("campaign of {}, proposal {}", c.name.chars().take(60).collect::<String>(), proposal.id),
            settles: None,
        },
        &right,
    )
    .await;
    match moved {
        Ok(_) => {
            let mut tx = state.store.write_at("scheduler", now_ms).await?;
            tx.mark_campaign_moved(&proposal.id).await?;
            tx.commit().await?;
            Ok(Ok(format!(
                "paid {} {} to the campaign of {}",
                money(*amount_minor, ledger.scale),
                ledger.asset,
                c.name
            )))
        }
        Err(e @ (AppError::Ledger { .. } | AppError::Invalid(_))) => {
            let mut tx = state.store.write_at("scheduler", now_ms).await?;
            tx.release_campaign_transfer(&reserved).await?;
            tx.commit().await?;
            Ok(Err(e.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// Every transfer to a campaign that moved, with the vote that authorised it.
pub async fn disclosure(state: &AppState) -> Result<Vec<Disclosure>, AppError> {
    let candidates: BTreeMap<String, Candidate> =
        state.store.candidates().await?.into_iter().map(|c| (c.id.clone(), c)).collect();
    let elections = state.store.elections().await?;
    let mut out = Vec::new();
    for t in state.store.campaign_transfers().await? {
        let Some(moved_at) = t.moved_at else { continue };
        let Some(c) = candidates.get(&t.candidate_id) else { continue };
        let scale = state.store.ledger_by_asset(&t.currency).await?.map_or(2, |l| l.scale);
        let title = state.store.proposal(&t.proposal_id).await?.map(|p| p.title).unwrap_or_default();
        out.push(Disclosure {
            date: day_label(moved_at.div_euclid(DAY_MS)),
            candidate_id: c.id.clone(),
            candidate: c.name.clone(),
            kind: c.kind.clone(),
            office: c.office.clone(),
            district: c.district.clone(),
            election_on: t
                .election_id
                .as_ref()
                .and_then(|e| elections.iter().find(|x| &x.id == e))
                .map(|e| day_label(e.day)),
            amount: money(t.amount_minor, scale),
            amount_minor: t.amount_minor,
            currency: t.currency.clone(),
            proposal_id: t.proposal_id.clone(),
            proposal_title: title,
            transfer_id: t.transfer_id.clone(),
        });
    }
    Ok(out)
}

/// Text a spreadsheet would run as a formula is prefixed with `'` (names and titles are typed
/// by people; the report is meant to be opened in spreadsheets).
fn cell(raw: &str) -> String {
    if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_owned() }
}

/// The disclosure report as CSV.
pub fn disclosure_csv(rows: &[Disclosure]) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "candidate",
        "kind",
        "office",
        "district",
        "election_on",
        "amount",
        "currency",
        "proposal_id",
        "proposal",
        "vote",
        "transfer_id",
    ])
    .map_err(AppError::internal)?;
    for r in rows {
        w.write_record([
            r.date.as_str(),
            &cell(&r.candidate),
            &r.kind,
            &cell(&r.office),
            &r.district,
            r.election_on.as_deref().unwrap_or(""),
            &r.amount,
            &r.currency,
            &r.proposal_id,
            &cell(&r.proposal_title),
            &format!("/p/{}", r.proposal_id),
            &r.transfer_id,
        ])
        .map_err(AppError::internal)?;
    }
    String::from_utf8(w.into_inner().map_err(AppError::internal)?).map_err(AppError::internal)
}

/// The most volunteer tasks and content items one campaign project starts with.
pub const MAX_PLAN_ITEMS: usize = 30;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PlanItem {
    pub title: String,
    /// `YYYY-MM-DD` (optional).
    #[serde(default)]
    pub due: String,
    /// The member (handle) who owns it, for content items (optional).
    #[serde(default)]
    pub owner: String,
    /// How many volunteers it takes (1–10, default 5 for volunteer tasks, 1 for content).
    pub seats: Option<i64>,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CampaignPlanInput {
    /// The organisation whose project it becomes (default: the commune); its stewards run it.
    #[serde(default)]
    pub org: String,
    /// Volunteer tasks; canvassing, a phone bank and leaflets before election day when empty.
    #[serde(default)]
    pub volunteer: Vec<PlanItem>,
    /// The content plan: videos, posts and the like, each with an owner and a date.
    #[serde(default)]
    pub content: Vec<PlanItem>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CampaignProject {
    pub project_id: String,
    pub org: String,
    /// Where the project's board is.
    pub board: String,
    /// The tasks made: (id, title).
    pub tasks: Vec<(String, String)>,
}

/// Turns a campaign into a work project: volunteer tasks and a content plan with owners and
/// dates, made through the work module's own operations (so its stewards' rights apply).
pub async fn campaign_project(
    state: &AppState,
    caller: &Caller,
    id: &str,
    input: &CampaignPlanInput,
) -> Result<CampaignProject, AppError> {
    let root = commune_for(state, caller, Action::ReadProposals).await?;
    let c = state.store.candidate(id).await?.ok_or(AppError::NotFound("candidate"))?;
    if c.project_id.is_some() {
        return Err(AppError::Rule("this campaign is a project already".into()));
    }
    if input.volunteer.len() > MAX_PLAN_ITEMS || input.content.len() > MAX_PLAN_ITEMS {
        return Err(Invalid::new(
            "volunteer",
            format!("at most {MAX_PLAN_ITEMS} volunteer tasks and {MAX_PLAN_ITEMS} content items"),
        )
        .into());
    }
    let slug = if input.org.trim().is_empty() { root.slug.clone() } else { input.org.trim().to_ascii_lowercase() };
    let election = match &c.election_id {
        Some(e) => state.store.elections().await?.into_iter().find(|x| &x.id == e).map(|x| x.day),
        None => None,
    };
    let before = |days: i64| election.map(|d| day_label(d - days)).unwrap_or_default();
    let volunteer: Vec<PlanItem> = if input.volunteer.is_empty() {
        [("Door-to-door canvassing", 14), ("Phone bank evening", 7), ("Leaflets at the market", 3)]
            .iter()
            .map(|(what, days)| PlanItem {
                title: format!("{what} in {}", c.district),
                due: before(*days),
                owner: String::new(),
                seats: Some(5),
            })
            .collect()
    } else {
        input.volunteer.clone()
    };
    // Everything is checked before anything is made, so a bad item leaves no half-made project.
    let org = crate::service::org_for(state, caller, &slug, Action::ManageWork).await?;
    for (i, item) in volunteer.iter().chain(&input.content).enumerate() {
        let at = |m: String| Invalid::new("content", format!("item {i}: {m}"));
        text("title", &item.title, 1, 160, false).map_err(|e| at(e.message))?;
        if !item.due.trim().is_empty() {
            parse_day("due", &item.due).map_err(|e| at(e.message))?;
        }
        let owner = item.owner.trim().trim_start_matches('@');
        if !owner.is_empty() {
            let member = state.store.member_by_handle(&owner.to_ascii_lowercase()).await?;
            let inside = match member {
                Some(m) => state.store.role_in(&org.id, &m.id).await?.is_some(),
                None => false,
            };
            if !inside {
                return Err(at(format!("the owner '{owner}' is not a member of {}", org.slug)).into());
            }
        }
    }
    let project = crate::work::tasks::create_project(
        state,
        caller,
        &slug,
        &crate::work::tasks::ProjectInput {
            name: format!("Campaign: {}", c.name).chars().take(120).collect(),
            description: format!(
                "Volunteer work and the content plan for {} ({}, `{}`). The candidate: /candidates/{}",
                c.name, c.office, c.district, c.id
            ),
            budget_id: None,
            hourly_rate: String::new(),
        },
    )
    .await?;
    let mut tasks = Vec::new();
    let items = volunteer.iter().map(|v| (v, "campaign", 5)).chain(input.content.iter().map(|v| (v, "content", 1)));
    for (item, domain, seats) in items {
        let card = crate::work::tasks::create_task(
            state,
            caller,
            &project.id,
            &crate::work::tasks::TaskInput {
                title: item.title.clone(),
                description: String::new(),
                domains: domain.into(),
                effort_hours: String::new(),
                points: None,
                value: String::new(),
                difficulty: None,
                seats: Some(item.seats.unwrap_or(seats)),
                due: item.due.clone(),
            },
        )
        .await?;
        let task_id = card.task.id.clone();
        if !item.owner.trim().is_empty() {
            let step = crate::work::tasks::StepInput {
                step: "assign".into(),
                member: Some(item.owner.trim().trim_start_matches('@').to_owned()),
                to: None,
                note: "owner of this content item".into(),
            };
            crate::work::tasks::act(state, caller, &task_id, &step).await?;
        }
        tasks.push((task_id, item.title.clone()));
    }
    let me = caller.require_member()?;
    let mut tx = state.store.write(&me.member.id).await?;
    if !tx.set_candidate_project(&c.id, &project.id).await? {
        return Err(AppError::Rule("this campaign became a project meanwhile".into()));
    }
    tx.commit().await?;
    Ok(CampaignProject { project_id: project.id, board: format!("/orgs/{slug}/work"), org: slug, tasks })
}

/// The disclosure report for members of the commune.
pub async fn disclosures(state: &AppState, caller: &Caller) -> Result<Vec<Disclosure>, AppError> {
    commune_for(state, caller, Action::ReadProposals).await?;
    disclosure(state).await
}
