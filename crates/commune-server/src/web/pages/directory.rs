//! The member directory and member cards.

use crate::web::frame::{Page, Web, WebResult, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use commune_app::service::{self};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_store::{Member, Membership};

/// One member's card in the directory.
pub(crate) struct DirectoryCard {
    pub(crate) member: Member,
    pub(crate) domains: Vec<String>,
    /// Organisations they steward.
    pub(crate) stewards: Vec<String>,
}

#[derive(Template)]
#[template(path = "members.html")]
pub(crate) struct MembersPage {
    pub(crate) page: Page,
    pub(crate) cards: Vec<DirectoryCard>,
    pub(crate) total: i64,
    pub(crate) everyone: i64,
    pub(crate) search: DirectoryQuery,
    pub(crate) domains: Vec<String>,
    pub(crate) orgs: Vec<(String, String)>,
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    pub(crate) q: String,
    #[serde(default)]
    pub(crate) domain: String,
    #[serde(default)]
    pub(crate) place: String,
    #[serde(default)]
    pub(crate) org: String,
    #[serde(default)]
    pub(crate) role: String,
    pub(crate) offset: Option<i64>,
}

impl DirectoryQuery {
    fn filtered(&self) -> bool {
        [&self.q, &self.domain, &self.place, &self.org, &self.role].iter().any(|f| !f.trim().is_empty())
    }

    /// This search's query string at another offset.
    fn at(&self, offset: i64) -> String {
        let mut pairs = vec![
            ("q", &self.q),
            ("domain", &self.domain),
            ("place", &self.place),
            ("org", &self.org),
            ("role", &self.role),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", crate::web::frame::query_escape(v.trim())))
        .collect::<Vec<_>>();
        pairs.push(format!("offset={offset}"));
        format!("/members?{}", pairs.join("&"))
    }
}

pub(crate) const MEMBERS_PER_PAGE: i64 = 60;

pub async fn members(State(state): State<AppState>, web: Web, Query(q): Query<DirectoryQuery>) -> WebResult {
    web.caller.authorize(&state, None, Action::ReadDirectory).await?;
    let offset = q.offset.unwrap_or(0).max(0);
    let search = commune_store::MemberSearch {
        text: q.q.chars().take(64).collect(),
        domain: q.domain.chars().take(64).collect(),
        place: q.place.chars().take(64).collect(),
        org: q.org.chars().take(64).collect(),
        role: if q.role == "steward" || q.role == "member" { q.role.clone() } else { String::new() },
    };
    let (members, total) = state.store.search_members(&search, MEMBERS_PER_PAGE, offset).await?;
    let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
    let mut facts = state.store.card_facts(&ids).await?;
    let cards = members
        .into_iter()
        .map(|member| {
            let (domains, stewards) = facts.remove(&member.id).unwrap_or_default();
            DirectoryCard { member, domains, stewards }
        })
        .collect();
    let prev = (offset > 0).then(|| q.at((offset - MEMBERS_PER_PAGE).max(0)));
    let next = (offset + MEMBERS_PER_PAGE < total).then(|| q.at(offset + MEMBERS_PER_PAGE));
    Ok(render(&MembersPage {
        page: web.page("Members", "members"),
        cards,
        total,
        everyone: if q.filtered() { state.store.count(commune_store::Counted::Members).await? } else { total },
        domains: service::known_domains(&state).await?,
        orgs: state.store.list_orgs().await?.into_iter().map(|o| (o.slug, o.name)).collect(),
        search: q,
        prev,
        next,
    }))
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
