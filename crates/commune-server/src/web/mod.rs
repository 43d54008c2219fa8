//! The web UI: server-rendered pages (askama), enhanced by htmx, working without JavaScript.
//! Forms post back to the same shell operations as the API (`commune_app::service`).

mod avatar;
mod books;
mod expenses;
mod federation;
mod frame;
mod governance;
mod ideas;
mod learn;
mod merit;
mod oidc;
mod pages;
mod politics;
pub(crate) mod reference;
mod rounds;
pub mod wallet;
mod webhooks;
mod work;

use frame::AnonCsrf;
pub use frame::{
    Form, Page, Viewer, Web, WebError, WebResult, date, datetime, money_percent, percent, percent_of, plural, render,
    scale_percent,
};

use crate::auth::{CSRF_COOKIE, cookie, set_cookie};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use commune_app::secrets::random_token;
use commune_app::state::AppState;

/// Routes of the web UI.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/setup", get(pages::setup_page).post(pages::setup))
        .route("/setup/demo", post(pages::setup_demo))
        .route("/signup", get(pages::signup_page).post(pages::signup))
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/login/home", get(pages::home_sign_in))
        .route("/login/home/callback", get(pages::home_callback))
        .route("/logout", post(pages::logout))
        .route("/members", get(pages::members))
        .route("/m/{handle}", get(pages::member))
        .route("/settings/profile", get(pages::profile_page).post(pages::profile))
        .route("/settings/inbox", get(pages::inbox::prefs_page).post(pages::inbox::prefs))
        .route(
            "/settings/avatar",
            post(pages::account::avatar)
                .layer(axum::extract::DefaultBodyLimit::max(commune_domain::identity::MAX_AVATAR_BYTES + 16 * 1024)),
        )
        .route("/settings/theme", post(pages::inbox::theme))
        .route("/inbox", get(pages::inbox::inbox))
        .route("/inbox/read", post(pages::inbox::read))
        .route("/inbox/open/{id}", get(pages::inbox::open))
        .route("/map", get(politics::map))
        .route("/map/place", post(politics::set_place))
        .route("/orgs/{slug}/place", post(politics::set_org_place))
        .route(
            "/map/import",
            post(politics::import_places).layer(axum::extract::DefaultBodyLimit::max(
                commune_domain::politics::places::MAX_GEOJSON_BYTES * 3 + 64 * 1024,
            )),
        )
        .route("/seasons", get(politics::seasons_list).post(politics::create_season))
        .route("/seasons/{id}", get(politics::season))
        .route("/seasons/{id}/challenges", post(politics::challenge))
        .route("/candidates", get(politics::candidates).post(politics::add_candidate))
        .route("/candidates/{id}", get(politics::candidate))
        .route("/candidates/{id}/answers", post(politics::answer))
        .route("/candidates/{id}/endorsement", post(politics::endorse))
        .route("/candidates/{id}/funding", post(politics::fund))
        .route("/candidates/{id}/project", post(politics::campaign_project))
        .route("/questionnaire", post(politics::add_question))
        .route("/disclosures", get(politics::disclosures))
        .route("/transparency", get(politics::transparency_page).post(politics::switch_transparency))
        .route("/leverage", get(politics::leverage))
        .route(
            "/leverage/import",
            post(politics::import_elections).layer(axum::extract::DefaultBodyLimit::max(
                commune_domain::politics::elections::MAX_CSV_BYTES * 3 + 64 * 1024,
            )),
        )
        .route("/style", get(pages::style))
        .route("/orgs", get(pages::orgs))
        .route("/orgs/new", get(pages::org_new_page).post(pages::org_new))
        .route("/orgs/{slug}", get(pages::org))
        .route("/orgs/{slug}/join", post(pages::join))
        .route("/orgs/{slug}/leave", post(pages::leave))
        .route("/orgs/{slug}/members/{handle}/role", post(pages::set_role))
        .route("/orgs/{slug}/requests", get(pages::requests))
        .route("/orgs/{slug}/requests/{id}/{decision}", post(pages::decide))
        .route("/orgs/{slug}/tokens", get(pages::tokens).post(pages::create_token))
        .route("/orgs/{slug}/apps", get(oidc::apps).post(oidc::register))
        .route("/orgs/{slug}/federation", get(federation::page))
        .route("/orgs/{slug}/federation/publish", post(federation::publish))
        .route("/orgs/{slug}/federation/follow", post(federation::follow))
        .route("/orgs/{slug}/federation/unfollow", post(federation::unfollow))
        .route("/orgs/{slug}/federation/links", post(federation::link))
        .route("/orgs/{slug}/federation/vote", post(federation::vote))
        .route("/orgs/{slug}/federation/transfers", post(federation::send))
        .route("/orgs/{slug}/federation/credit", post(federation::credit))
        .route("/orgs/{slug}/apps/{id}/revoke", post(oidc::revoke))
        .route("/orgs/{slug}/webhooks", get(webhooks::list).post(webhooks::subscribe))
        .route("/orgs/{slug}/webhooks/{id}", get(webhooks::endpoint))
        .route("/orgs/{slug}/webhooks/{id}/secret", post(webhooks::rotate))
        .route("/orgs/{slug}/webhooks/{id}/disable", post(webhooks::disable))
        .route("/orgs/{slug}/webhooks/{id}/messages/{message}/replay", post(webhooks::replay))
        .route("/settings/apps", get(oidc::my_apps))
        .route("/settings/apps/{client_id}/revoke", post(oidc::forget))
        .route("/oauth/authorize", get(oidc::authorize).post(oidc::decide))
        .route("/oauth/logout", get(oidc::logout).post(oidc::logout_confirmed))
        .route("/orgs/{slug}/invites", get(pages::invites::list).post(pages::invites::create))
        .route("/orgs/{slug}/invites/{id}/revoke", post(pages::invites::revoke))
        .route("/join/{secret}", get(pages::invites::landing).post(pages::invites::accept))
        .route("/orgs/{slug}/rounds", get(rounds::list).post(rounds::create))
        .route("/rounds/{id}", get(rounds::show))
        .route("/rounds/{id}/projects", post(rounds::propose))
        .route("/rounds/{id}/advance", post(rounds::advance))
        .route("/rounds/{id}/ballot", post(rounds::cast))
        .route("/rounds/{id}/export.pb", get(rounds::export))
        .route("/round-projects/{id}/review", post(rounds::review))
        .route("/orgs/{slug}/funding", get(rounds::funding_list).post(rounds::funding_create))
        .route("/funding/{id}", get(rounds::funding_show))
        .route("/funding/{id}/{action}", post(rounds::funding_action))
        .route("/round-projects/{id}/delivery", post(rounds::deliver))
        .route("/ideas", get(ideas::hub))
        .route("/orgs/{slug}/problems", get(ideas::problem_log).post(ideas::log_problem))
        .route("/problems/{id}", get(ideas::problem))
        .route("/problems/{id}/{action}", post(ideas::problem_action))
        .route("/journal", get(ideas::journal_view).post(ideas::journal_add))
        .route("/journal/{id}/{action}", post(ideas::journal_action))
        .route("/orgs/{slug}/ideas", get(ideas::idea_board).post(ideas::post_idea))
        .route("/ideas/{id}", get(ideas::idea))
        .route("/ideas/{id}/{action}", post(ideas::idea_action))
        .route("/comments/{id}/rate", post(ideas::rate_comment))
        .route("/orgs/{slug}/conversations", get(ideas::maps).post(ideas::open_map))
        .route("/conversations/{id}", get(ideas::map))
        .route("/conversations/{id}/statements", post(ideas::submit_statement))
        .route("/statements/{id}/{action}", post(ideas::statement_action))
        .route("/orgs/{slug}/analytics", get(ideas::dashboard))
        .route("/orgs/{slug}/analytics.csv", get(ideas::dashboard_csv))
        .route("/numbers", get(ideas::numbers))
        .route("/admin/numbers", post(ideas::switch_numbers))
        .route("/orgs/{slug}/learn", get(learn::hub))
        .route("/orgs/{slug}/learn/docs", post(learn::create_doc))
        .route("/orgs/{slug}/learn/courses", post(learn::create_course))
        .route("/orgs/{slug}/learn/questions", post(learn::create_question))
        .route("/orgs/{slug}/learn/circles", post(learn::create_circle))
        .route("/learn", get(learn::mine))
        .route("/learn/settings", post(learn::settings))
        .route("/learn/{id}", get(learn::doc))
        .route("/learn/{id}/edit", post(learn::edit_doc))
        .route("/learn/{id}/{action}", post(learn::doc_action))
        .route("/revisions/{id}/decision", post(learn::decide_revision))
        .route("/answers/{id}/review", post(learn::review_answer))
        .route("/review", get(learn::review_queue))
        .route("/cards/{id}/review", post(learn::review_card))
        .route("/courses/{id}", get(learn::course))
        .route("/courses/{id}/exercises", post(learn::add_exercise))
        .route("/exercises/{id}/attempt", post(learn::attempt))
        .route("/questions/{id}", get(learn::question))
        .route("/questions/{id}/{action}", post(learn::question_action))
        .route("/circles/{id}", get(learn::circle))
        .route("/circles/{id}/{action}", post(learn::circle_action))
        .route("/orgs/{slug}/work", get(work::board))
        .route("/orgs/{slug}/tasks", post(work::create_task))
        .route("/orgs/{slug}/projects", post(work::create_project))
        .route("/orgs/{slug}/capacity", post(work::set_capacity))
        .route("/orgs/{slug}/assignment", post(work::plan))
        .route("/projects/{id}/payouts", post(work::pay))
        .route("/tasks/{id}", get(work::show))
        .route("/tasks/{id}/step", post(work::step))
        .route("/tasks/{id}/edit", post(work::edit))
        .route("/tasks/{id}/review", post(work::review))
        .route("/tasks/{id}/comments", post(work::comment))
        .route("/tasks/{id}/impact", post(work::impact))
        .route("/tasks/{id}/worklogs", post(work::log_hours))
        .route("/work", get(work::mine))
        .route("/orgs/{slug}/budgets", get(expenses::budgets).post(expenses::create_budget))
        .route("/orgs/{slug}/expenses", get(expenses::list).post(expenses::create))
        .route("/expenses/{id}", get(expenses::show))
        .route(
            "/expenses/{id}/receipts",
            post(expenses::upload).layer(axum::extract::DefaultBodyLimit::max(
                commune_domain::capital::expense::MAX_RECEIPT_BYTES + 16 * 1024,
            )),
        )
        .route("/expenses/{id}/{step}", post(expenses::step))
        .route("/receipts/{id}", get(expenses::receipt))
        .route("/orgs/{slug}/patronage", get(expenses::patronage).post(expenses::declare_patronage))
        .route("/orgs/{slug}/redemptions", post(expenses::redeem))
        .route("/join/{secret}/signup", post(pages::invites::signup_and_join))
        .route("/orgs/{slug}/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/orgs/{slug}/proposals", get(governance::list))
        .route("/orgs/{slug}/proposals/new", get(governance::new_form).post(governance::create))
        .route("/orgs/{slug}/delegations", get(governance::delegations).post(governance::delegate))
        .route("/delegations/{id}/revoke", post(governance::revoke))
        .route("/p/{id}", get(governance::show))
        .route("/p/{id}/vote", post(governance::vote))
        .route("/p/{id}/edit", get(governance::edit_form).post(governance::update))
        .route("/p/{id}/publish", post(governance::publish))
        .route("/p/{id}/cancel", post(governance::cancel))
        .route("/p/{id}/comment", post(governance::comment))
        .route("/orgs/{slug}/meetings", get(merit::meetings).post(merit::open))
        .route("/meetings/{id}", get(merit::show))
        .route("/meetings/{id}/grid", get(merit::grid_fragment))
        .route("/meetings/{id}/dot", post(merit::dot))
        .route("/meetings/{id}/join", post(merit::join))
        .route("/meetings/{id}/end", post(merit::end))
        .route("/wallet", get(wallet::wallet))
        .route("/wallet/send", post(wallet::send))
        .route("/wallet/request", post(wallet::request))
        .route("/wallet/payout", post(wallet::payout))
        .route("/wallet/hold", post(wallet::hold))
        .route("/wallet/requests/{id}/{action}", post(wallet::request_action))
        .route("/wallet/holds/{id}/{action}", post(wallet::hold_action))
        .route("/orgs/{slug}/treasury", get(wallet::treasury))
        .route("/orgs/{slug}/treasury.csv", get(wallet::treasury_csv))
        .route("/orgs/{slug}/budgets.csv", get(expenses::budgets_csv))
        .route("/orgs/{slug}/treasury/{action}", post(wallet::treasury_action))
        .route("/admin", get(pages::admin))
        .route("/admin/verify", post(pages::admin_verify))
        .route("/admin/books", get(books::books))
        .route("/admin/books/deposit", post(books::deposit))
        .route("/admin/books/payout", post(books::payout))
        .route("/admin/recovery", post(pages::admin_recovery))
        .route("/settings/security", get(pages::security))
        .route("/settings/security/password", post(pages::change_password))
        .route("/settings/security/sessions/{id}/revoke", post(pages::revoke_session))
        .route("/recover", get(pages::recover_page).post(pages::recover))
        .route("/api", get(reference::page))
        .route("/avatars/{file}", get(avatar::avatar))
        .layer(axum::middleware::from_fn_with_state(state, csrf_cookie))
        .layer(axum::middleware::from_fn(remember_destination))
}

/// A logged-out visit to a page that needs a member is sent to the log-in page with the page to
/// return to (`/login?next=...`): the log-in then comes back here.
async fn remember_destination(request: Request, next: Next) -> Response {
    let is_get = request.method() == axum::http::Method::GET;
    let here = request.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let mut response = next.run(request).await;
    let to_login = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).map(|l| l.to_owned());
    if let Some(location) = to_login
        && is_get
        && (location == "/login" || location == "/login?expired=1")
        && frame::safe_next(&here) == here
    {
        let joiner = if location.contains('?') { '&' } else { '?' };
        let target = format!("{location}{joiner}next={}", frame::query_escape(&here));
        if let Ok(value) = target.parse() {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
}

/// Makes sure every visitor has a CSRF cookie, so even the log-in form is protected.
async fn csrf_cookie(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let existing = cookie(request.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let fresh = existing.is_none();
    let value = existing.unwrap_or_else(random_token);
    request.extensions_mut().insert(AnonCsrf(value.clone()));
    let mut response = next.run(request).await;
    if fresh {
        let cookie = set_cookie(CSRF_COOKIE, &value, 365 * 24 * 3600, state.config.secure_cookies);
        if let Ok(cookie) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    response
}
