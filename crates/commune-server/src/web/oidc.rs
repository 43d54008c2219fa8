//! "Sign in with Commune": the consent page of the OpenID Connect authorization flow, the
//! sign-out confirmation of RP-initiated logout, the stewards' page of registered apps and the
//! member's page of apps they signed in to. The protocol's JSON endpoints live in `crate::oauth`.

use super::frame::{Pairs, field, form_problems, with_status};
use super::{Page, Web, WebResult, render};
use crate::error::AppError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use commune_app::oidc::clients::{self, RegisterClientInput};
use commune_app::oidc::flow::{self, Authorize, ConsentView, Logout};
use commune_app::service;
use commune_app::state::AppState;
use commune_domain::authz::Action;
use commune_store::{MemberApp, OidcClient, Org};

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    page: Page,
    view: ConsentView,
}

/// `scheme://authority` of an absolute URI.
fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}

/// A page whose form's answer redirects to `target`: its CSP allows that origin for forms.
fn allowing_form_to(mut response: Response, target: &str) -> Response {
    let csp = origin(target).map(|o| crate::headers::csp_with_form_action(&o));
    if let Some(value) = csp.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn answer(web: &Web, next: Authorize) -> WebResult {
    Ok(match next {
        Authorize::Login => Redirect::to("/login").into_response(),
        Authorize::SignInAgain(next) => {
            Redirect::to(&format!("/login?again=1&next={}", flow::encode(&next))).into_response()
        }
        Authorize::Redirect(uri) => Redirect::to(&uri).into_response(),
        Authorize::Refuse(why) => return Err(AppError::bad_request("invalid_request", why).into()),
        Authorize::Consent(view) => {
            let target = view.redirect_uri.clone();
            let page =
                render(&ConsentPage { page: web.page(format!("Sign in to {}", view.client_name), "home"), view });
            allowing_form_to(page, &target)
        }
    })
}

/// `GET /oauth/authorize`.
pub async fn authorize(
    State(state): State<AppState>,
    web: Web,
    Query(params): Query<Vec<(String, String)>>,
) -> WebResult {
    let next = flow::authorize(&state, &web.caller, &params, commune_store::now_ms()).await;
    answer(&web, next)
}

/// `POST /oauth/authorize`: the consent form (`decision` = allow or deny, with the request).
pub async fn decide(
    State(state): State<AppState>,
    web: Web,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    web.check_csrf(&get("csrf"))?;
    let allow = get("decision") == "allow";
    let params: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "csrf" && k != "decision").cloned().collect();
    let next = flow::decide(&state, &web.caller, &params, allow, commune_store::now_ms()).await;
    answer(&web, next)
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    page: Page,
    action: String,
    question: String,
    detail: String,
    button: String,
    back: String,
    fields: Vec<(String, String)>,
}

async fn sign_out(state: &AppState, web: &Web, params: Vec<(String, String)>, confirmed: bool) -> WebResult {
    match flow::logout(state, &web.caller, &params, confirmed, commune_store::now_ms()).await {
        Logout::Done(uri) => {
            let mut response = Redirect::to(&uri).into_response();
            let gone = crate::auth::set_cookie(crate::auth::SESSION_COOKIE, "", 0, state.config.secure_cookies);
            if let Ok(value) = gone.parse() {
                response.headers_mut().append(axum::http::header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Logout::Refuse(why) => Err(AppError::bad_request("invalid_request", why).into()),
        Logout::Confirm { client_name, params, back } => {
            let detail = match client_name {
                Some(name) => format!("{name} asked to sign you out of Commune."),
                None => "An app asked to sign you out of Commune.".into(),
            };
            let mut fields = params;
            fields.push(("csrf".into(), web.csrf.clone()));
            let page = render(&ConfirmPage {
                page: web.page("Sign out", "home"),
                action: "/oauth/logout".into(),
                question: "Sign out of Commune on this browser?".into(),
                detail,
                button: "Sign out".into(),
                back: "/".into(),
                fields,
            });
            Ok(match back {
                Some(target) => allowing_form_to(page, &target),
                None => page,
            })
        }
    }
}

/// `GET /oauth/logout` (RP-initiated logout).
pub async fn logout(State(state): State<AppState>, web: Web, Query(params): Query<Vec<(String, String)>>) -> WebResult {
    sign_out(&state, &web, params, false).await
}

/// `POST /oauth/logout`: the confirmation.
pub async fn logout_confirmed(
    State(state): State<AppState>,
    web: Web,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.clone()).unwrap_or_default();
    web.check_csrf(&csrf)?;
    let params = pairs.into_iter().filter(|(k, _)| k != "csrf" && k != "confirmed").collect();
    sign_out(&state, &web, params, true).await
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    page: Page,
    org: Org,
    apps: Vec<OidcClient>,
    issuer: String,
    created: Option<(String, Option<String>)>,
    form_name: String,
    form_uris: String,
    form_logout: String,
    errors: Vec<String>,
}

async fn apps_page(state: &AppState, web: &Web, slug: &str) -> Result<AppsPage, super::WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ManageTokens).await?;
    let apps = clients::list(state, &web.caller, slug).await?;
    Ok(AppsPage {
        page: web.page("Sign-in apps", "orgs"),
        org,
        apps,
        issuer: state.config.public_url.clone(),
        created: None,
        form_name: String::new(),
        form_uris: String::new(),
        form_logout: String::new(),
        errors: Vec::new(),
    })
}

/// `GET /orgs/{slug}/apps`: the organisation's apps that sign members in with Commune.
pub async fn apps(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&apps_page(&state, &web, &slug).await?))
}

/// `POST /orgs/{slug}/apps`: register an app; a confidential app's secret is shown this once.
pub async fn register(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    let form: Pairs = pairs;
    web.check_csrf(field(&form, "csrf"))?;
    let lines = |name: &str| field(&form, name).split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    let input = RegisterClientInput {
        name: field(&form, "name").to_owned(),
        kind: field(&form, "kind").to_owned(),
        redirect_uris: lines("redirect_uris"),
        post_logout_redirect_uris: lines("post_logout_redirect_uris"),
    };
    let result = clients::register(&state, &web.caller, &slug, &input).await;
    let mut page = apps_page(&state, &web, &slug).await?;
    match result {
        Ok(made) => {
            page.created = Some((made.client.id, made.secret));
            Ok((StatusCode::CREATED, render(&page)).into_response())
        }
        Err(e) => {
            page.errors = form_problems(e)?;
            page.form_name = field(&form, "name").to_owned();
            page.form_uris = field(&form, "redirect_uris").to_owned();
            page.form_logout = field(&form, "post_logout_redirect_uris").to_owned();
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

/// `POST /orgs/{slug}/apps/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id)): Path<(String, String)>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> WebResult {
    web.check_csrf(field(&pairs, "csrf"))?;
    clients::revoke(&state, &web.caller, &slug, &id).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/apps?done=revoked")).into_response())
}

#[derive(Template)]
#[template(path = "my_apps.html")]
struct MyAppsPage {
    page: Page,
    apps: Vec<MemberApp>,
}

/// `GET /settings/apps`: the apps the member signed in to with Commune.
pub async fn my_apps(State(state): State<AppState>, web: Web) -> WebResult {
    let apps = clients::my_apps(&state, &web.caller).await?;
    Ok(render(&MyAppsPage { page: web.page("Apps you signed in to", "settings"), apps }))
}

/// `POST /settings/apps/{client_id}/revoke`: forget the consent and end the app's grants.
pub async fn forget(
    State(state): State<AppState>,
    web: Web,
    Path(client_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, super::WebError> {
    web.check_csrf(field(&pairs, "csrf"))?;
    clients::forget_app(&state, &web.caller, &client_id).await?;
    Ok(Redirect::to("/settings/apps?done=revoked").into_response())
}
