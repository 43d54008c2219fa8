//! The stewards' webhook pages: an organisation's endpoints with the subscribe form (the signing
//! secret shown once), and per endpoint its delivery log — each message's event, state, attempts
//! and last answer — with replay, secret rotation and disabling. The JSON API does the same under
//! `/api/v1/orgs/{slug}/webhooks`.

use super::frame::{Pairs, field, form_problems, with_status};
use super::{Page, Web, WebResult, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use commune_app::service;
use commune_app::state::AppState;
use commune_app::webhooks::{self, SubscribeInput};
use commune_domain::authz::Action;
use commune_domain::webhooks::EventType;
use commune_store::{Org, WebhookEndpoint, WebhookMessage};

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    page: Page,
    org: Org,
    endpoints: Vec<WebhookEndpoint>,
    /// Every event type with what it carries, and whether the form has it ticked.
    events: Vec<(&'static str, &'static str, bool)>,
    /// A new endpoint's id and secret, shown this once.
    created: Option<(String, String)>,
    form_url: String,
    form_description: String,
    errors: Vec<String>,
}

async fn list_page(state: &AppState, web: &Web, slug: &str) -> Result<WebhooksPage, super::WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ManageTokens).await?;
    Ok(WebhooksPage {
        page: web.page("Webhooks", "orgs"),
        endpoints: webhooks::list(state, &web.caller, slug).await?,
        org,
        events: EventType::ALL.iter().map(|e| (e.as_str(), e.describe(), false)).collect(),
        created: None,
        form_url: String::new(),
        form_description: String::new(),
        errors: Vec::new(),
    })
}

/// `GET /orgs/{slug}/webhooks`.
pub async fn list(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&list_page(&state, &web, &slug).await?))
}

/// `POST /orgs/{slug}/webhooks`: subscribe an endpoint; its secret is shown this once.
pub async fn subscribe(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    let form: Pairs = pairs;
    web.check_csrf(field(&form, "csrf"))?;
    let events: Vec<String> = form.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect();
    let input = SubscribeInput {
        url: field(&form, "url").to_owned(),
        description: field(&form, "description").to_owned(),
        events: events.clone(),
    };
    let result = webhooks::subscribe(&state, &web.caller, &slug, &input).await;
    let mut page = list_page(&state, &web, &slug).await?;
    match result {
        Ok(made) => {
            page.created = Some((made.endpoint.id, made.secret));
            Ok((StatusCode::CREATED, render(&page)).into_response())
        }
        Err(e) => {
            page.errors = form_problems(e)?;
            page.form_url = input.url;
            page.form_description = input.description;
            for (name, _, checked) in &mut page.events {
                *checked = events.iter().any(|e| e == name);
            }
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct EndpointPage {
    page: Page,
    org: Org,
    endpoint: WebhookEndpoint,
    messages: Vec<WebhookMessage>,
    /// Delivered, pending and dead among the messages shown.
    counts: (usize, usize, usize),
    /// A rotated secret, shown this once.
    secret: Option<String>,
}

async fn endpoint_page(state: &AppState, web: &Web, slug: &str, id: &str) -> Result<EndpointPage, super::WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ManageTokens).await?;
    let endpoint = webhooks::list(state, &web.caller, slug)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(commune_app::error::AppError::NotFound("webhook endpoint"))?;
    let messages = webhooks::messages(state, &web.caller, slug, id).await?;
    let count = |s: &str| messages.iter().filter(|m| m.status == s).count();
    Ok(EndpointPage {
        page: web.page("Webhook deliveries", "orgs"),
        counts: (count("delivered"), count("pending"), count("dead")),
        org,
        endpoint,
        messages,
        secret: None,
    })
}

/// `GET /orgs/{slug}/webhooks/{id}`: the endpoint's delivery log, newest first.
pub async fn endpoint(State(state): State<AppState>, web: Web, Path((slug, id)): Path<(String, String)>) -> WebResult {
    Ok(render(&endpoint_page(&state, &web, &slug, &id).await?))
}

/// `POST /orgs/{slug}/webhooks/{id}/messages/{message}/replay`: send a delivered or dead message again.
pub async fn replay(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id, message)): Path<(String, String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    webhooks::replay(&state, &web.caller, &slug, &id, &message).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/webhooks/{id}?done=replayed")).into_response())
}

/// `POST /orgs/{slug}/webhooks/{id}/secret`: a new secret, shown this once (the old one signs
/// beside it for a day).
pub async fn rotate(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    let secret = webhooks::rotate_secret(&state, &web.caller, &slug, &id).await?;
    let mut page = endpoint_page(&state, &web, &slug, &id).await?;
    page.secret = Some(secret);
    Ok(render(&page))
}

/// `POST /orgs/{slug}/webhooks/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    webhooks::disable(&state, &web.caller, &slug, &id).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/webhooks?done=disabled")).into_response())
}
