//! The JSON API under `/api/v1`: extractors whose rejections are JSON errors, the response
//! views (decoupled from storage rows so the document is stable), and the router.

pub(crate) mod admin;
pub(crate) mod identity;
pub(crate) mod ledger;
pub(crate) mod merit;
pub(crate) mod orgs;
pub(crate) mod proposals;

use crate::error::AppError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::FromRequest;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use commune_store::{ApiToken, JoinRequest, Member, Org, OrgMember};

pub use admin::{AdminOverview, AuditEntryView, ChainView, overview_of as admin_overview};
pub use identity::{MeView, SessionCreated, SetupDone, SetupStatus};

/// A JSON body or response; a malformed body is a JSON `400`, an oversized one a `413`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

use axum::extract::FromRequestParts;

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::bad_request("expected_json", "send a JSON body with 'Content-Type: application/json'")
            }
            JsonRejection::BytesRejection(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::TooLarge { limit_bytes: crate::state::Config::default().body_limit_bytes }
            }
            other => AppError::bad_request("invalid_json", other.body_text()),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> AppError {
        AppError::bad_request("invalid_path", rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> AppError {
        AppError::bad_request("invalid_query", rejection.body_text())
    }
}

/// A member's public profile.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub place: String,
    pub domains: Vec<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> MemberView {
        MemberView {
            id: m.id,
            handle: m.handle,
            display_name: m.display_name,
            bio: m.bio,
            place: m.place,
            domains: m.domains,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// `commune` (the root, exactly one), `business` or `chapter`.
    pub kind: String,
    pub description: String,
    pub place: String,
    /// How new members are admitted: `steward`.
    pub admission: String,
    pub is_root: bool,
    pub member_count: i64,
    pub created_at: i64,
}

impl From<Org> for OrgView {
    fn from(o: Org) -> OrgView {
        OrgView {
            id: o.id,
            slug: o.slug,
            name: o.name,
            kind: o.kind.as_str().to_owned(),
            description: o.description,
            place: o.place,
            admission: o.admission,
            is_root: o.is_root,
            member_count: o.member_count,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct OrgMemberView {
    pub member_id: String,
    pub handle: String,
    pub display_name: String,
    /// `member` or `steward`.
    pub role: String,
    pub joined_at: i64,
}

impl From<OrgMember> for OrgMemberView {
    fn from(m: OrgMember) -> OrgMemberView {
        OrgMemberView {
            member_id: m.member_id,
            handle: m.handle,
            display_name: m.display_name,
            role: m.role.as_str().to_owned(),
            joined_at: m.joined_at,
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct JoinRequestView {
    pub id: String,
    pub org_id: String,
    pub member_id: String,
    pub handle: String,
    pub display_name: String,
    pub message: String,
    /// `pending`, `admitted` or `rejected`.
    pub status: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

impl From<JoinRequest> for JoinRequestView {
    fn from(j: JoinRequest) -> JoinRequestView {
        JoinRequestView {
            id: j.id,
            org_id: j.org_id,
            member_id: j.member_id,
            handle: j.handle,
            display_name: j.display_name,
            message: j.message,
            status: j.status.as_str().to_owned(),
            created_at: j.created_at,
            decided_at: j.decided_at,
        }
    }
}

/// An API token as listed: never its secret.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenView {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub display_prefix: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> TokenView {
        TokenView {
            id: t.id,
            org_id: t.org_id,
            name: t.name,
            display_prefix: t.display_prefix,
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_by: t.created_by,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Routes of `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/setup", get(identity::setup_status).post(identity::setup))
        .route("/members", get(identity::list_members).post(identity::signup))
        .route("/members/{handle}", get(identity::get_member))
        .route("/me", get(identity::me))
        .route("/me/profile", put(identity::update_profile))
        .route("/me/password", post(identity::change_password))
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
        .route("/openapi.json", get(crate::openapi::serve))
        .fallback(not_found)
}

async fn not_found() -> AppError {
    AppError::NotFound("API endpoint")
}

/// `201 Created` with a JSON body.
pub(crate) fn created<T: serde::Serialize>(body: T) -> (StatusCode, Json<T>) {
    (StatusCode::CREATED, Json(body))
}
