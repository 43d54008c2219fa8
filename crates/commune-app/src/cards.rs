//! Reading merit: a member's baseball card and an organisation's weight distribution.

use crate::error::AppError;
use crate::merit::{self, WeightExplanation};
use crate::state::AppState;
use std::collections::BTreeMap;

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DomainBelievability {
    pub domain: String,
    /// On the 1–10 rating scale.
    pub estimate: f64,
    /// The conservative estimate: estimate − k·sd.
    pub lower: f64,
    pub sd: f64,
    pub raters: i64,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AttributeEvidence {
    pub attribute: String,
    /// The attribute's name for people ("Sees the big picture").
    pub name: String,
    pub dots: usize,
    pub average: f64,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CardView {
    pub handle: String,
    pub believability: Vec<DomainBelievability>,
    pub evidence: Vec<AttributeEvidence>,
    /// How their weight in the commune's general domain comes about.
    pub weight: Option<WeightExplanation>,
    /// Mastery per skill from graded exercises: (skill, level 0–1, mastered).
    pub mastery: Vec<(String, f64, bool)>,
}

/// A member's card: believability per domain, the dots behind it, and how it became their weight.
pub async fn card(state: &AppState, member: &commune_store::Member) -> Result<CardView, AppError> {
    let believability = state
        .store
        .believability_of(&member.id)
        .await?
        .into_iter()
        .map(|b| DomainBelievability {
            domain: b.domain,
            estimate: b.estimate,
            lower: b.lower,
            sd: b.sd,
            raters: b.raters,
        })
        .collect();
    let mut by_attribute: BTreeMap<String, (usize, i64)> = BTreeMap::new();
    for d in state.store.dots_about(&member.id).await? {
        let e = by_attribute.entry(d.attribute).or_default();
        e.0 += 1;
        e.1 += d.score;
    }
    let names: BTreeMap<String, String> =
        state.store.attributes().await?.into_iter().map(|a| (a.key, a.name)).collect();
    let evidence = by_attribute
        .into_iter()
        .map(|(attribute, (n, sum))| AttributeEvidence {
            name: names.get(&attribute).cloned().unwrap_or_else(|| attribute.replace('_', " ")),
            attribute,
            dots: n,
            average: sum as f64 / n as f64,
        })
        .collect();
    let weight = match state.root_id().await? {
        Some(root) => merit::explain(&state.store, &member.id, &root, "general").await?,
        None => None,
    };
    let mastery = crate::learn::practice::my_mastery(state, &member.id)
        .await?
        .into_iter()
        .map(|(skill, m)| (skill, m.level, m.mastered))
        .collect();
    Ok(CardView { handle: member.handle.clone(), believability, evidence, weight, mastery })
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct WeightDistribution {
    pub domain: String,
    pub members: usize,
    pub lambda: f64,
    pub cap: f64,
    pub gini: f64,
    pub largest_share: f64,
    /// `(handle, weight)`, largest first.
    pub weights: Vec<(String, f64)>,
}

/// Merit-mode weights of an organisation's members in `domain`, largest first.
pub async fn distribution(
    state: &AppState,
    org: &commune_store::Org,
    domain: &str,
) -> Result<WeightDistribution, AppError> {
    let members = state.store.org_members(&org.id).await?;
    let ids: Vec<String> = members.iter().map(|m| m.member_id.clone()).collect();
    let (w, _, rule) = merit::domain_weights(&state.store, domain, &ids).await?;
    let mut weights: Vec<(String, f64)> = members.iter().map(|m| m.handle.clone()).zip(w.iter().copied()).collect();
    weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(WeightDistribution {
        domain: domain.to_owned(),
        members: ids.len(),
        lambda: rule.lambda,
        cap: rule.cap,
        gini: commune_domain::merit::weights::gini(&w),
        largest_share: w.iter().copied().fold(0.0, f64::max),
        weights,
    })
}
