//! The checks a proposal meets before it is drafted or published: the floors in force (money
//! scaled by what its source holds), who would benefit, and whether its effect may be proposed.

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::governance::floors::{self, Beneficiary, Floors};
use commune_domain::governance::proposal::{self, Effect, Kind};
use commune_domain::ideas::analytics::{DAY_MS, day_label};
use commune_domain::ledger::payments::Owner;
use commune_domain::org::Role;
use commune_domain::politics::campaigns::may_fund;
use commune_store::Org;

pub(crate) fn money_of(effect: &Effect) -> Option<(u64, &str)> {
    match effect {
        Effect::Allocate { amount_minor, currency, .. } | Effect::Fund { amount_minor, currency, .. } => {
            Some((u64::try_from(*amount_minor).ok()?, currency))
        }
        Effect::Budget { total_minor, currency } => Some((u64::try_from(*total_minor).ok()?, currency)),
        _ => None,
    }
}

/// What the organisation can spend now in `currency`: the pot for the commune, its wallet for
/// anyone else (0 when there is no such ledger or wallet).
pub async fn source_balance(state: &AppState, org: &Org, currency: &str) -> Result<i128, AppError> {
    let Some(ledger) = state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await? else { return Ok(0) };
    let owner = if org.is_root { Owner::Pot } else { Owner::Org(org.id.clone()) };
    Ok(match state.store.ledger_account(owner.wallet(ledger.id).id).await? {
        Some(row) => row.account.available(),
        None => 0,
    })
}

/// The floors a proposal of `org` must meet now: its kind's, from the commune's policies, raised
/// for money by the amount relative to what the source holds now.
pub async fn floors_now(state: &AppState, org: &Org, kind: Kind, effect: &Effect) -> Result<Floors, AppError> {
    let values = crate::policy::commune(&state.store).await?;
    let base = floors::of(kind, effect, |key| values.get(key));
    Ok(match money_of(effect) {
        Some((amount, currency)) => floors::for_money(base, amount, source_balance(state, org, currency).await?),
        None => base,
    })
}

/// Whom the effect gives to, resolved to members and organisations.
pub(crate) async fn beneficiaries(
    state: &AppState,
    effect: &Effect,
    options: &[String],
) -> Result<Vec<Beneficiary>, AppError> {
    let mut out = Vec::new();
    match effect {
        Effect::Admit { member_id } => out.push(Beneficiary::Member(member_id.clone())),
        Effect::Elect { .. } => {
            for handle in options {
                if let Some(m) = state.store.member_by_handle(&handle.trim().to_ascii_lowercase()).await? {
                    out.push(Beneficiary::Member(m.id));
                }
            }
        }
        Effect::Fund { candidate_id, .. } | Effect::Endorse { candidate_id } => {
            if let Some(member) = state.store.candidate(candidate_id).await?.and_then(|c| c.member_id) {
                out.push(Beneficiary::Member(member));
            }
        }
        Effect::Allocate { recipient, .. } => {
            if let Ok(party) = crate::payments::resolve_party(state, recipient, "recipient").await {
                match party.owner()? {
                    Owner::Member(id) => out.push(Beneficiary::Member(id.clone())),
                    Owner::Org(id) => out.push(Beneficiary::Org(id.clone())),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Why the proposal benefits its author, or an empty string.
pub(crate) async fn self_interest(
    state: &AppState,
    author_id: &str,
    effect: &Effect,
    options: &[String],
) -> Result<String, AppError> {
    let stewards: Vec<String> = state
        .store
        .memberships_of(author_id)
        .await?
        .into_iter()
        .filter(|m| m.role == Role::Steward)
        .map(|m| m.org.id)
        .collect();
    let given = beneficiaries(state, effect, options).await?;
    Ok(floors::benefits_author(effect, &given, author_id, &stewards).unwrap_or_default().to_owned())
}

/// Each kind has the effect it is for, and the effect's parameters must make sense `now` and,
/// for money that moves when the vote ends, at `closes_at`.
pub(crate) async fn check_effect(
    state: &AppState,
    org: &Org,
    kind: Kind,
    effect: &Effect,
    options: &[String],
    (now, closes_at): (i64, i64),
) -> Result<Result<(), Invalid>, AppError> {
    if let Err(why) = proposal::check_effect(kind, effect, org.is_root, options.len()) {
        return Ok(Err(why));
    }
    // What the domain cannot know: who and what exist.
    let bad = |field: &'static str, m: String| Ok(Err(Invalid::new(field, m)));
    match effect {
        Effect::Admit { member_id } => {
            if state.store.member_by_id(member_id).await?.is_none() {
                return bad("effect", "the member to admit does not exist".into());
            }
            if state.store.role_in(&org.id, member_id).await?.is_some() {
                return bad("effect", "that person is already a member".into());
            }
        }
        Effect::Allocate { currency, recipient, .. } => {
            if !ledger_exists(state, currency).await? {
                return bad("effect", NO_LEDGER.into());
            }
            let party = match crate::payments::resolve_party(state, recipient, "recipient").await {
                Ok(party) => party,
                Err(AppError::Invalid(why)) => return bad("recipient", why.to_string()),
                Err(e) => return Err(e),
            };
            if party.owner()? == &Owner::Org(org.id.clone()) {
                return bad("recipient", "an organisation cannot allocate money to itself".into());
            }
        }
        Effect::Budget { currency, .. } if !ledger_exists(state, currency).await? => {
            return bad("effect", NO_LEDGER.into());
        }
        Effect::Endorse { candidate_id } => match state.store.candidate(candidate_id).await? {
            None => return bad("effect", "no candidate with this id".into()),
            Some(c) if c.endorsed_by.is_some() => return bad("effect", "this candidate is endorsed already".into()),
            Some(_) => {}
        },
        Effect::Fund { candidate_id, amount_minor, currency } => {
            let Some(ledger) = state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await? else {
                return bad("effect", NO_LEDGER.into());
            };
            let Some(c) = state.store.candidate(candidate_id).await? else {
                return bad("effect", "no candidate with this id".into());
            };
            // The caps and the blackout as things stand, today and on the day the vote ends (when
            // the money would move); they are checked again when it does.
            let rules = crate::politics::funding::funding_rules(&state.store, ledger.scale).await?;
            let funded = crate::politics::funding::funded_now(&state.store, &c).await?;
            let (today, ends) = (now.div_euclid(DAY_MS), closes_at.div_euclid(DAY_MS));
            if let Err(why) = may_fund(*amount_minor, &funded, &rules, today) {
                return bad("effect", why);
            }
            if ends > today
                && let Err(why) = may_fund(*amount_minor, &funded, &rules, ends)
            {
                return bad(
                    "effect",
                    format!("when the vote ends ({}) the money could not move: {why}", day_label(ends)),
                );
            }
        }
        Effect::Elect { .. } => {
            for handle in options {
                let in_org = match state.store.member_by_handle(handle).await? {
                    Some(m) => state.store.role_in(&org.id, &m.id).await?.is_some(),
                    None => false,
                };
                if !in_org {
                    return bad("options", format!("candidate '{handle}' is not a member handle of this organisation"));
                }
            }
        }
        _ => {}
    }
    Ok(Ok(()))
}

const NO_LEDGER: &str = "name a currency the commune keeps a ledger in (e.g. EUR)";

async fn ledger_exists(state: &AppState, currency: &str) -> Result<bool, AppError> {
    Ok(state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await?.is_some())
}
