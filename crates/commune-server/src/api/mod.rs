//! The JSON API under `/api/v1`: one room per area, each translating requests to the operations
//! layer; [`extract`] (JSON errors for bad input) and [`views`] (the JSON shapes, decoupled from
//! storage rows so the document is stable) sit under them; this module holds only the router.

pub(crate) mod admin;
pub(crate) mod apps;
pub(crate) mod expenses;
pub mod extract;
pub(crate) mod federation;
pub(crate) mod ideas;
pub(crate) mod identity;
pub(crate) mod inbox;
pub(crate) mod invites;
pub(crate) mod learn;
pub(crate) mod ledger;
pub(crate) mod merit;
pub(crate) mod orgs;
pub(crate) mod politics;
pub(crate) mod proposals;
pub(crate) mod rounds;
pub mod views;
pub(crate) mod webhooks;
pub(crate) mod work;

use crate::error::{ApiError, AppError};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use commune_app::state::AppState;

pub use commune_app::admin::{AdminOverview, AuditEntryView, ChainView};
pub use extract::{Json, Path, Query, created};
pub use identity::{MeView, SessionCreated, SetupDone, SetupStatus};
pub use views::{JoinRequestView, MemberView, OrgMemberView, OrgView, TokenView};

/// Routes of `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setup", get(identity::setup_status).post(identity::setup))
        .route("/members", get(identity::list_members).post(identity::signup))
        .route("/members/{handle}", get(identity::get_member))
        .route("/me", get(identity::me))
        .route("/me/profile", put(identity::update_profile))
        .route("/me/password", post(identity::change_password))
        .route("/me/prefs", get(inbox::prefs).put(inbox::set_prefs))
        .route("/inbox", get(inbox::inbox))
        .route("/inbox/read", post(inbox::read))
        .route("/me/sessions", get(identity::sessions))
        .route("/me/sessions/{id}", delete(identity::revoke_session))
        .route("/recovery-links", post(identity::issue_recovery))
        .route("/recovery", post(identity::recover))
        .route("/sessions", post(identity::login))
        .route("/sessions/current", delete(identity::logout))
        .route("/orgs", get(orgs::list_orgs).post(orgs::create_org))
        .route("/orgs/{slug}", get(orgs::get_org))
        .route("/orgs/{slug}/members", get(orgs::org_members))
        .route("/orgs/{slug}/members/me", delete(orgs::leave_org))
        .route("/orgs/{slug}/members/{handle}/role", put(orgs::set_role))
        .route("/orgs/{slug}/join-requests", get(orgs::list_join_requests).post(orgs::request_to_join))
        .route("/orgs/{slug}/join-requests/{id}/admit", post(orgs::admit))
        .route("/orgs/{slug}/join-requests/{id}/reject", post(orgs::reject))
        .route("/orgs/{slug}/tokens", get(orgs::list_tokens).post(orgs::create_token))
        .route("/orgs/{slug}/tokens/{id}", delete(orgs::revoke_token))
        .route("/orgs/{slug}/apps", get(apps::list).post(apps::register))
        .route("/orgs/{slug}/apps/{id}", delete(apps::revoke))
        .route("/me/apps", get(apps::mine))
        .route("/me/apps/{client_id}", delete(apps::forget))
        .route("/admin/oidc/rotate", post(apps::rotate))
        .route("/webhooks/event-types", get(webhooks::event_types))
        .route("/orgs/{slug}/federation", get(federation::overview).put(federation::set_publish))
        .route("/orgs/{slug}/federation/follows", post(federation::follow).delete(federation::unfollow))
        .route("/orgs/{slug}/federation/links", get(federation::links))
        .route("/orgs/{slug}/federation/transfers", get(federation::transfers).post(federation::send_transfer))
        .route("/orgs/{slug}/federation/credit", post(federation::extend_credit))
        .route("/orgs/{slug}/federation/chapters", post(federation::offer_chapter))
        .route("/orgs/{slug}/federation/commune", post(federation::link_commune))
        .route("/orgs/{slug}/federation/ballots", get(federation::sent_ballots).post(federation::cast_remote))
        .route("/proposals/{id}/replies", get(federation::replies))
        .route("/admin/federation/instances", get(federation::instances))
        .route("/admin/federation/blocks", post(federation::block))
        .route("/admin/federation/blocks/{host}", delete(federation::unblock))
        .route("/orgs/{slug}/webhooks", get(webhooks::list).post(webhooks::subscribe))
        .route("/orgs/{slug}/webhooks/{id}", delete(webhooks::disable))
        .route("/orgs/{slug}/webhooks/{id}/secret", post(webhooks::rotate_secret))
        .route("/orgs/{slug}/webhooks/{id}/messages", get(webhooks::messages))
        .route("/orgs/{slug}/webhooks/{id}/messages/{message}/replay", post(webhooks::replay))
        .route("/orgs/{slug}/invites", get(invites::list).post(invites::create))
        .route("/orgs/{slug}/invites/{id}", delete(invites::revoke))
        .route("/invites/{secret}/accept", post(invites::accept))
        .route("/orgs/{slug}/rounds", get(rounds::list).post(rounds::create))
        .route("/rounds/{id}", get(rounds::get))
        .route("/rounds/{id}/projects", post(rounds::propose))
        .route("/rounds/{id}/advance", post(rounds::advance))
        .route("/rounds/{id}/ballot", put(rounds::cast))
        .route("/rounds/{id}/export.pb", get(rounds::export))
        .route("/rounds/{id}/import", post(rounds::import))
        .route("/round-projects/{id}/review", post(rounds::review))
        .route("/orgs/{slug}/funding-rounds", get(rounds::list_funding).post(rounds::create_funding))
        .route("/funding-rounds/{id}", get(rounds::get_funding))
        .route("/funding-rounds/{id}/projects", post(rounds::add_funding_project))
        .route("/funding-rounds/{id}/contributions", post(rounds::contribute))
        .route("/funding-rounds/{id}/close", post(rounds::close_funding))
        .route("/round-projects/{id}/delivery", post(rounds::deliver))
        .route("/orgs/{slug}/budgets", get(expenses::budgets).post(expenses::create_budget))
        .route("/orgs/{slug}/expenses", get(expenses::list).post(expenses::create_expense))
        .route("/expenses/{id}", get(expenses::get))
        .route(
            "/expenses/{id}/receipts",
            post(expenses::add_receipt)
                .layer(DefaultBodyLimit::max(commune_domain::capital::expense::MAX_RECEIPT_BYTES + 1024)),
        )
        .route("/expenses/{id}/{step}", post(expenses::step))
        .route("/receipts/{id}", get(expenses::receipt))
        .route("/orgs/{slug}/patronage", get(expenses::patronage).post(expenses::declare_patronage))
        .route("/orgs/{slug}/redemptions", post(expenses::redeem))
        .route("/orgs/{slug}/problems", get(ideas::problems).post(ideas::log_problem))
        .route("/problems/{id}", get(ideas::problem))
        .route("/problems/{id}/comments", post(ideas::comment_problem))
        .route("/problems/{id}/diagnosis", post(ideas::diagnose_problem))
        .route("/problems/{id}/resolution", post(ideas::resolve_problem))
        .route("/problems/{id}/close", post(ideas::close_problem))
        .route("/journal", get(ideas::journal).post(ideas::add_pain))
        .route("/journal/{id}", get(ideas::journal_entry))
        .route("/journal/{id}/reflection", put(ideas::reflect))
        .route("/journal/{id}/publish", post(ideas::publish_reflection))
        .route("/orgs/{slug}/ideas", get(ideas::ideas).post(ideas::post_idea))
        .route("/ideas/{id}", get(ideas::idea))
        .route("/ideas/{id}/comments", post(ideas::comment_idea))
        .route("/ideas/{id}/rating", put(ideas::rate_idea))
        .route("/ideas/{id}/promote", post(ideas::promote_idea))
        .route("/comments/{id}/rating", put(ideas::rate_comment))
        .route("/orgs/{slug}/conversations", get(ideas::conversations).post(ideas::open_conversation))
        .route("/conversations/{id}", get(ideas::conversation))
        .route("/conversations/{id}/statements", post(ideas::submit_statement))
        .route("/statements/{id}/moderation", post(ideas::moderate_statement))
        .route("/statements/{id}/vote", put(ideas::vote_statement))
        .route("/statements/{id}/proposal", post(ideas::seed_proposal))
        .route("/orgs/{slug}/analytics", get(ideas::analytics))
        .route("/orgs/{slug}/metrics", post(ideas::push_metrics))
        .route("/orgs/{slug}/analytics.csv", get(ideas::analytics_csv))
        .route("/orgs/{slug}/metrics/{name}", get(ideas::metric))
        .route("/numbers", get(ideas::numbers))
        .route("/admin/numbers", put(ideas::switch_numbers))
        .route("/orgs/{slug}/library", get(learn::library).post(learn::create_doc))
        .route("/learn/{id}", get(learn::doc).put(learn::edit_doc))
        .route("/learn/{id}/publish", post(learn::publish_doc))
        .route("/learn/{id}/diff", get(learn::diff))
        .route("/revisions/{id}/decision", post(learn::decide_revision))
        .route("/learn/{id}/citations", post(learn::cite))
        .route("/learn/{id}/rating", put(learn::rate_doc))
        .route("/learn/{id}/study", post(learn::study))
        .route("/cards", get(learn::deck))
        .route("/cards/{id}/reviews", post(learn::review_card))
        .route("/cards/settings", put(learn::card_settings))
        .route("/orgs/{slug}/courses", get(learn::courses).post(learn::create_course))
        .route("/courses/{id}", get(learn::course))
        .route("/courses/{id}/exercises", post(learn::add_exercise))
        .route("/exercises/{id}/attempts", post(learn::attempt))
        .route("/orgs/{slug}/answers", get(learn::to_review))
        .route("/attempts/{id}/reviews", post(learn::review_attempt))
        .route("/tasks/{id}/prerequisite", put(learn::prerequisite))
        .route("/learn/next", get(learn::next))
        .route("/learn/mastery", get(learn::mastery))
        .route("/orgs/{slug}/questions", get(learn::questions).post(learn::create_question))
        .route("/questions/{id}", get(learn::question))
        .route("/questions/{id}/forecasts", post(learn::forecast))
        .route("/questions/{id}/resolution", post(learn::resolve))
        .route("/questions/{id}/dispute", post(learn::dispute))
        .route("/orgs/{slug}/calibration/{handle}", get(learn::calibration))
        .route("/orgs/{slug}/circles", get(learn::circles).post(learn::create_circle))
        .route("/circles/{id}", get(learn::circle))
        .route("/circles/{id}/members", post(learn::join_circle))
        .route("/circles/{id}/posts", post(learn::circle_post))
        .route("/orgs/{slug}/projects", get(work::projects).post(work::create_project))
        .route("/orgs/{slug}/tasks", get(work::list))
        .route("/projects/{id}/tasks", post(work::create_task))
        .route("/projects/{id}/payouts", post(work::pay))
        .route("/tasks/{id}", get(work::get).put(work::update))
        .route("/tasks/{id}/steps", post(work::step))
        .route("/tasks/{id}/review", post(work::review))
        .route("/tasks/{id}/comments", post(work::comment))
        .route("/tasks/{id}/impact", put(work::impact))
        .route("/tasks/{id}/worklogs", post(work::log_hours))
        .route("/tasks/{id}/recommendations", get(work::recommendations))
        .route("/orgs/{slug}/worklogs.csv", get(work::worklog_csv))
        .route("/orgs/{slug}/capacity", get(work::capacity).put(work::set_capacity))
        .route("/orgs/{slug}/assignment", post(work::assignment))
        .route("/orgs/{slug}/choices", get(work::choices))
        .route("/work", get(work::mine))
        .route(
            "/places",
            get(politics::places)
                .post(politics::import_places)
                .layer(DefaultBodyLimit::max(commune_domain::politics::places::MAX_GEOJSON_BYTES + 64 * 1024)),
        )
        .route("/me/place", get(politics::my_place).put(politics::set_my_place))
        .route("/orgs/{slug}/place", put(politics::set_org_place))
        .route("/map", get(politics::map))
        .route(
            "/elections",
            post(politics::import_elections)
                .layer(DefaultBodyLimit::max(commune_domain::politics::elections::MAX_CSV_BYTES + 64 * 1024)),
        )
        .route("/leverage", get(politics::leverage))
        .route("/seasons", get(politics::seasons).post(politics::create_season))
        .route("/seasons/{id}", get(politics::season))
        .route("/seasons/{id}/challenges", post(politics::challenge))
        .route("/candidates", get(politics::candidates).post(politics::add_candidate))
        .route("/candidates/{id}", get(politics::candidate))
        .route("/candidates/{id}/answers", put(politics::answer))
        .route("/candidates/{id}/endorsement", post(politics::propose_endorsement))
        .route("/candidates/{id}/funding", post(politics::propose_funding))
        .route("/candidates/{id}/project", post(politics::campaign_project))
        .route("/questionnaire", post(politics::add_question))
        .route("/disclosures", get(politics::disclosures))
        .route("/disclosures.csv", get(politics::disclosures_csv))
        .route("/orgs/{slug}/proposals", get(proposals::list).post(proposals::create))
        .route("/orgs/{slug}/delegations", get(proposals::delegations).post(proposals::delegate))
        .route("/delegations/{id}", delete(proposals::revoke))
        .route("/docket", get(proposals::docket))
        .route("/proposals/{id}", get(proposals::get).put(proposals::update))
        .route("/proposals/{id}/publish", post(proposals::publish))
        .route("/proposals/{id}/cancel", post(proposals::cancel))
        .route("/proposals/{id}/ballot", get(proposals::my_ballot).post(proposals::cast))
        .route("/proposals/{id}/results", get(proposals::results))
        .route("/proposals/{id}/ballots", get(proposals::export))
        .route("/proposals/{id}/ballots.toi", get(proposals::export_preflib))
        .route("/proposals/{id}/comments", get(proposals::comments).post(proposals::comment))
        .route("/attributes", get(merit::attributes))
        .route("/orgs/{slug}/dots", get(merit::list).post(merit::give))
        .route("/dots/{id}", delete(merit::withdraw))
        .route("/orgs/{slug}/meetings", post(merit::open_meeting))
        .route("/meetings/{id}", get(merit::get_meeting))
        .route("/meetings/{id}/join", post(merit::join_meeting))
        .route("/meetings/{id}/end", post(merit::end_meeting))
        .route("/members/{handle}/card", get(merit::member_card))
        .route("/orgs/{slug}/weights", get(merit::org_weights))
        .route("/ledgers", get(ledger::ledgers).post(ledger::create_ledger))
        .route("/wallet", get(ledger::wallet))
        .route("/wallet/statement", get(ledger::statement))
        .route("/payments", post(ledger::pay))
        .route("/deposits", post(ledger::deposit))
        .route("/payouts", post(ledger::payout))
        .route("/holds", post(ledger::hold))
        .route("/holds/{id}/capture", post(ledger::capture))
        .route("/holds/{id}/release", post(ledger::release))
        .route("/payment-requests", get(ledger::list_requests).post(ledger::create_request))
        .route("/payment-requests/{id}/pay", post(ledger::pay_request))
        .route("/payment-requests/{id}/decline", post(ledger::decline_request))
        .route("/payment-requests/{id}/cancel", post(ledger::cancel_request))
        .route("/orgs/{slug}/revenue", post(ledger::revenue))
        .route("/orgs/{slug}/treasury", get(ledger::treasury))
        .route(
            "/ledger/transfers",
            post(ledger::create_transfers).layer(DefaultBodyLimit::max(ledger::MAX_TRANSFERS_BODY_BYTES)),
        )
        .route("/ledger/transfers/{id}", get(ledger::transfer))
        .route("/ledger/accounts/{id}", get(ledger::account))
        .route("/ledger/export", get(ledger::export))
        .route("/admin/overview", get(admin::overview))
        .route("/admin/verify", post(admin::verify))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound("API endpoint"))
}
