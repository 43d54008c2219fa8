//! The operations of the foundation, shared by the JSON API and the web UI: each one validates
//! input with the domain, authorizes the caller, and writes through one audited transaction.
//! Handlers only translate HTTP to these calls and back.

use crate::caller::{Caller, SignedIn};
use crate::error::AppError;
use crate::secrets::{hash_password, random_bytes, random_token, verify_password};
use crate::state::AppState;
use commune_domain::authz::Action;
use commune_domain::identity::{Handle, Profile, ProfileInput, Signup};
use commune_domain::org::{JoinStatus, NewOrg, NewOrgInput, Role};
use commune_domain::token::{self, Scope};
use commune_domain::validation;
use commune_store::{ApiToken, JoinRequest, Member, Org};

/// Input of a sign-up, as forms and JSON bodies carry it.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SignupInput {
    /// `[a-z0-9_]{3,32}`, unique.
    pub handle: String,
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub place: String,
    /// Domains of interest, e.g. `["finance", "ecology"]`.
    #[serde(default)]
    pub domains: Vec<String>,
}

impl SignupInput {
    fn parse(&self) -> Result<Signup, AppError> {
        let profile = ProfileInput {
            display_name: &self.display_name,
            bio: &self.bio,
            place: &self.place,
            domains: &self.domains,
        };
        Ok(Signup::parse(&self.handle, &self.password, &profile)?)
    }
}

/// First-run setup: the commune (root organisation) and its first steward.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SetupInput {
    pub commune_name: String,
    /// URL slug of the commune, `[a-z0-9-]{2,40}`.
    pub commune_slug: String,
    #[serde(default)]
    pub commune_place: String,
    #[serde(flatten)]
    pub steward: SignupInput,
}

/// Whether the instance still needs first-run setup.
pub async fn needs_setup(state: &AppState) -> Result<bool, AppError> {
    Ok(state.store.root_org().await?.is_none())
}

pub async fn setup(state: &AppState, input: &SetupInput) -> Result<(Member, Org), AppError> {
    let signup = input.steward.parse();
    let org = NewOrg::parse(
        &NewOrgInput {
            slug: &input.commune_slug,
            name: &input.commune_name,
            kind: "commune",
            description: "",
            place: &input.commune_place,
            admission: "steward",
        },
        true,
    );
    let (signup, org) = merge(signup, org.map_err(AppError::from))?;
    if !needs_setup(state).await? {
        return Err(AppError::Conflict("the commune"));
    }
    let hash = hash_password(input.steward.password.clone()).await?;
    let mut tx = state.store.write("setup").await?;
    let member = tx.create_member(&signup.handle, &signup.profile, &hash).await?;
    // The unique index on the root flag makes a concurrent second setup fail here.
    let org = tx.create_org(&org, &member.id).await?;
    tx.commit().await?;
    Ok((member, org))
}

/// Combines two validations so a form shows every problem at once.
fn merge<A, B>(a: Result<A, AppError>, b: Result<B, AppError>) -> Result<(A, B), AppError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(AppError::Invalid(mut x)), Err(AppError::Invalid(y))) => {
            x.0.extend(y.0);
            Err(AppError::Invalid(x))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

pub async fn signup(state: &AppState, input: &SignupInput, client: Option<&str>) -> Result<Member, AppError> {
    if let Some(client) = client {
        state.client_limiter.check(&format!("signup:{client}"))?;
    }
    let signup = input.parse()?;
    if state.store.member_by_handle(signup.handle.as_str()).await?.is_some() {
        return Err(AppError::Conflict("a member with this handle"));
    }
    let hash = hash_password(input.password.clone()).await?;
    let mut tx = state.store.write("signup").await?;
    let member = tx.create_member(&signup.handle, &signup.profile, &hash).await?;
    tx.commit().await?;
    Ok(member)
}

/// A new session: the secret goes into the cookie, only its hash is stored.
pub struct NewSession {
    pub member: Member,
    pub secret: String,
    pub csrf: String,
}

/// Where a login comes from: the client's address (when the server knows it) and its user
/// agent (shown in the member's list of sessions).
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    pub client: Option<&'a str>,
    pub user_agent: &'a str,
}

/// Logs in. Limits: attempts per client address, and per handle *from that address* (so a
/// stranger's failures never lock the owner out elsewhere); failures against a handle from
/// anywhere slow its next attempts down a little.
pub async fn login(state: &AppState, handle: &str, password: &str, origin: Origin<'_>) -> Result<NewSession, AppError> {
    let handle = Handle::parse(handle).map_err(|_| AppError::BadCredentials)?;
    let client = origin.client.unwrap_or("local");
    state.client_limiter.check(&format!("login:{client}"))?;
    state.login_limiter.check(&format!("{}@{client}", handle.as_str()))?;
    let delay = state.login_slowdown.delay(handle.as_str());
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let credentials = state.store.credentials(handle.as_str()).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    if password.len() > commune_domain::identity::PASSWORD_MAX_BYTES
        || !verify_password(password.to_owned(), stored).await?
    {
        state.login_slowdown.failed(handle.as_str());
        return Err(AppError::BadCredentials);
    }
    state.login_slowdown.succeeded(handle.as_str());
    let member_id = credentials.map(|c| c.member_id).ok_or(AppError::BadCredentials)?;
    let member = state.store.member_by_id(&member_id).await?.ok_or(AppError::BadCredentials)?;
    start_session(state, member, origin.user_agent).await
}

/// A fresh session for `member`: the secret for the cookie, only its hash stored.
pub(crate) async fn start_session(state: &AppState, member: Member, user_agent: &str) -> Result<NewSession, AppError> {
    let secret = random_token();
    let csrf = random_token();
    let mut tx = state.store.write(&member.id).await?;
    tx.create_session(&token::secret_hash(&secret), &member.id, &csrf, state.config.session_ttl_ms, user_agent).await?;
    tx.commit().await?;
    Ok(NewSession { member, secret, csrf })
}

/// A password change: the current password proves it is the member; every other session ends.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters.
    pub new_password: String,
}

/// Changes the caller's password; returns how many other sessions were ended.
pub async fn change_password(state: &AppState, caller: &Caller, input: &PasswordChange) -> Result<u64, AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    commune_domain::identity::check_new_password(&input.new_password)?;
    let stored = state.store.credentials(&me.member.handle).await?.map(|c| c.password_hash);
    if input.current_password.len() > commune_domain::identity::PASSWORD_MAX_BYTES
        || !verify_password(input.current_password.clone(), stored).await?
    {
        return Err(commune_domain::Invalid::new("current_password", "that is not your current password").into());
    }
    let hash = hash_password(input.new_password.clone()).await?;
    let mut tx = state.store.write(&me.member.id).await?;
    let ended = tx.set_password(&me.member.id, &hash, Some(&me.session_hash)).await?;
    tx.commit().await?;
    Ok(ended)
}

/// The caller's live sessions, and which one is this one.
pub async fn sessions(
    state: &AppState,
    caller: &Caller,
) -> Result<(Vec<commune_store::SessionInfo>, String), AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    let current = state.store.session_id(&me.session_hash).await?.unwrap_or_default();
    Ok((state.store.sessions_of(&me.member.id, commune_store::now_ms()).await?, current))
}

/// Ends one of the caller's sessions (any of them, this one included).
pub async fn revoke_session(state: &AppState, caller: &Caller, id: &str) -> Result<(), AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.revoke_session(&me.member.id, id).await?;
    tx.commit().await?;
    Ok(())
}

/// How long a recovery link works.
pub const RECOVERY_TTL_MS: i64 = 60 * 60 * 1000;

/// A recovery link's secret, shown once to the steward who issued it.
pub struct RecoveryLink {
    pub member: Member,
    pub secret: String,
    pub expires_at: i64,
}

/// A steward of the commune issues a one-time recovery link for a member who lost their
/// password: shown once, valid for an hour, single use, audited; stored only as a hash.
pub async fn issue_recovery(state: &AppState, caller: &Caller, handle: &str) -> Result<RecoveryLink, AppError> {
    caller.authorize(state, None, Action::IssueRecovery).await?;
    let me = caller.require_member()?;
    let member = state
        .store
        .member_by_handle(&handle.trim().trim_start_matches('@').to_ascii_lowercase())
        .await?
        .ok_or(AppError::NotFound("member"))?;
    let secret = random_token();
    let mut tx = state.store.write(&me.member.id).await?;
    let expires_at =
        tx.create_recovery(&token::secret_hash(&secret), &member.id, &me.member.id, RECOVERY_TTL_MS).await?;
    tx.commit().await?;
    Ok(RecoveryLink { member, secret, expires_at })
}

/// Uses a recovery link: sets the new password, ends every session of the member, and starts a
/// fresh one. An unknown, used or expired link changes nothing.
pub async fn recover(
    state: &AppState,
    secret: &str,
    new_password: &str,
    user_agent: &str,
) -> Result<NewSession, AppError> {
    commune_domain::identity::check_new_password(new_password)?;
    let hash = hash_password(new_password.to_owned()).await?;
    let mut tx = state.store.write("recovery").await?;
    let Some(member_id) = tx.use_recovery(&token::secret_hash(secret.trim())).await? else {
        return Err(AppError::Rule(
            "this recovery link is unknown, used or expired; ask a steward for a new one".into(),
        ));
    };
    tx.set_password(&member_id, &hash, None).await?;
    tx.commit().await?;
    let member = state.store.member_by_id(&member_id).await?.ok_or(AppError::NotFound("member"))?;
    start_session(state, member, user_agent).await
}

pub async fn logout(state: &AppState, signed_in: &SignedIn) -> Result<(), AppError> {
    let mut tx = state.store.write(&signed_in.member.id).await?;
    tx.delete_session(&signed_in.session_hash, &signed_in.member.id).await?;
    tx.commit().await?;
    Ok(())
}

/// A profile update: every field replaces the stored one.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ProfileUpdate {
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub domains: Vec<String>,
}

pub async fn update_profile(state: &AppState, caller: &Caller, input: &ProfileUpdate) -> Result<Member, AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    let profile = Profile::parse(&ProfileInput {
        display_name: &input.display_name,
        bio: &input.bio,
        place: &input.place,
        domains: &input.domains,
    })?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.update_profile(&me.member.id, &profile).await?;
    tx.commit().await?;
    Ok(Member {
        display_name: profile.display_name,
        bio: profile.bio,
        place: profile.place,
        domains: profile.domains,
        ..me.member.clone()
    })
}

pub async fn member(state: &AppState, caller: &Caller, handle: &str) -> Result<Member, AppError> {
    caller.authorize(state, None, Action::ReadDirectory).await?;
    state.store.member_by_handle(&handle.to_ascii_lowercase()).await?.ok_or(AppError::NotFound("member"))
}

/// Loads an organisation by slug; `NotFound` when there is none.
pub async fn org(state: &AppState, slug: &str) -> Result<Org, AppError> {
    state.store.org_by_slug(&slug.to_ascii_lowercase()).await?.ok_or(AppError::NotFound("organisation"))
}

/// Loads an organisation and authorizes `action` on it.
pub async fn org_for(state: &AppState, caller: &Caller, slug: &str, action: Action) -> Result<Org, AppError> {
    // Authenticate before revealing whether the organisation exists.
    if let Caller::Anonymous { .. } = caller {
        caller.authorize(state, None, action).await?;
    }
    let org = org(state, slug).await?;
    caller.authorize(state, Some(&org), action).await?;
    Ok(org)
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CreateOrgInput {
    /// `[a-z0-9-]{2,40}`, unique.
    pub slug: String,
    pub name: String,
    /// `business` or `chapter`.
    pub kind: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub place: String,
}

pub async fn create_org(state: &AppState, caller: &Caller, input: &CreateOrgInput) -> Result<Org, AppError> {
    caller.authorize(state, None, Action::CreateOrg).await?;
    let me = caller.require_member()?;
    let new = NewOrg::parse(
        &NewOrgInput {
            slug: &input.slug,
            name: &input.name,
            kind: &input.kind,
            description: &input.description,
            place: &input.place,
            admission: "steward",
        },
        false,
    )?;
    let mut tx = state.store.write(&me.member.id).await?;
    let org = tx.create_org(&new, &me.member.id).await?;
    tx.commit().await?;
    Ok(org)
}

pub async fn request_to_join(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    message: &str,
) -> Result<JoinRequest, AppError> {
    let org = org_for(state, caller, slug, Action::RequestToJoin).await?;
    let me = caller.require_member()?;
    let message = validation::text("message", message, 0, 1000, true)?;
    let mut tx = state.store.write(&me.member.id).await?;
    let id = tx.create_join_request(&org.id, &me.member.id, &message).await?;
    tx.commit().await?;
    state.store.join_request(&org.id, &id).await?.ok_or(AppError::NotFound("join request"))
}

pub async fn leave(state: &AppState, caller: &Caller, slug: &str) -> Result<(), AppError> {
    let org = org_for(state, caller, slug, Action::LeaveOrg).await?;
    let me = caller.require_member()?;
    let mut tx = state.store.write(&me.member.id).await?;
    tx.remove_member(&org.id, &me.member.id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn join_requests(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    status: JoinStatus,
) -> Result<(Org, Vec<JoinRequest>), AppError> {
    let org = org_for(state, caller, slug, Action::ReadJoinRequests).await?;
    let requests = state.store.join_requests(&org.id, status).await?;
    Ok((org, requests))
}

pub async fn decide(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    request_id: &str,
    admit: bool,
) -> Result<JoinRequest, AppError> {
    let org = org_for(state, caller, slug, Action::DecideJoinRequest).await?;
    let request = state.store.join_request(&org.id, request_id).await?.ok_or(AppError::NotFound("join request"))?;
    if request.status != JoinStatus::Pending {
        return Err(AppError::Rule(format!("this request was already {}", request.status.as_str())));
    }
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.decide_join_request(&request, admit).await?;
    tx.commit().await?;
    state.store.join_request(&org.id, request_id).await?.ok_or(AppError::NotFound("join request"))
}

pub async fn set_role(state: &AppState, caller: &Caller, slug: &str, handle: &str, role: &str) -> Result<(), AppError> {
    let org = org_for(state, caller, slug, Action::SetRole).await?;
    let role = Role::parse(role)?;
    let target =
        state.store.member_by_handle(&handle.to_ascii_lowercase()).await?.ok_or(AppError::NotFound("member"))?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.set_role(&org.id, &target.id, role).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CreateTokenInput {
    pub name: String,
    /// Scopes, e.g. `["members:read"]`.
    pub scopes: Vec<String>,
}

/// A token and its secret, which is shown this once and never again.
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

pub async fn create_token(
    state: &AppState,
    caller: &Caller,
    slug: &str,
    input: &CreateTokenInput,
) -> Result<CreatedToken, AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let me = caller.require_member()?;
    let name = token::parse_name(&input.name);
    let scopes = Scope::parse_set(&input.scopes);
    let (name, scopes) = merge(name.map_err(AppError::from), scopes.map_err(AppError::from))?;
    let secret = token::format_secret(&random_bytes());
    let mut tx = state.store.write(&me.member.id).await?;
    let token = tx
        .create_token(
            &org.id,
            &name,
            &token::secret_hash(&secret),
            &token::display_prefix(&secret),
            &scopes,
            &me.member.id,
        )
        .await?;
    tx.commit().await?;
    Ok(CreatedToken { token, secret })
}

pub async fn revoke_token(state: &AppState, caller: &Caller, slug: &str, token_id: &str) -> Result<(), AppError> {
    let org = org_for(state, caller, slug, Action::ManageTokens).await?;
    let mut tx = state.store.write(&caller.audit_actor()).await?;
    tx.revoke_token(&org.id, token_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Every domain the commune uses (profiles, proposals, delegations and the attributes' domain
/// weights), sorted, for pickers and for catching typos.
pub async fn known_domains(state: &AppState) -> Result<Vec<String>, AppError> {
    let mut domains = state.store.known_domains().await?;
    for attribute in state.store.attributes().await? {
        domains.extend(attribute.domain_weights.into_iter().map(|(d, _)| d));
    }
    domains.sort();
    domains.dedup();
    Ok(domains)
}

/// Sets the caller's avatar from an uploaded picture (PNG, JPEG or WebP, at most 256 KiB; the
/// type is read from the bytes), or removes it with `None` (back to the identicon).
pub async fn set_avatar(state: &AppState, caller: &Caller, bytes: Option<&[u8]>) -> Result<(), AppError> {
    caller.authorize(state, None, Action::EditOwnProfile).await?;
    let me = caller.require_member()?;
    let avatar = match bytes {
        Some(bytes) => Some((commune_domain::identity::avatar_type(bytes)?, bytes)),
        None => None,
    };
    let mut tx = state.store.write(&me.member.id).await?;
    tx.set_avatar(&me.member.id, avatar).await?;
    tx.commit().await?;
    Ok(())
}
