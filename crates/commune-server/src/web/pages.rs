//! Page handlers. Each one maps a request to a `commune_app::service` call and renders a template or
//! redirects (POST → 303 → GET, so reloading never re-submits).

use super::frame::{Form, Page, Web, WebError, WebResult, render};
use crate::auth::{SESSION_COOKIE, client_key, set_cookie};
use crate::error::AppError;
use commune_app::service::{self, CreateOrgInput, CreateTokenInput, ProfileUpdate, SetupInput, SignupInput};
use commune_app::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use commune_domain::authz::Action;
use commune_domain::org::{JoinStatus, Role};
use commune_domain::token::Scope;
use commune_store::{ApiToken, JoinRequest, Member, Membership, Org, OrgMember};

/// Re-renders a form with its problems (422) when the error is the user's to fix; other errors
/// become error pages.
pub(crate) fn form_problems(err: AppError) -> Result<Vec<String>, WebError> {
    match err {
        AppError::Invalid(v) => Ok(v.0.iter().map(|i| i.to_string()).collect()),
        e @ (AppError::Conflict(_) | AppError::Rule(_) | AppError::BadCredentials | AppError::RateLimited { .. }) => {
            Ok(vec![e.to_string()])
        }
        other => Err(other.into()),
    }
}

fn with_status(status: StatusCode, response: Response) -> Response {
    (status, response).into_response()
}

/// Signs in and redirects to `to`, setting the session cookie.
async fn sign_in_and_go(
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
fn go_with_session(state: &AppState, session: &service::NewSession, to: &str) -> Response {
    let cookie =
        set_cookie(SESSION_COOKIE, &session.secret, state.config.session_ttl_ms / 1000, state.config.secure_cookies);
    (AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to(to)).into_response()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    docket: Vec<commune_store::Proposal>,
    memberships: Vec<Membership>,
    requests: Vec<(String, JoinRequest)>,
}

pub async fn home(State(state): State<AppState>, web: Web) -> WebResult {
    if service::needs_setup(&state).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let (docket, memberships, requests) = match web.caller.member() {
        Some(me) => (
            commune_app::governance::docket(&state, &me.member.id, commune_store::now_ms()).await?,
            state.store.memberships_of(&me.member.id).await?,
            state.store.pending_requests_for_steward(&me.member.id).await?,
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    Ok(render(&HomePage { page: web.page("Docket", "home"), docket, memberships, requests }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    commune_name: String,
    #[serde(default)]
    commune_slug: String,
    #[serde(default)]
    commune_place: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    page: Page,
    form: SetupForm,
    errors: Vec<String>,
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

/// A form that carries only its CSRF token (buttons that post).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

pub async fn setup_demo(State(state): State<AppState>, web: Web, Form(form): Form<CsrfOnly>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    commune_app::demo::load(&state).await?;
    Ok(Redirect::to("/login?done=demo").into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    domains: String,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    page: Page,
    form: SignupForm,
    errors: Vec<String>,
}

pub async fn signup_page(web: Web) -> WebResult {
    Ok(render(&SignupPage { page: web.page("Join", "home"), form: SignupForm::default(), errors: Vec::new() }))
}

pub async fn signup(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<SignupForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let client = client_key(&ext);
    let input = SignupInput {
        handle: form.handle.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        bio: String::new(),
        place: form.place.clone(),
        domains: vec![form.domains.clone()],
    };
    match service::signup(&state, &input, client.as_deref()).await {
        Ok(member) => {
            let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
            sign_in_and_go(&state, &member.handle, &form.password, origin, "/?done=welcome").await
        }
        Err(e) => {
            let errors = form_problems(e)?;
            let form = SignupForm { password: String::new(), ..form };
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&SignupPage { page: web.page("Join", "home"), form, errors }),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    handle: String,
    next: String,
    expired: bool,
    errors: Vec<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

pub async fn login_page(web: Web, Query(q): Query<LoginQuery>) -> WebResult {
    let page = LoginPage {
        page: web.page("Log in", "home"),
        handle: String::new(),
        next: q.next.map(|n| safe_next(&n).to_owned()).filter(|n| n != "/?done=login").unwrap_or_default(),
        expired: q.expired.is_some(),
        errors: Vec::new(),
    };
    Ok(render(&page))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only same-origin paths are followed after logging in, never another host: a path that starts
/// with one `/` (not `//`, which browsers read as another host), with no backslash (some browsers
/// read it as a slash) and no control character or space (browsers drop tabs and newlines, which
/// turns `/\t/evil.example` into `//evil.example`, and a newline would break the header).
pub fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let same_origin = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && next.len() <= 2_000
        && !next.bytes().any(|b| b == b'\\' || b.is_ascii_control() || b == b' ' || b >= 0x80);
    if same_origin { next } else { "/?done=login" }
}

pub async fn login(
    State(state): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<LoginForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let client = client_key(&ext);
    let origin = service::Origin { client: client.as_deref(), user_agent: crate::auth::user_agent(&headers) };
    match sign_in_and_go(&state, &form.handle, &form.password, origin, safe_next(&form.next)).await {
        Ok(response) => Ok(response),
        Err(WebError(e)) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            let page = LoginPage {
                page: web.page("Log in", "home"),
                handle: form.handle,
                next: safe_next(&form.next).to_owned(),
                expired: false,
                errors,
            };
            Ok(with_status(status, render(&page)))
        }
    }
}

pub async fn logout(State(state): State<AppState>, web: Web, Form(form): Form<CsrfOnly>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    if let Some(me) = web.caller.member() {
        service::logout(&state, me).await?;
    }
    let cookie = set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies);
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Redirect::to("/?done=logout")).into_response())
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    page: Page,
    members: Vec<Member>,
    total: i64,
    prev_offset: Option<i64>,
    next_offset: Option<i64>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct Offset {
    offset: Option<i64>,
}

const MEMBERS_PER_PAGE: i64 = 60;

pub async fn members(State(state): State<AppState>, web: Web, Query(q): Query<Offset>) -> WebResult {
    web.caller.authorize(&state, None, Action::ReadDirectory).await?;
    let offset = q.offset.unwrap_or(0).max(0);
    let members = state.store.list_members(MEMBERS_PER_PAGE, offset).await?;
    let total = state.store.count(commune_store::Counted::Members).await?;
    let prev_offset = (offset > 0).then(|| (offset - MEMBERS_PER_PAGE).max(0));
    let next_offset = (offset + MEMBERS_PER_PAGE < total).then_some(offset + MEMBERS_PER_PAGE);
    Ok(render(&MembersPage { page: web.page("Members", "members"), members, total, prev_offset, next_offset }))
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    page: Page,
    card: commune_app::cards::CardView,
    member: Member,
    memberships: Vec<Membership>,
    is_self: bool,
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

#[derive(Debug, Default, serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    domains: String,
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct ProfilePage {
    page: Page,
    form: ProfileForm,
    errors: Vec<String>,
}

pub async fn profile_page(State(state): State<AppState>, web: Web) -> WebResult {
    let me = web.caller.require_member()?;
    let domains = state.store.member_by_id(&me.member.id).await?.map(|m| m.domains).unwrap_or_default();
    let form = ProfileForm {
        csrf: String::new(),
        display_name: me.member.display_name.clone(),
        bio: me.member.bio.clone(),
        place: me.member.place.clone(),
        domains: domains.join(", "),
    };
    Ok(render(&ProfilePage { page: web.page("Your profile", "members"), form, errors: Vec::new() }))
}

pub async fn profile(State(state): State<AppState>, web: Web, Form(form): Form<ProfileForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let update = ProfileUpdate {
        display_name: form.display_name.clone(),
        bio: form.bio.clone(),
        place: form.place.clone(),
        domains: vec![form.domains.clone()],
    };
    match service::update_profile(&state, &web.caller, &update).await {
        Ok(member) => Ok(Redirect::to(&format!("/m/{}?done=profile", member.handle)).into_response()),
        Err(e) => {
            let errors = form_problems(e)?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&ProfilePage { page: web.page("Your profile", "members"), form, errors }),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    page: Page,
    orgs: Vec<Org>,
    max_members: i64,
}

pub async fn orgs(State(state): State<AppState>, web: Web) -> WebResult {
    web.caller.authorize(&state, None, Action::ReadDirectory).await?;
    let orgs = state.store.list_orgs().await?;
    let max_members = orgs.iter().map(|o| o.member_count).max().unwrap_or(0);
    Ok(render(&OrgsPage { page: web.page("Organisations", "orgs"), orgs, max_members }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    description: String,
}

#[derive(Template)]
#[template(path = "org_new.html")]
struct OrgNewPage {
    page: Page,
    form: OrgForm,
    errors: Vec<String>,
}

pub async fn org_new_page(State(state): State<AppState>, web: Web) -> WebResult {
    web.caller.authorize(&state, None, Action::CreateOrg).await?;
    Ok(render(&OrgNewPage {
        page: web.page("Found an organisation", "orgs"),
        form: OrgForm::default(),
        errors: Vec::new(),
    }))
}

pub async fn org_new(State(state): State<AppState>, web: Web, Form(form): Form<OrgForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let input = CreateOrgInput {
        slug: form.slug.clone(),
        name: form.name.clone(),
        kind: form.kind.clone(),
        description: form.description.clone(),
        place: form.place.clone(),
    };
    match service::create_org(&state, &web.caller, &input).await {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}?done=org", org.slug)).into_response()),
        Err(e) => {
            let errors = form_problems(e)?;
            Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&OrgNewPage { page: web.page("Found an organisation", "orgs"), form, errors }),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    page: Page,
    org: Org,
    role: Option<Role>,
    is_steward: bool,
    stewards: usize,
    pending: usize,
    has_pending: bool,
    members: Option<Vec<OrgMember>>,
    weights: Option<commune_app::cards::WeightDistribution>,
    errors: Vec<String>,
}

async fn org_page(state: &AppState, web: &Web, slug: &str, errors: Vec<String>) -> Result<OrgPage, WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ReadDirectory).await?;
    let me = web.caller.member();
    let role = match me {
        Some(me) => state.store.role_in(&org.id, &me.member.id).await?,
        None => None,
    };
    let can_see_members = web.caller.authorize(state, Some(&org), Action::ReadOrgMembers).await.is_ok();
    let all = state.store.org_members(&org.id).await?;
    let stewards = all.iter().filter(|m| m.role == Role::Steward).count();
    let is_steward = role == Some(Role::Steward);
    let pending = if is_steward { state.store.join_requests(&org.id, JoinStatus::Pending).await?.len() } else { 0 };
    let has_pending = match me {
        Some(me) if role.is_none() => state.store.pending_request_of(&org.id, &me.member.id).await?.is_some(),
        _ => false,
    };
    let weights =
        if can_see_members { Some(commune_app::cards::distribution(state, &org, "general").await?) } else { None };
    Ok(OrgPage {
        weights,
        page: web.page(org.name.clone(), "orgs"),
        org,
        role,
        is_steward,
        stewards,
        pending,
        has_pending,
        members: can_see_members.then_some(all),
        errors,
    })
}

pub async fn org(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&org_page(&state, &web, &slug, Vec::new()).await?))
}

/// Runs an organisation action; a problem the user can fix re-renders the organisation page.
async fn org_action(state: &AppState, web: &Web, slug: &str, result: Result<(), AppError>, done: &str) -> WebResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{slug}?done={done}")).into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            Ok(with_status(status, render(&org_page(state, web, slug, errors).await?)))
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    message: String,
}

pub async fn join(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<JoinForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = service::request_to_join(&state, &web.caller, &slug, &form.message).await.map(|_| ());
    org_action(&state, &web, &slug, result, "requested").await
}

pub async fn leave(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = service::leave(&state, &web.caller, &slug).await;
    org_action(&state, &web, &slug, result, "left").await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    web: Web,
    Path((slug, handle)): Path<(String, String)>,
    Form(form): Form<RoleForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let result = service::set_role(&state, &web.caller, &slug, &handle, &form.role).await;
    org_action(&state, &web, &slug, result, "role").await
}

#[derive(Template)]
#[template(path = "requests.html")]
struct RequestsPage {
    page: Page,
    org: Org,
    requests: Vec<JoinRequest>,
}

pub async fn requests(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    let (org, requests) = service::join_requests(&state, &web.caller, &slug, JoinStatus::Pending).await?;
    Ok(render(&RequestsPage { page: web.page("Join requests", "orgs"), org, requests }))
}

pub async fn decide(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id, decision)): Path<(String, String, String)>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let admit = match decision.as_str() {
        "admit" => true,
        "reject" => false,
        _ => return Err(AppError::NotFound("page").into()),
    };
    service::decide(&state, &web.caller, &slug, &id, admit).await?;
    let done = if admit { "admitted" } else { "rejected" };
    Ok(Redirect::to(&format!("/orgs/{slug}/requests?done={done}")).into_response())
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    page: Page,
    org: Org,
    tokens: Vec<ApiToken>,
    scopes: Vec<(&'static str, &'static str)>,
    new_secret: Option<String>,
    form_name: String,
    errors: Vec<String>,
}

async fn tokens_page(state: &AppState, web: &Web, slug: &str) -> Result<TokensPage, WebError> {
    let org = service::org_for(state, &web.caller, slug, Action::ManageTokens).await?;
    let tokens = state.store.org_tokens(&org.id).await?;
    Ok(TokensPage {
        page: web.page("API tokens", "orgs"),
        org,
        tokens,
        scopes: Scope::ALL.iter().map(|s| (s.as_str(), s.describe())).collect(),
        new_secret: None,
        form_name: String::new(),
        errors: Vec::new(),
    })
}

pub async fn tokens(State(state): State<AppState>, web: Web, Path(slug): Path<String>) -> WebResult {
    Ok(render(&tokens_page(&state, &web, &slug).await?))
}

/// The token form repeats `scopes` once per ticked box, so it is read as pairs.
pub async fn create_token(
    State(state): State<AppState>,
    web: Web,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    web.check_csrf(&field("csrf"))?;
    let input = CreateTokenInput {
        name: field("name"),
        scopes: pairs.iter().filter(|(k, _)| k == "scopes").map(|(_, v)| v.clone()).collect(),
    };
    let result = service::create_token(&state, &web.caller, &slug, &input).await;
    let mut page = tokens_page(&state, &web, &slug).await?;
    match result {
        // The secret is rendered into this one response and never stored in clear.
        Ok(made) => {
            page.new_secret = Some(made.secret);
            Ok(with_status(StatusCode::CREATED, render(&page)))
        }
        Err(e) => {
            page.errors = form_problems(e)?;
            page.form_name = input.name;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, render(&page)))
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    web: Web,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    service::revoke_token(&state, &web.caller, &slug, &id).await?;
    Ok(Redirect::to(&format!("/orgs/{slug}/tokens?done=revoked")).into_response())
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    page: Page,
    overview: commune_app::admin::AdminOverview,
    chain: Option<commune_app::admin::ChainView>,
    /// A recovery link just issued: `(handle, path)`, shown this once.
    recovery: Option<(String, String)>,
}

pub async fn admin(State(state): State<AppState>, web: Web) -> WebResult {
    let overview = commune_app::admin::overview(&state, &web.caller).await?;
    Ok(render(&AdminPage { page: web.page("Admin", "admin"), overview, chain: None, recovery: None }))
}

pub async fn admin_verify(State(state): State<AppState>, web: Web, Form(form): Form<CsrfOnly>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let chain = commune_app::admin::verify_chain(&state, &web.caller).await?;
    let overview = commune_app::admin::overview(&state, &web.caller).await?;
    Ok(render(&AdminPage { page: web.page("Admin", "admin"), overview, chain: Some(chain), recovery: None }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct HandleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    handle: String,
}

/// Issues a recovery link and shows it in this one response (never stored in clear).
pub async fn admin_recovery(State(state): State<AppState>, web: Web, Form(form): Form<HandleForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let link = service::issue_recovery(&state, &web.caller, &form.handle).await?;
    let overview = commune_app::admin::overview(&state, &web.caller).await?;
    let recovery = Some((link.member.handle, format!("/recover?token={}", link.secret)));
    Ok(render(&AdminPage { page: web.page("Admin", "admin"), overview, chain: None, recovery }))
}

#[derive(Template)]
#[template(path = "security.html")]
struct SecurityPage {
    page: Page,
    sessions: Vec<commune_store::SessionInfo>,
    current: String,
    errors: Vec<String>,
}

async fn security_page(state: &AppState, web: &Web, errors: Vec<String>) -> Result<SecurityPage, WebError> {
    let (sessions, current) = service::sessions(state, &web.caller).await?;
    Ok(SecurityPage { page: web.page("Password and sessions", "members"), sessions, current, errors })
}

pub async fn security(State(state): State<AppState>, web: Web) -> WebResult {
    Ok(render(&security_page(&state, &web, Vec::new()).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(State(state): State<AppState>, web: Web, Form(form): Form<PasswordForm>) -> WebResult {
    web.check_csrf(&form.csrf)?;
    let change = service::PasswordChange { current_password: form.current_password, new_password: form.new_password };
    match service::change_password(&state, &web.caller, &change).await {
        Ok(_) => Ok(Redirect::to("/settings/security?done=password").into_response()),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            Ok(with_status(status, render(&security_page(&state, &web, errors).await?)))
        }
    }
}

pub async fn revoke_session(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    service::revoke_session(&state, &web.caller, &id).await?;
    Ok(Redirect::to("/settings/security?done=session_ended").into_response())
}

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage {
    page: Page,
    token: String,
    errors: Vec<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RecoverQuery {
    #[serde(default)]
    token: String,
}

pub async fn recover_page(web: Web, Query(q): Query<RecoverQuery>) -> WebResult {
    Ok(render(&RecoverPage { page: web.page("Recover your account", "home"), token: q.token, errors: Vec::new() }))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct RecoverForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

pub async fn recover(
    State(state): State<AppState>,
    headers: HeaderMap,
    web: Web,
    Form(form): Form<RecoverForm>,
) -> WebResult {
    web.check_csrf(&form.csrf)?;
    match service::recover(&state, &form.token, &form.new_password, crate::auth::user_agent(&headers)).await {
        Ok(session) => Ok(go_with_session(&state, &session, "/?done=recovered")),
        Err(e) => {
            let status = crate::error::status(&e);
            let errors = form_problems(e)?;
            let page = RecoverPage { page: web.page("Recover your account", "home"), token: form.token, errors };
            Ok(with_status(status, render(&page)))
        }
    }
}
