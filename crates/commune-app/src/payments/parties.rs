//! The parties to a payment: resolving names to owners and owners to words, who is paying,
//! which wallet a caller may read, ledgers by name, and ids as clients send and see them.

use crate::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::ledger::payments::{Owner, Payer};
use commune_domain::org::{OrgKind, Role};
use commune_domain::token::Scope;
use commune_domain::validation::Invalid;
use commune_store::{AccountRow, LedgerInfo};

/// An account owner with the words to show for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Party {
    /// `member`, `org`, `pot`, `settlement` or `budget`.
    pub kind: String,
    /// A member's handle or an organisation's slug; empty for the pot and settlement.
    pub handle: String,
    pub name: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub owner: Option<Owner>,
    #[serde(skip)]
    #[schema(ignore)]
    pub is_business: bool,
}

impl Party {
    pub fn owner(&self) -> Result<&Owner, AppError> {
        self.owner.as_ref().ok_or_else(|| AppError::internal(anyhow::anyhow!("a party without an owner")))
    }
}

/// `ada`, `@ada`, `member:ada`, `org:solar-forge` or `solar-forge`: a member first, then an
/// organisation. Case does not matter; a leading `@` (as pages write handles) is the same name.
pub async fn resolve_party(state: &AppState, raw: &str, field: &'static str) -> Result<Party, AppError> {
    let raw = raw.trim().to_ascii_lowercase();
    let (kind, key) = raw.split_once(':').unwrap_or(("", raw.as_str()));
    let key = key.trim().strip_prefix('@').unwrap_or(key.trim());
    if key.is_empty() {
        return Err(Invalid::new(field, "name a member (handle) or an organisation (org:slug)").into());
    }
    if kind != "org"
        && let Some(m) = state.store.member_by_handle(key).await?
    {
        return Ok(Party {
            kind: "member".into(),
            handle: m.handle,
            name: m.display_name,
            owner: Some(Owner::Member(m.id)),
            is_business: false,
        });
    }
    if kind != "member"
        && let Some(org) = state.store.org_by_slug(key).await?
    {
        return Ok(Party {
            kind: "org".into(),
            handle: org.slug,
            name: org.name,
            is_business: org.kind == OrgKind::Business,
            owner: Some(Owner::Org(org.id)),
        });
    }
    Err(Invalid::new(field, format!("no member or organisation called '{key}'")).into())
}

/// The words for an owner (a member's handle, an organisation's name, "common pot").
pub async fn party_of(state: &AppState, owner: &Owner) -> Result<Party, AppError> {
    let (handle, name, is_business) = match owner {
        Owner::Member(id) => match state.store.member_by_id(id).await? {
            Some(m) => (m.handle, m.display_name, false),
            None => (String::new(), "a former member".into(), false),
        },
        Owner::Org(id) => match state.store.org_by_id(id).await? {
            Some(o) => (o.slug, o.name, o.kind == OrgKind::Business),
            None => (String::new(), "a former organisation".into(), false),
        },
        Owner::Pot => (String::new(), "Common pot".into(), false),
        Owner::Settlement => (String::new(), "Outside the commune".into(), false),
        Owner::Budget(id) => (id.clone(), "Budget round".into(), false),
        Owner::Peer(iri) => (String::new(), format!("In transit with {iri}"), false),
    };
    Ok(Party { kind: owner.kind().into(), handle, name, owner: Some(owner.clone()), is_business })
}

/// Who is paying, for [`payments::may_debit`].
pub async fn payer_of(state: &AppState, caller: &Caller) -> Result<Payer, AppError> {
    match caller {
        Caller::Member(signed_in) => {
            let stewards = state
                .store
                .memberships_of(&signed_in.member.id)
                .await?
                .into_iter()
                .filter(|m| m.role == Role::Steward)
                .map(|m| m.org.id)
                .collect();
            Ok(Payer::Member { id: signed_in.member.id.clone(), stewards })
        }
        Caller::Token(token) => Ok(Payer::Token {
            org_id: token.org_id.clone(),
            payments_write: token.scopes.contains(&Scope::PaymentsWrite),
        }),
        Caller::Anonymous { .. } => {
            caller.require_member()?;
            Err(AppError::Denied(commune_domain::authz::Denied::NotAuthenticated))
        }
    }
}

/// The caller's own wallet owner: a member's, or a token's organisation; `from_org` (a slug)
/// names an organisation's wallet instead (whether the caller may spend it is checked later).
pub async fn own_owner(state: &AppState, caller: &Caller, from_org: Option<&str>) -> Result<Owner, AppError> {
    if let Caller::Anonymous { .. } = caller {
        caller.require_member()?;
    }
    match (caller, from_org.map(str::trim).filter(|s| !s.is_empty())) {
        (_, Some(slug)) => {
            let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
            Ok(Owner::Org(org.id))
        }
        (Caller::Token(t), None) => Ok(Owner::Org(t.org_id.clone())),
        (Caller::Member(s), None) => Ok(Owner::Member(s.member.id.clone())),
        (Caller::Anonymous { .. }, None) => Err(AppError::Denied(commune_domain::authz::Denied::NotAuthenticated)),
    }
}

/// A ledger by asset code; the first ledger when none is named.
pub async fn ledger_named(state: &AppState, asset: Option<&str>) -> Result<LedgerInfo, AppError> {
    let asset = asset.map(str::trim).filter(|a| !a.is_empty());
    match asset {
        Some(asset) => state
            .store
            .ledger_by_asset(&asset.to_ascii_uppercase())
            .await?
            .ok_or_else(|| Invalid::new("currency", format!("there is no ledger for '{asset}'")).into()),
        None => state
            .store
            .ledgers()
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("no ledger exists"))),
    }
}

/// A client-chosen id (the idempotency key): a UUID, 32 hex digits or a decimal u128. Absent,
/// a fresh time-ordered id is made.
pub fn parse_id(raw: Option<&str>, field: &'static str) -> Result<u128, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(uuid::Uuid::now_v7().as_u128());
    };
    let id = uuid::Uuid::parse_str(raw)
        .map(|u| u.as_u128())
        .ok()
        .or_else(|| (raw.len() == 32).then(|| u128::from_str_radix(raw, 16).ok()).flatten())
        .or_else(|| raw.parse::<u128>().ok())
        .ok_or_else(|| Invalid::new(field, "use a UUID, 32 hex digits or a decimal number"))?;
    if id == 0 || id == u128::MAX {
        return Err(Invalid::new(field, "must not be 0 or all ones").into());
    }
    Ok(id)
}

/// Ids are shown as UUIDs.
pub fn show_id(id: u128) -> String {
    uuid::Uuid::from_u128(id).to_string()
}

pub fn owner_of(row: &AccountRow) -> Result<Owner, AppError> {
    Owner::from_parts(&row.owner_kind, &row.owner_id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("an account owned by '{}'", row.owner_kind)))
}

pub fn unknown_party() -> Party {
    Party { kind: "unknown".into(), handle: String::new(), name: "unknown".into(), owner: None, is_business: false }
}

/// The owner whose wallet the caller asks to read: their own, or an organisation's treasury.
pub async fn readable_owner(state: &AppState, caller: &Caller, org: Option<&str>) -> Result<Owner, AppError> {
    if let Some(slug) = org.map(str::trim).filter(|s| !s.is_empty()) {
        let org = state.store.org_by_slug(slug).await?.ok_or(AppError::NotFound("organisation"))?;
        caller.authorize(state, Some(&org), Action::ReadTreasury).await?;
        return Ok(Owner::Org(org.id));
    }
    if let Caller::Token(token) = caller {
        let org = state.store.org_by_id(&token.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
        caller.authorize(state, Some(&org), Action::ReadTreasury).await?;
    }
    own_owner(state, caller, None).await
}

/// A member or a token: anonymous callers are told to sign in.
pub fn signed_in(caller: &Caller) -> Result<(), AppError> {
    match caller {
        Caller::Anonymous { .. } => caller.require_member().map(|_| ()),
        Caller::Member(_) | Caller::Token(_) => Ok(()),
    }
}

/// Whether the caller may read an account: its member, its organisation's readers (members,
/// `payments:read` tokens), or an instance steward.
pub async fn may_read(state: &AppState, caller: &Caller, row: &commune_store::AccountRow) -> Result<(), AppError> {
    let owner = owner_of(row)?;
    let own = match (&owner, caller) {
        (Owner::Member(id), Caller::Member(s)) => s.member.id == *id,
        (Owner::Org(id), _) => match state.store.org_by_id(id).await? {
            Some(org) => caller.authorize(state, Some(&org), Action::ReadTreasury).await.is_ok(),
            None => false,
        },
        _ => false,
    };
    if own {
        return Ok(());
    }
    caller.authorize(state, None, Action::AdministerInstance).await
}
