//! The member directory and member cards.

use crate::web::frame::{Page, Web, WebResult, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use commune_app::service::{self};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_store::{Member, Membership};

#[derive(Template)]
#[template(path = "members.html")]
pub(crate) struct MembersPage {
    pub(crate) page: Page,
    pub(crate) members: Vec<Member>,
    pub(crate) total: i64,
    pub(crate) prev_offset: Option<i64>,
    pub(crate) next_offset: Option<i64>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Offset {
    pub(crate) offset: Option<i64>,
}

pub(crate) const MEMBERS_PER_PAGE: i64 = 60;

pub async fn members(State(state): State<AppState>, web: Web, Query(q): Query<Offset>) -> WebResult {
    web.caller.authorize(&state, None, Action::ReadDirectory).await?;
    let offset = q.offset.unwrap_or(0).max(0);
    let members = state.store.list_members(MEMBERS_PER_PAGE, offset, "").await?;
    let total = state.store.count(commune_store::Counted::Members).await?;
    let prev_offset = (offset > 0).then(|| (offset - MEMBERS_PER_PAGE).max(0));
    let next_offset = (offset + MEMBERS_PER_PAGE < total).then_some(offset + MEMBERS_PER_PAGE);
    Ok(render(&MembersPage { page: web.page("Members", "members"), members, total, prev_offset, next_offset }))
}

#[derive(Template)]
#[template(path = "member.html")]
pub(crate) struct MemberPage {
    pub(crate) page: Page,
    pub(crate) card: commune_app::cards::CardView,
    pub(crate) member: Member,
    pub(crate) memberships: Vec<Membership>,
    pub(crate) is_self: bool,
}

pub async fn member(State(state): State<AppState>, web: Web, Path(handle): Path<String>) -> WebResult {
    let member = service::member(&state, &web.caller, &handle).await?;
    let memberships = state.store.memberships_of(&member.id).await?;
    let is_self = web.caller.member().is_some_and(|me| me.member.id == member.id);
    let card = commune_app::cards::card(&state, &member).await?;
    Ok(render(&MemberPage {
        page: web.page(member.display_name.clone(), "members"),
        card,
        member,
        memberships,
        is_self,
    }))
}
