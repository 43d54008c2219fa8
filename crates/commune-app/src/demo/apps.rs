//! The demo's "sign in with Commune": Common Code registers its wiki (a server, with a secret)
//! and its chat (a desktop app: public, PKCE), and the visitor has already let the wiki sign them
//! in — so the stewards' page of apps and the member's page of apps both have something to show.
//! Common Code also publishes to the fediverse.

use super::people::{Staffed, caller};
use crate::error::AppError;
use crate::oidc::clients::{self, RegisterClientInput};
use crate::state::AppState;
use commune_store::Member;

pub(crate) async fn season(
    state: &AppState,
    staffed: &Staffed,
    members: &[Member],
    visitor: &Member,
) -> Result<(), AppError> {
    let (stewards, _) = super::people::staff(state, staffed, members, visitor).await?;
    let Some(steward) = stewards.first() else { return Ok(()) };
    let slug = &staffed.0.slug;
    let boss = caller(steward);
    let wiki = clients::register(
        state,
        &boss,
        slug,
        &RegisterClientInput {
            name: "Common Code wiki".into(),
            kind: "confidential".into(),
            redirect_uris: vec!["https://wiki.common-code.example/oidc/callback".into()],
            post_logout_redirect_uris: vec!["https://wiki.common-code.example/".into()],
        },
    )
    .await?;
    clients::register(
        state,
        &boss,
        slug,
        &RegisterClientInput {
            name: "Common Code chat (desktop)".into(),
            kind: "public".into(),
            redirect_uris: vec!["http://127.0.0.1:8765/callback".into()],
            post_logout_redirect_uris: Vec::new(),
        },
    )
    .await?;
    let mut tx = state.store.write(&visitor.id).await?;
    tx.set_consent(&visitor.id, &wiki.client.id, "openid profile commune:orgs").await?;
    tx.commit().await?;
    // Common Code publishes its proposals to the fediverse: its page shows the account other
    // communes follow, and its outbox the proposals as Questions.
    crate::federation::set_publish(state, &boss, slug, true).await?;
    Ok(())
}
