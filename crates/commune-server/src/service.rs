//! The operations of the foundation, shared by the JSON API and the web UI: each one validates
//! input with the domain, authorizes the caller, and writes through one audited transaction.
//! Handlers only translate HTTP to these calls and back.

use crate::auth::{Caller, SignedIn, hash_password, random_bytes, random_token, verify_password};
use crate::error::AppError;
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

pub async fn login(
    state: &AppState,
    handle: &str,
    password: &str,
    client: Option<&str>,
) -> Result<NewSession, AppError> {
    let handle = Handle::parse(handle).map_err(|_| AppError::BadCredentials)?;
    if let Some(client) = client {
        state.client_limiter.check(&format!("login:{client}"))?;
    }
    state.login_limiter.check(handle.as_str())?;
    let credentials = state.store.credentials(handle.as_str()).await?;
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    if password.len() > commune_domain::identity::PASSWORD_MAX_BYTES
        || !verify_password(password.to_owned(), stored).await?
    {
        return Err(AppError::BadCredentials);
    }
    let member_id = credentials.map(|c| c.member_id).ok_or(AppError::BadCredentials)?;
    let member = state.store.member_by_id(&member_id).await?.ok_or(AppError::BadCredentials)?;
    let secret = random_token();
    let csrf = random_token();
    let mut tx = state.store.write(&member.id).await?;
    tx.create_session(&token::secret_hash(&secret), &member.id, &csrf, state.config.session_ttl_ms).await?;
    tx.commit().await?;
    Ok(NewSession { member, secret, csrf })
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
