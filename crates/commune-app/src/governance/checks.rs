//! The checks a proposal meets before it is drafted or published: the floors in force (money
//! scaled by what its source holds), who would benefit, and whether its effect may be proposed.

use crate::error::AppError;
use crate::state::AppState;
use commune_domain::Invalid;
use commune_domain::governance::floors::{self, Beneficiary, Floors};
use commune_domain::governance::proposal::{self, Effect, Kind, PolicyScope};
use commune_domain::ledger::payments::Owner;
use commune_domain::org::Role;
use commune_store::Org;

pub(crate) fn money_of(effect: &Effect) -> Option<(u64, &str)> {
    match effect {
        Effect::Allocate { amount_minor, currency, .. } => Some((u64::try_from(*amount_minor).ok()?, currency)),
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
        Some(row) => {
            let a = row.account;
            i128::from(a.credits_posted) - i128::from(a.debits_posted) - i128::from(a.debits_pending)
        }
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

/// Each kind has the effect it is for, and the effect's parameters must make sense now.
pub(crate) async fn check_effect(
    state: &AppState,
    org: &Org,
    kind: Kind,
    effect: &Effect,
    options: &[String],
) -> Result<Result<(), Invalid>, AppError> {
    let bad = |m: &str| Ok(Err(Invalid::new("effect", m)));
    match (kind, effect) {
        (Kind::Decision | Kind::Endorsement, Effect::None) => Ok(Ok(())),
        (Kind::Policy, Effect::SetPolicy { key, value }) => match proposal::policy_parameter(key) {
            None => {
                let known: Vec<&str> = proposal::policy_parameters().map(|p| p.key).collect();
                Ok(Err(Invalid::new("effect", format!("unknown policy '{key}'; known: {}", known.join(", ")))))
            }
            Some(p) if !(p.min..=p.max).contains(value) => {
                Ok(Err(Invalid::new("effect", format!("{key} must be between {} and {}", p.min, p.max))))
            }
            Some(p) if p.scope == PolicyScope::Commune && !org.is_root => Ok(Err(Invalid::new(
                "effect",
                format!("{key} is a policy of the whole commune: propose it in the commune itself"),
            ))),
            Some(_) => Ok(Ok(())),
        },
        (Kind::Policy, Effect::SetAttribute { key, name, domain_weights, active, .. }) => {
            if !org.is_root {
                return bad("the attributes are the commune's: propose them in the commune itself");
            }
            Ok(proposal::check_attribute(key, name, domain_weights, *active))
        }
        (Kind::Admission, Effect::Admit { member_id }) => {
            if state.store.member_by_id(member_id).await?.is_none() {
                bad("the member to admit does not exist")
            } else if state.store.role_in(&org.id, member_id).await?.is_some() {
                bad("that person is already a member")
            } else {
                Ok(Ok(()))
            }
        }
        (Kind::Allocation, Effect::Allocate { amount_minor, currency, recipient }) => {
            if *amount_minor <= 0 {
                return bad("the amount must be a positive number of minor units");
            }
            if state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await?.is_none() {
                return bad("name a currency the commune keeps a ledger in (e.g. EUR)");
            }
            let party = match crate::payments::resolve_party(state, recipient, "recipient").await {
                Ok(party) => party,
                Err(AppError::Invalid(why)) => return Ok(Err(Invalid::new("recipient", why.to_string()))),
                Err(e) => return Err(e),
            };
            if party.owner()? == &Owner::Org(org.id.clone()) {
                return Ok(Err(Invalid::new("recipient", "an organisation cannot allocate money to itself")));
            }
            Ok(Ok(()))
        }
        (Kind::Budget, Effect::Budget { total_minor, currency }) => {
            if *total_minor <= 0 {
                bad("the budget needs a positive total")
            } else if state.store.ledger_by_asset(&currency.trim().to_ascii_uppercase()).await?.is_none() {
                bad("name a currency the commune keeps a ledger in (e.g. EUR)")
            } else {
                Ok(Ok(()))
            }
        }
        (Kind::Election, Effect::Elect { role, seats }) => {
            if Role::parse(role).is_err() {
                return bad("the role must be member or steward");
            }
            if *seats == 0 || *seats as usize >= options.len().max(1) {
                return bad("seats must be at least 1 and fewer than the candidates");
            }
            for handle in options {
                let member = state.store.member_by_handle(handle).await?;
                let in_org = match &member {
                    Some(m) => state.store.role_in(&org.id, &m.id).await?.is_some(),
                    None => false,
                };
                if !in_org {
                    return Ok(Err(Invalid::new(
                        "options",
                        format!("candidate '{handle}' is not a member handle of this organisation"),
                    )));
                }
            }
            Ok(Ok(()))
        }
        (kind, _) => {
            Ok(Err(Invalid::new("effect", format!("a {} proposal needs its own kind of effect", kind.as_str()))))
        }
    }
}
