//! The apps that sign members in with Commune: stewards register them for their organisation
//! (a confidential app's secret is shown once and stored as a hash), members see and revoke the
//! apps they signed in to.

use crate::caller::Caller;
use crate::error::AppError;
use crate::secrets::random_bytes;
use crate::service::org_for;
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::oidc::{ClientKind, NewClient};
use commune_domain::token::secret_hash;
use commune_store::{MemberApp, OidcClient};

/// Client secrets start with this, so a leaked one is easy to recognise.
pub const CLIENT_SECRET_PREFIX: &str = "cmnc_";

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RegisterClientInput {
    pub name: String,
    /// `public` (single-page or native app: PKCE, no secret) or `confidential` (a server: a secret).
    pub kind: String,
    /// Redirect URIs, matched exactly: `https://…`, or `http://` on a loopback host.
    pub redirect_uris: Vec<String>,
    /// Where the app may send members after signing out (same rules).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
}

/// A registered app, and for a confidential one its secret, shown this once.
pub struct Registered {
    pub client: OidcClient,
    pub secret: Option<String>,
}

pub async fn register(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &RegisterClientInput,
) -> Result<Registered, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let me = caller.require_member()?;
    let new = NewClient::parse(
        &input.name,
        &input.kind,
        &input.redirect_uris.join("\n"),
        &input.post_logout_redirect_uris.join("\n"),
    )
    .map_err(AppError::Invalid)?;
    let secret = (new.kind == ClientKind::Confidential)
        .then(|| format!("{CLIENT_SECRET_PREFIX}{}", hex::encode(random_bytes())));
    let mut tx = state.store.write(&me.member.id).await?;
    let client = tx
        .create_oidc_client(
            &org.id,
            &new.name,
            new.kind.as_str(),
            &secret.as_deref().map(secret_hash).unwrap_or_default(),
            &new.redirect_uris,
            &new.post_logout_uris,
            &me.member.id,
        )
        .await?;
    tx.commit().await?;
    Ok(Registered { client, secret })
}

pub async fn list(state: &AppState, caller: &Caller, slug: &str) -> Result<Vec<OidcClient>, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    Ok(state.store.org_oidc_clients(&org.id).await?)
}

pub async fn revoke(state: &AppState, caller: &Caller, slug: &str, client_id: &str) -> Result<(), AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.revoke_oidc_client(&org.id, client_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The apps the caller signed in to.
pub async fn my_apps(state: &AppState, caller: &Caller) -> Result<Vec<MemberApp>, AppError> {
    let me = caller.require_member()?;
    Ok(state.store.member_apps(&me.member.id).await?)
}

/// Forgets the caller's consent to an app and ends every grant it holds for them.
pub async fn forget_app(state: &AppState, caller: &Caller, client_id: &str) -> Result<(), AppError> {
    let me = caller.require_member()?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.forget_app(&me.member.id, client_id).await?;
    tx.commit().await?;
    Ok(())
}
