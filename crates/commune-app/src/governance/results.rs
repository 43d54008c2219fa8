//! Results in both weightings, the ballot exports (JSON, PrefLib) and the member's docket.

use super::access::visible;
use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::governance::count::ModeTally;
use commune_domain::governance::methods::{Ballot, VotingMethod};
use commune_domain::governance::proposal::Phase;
use commune_domain::governance::weight;
use commune_store::Proposal;
use std::collections::HashMap;

/// Results of a tallied proposal, both modes side by side.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Results {
    /// The mode that decides: `equal` or `merit`.
    pub primary_mode: String,
    #[schema(value_type = Object)]
    pub equal: ModeTally,
    #[schema(value_type = Object)]
    pub merit: ModeTally,
    /// True when the two modes name different winners or disagree on passing.
    pub modes_differ: bool,
    pub computed_at: i64,
    /// Every counted ballot's receipt, so each voter can find theirs.
    pub receipts: Vec<String>,
}

pub async fn results(state: &AppState, caller: &Caller, id: &str) -> Result<Option<Results>, AppError> {
    let (proposal, _) = visible(state, caller, id).await?;
    let Some(row) = state.store.tally(&proposal.id).await? else { return Ok(None) };
    let receipts = state.store.ballots(&proposal.id).await?.into_iter().map(|b| b.receipt).collect();
    Ok(Some(Results {
        primary_mode: row.primary_mode,
        equal: serde_json::from_str(&row.equal_result).map_err(AppError::internal)?,
        merit: serde_json::from_str(&row.merit_result).map_err(AppError::internal)?,
        modes_differ: row.modes_differ,
        computed_at: row.computed_at,
        receipts,
    }))
}

/// The ballots of a closed proposal as JSON, weights in micro-votes. Voters are named unless the
/// ballot was secret; a secret proposal's ballots and receipts come as two separate sorted lists,
/// so that no receipt (which its voter may show) leads to a ballot.
pub async fn export_ballots(state: &AppState, caller: &Caller, id: &str) -> Result<serde_json::Value, AppError> {
    let (proposal, _) = visible(state, caller, id).await?;
    if !proposal.phase.is_final() || proposal.phase == Phase::Cancelled {
        return Err(AppError::Rule("ballots are exported once voting has closed".into()));
    }
    let weights: HashMap<String, (u64, u64)> =
        state.store.weights(id).await?.into_iter().map(|(m, e, w)| (m, (e, w))).collect();
    let rows = state.store.ballots(id).await?;
    let head = serde_json::json!({ "id": proposal.id, "title": proposal.title, "method": proposal.method,
        "options": proposal.options, "quorum": proposal.quorum, "secret": proposal.secret, "domain": proposal.domain });
    if proposal.secret {
        let mut ballots: Vec<String> = rows.iter().map(|b| b.ballot.clone()).collect();
        ballots.sort();
        let ballots: Vec<serde_json::Value> =
            ballots.iter().map(|b| serde_json::from_str(b).unwrap_or(serde_json::Value::Null)).collect();
        let mut receipts: Vec<&str> = rows.iter().map(|b| b.receipt.as_str()).collect();
        receipts.sort_unstable();
        return Ok(
            serde_json::json!({ "proposal": head, "eligible": weights.len(), "ballots": ballots, "receipts": receipts }),
        );
    }
    let ballots: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|b| {
            let ballot: serde_json::Value = serde_json::from_str(&b.ballot).unwrap_or(serde_json::Value::Null);
            let (equal, merit) = weights.get(&b.voter_id).copied().unwrap_or((0, 0));
            serde_json::json!({ "voter": b.voter_handle, "receipt": b.receipt, "ballot": ballot,
                "equal_weight": equal, "merit_weight": merit })
        })
        .collect();
    Ok(
        serde_json::json!({ "proposal": head, "eligible": weights.len(), "weight_unit": "micro-votes", "ballots": ballots }),
    )
}

/// A ranked proposal's ballots as a PrefLib `.toi` file: options are numbered from 1, and each
/// order's count is the votes it carried in the deciding mode (delegations included), exactly,
/// so `commune tally` on the file reproduces the result.
pub async fn export_preflib(state: &AppState, caller: &Caller, id: &str) -> Result<String, AppError> {
    let (proposal, _) = visible(state, caller, id).await?;
    if !matches!(proposal.method, VotingMethod::Ranked { .. }) {
        return Err(AppError::Rule("only ranked proposals export as PrefLib".into()));
    }
    let Some(tally) = state.store.tally(id).await? else {
        return Err(AppError::Rule("ballots are exported once the vote is counted".into()));
    };
    let weights = state.store.weights(id).await?;
    let rows = state.store.ballots(id).await?;
    let ballots: Vec<(String, String)> = rows.iter().map(|b| (b.voter_id.clone(), b.ballot.clone())).collect();
    let edges: Vec<crate::tally::Edge> = serde_json::from_str(&tally.delegations).map_err(AppError::internal)?;
    let effective = crate::tally::effective_weights(&proposal, &weights, &ballots, &edges, &tally.primary_mode)?;
    let mut lines: Vec<(String, u64)> = Vec::new();
    for b in &rows {
        let Ok(Ballot::Ranked { ranking }) = serde_json::from_str::<Ballot>(&b.ballot) else { continue };
        let weight = effective.get(&b.voter_id).copied().unwrap_or(0);
        let order: Vec<String> = ranking
            .iter()
            .map(|tier| {
                let labels: Vec<String> = tier.iter().map(|o| (o + 1).to_string()).collect();
                if labels.len() == 1 { labels[0].clone() } else { format!("{{{}}}", labels.join(",")) }
            })
            .collect();
        let order = order.join(",");
        match lines.iter_mut().find(|(o, _)| *o == order) {
            Some(line) => line.1 += weight,
            None => lines.push((order, weight)),
        }
    }
    // Orders sorted, so the file itself says nothing about who voted first.
    lines.sort();
    let mut out = format!(
        "# FILE NAME: {}.toi\n# TITLE: {}\n# DATA TYPE: toi\n# NUMBER ALTERNATIVES: {}\n",
        proposal.id,
        proposal.title.replace('\n', " "),
        proposal.options.len()
    );
    for (i, option) in proposal.options.iter().enumerate() {
        out.push_str(&format!("# ALTERNATIVE NAME {}: {}\n", i + 1, option.replace('\n', " ")));
    }
    out.push_str(&format!("# NUMBER VOTERS: {}\n# NUMBER UNIQUE ORDERS: {}\n", rows.len(), lines.len()));
    for (order, weight) in lines {
        out.push_str(&format!("{}: {order}\n", weight::format_votes(weight)));
    }
    Ok(out)
}

/// Around the docket: proposals in discussion in the member's organisations, and results from
/// the last three days.
pub async fn around(state: &AppState, member_id: &str, now: i64) -> Result<(Vec<Proposal>, Vec<Proposal>), AppError> {
    Ok(state.store.proposals_around(member_id, now - 3 * 24 * 3600 * 1000).await?)
}

/// Today's docket for a member: what is voting now, and what opens or closes today (UTC).
pub async fn docket(state: &AppState, member_id: &str, now: i64) -> Result<Vec<Proposal>, AppError> {
    let day = 24 * 3600 * 1000;
    let start = now - now.rem_euclid(day);
    Ok(state.store.docket(member_id, start, start + day).await?)
}
