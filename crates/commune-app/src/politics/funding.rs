//! The rules campaign money meets, as this commune set them: its caps and blackout in minor
//! units, and what a candidate and their election received so far. Read by drafting (through
//! `governance::checks`) and by execution (`endorsements::execute_funding`), so it imports
//! neither.

use crate::error::AppError;
use commune_domain::politics::campaigns::{Funded, FundingRules};
use commune_store::{Candidate, Store};

/// The commune's funding rules in minor units of a ledger with `scale` decimals.
pub async fn funding_rules(store: &Store, scale: u32) -> Result<FundingRules, AppError> {
    let p = crate::policy::commune(store).await?;
    let minor = |v: f64| (v * 10f64.powi(scale.min(18) as i32)).round() as i64;
    Ok(FundingRules {
        cap_per_candidate_minor: minor(p.get("campaign_cap_per_candidate")),
        cap_per_election_minor: minor(p.get("campaign_cap_per_election")),
        blackout_days: p.get("campaign_blackout_days").round() as i64,
    })
}

/// What the candidate and their election received so far, and the election's day.
pub async fn funded_now(store: &Store, c: &Candidate) -> Result<Funded, AppError> {
    let (election_minor, election_day) = match &c.election_id {
        Some(e) => {
            let day = store.elections().await?.into_iter().find(|x| &x.id == e).map(|x| x.day);
            (store.election_funded(e).await?, day)
        }
        None => (0, None),
    };
    Ok(Funded { candidate_minor: c.funded_minor, election_minor, election_day })
}
