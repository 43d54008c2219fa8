//! The public transparency page (opt-in, switched by the commune's stewards): chapters with their
//! places and sizes, seasons and their standings, endorsements with the vote and the answers, and
//! the campaign disclosures. Every figure links to the public JSON or CSV it comes from; nothing
//! here shows a member's place or name. Off, every public path is a 404.

use super::commune_for;
use super::endorsements::{self, CandidateView, Disclosure};
use super::seasons::{self, SeasonSummary};
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::org::OrgKind;
use commune_domain::politics::season::Results;

const TRANSPARENCY: &str = "transparency";

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicChapter {
    pub slug: String,
    pub name: String,
    pub place: Option<String>,
    pub members: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicEndorsement {
    pub candidate_id: String,
    pub name: String,
    pub kind: String,
    pub office: String,
    pub district: String,
    /// The vote that published it, and its deciding count: support (yes ÷ yes and no) and
    /// participation in parts per million, and the direct voters.
    pub proposal_id: String,
    pub proposal_title: String,
    pub support_ppm: u64,
    pub participation_ppm: u64,
    pub voters: usize,
    /// Where the figures come from.
    pub source: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicSeason {
    #[serde(flatten)]
    pub summary: SeasonSummary,
    /// The standings: (chapter name, rank, score in parts per million).
    pub standings: Vec<(String, usize, u64)>,
    pub source: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Transparency {
    pub commune: String,
    pub chapters: Vec<PublicChapter>,
    pub seasons: Vec<PublicSeason>,
    pub endorsements: Vec<PublicEndorsement>,
    pub disclosures: Vec<Disclosure>,
    pub sources: Vec<(String, String)>,
}

pub async fn is_on(state: &AppState) -> Result<bool, AppError> {
    Ok(state.store.setting(TRANSPARENCY).await?.as_deref() == Some("on"))
}

async fn require_on(state: &AppState) -> Result<(), AppError> {
    if is_on(state).await? { Ok(()) } else { Err(AppError::NotFound("page")) }
}

/// Switches the public page on or off (stewards of the commune).
pub async fn switch(state: &AppState, caller: &Caller, on: bool) -> Result<bool, AppError> {
    commune_for(state, caller, Action::ManagePolitics).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.set_setting(TRANSPARENCY, if on { "on" } else { "off" }).await?;
    tx.commit().await?;
    Ok(on)
}

/// The public page's content.
pub async fn page(state: &AppState) -> Result<Transparency, AppError> {
    require_on(state).await?;
    let root = state.store.root_org().await?.ok_or(AppError::NotFound("page"))?;
    let places: std::collections::BTreeMap<String, String> = state.store.org_places().await?.into_iter().collect();
    let chapters = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Chapter)
        .map(|o| PublicChapter {
            place: places.get(&o.id).cloned(),
            slug: o.slug,
            name: o.name,
            members: o.member_count,
        })
        .collect();
    let mut public_seasons = Vec::new();
    for s in state.store.seasons().await? {
        let results = season_results(state, &s.id).await?;
        public_seasons.push(PublicSeason {
            summary: seasons::summary_of(&s),
            standings: results.chapters.iter().map(|c| (c.name.clone(), c.rank, c.score_ppm)).collect(),
            source: format!("/api/v1/transparency/seasons/{}", s.id),
        });
    }
    let mut endorsed = Vec::new();
    for c in state.store.candidates().await? {
        let Some(proposal_id) = &c.endorsed_by else { continue };
        let title = state.store.proposal(proposal_id).await?.map(|p| p.title).unwrap_or_default();
        let (support_ppm, participation_ppm, voters) = tally_of(state, proposal_id).await?;
        endorsed.push(PublicEndorsement {
            source: format!("/api/v1/transparency/candidates/{}", c.id),
            candidate_id: c.id,
            name: c.name,
            kind: c.kind,
            office: c.office,
            district: c.district,
            proposal_id: proposal_id.clone(),
            proposal_title: title,
            support_ppm,
            participation_ppm,
            voters,
        });
    }
    Ok(Transparency {
        commune: root.name,
        chapters,
        seasons: public_seasons,
        endorsements: endorsed,
        disclosures: endorsements::disclosure(state).await?,
        sources: vec![
            ("everything on this page".into(), "/api/v1/transparency".into()),
            ("campaign disclosures".into(), "/api/v1/transparency/disclosures.csv".into()),
        ],
    })
}

/// The deciding tally of a counted proposal: support and participation (ppm), direct voters.
async fn tally_of(state: &AppState, proposal_id: &str) -> Result<(u64, u64, usize), AppError> {
    let Some(t) = state.store.tally(proposal_id).await? else { return Ok((0, 0, 0)) };
    let deciding = if t.primary_mode == "merit" { &t.merit_result } else { &t.equal_result };
    let m: commune_domain::governance::count::ModeTally = serde_json::from_str(deciding).map_err(AppError::internal)?;
    let ppm = |x: f64| (x.clamp(0.0, 1.0) * 1e6).round() as u64;
    Ok((ppm(m.tally.support.unwrap_or(0.0)), ppm(m.tally.participation), m.tally.voters))
}

async fn season_results(state: &AppState, id: &str) -> Result<Results, AppError> {
    let s = state.store.season(id).await?.ok_or(AppError::NotFound("season"))?;
    seasons::standings(state, &s).await
}

/// A season's standings (frozen, or live while it runs): the source of the page's figures.
pub async fn season(state: &AppState, id: &str) -> Result<Results, AppError> {
    require_on(state).await?;
    season_results(state, id).await
}

/// A publicly endorsed candidate's answers and profile (only endorsed ones are public).
pub async fn candidate(state: &AppState, id: &str) -> Result<CandidateView, AppError> {
    require_on(state).await?;
    match state.store.candidate(id).await? {
        Some(c) if c.endorsed_by.is_some() => endorsements::public_view(state, &c).await,
        _ => Err(AppError::NotFound("candidate")),
    }
}

pub async fn disclosures(state: &AppState) -> Result<Vec<Disclosure>, AppError> {
    require_on(state).await?;
    endorsements::disclosure(state).await
}
