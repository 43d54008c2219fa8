//! The fediverse page of an organisation: whether it publishes, its account, who follows it,
//! whom it follows, and the proposals those communes published; stewards publish and follow.

use super::frame::{field, form_problems, with_status};
use super::{Page, Web, WebResult, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::federation::{self, Overview, chapters, transfers};
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_domain::org::OrgKind;
use commune_store::{Link, Org, PeerTransfer, RemoteQuestionRow, SentBallot};

#[derive(Template)]
#[template(path = "federation.html")]
struct FederationPage {
    page: Page,
    org: Org,
    view: Overview,
    steward: bool,
    errors: Vec<String>,
    form_account: String,
    /// Links to organisations on other instances.
    links: Vec<Link>,
    /// The commune this chapter is linked to (active), whose open proposals its members vote on.
    commune: Option<String>,
    /// Ballots the reader sent home-signed, with the commune's receipts.
    sent: Vec<SentBallot>,
    transfers: Vec<PeerTransfer>,
    /// What each linked organisation may still send here (the first ledger).
    credits: Vec<transfers::Credit>,
    /// Each ledger's decimal places: `(ledger, scale)`.
    scales: Vec<(u32, u32)>,
}

impl FederationPage {
    fn is_commune(&self) -> bool {
        self.org.kind == OrgKind::Commune
    }

    /// Links money may be sent over.
    fn active_links(&self) -> Vec<&Link> {
        self.links.iter().filter(|l| l.status == "active").collect()
    }

    fn receipt_for(&self, question: &str) -> Option<&SentBallot> {
        self.sent.iter().find(|b| b.question == question)
    }

    /// A proposal a member here may vote on from home: the linked commune's, still open.
    fn votable(&self, q: &RemoteQuestionRow) -> bool {
        self.commune.as_deref() == Some(q.actor.as_str()) && q.closed_at.is_none()
    }

    /// Whether a remote proposal is a yes/no/abstain vote (else one option is chosen).
    fn yes_no(&self, q: &RemoteQuestionRow) -> bool {
        q.options.iter().map(|(name, _)| name.as_str()).eq(["Yes", "No", "Abstain"])
    }

    fn amount(&self, t: &PeerTransfer) -> String {
        let scale = self.scales.iter().find(|(id, _)| i64::from(*id) == t.ledger).map_or(2, |(_, s)| *s);
        format!("{} {}", commune_domain::ledger::amount::format(i128::from(t.amount), scale), t.currency)
    }

    fn credit(&self, c: &transfers::Credit) -> String {
        let scale = self.scales.first().map_or(2, |(_, s)| *s);
        format!("{} {}", commune_domain::ledger::amount::format(i128::from(c.available_minor), scale), c.currency)
    }
}

async fn federation_page(state: &AppState, web: &Web, slug: &str) -> Result<FederationPage, super::WebError> {
    let (org, view) = federation::overview(state, &web.caller, slug).await?;
    let steward = web.caller.authorize(state, Some(&org), Action::ManageTokens).await.is_ok();
    let links = chapters::links(state, &web.caller, slug).await?;
    let commune = links.iter().find(|l| l.side == "chapter" && l.status == "active").map(|l| l.remote.clone());
    let sent = match web.caller.member() {
        Some(_) => chapters::sent_ballots(state, &web.caller, slug).await?,
        None => Vec::new(),
    };
    let transfers = transfers::list(state, &web.caller, slug).await?;
    let ledgers = state.store.ledgers().await.map_err(commune_app::AppError::from)?;
    let mut credits = Vec::new();
    if let Some(ledger) = ledgers.first() {
        for link in links.iter().filter(|l| l.status == "active") {
            credits.push(transfers::available(state, &link.remote, ledger).await?);
        }
    }
    Ok(FederationPage {
        page: web.page("Fediverse", "orgs"),
        org,
        view,
        steward,
        errors: Vec::new(),
        form_account: String::new(),
        links,
        commune,
        sent,
        transfers,
        credits,
        scales: ledgers.iter().map(|l| (l.id, l.scale)).collect(),
    })
}

/// The page again with a form's problems, answered 422.
async fn with_problems(state: &AppState, web: &Web, slug: &str, e: commune_app::AppError) -> WebResult {
    let mut page = federation_page(state, web, slug).await?;
    page.errors = form_problems(e)?;
    Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
}

fn back(slug: &str) -> WebResult {
    Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response())
}

/// A form's answer: back to the page, or the page again with what went wrong.
async fn done<T>(state: &AppState, web: &Web, slug: &str, result: Result<T, commune_app::AppError>) -> WebResult {
    match result {
        Ok(_) => back(slug),
        Err(e) => with_problems(state, web, slug, e).await,
    }
}

/// `POST /orgs/{slug}/federation/links`: the commune agrees to a chapter; a chapter links to
/// its commune (again: syncs its roster).
pub async fn link(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    let account = field(&pairs, "account");
    let org = state.store.org_by_slug(&slug).await.map_err(commune_app::AppError::from)?;
    let result = match org.map(|o| o.kind) {
        Some(OrgKind::Commune) => {
            let cap = match field(&pairs, "max_members").trim() {
                "" => None,
                raw => Some(raw.parse::<i64>().unwrap_or(0)),
            };
            chapters::offer_chapter(&state, &web.caller, &slug, account, cap).await.map(|_| ())
        }
        _ => chapters::link_commune(&state, &web.caller, &slug, account).await.map(|_| ()),
    };
    done(&state, &web, &slug, result).await
}

/// `POST /orgs/{slug}/federation/vote`: a member of a linked chapter votes on the commune's
/// proposal from home (`choice`: `yes`, `no`, `abstain`, or an option's number).
pub async fn vote(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    let choice = field(&pairs, "choice");
    let ballot = match choice {
        "yes" | "no" | "abstain" => serde_json::json!({ "kind": "yes_no", "stance": choice }),
        n => match n.parse::<usize>() {
            Ok(option) => serde_json::json!({ "kind": "single", "option": option }),
            Err(_) => serde_json::json!({}),
        },
    };
    done(
        &state,
        &web,
        &slug,
        chapters::cast_remote(&state, &web.caller, &slug, field(&pairs, "question"), &ballot).await,
    )
    .await
}

/// `POST /orgs/{slug}/federation/transfers`: send money to a linked organisation.
pub async fn send(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    let input = transfers::SendInput {
        to: field(&pairs, "to").to_owned(),
        amount: Some(field(&pairs, "amount").to_owned()),
        timeout_s: field(&pairs, "timeout_s").trim().parse().ok(),
        memo: field(&pairs, "memo").to_owned(),
        ..Default::default()
    };
    done(&state, &web, &slug, transfers::send(&state, &web.caller, &slug, input).await).await
}

/// `POST /orgs/{slug}/federation/credit`: extend (or withdraw) a linked organisation's credit.
pub async fn credit(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    let input = transfers::CreditInput {
        remote: field(&pairs, "remote").to_owned(),
        amount: Some(field(&pairs, "amount").to_owned()),
        withdraw: field(&pairs, "change") == "withdraw",
        ..Default::default()
    };
    done(&state, &web, &slug, transfers::extend_credit(&state, &web.caller, &slug, input).await).await
}

/// `GET /orgs/{slug}/federation`.
pub async fn page(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&federation_page(&state, &web, &slug).await?))
}

/// `POST /orgs/{slug}/federation/publish`: on or off.
pub async fn publish(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    federation::set_publish(&state, &web.caller, &slug, field(&pairs, "publish") == "on").await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response())
}

/// `POST /orgs/{slug}/federation/follow`: follow `name@host`.
pub async fn follow(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    match federation::follow(&state, &web.caller, &slug, field(&pairs, "account")).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response()),
        Err(e) => {
            let mut page = federation_page(&state, &web, &slug).await?;
            page.errors = form_problems(e)?;
            page.form_account = field(&pairs, "account").to_owned();
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

/// `POST /orgs/{slug}/federation/unfollow`.
pub async fn unfollow(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    federation::unfollow(&state, &web.caller, &slug, field(&pairs, "actor")).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/federation")).into_response())
}
