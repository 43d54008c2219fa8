//! Elections: stewards import past results and upcoming dates (CSV); members see the leverage
//! view, which ranks upcoming elections by how much our members could matter there, counting
//! only members who visibly live in the district.

use super::commune_for;
use super::places::{named, shown_places};
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ideas::analytics::{DAY_MS, day_label};
use commune_domain::politics::elections::{self as rules, Election, Leverage};
use commune_domain::politics::places::{PlaceCode, visibly_in};
use commune_domain::validation::Invalid;

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ElectionsImport {
    /// `district,date,office,candidate,votes,turnout` with a header row; an upcoming election
    /// is a row with no candidate and no votes.
    pub csv: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ElectionsImported {
    pub elections: usize,
    pub upcoming: usize,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ElectionView {
    pub district: String,
    pub district_name: String,
    pub date: String,
    pub office: String,
    pub turnout: Option<u64>,
    /// (candidate, votes), most votes first; empty while upcoming.
    pub results: Vec<(String, u64)>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LeverageRow {
    pub rank: usize,
    pub district: String,
    pub district_name: String,
    pub date: String,
    pub office: String,
    pub members: u64,
    pub last_date: Option<String>,
    pub last_winner: Option<String>,
    pub last_margin: Option<u64>,
    pub last_turnout: Option<u64>,
    /// Members per vote of the last margin, in parts per million (absent with no earlier
    /// result; the largest number when the last race was tied).
    pub margin_ppm: Option<u64>,
    pub turnout_ppm: Option<u64>,
    /// The arithmetic in words.
    pub explain: String,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LeverageView {
    pub today: String,
    pub rows: Vec<LeverageRow>,
    pub past: Vec<ElectionView>,
}

pub async fn import(state: &AppState, caller: &Caller, input: &ElectionsImport) -> Result<ElectionsImported, AppError> {
    commune_for(state, caller, Action::ManagePolitics).await?;
    let me = caller.require_member()?;
    let elections = rules::parse_csv(&input.csv)?;
    let known = named(&state.store).await?;
    for e in &elections {
        if !known.contains_key(&e.district) {
            return Err(Invalid::new(
                "csv",
                format!(
                    "district '{}' ({}, {}) is not a place this commune knows; import it first",
                    e.district,
                    e.office,
                    day_label(e.day)
                ),
            )
            .into());
        }
    }
    let today = commune_store::now_ms().div_euclid(DAY_MS);
    let rows: Vec<(String, i64, String, Option<i64>, String)> = elections
        .iter()
        .map(|e| {
            let turnout = e.turnout.and_then(|t| i64::try_from(t).ok());
            (e.district.to_string(), e.day, e.office.clone(), turnout, serde_json::json!(e.results).to_string())
        })
        .collect();
    let mut tx = state.store.write(&me.member.id).await?;
    tx.import_elections(&rows).await?;
    tx.commit().await?;
    Ok(ElectionsImported { elections: elections.len(), upcoming: elections.iter().filter(|e| e.day >= today).count() })
}

/// Every imported election.
pub async fn stored(store: &commune_store::Store) -> Result<Vec<Election>, AppError> {
    let mut out = Vec::new();
    for row in store.elections().await? {
        let Ok(district) = PlaceCode::parse("district", &row.district) else { continue };
        let results: Vec<(String, u64)> = serde_json::from_str(&row.results).map_err(AppError::internal)?;
        out.push(Election {
            district,
            day: row.day,
            office: row.office,
            turnout: row.turnout.and_then(|t| u64::try_from(t).ok()),
            results,
        });
    }
    Ok(out)
}

/// The leverage view: upcoming elections ranked, and the past results they are measured against.
pub async fn leverage(state: &AppState, caller: &Caller) -> Result<LeverageView, AppError> {
    commune_for(state, caller, Action::ReadProposals).await?;
    let elections = stored(&state.store).await?;
    let shown: Vec<PlaceCode> = shown_places(&state.store).await?.into_values().collect();
    let known = named(&state.store).await?;
    let name_of = |c: &PlaceCode| known.get(c).map_or_else(|| c.to_string(), |k| k.0.clone());
    let today = commune_store::now_ms().div_euclid(DAY_MS);
    let ranked = rules::leverage(&elections, today, |d| shown.iter().filter(|s| visibly_in(s, d)).count() as u64);
    let rows = ranked.iter().enumerate().map(|(i, l)| row(i + 1, l, name_of(&l.district))).collect();
    let past = elections
        .iter()
        .filter(|e| e.day < today)
        .rev()
        .map(|e| ElectionView {
            district: e.district.to_string(),
            district_name: name_of(&e.district),
            date: day_label(e.day),
            office: e.office.clone(),
            turnout: e.turnout,
            results: e.results.clone(),
        })
        .collect();
    Ok(LeverageView { today: day_label(today), rows, past })
}

fn row(rank: usize, l: &Leverage, district_name: String) -> LeverageRow {
    LeverageRow {
        rank,
        district: l.district.to_string(),
        district_name,
        date: day_label(l.day),
        office: l.office.clone(),
        members: l.members,
        last_date: l.last.as_ref().map(|x| day_label(x.day)),
        last_winner: l.last.as_ref().map(|x| x.winner.clone()),
        last_margin: l.last.as_ref().map(|x| x.margin),
        last_turnout: l.last.as_ref().and_then(|x| x.turnout),
        margin_ppm: l.margin_ppm,
        turnout_ppm: l.turnout_ppm,
        explain: l.explain.clone(),
    }
}
