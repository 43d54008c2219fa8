//! Invite links, for stewards: a link admits whoever opens it to the organisation (as a member),
//! as many times as it allows and until it expires or is revoked. The secret is shown once, when
//! the link is made; only its hash is stored, and the audit log never holds it.

use crate::caller::Caller;
use crate::error::AppError;
use crate::secrets::random_bytes;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::invite::{self, Terms};
use commune_domain::org::Role;
use commune_domain::token::secret_hash;
use commune_store::{Invite, Org};

/// A new link: its stored record and the secret (shown this once).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedInvite {
    #[schema(value_type = Object)]
    pub invite: Invite,
    /// `inv_` and 64 hex digits; the link is `/join/<secret>`.
    pub secret: String,
    /// The path to share, on this instance.
    pub path: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct InviteInput {
    /// 1 to 1,000 uses (default 1).
    pub max_uses: Option<u32>,
    /// 1 to 90 days (default 7).
    pub expires_in_days: Option<u32>,
    /// Who it is for, up to 200 characters (shown to stewards only).
    #[serde(default)]
    pub note: String,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

pub async fn create(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &InviteInput,
) -> Result<CreatedInvite, AppError> {
    // Links are people's business: a token is refused before the organisation is looked at.
    let me = caller.require_member()?;
    let org = org_for(state, caller, slug, Action::DecideJoinRequest).await?;
    let terms = Terms::parse(
        &input.max_uses.unwrap_or(1).to_string(),
        &input.expires_in_days.unwrap_or(7).to_string(),
        &input.note,
    )?;
    let secret = format!("{}{}", invite::PREFIX, hex::encode(random_bytes()));
    let mut tx = state.store.write(&me.member.id).await?;
    let expires_at = tx.at_ms() + i64::from(terms.expires_in_days) * DAY_MS;
    let invite = tx
        .create_invite(&org.id, &secret_hash(&secret), &me.member.id, &terms.note, terms.max_uses, expires_at)
        .await?;
    tx.commit().await?;
    Ok(CreatedInvite { path: format!("/join/{secret}"), invite, secret })
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<(Org, Vec<Invite>), AppError> {
    caller.require_member()?;
    let org = org_for(state, caller, slug, Action::DecideJoinRequest).await?;
    let invites = state.store.invites_of(&org.id).await?;
    Ok((org, invites))
}

pub async fn revoke(state: &AppState, caller: &Caller, slug: &str, id: &str) -> Result<(), AppError> {
    caller.require_member()?;
    let org = org_for(state, caller, slug, Action::DecideJoinRequest).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    if !tx.revoke_invite(&org.id, id).await? {
        return Err(AppError::NotFound("live invite link"));
    }
    tx.commit().await?;
    Ok(())
}

/// What a link leads to, for its landing page; a malformed or unknown secret is not found, and
/// a spent link says why.
pub async fn look(state: &AppState, secret: &str) -> Result<(Invite, Org, Result<(), invite::Spent>), AppError> {
    if !invite::well_formed(secret) {
        return Err(AppError::NotFound("invite link"));
    }
    let found = state.store.invite_by_hash(&secret_hash(secret)).await?.ok_or(AppError::NotFound("invite link"))?;
    let org = state.store.org_by_id(&found.org_id).await?.ok_or(AppError::NotFound("organisation"))?;
    let usable = invite::usable(
        u32::try_from(found.uses).unwrap_or(u32::MAX),
        u32::try_from(found.max_uses).unwrap_or(0),
        found.expires_at,
        found.revoked_at.is_some(),
        commune_store::now_ms(),
    );
    Ok((found, org, usable))
}

/// Joins the caller to the link's organisation, taking one use of the link.
pub async fn accept(state: &AppState, caller: &Caller, secret: &str) -> Result<Org, AppError> {
    let me = caller.require_member()?;
    let (found, org, usable) = look(state, secret).await?;
    usable.map_err(|spent| AppError::Rule(spent.to_string()))?;
    caller.authorize(state, Some(&org), Action::RequestToJoin).await?;
    join(state, &found, org, &me.member.id).await
}

/// Signs someone up and joins them through the link in one go (the link is checked first, so a
/// spent link creates no account).
pub async fn signup_and_accept(
    state: &AppState,
    input: &crate::service::SignupInput,
    secret: &str,
    client: Option<&str>,
) -> Result<(commune_store::Member, Org), AppError> {
    let (found, org, usable) = look(state, secret).await?;
    usable.map_err(|spent| AppError::Rule(spent.to_string()))?;
    let member = crate::service::signup(state, input, client).await?;
    let org = join(state, &found, org, &member.id).await?;
    Ok((member, org))
}

async fn join(state: &AppState, found: &Invite, org: Org, member_id: &str) -> Result<Org, AppError> {
    let mut tx = state.store.write(member_id).await?;
    // The count moves only while the link still admits, checked again inside the transaction.
    if !tx.use_invite(&found.id, member_id).await? {
        return Err(AppError::Rule("this invite link has just been used up, expired or revoked".into()));
    }
    tx.add_member(&org.id, member_id, Role::Member).await.map_err(|e| match e {
        commune_store::StoreError::Conflict(_) => {
            AppError::Rule("you are already a member of this organisation".into())
        }
        other => other.into(),
    })?;
    tx.commit().await?;
    Ok(org)
}
