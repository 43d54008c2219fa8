//! The docket (what needs the member's vote), first-run setup and the demo commune.

use crate::auth::{SESSION_COOKIE, client_key, set_cookie};
use crate::web::frame::{CsrfOnly, Form, Page, Web, WebResult, form_problems, render, with_status};
use askama::Template;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use commune_app::service::{self, SetupInput, SignupInput};
use commune_app::state::AppState;
use commune_store::{JoinRequest, Membership};

/// Signs in and redirects to `to`, setting the session cookie.
pub(crate) async fn sign_in_and_go(
    state: &AppState,
    handle: &str,
    password: &str,
    origin: service::Origin<'_>,
    to: &str,
) -> WebResult {
    let session = service::login(state, handle, password, origin).await?;
    Ok(go_with_session(state, &session, to))
}

/// Redirects to `to` with a new session's cookie.
pub(crate) fn go_with_session(state: &AppState, session: &service::NewSession, to: &str) -> Response {
    let cookie =
        set_cookie(SESSION_COOKIE, &session.secret, state.config.session_ttl_ms / 1000, state.config.secure_cookies);
    (AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to(to)).into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
pub(crate) struct HomePage {
    pub(crate) page: Page,
    pub(crate) docket: Vec<commune_store::Proposal>,
    pub(crate) memberships: Vec<Membership>,
    pub(crate) requests: Vec<(String, JoinRequest)>,
    /// A new commune's first steps, for its stewards until they are all done.
    pub(crate) steps: Option<Vec<commune_app::admin::Step>>,
    /// What needs the member now (the inbox's "needs you").
    pub(crate) needs: commune_app::inbox::NeedsYou,
    /// Proposals in discussion and fresh results from the member's organisations.
    pub(crate) discussing: Vec<commune_store::Proposal>,
    pub(crate) fresh: Vec<commune_store::Proposal>,
}

pub async fn home(State(state): State<AppState>, web: Web) -> WebResult {
    if service::needs_setup(&state).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let Some(me) = web.caller.member() else {
        return Ok(render(&HomePage {
            page: web.page("Docket", "home"),
            docket: Vec::new(),
            memberships: Vec::new(),
            requests: Vec::new(),
            steps: None,
            needs: Default::default(),
            discussing: Vec::new(),
            fresh: Vec::new(),
        }));
    };
    let now = commune_store::now_ms();
    let docket = commune_app::governance::docket(&state, &me.member.id, now).await?;
    let (discussing, fresh) = commune_app::governance::around(&state, &me.member.id, now).await?;
    Ok(render(&HomePage {
        page: web.page("Docket", "home"),
        docket,
        memberships: state.store.memberships_of(&me.member.id).await?,
        requests: state.store.pending_requests_for_steward(&me.member.id).await?,
        steps: commune_app::admin::first_steps(&state, &web.caller).await?,
        needs: commune_app::inbox::needs_you(&state, &me.member.id).await?,
        discussing,
        fresh,
    }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) commune_name: String,
    #[serde(default)]
    pub(crate) commune_slug: String,
    #[serde(default)]
    pub(crate) commune_place: String,
    #[serde(default)]
    pub(crate) handle: String,
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) password: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub(crate) struct SetupPage {
    pub(crate) page: Page,
    pub(crate) form: SetupForm,
    pub(crate) errors: Vec<String>,
}

pub async fn setup_page(State(state): State<AppState>, web: Web) -> WebResult {
    if !service::needs_setup(&state).await? {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(render(&SetupPage { page: web.page("First run", "home"), form: SetupForm::default(), errors: Vec::new() }))
}

pub async fn setup(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<SetupForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = SetupInput {
        commune_name: form.commune_name.clone(),
        commune_slug: form.commune_slug.clone(),
        commune_place: form.commune_place.clone(),
        steward: SignupInput {
            handle: form.handle.clone(),
            display_name: form.display_name.clone(),
            password: form.password.clone(),
            ..Default::default()
        },
    };
    match service::setup(&state, &input).await {
        Ok((member, _)) => {
            let client = client_key(&ext);
            let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
            sign_in_and_go(&state, &member.handle, &form.password, origin, "/?done=setup").await
        }
        Err(e) => {
            let errors = form_problems(e)?;
            let form = SetupForm { password: String::new(), ..form };
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&SetupPage { page: web.page("First run", "home"), form, errors }),
            ))
        }
    }
}

pub async fn setup_demo(State(state): State<AppState>, web: Web, Form(form): Form<CsrfOnly>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    commune_app::demo::load(&state).await?;
    Ok(Redirect::to("/login?done=demo").into_response())
}
