//! The OpenAPI 3.1 document, generated from the handlers' annotations. The committed copy lives
//! at `openapi.json` in the repository root; a test fails when the two drift.

use crate::api;
use crate::error::{ErrorBody, ErrorDetail, FieldError};
use axum::http::header;
use axum::response::IntoResponse;
use commune_app::service;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Commune API",
        description = "The Business–Economy Interface of Commune: identity, organisations, tokens and administration. \
Authenticate with an organisation's API token (`Authorization: Bearer cmn_...`) or a session cookie; \
cookie-authenticated writes must send the session's CSRF token as `X-CSRF-Token`. \
Errors are JSON: `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}` with a stable `code`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    paths(
        api::identity::setup_status, api::identity::setup, api::identity::signup, api::identity::list_members,
        api::identity::get_member, api::identity::me, api::identity::update_profile, api::identity::login,
        api::identity::logout, api::identity::change_password, api::identity::sessions, api::identity::revoke_session,
        api::identity::issue_recovery, api::identity::recover,
        api::inbox::inbox, api::inbox::read, api::inbox::prefs, api::inbox::set_prefs,
        api::invites::create, api::invites::list, api::invites::revoke, api::invites::accept,
        api::orgs::list_orgs, api::orgs::create_org, api::orgs::get_org, api::orgs::org_members, api::orgs::leave_org,
        api::orgs::set_role, api::orgs::request_to_join, api::orgs::list_join_requests, api::orgs::admit,
        api::orgs::reject, api::orgs::list_tokens, api::orgs::create_token, api::orgs::revoke_token,
        api::apps::list, api::apps::register, api::apps::revoke, api::apps::mine, api::apps::forget, api::apps::rotate,
        api::webhooks::event_types, api::webhooks::list, api::webhooks::subscribe, api::webhooks::disable, api::webhooks::rotate_secret, api::webhooks::messages, api::webhooks::replay,
        api::federation::overview, api::federation::set_publish, api::federation::follow, api::federation::unfollow, api::federation::instances, api::federation::block, api::federation::unblock, api::federation::replies, api::federation::links, api::federation::offer_chapter, api::federation::link_commune, api::federation::cast_remote, api::federation::sent_ballots, api::federation::transfers, api::federation::send_transfer, api::federation::extend_credit,
        api::admin::overview, api::admin::verify,
        api::proposals::list, api::proposals::create, api::proposals::get, api::proposals::update,
        api::proposals::publish, api::proposals::cancel, api::proposals::cast, api::proposals::my_ballot,
        api::proposals::results, api::proposals::export, api::proposals::export_preflib, api::proposals::comments,
        api::proposals::comment, api::proposals::delegations, api::proposals::delegate, api::proposals::revoke,
        api::proposals::docket,
        api::merit::attributes, api::merit::give, api::merit::list, api::merit::withdraw, api::merit::open_meeting,
        api::merit::get_meeting, api::merit::join_meeting, api::merit::end_meeting, api::merit::member_card,
        api::merit::org_weights,
        api::ledger::ledgers, api::ledger::create_ledger, api::ledger::wallet, api::ledger::statement, api::ledger::pay,
        api::ledger::deposit, api::ledger::payout, api::ledger::hold, api::ledger::capture, api::ledger::release,
        api::ledger::list_requests, api::ledger::create_request, api::ledger::pay_request, api::ledger::decline_request,
        api::ledger::cancel_request, api::ledger::revenue, api::ledger::treasury, api::ledger::create_transfers, api::ledger::transfer, api::ledger::account,
        api::ledger::export,
        api::rounds::create, api::rounds::list, api::rounds::get, api::rounds::propose, api::rounds::review,
        api::rounds::advance, api::rounds::cast, api::rounds::deliver, api::rounds::export, api::rounds::import,
        api::expenses::create_budget, api::expenses::budgets, api::expenses::create_expense, api::expenses::list,
        api::expenses::get, api::expenses::step, api::expenses::add_receipt, api::expenses::receipt,
        api::expenses::declare_patronage, api::expenses::patronage, api::expenses::redeem,
        api::rounds::create_funding, api::rounds::list_funding, api::rounds::get_funding, api::rounds::add_funding_project,
        api::rounds::contribute, api::rounds::close_funding,
        api::work::projects, api::work::create_project, api::work::list, api::work::create_task, api::work::get,
        api::work::update, api::work::step, api::work::review, api::work::comment, api::work::impact,
        api::work::log_hours, api::work::recommendations, api::work::worklog_csv, api::work::pay, api::work::capacity,
        api::work::set_capacity, api::work::assignment, api::work::choices, api::work::mine,
        api::politics::places, api::politics::import_places, api::politics::my_place, api::politics::set_my_place, api::politics::set_org_place, api::politics::map, api::politics::import_elections, api::politics::leverage, api::politics::seasons, api::politics::create_season, api::politics::season, api::politics::challenge, api::politics::candidates, api::politics::add_candidate, api::politics::candidate, api::politics::answer, api::politics::propose_endorsement, api::politics::propose_funding, api::politics::campaign_project, api::politics::switch_transparency, api::politics::transparency_page, api::politics::transparency_season, api::politics::transparency_candidate, api::politics::transparency_disclosures, api::politics::add_question, api::politics::disclosures, api::politics::disclosures_csv,
        api::ideas::problems, api::ideas::log_problem, api::ideas::problem, api::ideas::comment_problem, api::ideas::diagnose_problem, api::ideas::resolve_problem, api::ideas::close_problem, api::ideas::journal, api::ideas::add_pain, api::ideas::journal_entry, api::ideas::reflect, api::ideas::publish_reflection, api::ideas::ideas, api::ideas::post_idea, api::ideas::idea, api::ideas::comment_idea, api::ideas::rate_idea, api::ideas::promote_idea, api::ideas::rate_comment, api::ideas::conversations, api::ideas::open_conversation, api::ideas::conversation, api::ideas::submit_statement, api::ideas::moderate_statement, api::ideas::vote_statement, api::ideas::seed_proposal, api::ideas::analytics, api::ideas::push_metrics, api::ideas::analytics_csv, api::ideas::metric, api::ideas::numbers, api::ideas::switch_numbers,
        api::learn::library, api::learn::create_doc, api::learn::doc, api::learn::edit_doc, api::learn::publish_doc, api::learn::diff, api::learn::decide_revision, api::learn::cite, api::learn::rate_doc, api::learn::study, api::learn::deck, api::learn::review_card, api::learn::card_settings, api::learn::courses, api::learn::create_course, api::learn::course, api::learn::add_exercise, api::learn::attempt, api::learn::to_review, api::learn::review_attempt, api::learn::prerequisite, api::learn::next, api::learn::mastery, api::learn::questions, api::learn::create_question, api::learn::question, api::learn::forecast, api::learn::resolve, api::learn::dispute, api::learn::calibration, api::learn::circles, api::learn::create_circle, api::learn::circle, api::learn::join_circle, api::learn::circle_post,
    ),
    components(schemas(ErrorBody, ErrorDetail, FieldError, service::SignupInput, service::SetupInput)),
    modifiers(&Security),
    tags(
        (name = "identity", description = "Set-up, sign-up, sessions and profiles"),
        (name = "organisations", description = "Organisations, memberships and admission"),
        (name = "tokens", description = "Organisation-scoped API tokens"),
        (name = "federation", description = "ActivityPub: organisations publish proposals as Questions and discussion as Notes, follow other communes, and instance stewards block instances; HTTP signatures in RFC 9421 and draft-cavage-12"),
        (name = "webhooks", description = "Standard Webhooks: endpoints subscribed to events from the audit log, signed with HMAC v1 (two secrets during a rotation), delivered at least once from a durable outbox with retries, dead letters, replay and a delivery log"),
        (name = "apps", description = "Sign in with Commune: apps registered with the OpenID Connect provider (discovery at /.well-known/openid-configuration), the apps a member signed in to, signing-key rotation"),
        (name = "governance", description = "Proposals, ballots, delegation, results and the daily docket"),
        (name = "merit", description = "Attributes, dots, the Dot Collector, believability and vote weights"),
        (name = "payments", description = "Wallets, payments, revenue and funnels, holds, payment requests, statements and the ledger"),
        (name = "capital", description = "Participatory-budgeting rounds on budget escrows (projects, review, ballots, explained results, awards); budgets with lines and actuals; expenses with approvals, receipts and payment"),
        (name = "work", description = "Projects and tasks (board steps, reviews, comments, impact), worklogs and payouts, capacities, recommendations from the skill model and the period's assignment with propensities"),
        (name = "politics", description = "Chapters and politics: places (country → region → city → district, GeoJSON outlines, the server-drawn map, each member's chosen precision), seasons of competitive altruism between chapters and countries with challenges and a shared goal, imported elections and the leverage view"),
        (name = "ideas", description = "The issue log (problems, diagnosis, root-cause principles, resolutions, problem metrics), the private pain → reflection journal, the idea board with equal, merit and bridging rankings (Community Notes' model, also for proposal comments), opinion maps (Pol.is), dashboards with CSV export, businesses' own metrics, the public commune in numbers"),
        (name = "learn", description = "The library (lessons and principles with revisions, diffs, suggested edits, citations, ratings, full-text search), spaced repetition (FSRS-6), courses and exercises with peer review and mastery, what to learn next, forecasting with calibrated scores, study circles"),
        (name = "admin", description = "Instance administration"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

/// The document as pretty JSON with a trailing newline: the committed file's exact bytes.
pub fn document() -> String {
    let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}

pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
