//! The ballot form of every method read into a `Ballot`, and the vote itself.

use super::form::{Fields, field};
use super::page::then_redirect;
use crate::web::frame::{Form, Web, WebResult};
use axum::extract::{Path, State};
use commune_app::governance::{self};
use commune_app::state::AppState;
use commune_domain::Invalid;
use commune_domain::governance::methods::{Ballot, Stance, VotingMethod};
use std::collections::BTreeMap;

/// Builds a ballot from the form for `method` over `n` options.
pub(crate) fn ballot_of(method: &VotingMethod, n: usize, f: &Fields) -> Result<Ballot, Invalid> {
    let bad = |m: &str| Invalid::new("ballot", m);
    let per_option = |prefix: &str| -> Result<Vec<u32>, Invalid> {
        (0..n)
            .map(|i| {
                let raw = field(f, &format!("{prefix}_{i}")).trim();
                if raw.is_empty() { Ok(0) } else { raw.parse().map_err(|_| bad("enter whole numbers of 0 or more")) }
            })
            .collect()
    };
    Ok(match method {
        VotingMethod::YesNo { .. } => Ballot::YesNo {
            stance: match field(f, "stance") {
                "yes" => Stance::Yes,
                "no" => Stance::No,
                "abstain" => Stance::Abstain,
                _ => return Err(bad("choose yes, no or abstain")),
            },
        },
        VotingMethod::Consent { .. } => match field(f, "consent") {
            "consent" => Ballot::Consent { object: false },
            "object" => Ballot::Consent { object: true },
            _ => return Err(bad("consent or object")),
        },
        VotingMethod::SingleChoice => {
            Ballot::Single { option: field(f, "option").parse().map_err(|_| bad("choose an option"))? }
        }
        VotingMethod::Approval => Ballot::Approval {
            options: f
                .iter()
                .filter(|(k, _)| k == "approve")
                .map(|(_, v)| v.parse().map_err(|_| bad("unknown option")))
                .collect::<Result<_, _>>()?,
        },
        VotingMethod::Score => Ballot::Score {
            scores: (0..n)
                .map(|i| {
                    let raw = field(f, &format!("score_{i}")).trim();
                    if raw.is_empty() {
                        Ok(None)
                    } else {
                        raw.parse().map(Some).map_err(|_| bad("scores go from 0 to 5"))
                    }
                })
                .collect::<Result<_, _>>()?,
        },
        VotingMethod::Ranked { .. } => {
            let mut tiers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
            for i in 0..n {
                let raw = field(f, &format!("rank_{i}")).trim();
                if !raw.is_empty() {
                    let rank: u32 = raw.parse().map_err(|_| bad("ranks are whole numbers"))?;
                    tiers.entry(rank).or_default().push(i);
                }
            }
            Ballot::Ranked { ranking: tiers.into_values().collect() }
        }
        VotingMethod::Quadratic { .. } => Ballot::Quadratic { votes: per_option("votes")? },
        VotingMethod::Points { .. } => Ballot::Points { points: per_option("points")? },
    })
}

pub async fn vote(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    web.check_csrf(field(&fields, "csrf"))?;
    // The ballot form is read against the proposal's method (from the voting path's cache); the
    // cast then authorizes and checks everything itself. A form that does not parse is answered
    // only after the full visibility check, so it tells an outsider nothing.
    let (method, options) = governance::ballot_shape(&state, &id).await?;
    let result = match ballot_of(&method, options, &fields) {
        Ok(ballot) => governance::cast(&state, &web.caller, &id, &ballot).await.map(|_| ()),
        Err(invalid) => {
            governance::visible(&state, &web.caller, &id).await?;
            Err(invalid.into())
        }
    };
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=voted#receipt")).await
}
