//! The provider's signing keys: RSA-3072, RS256 (the algorithm every OpenID Connect client
//! supports). One key signs. A rotation first publishes the next key for [`PUBLISH_AHEAD_MS`],
//! so clients' cached key sets hold it before it signs anything; then it signs and the previous
//! key stays published for [`KEY_GRACE_MS`], so every token it signed still verifies; then the
//! scheduler retires it.
//! Private halves are stored sealed under the instance key; JWTs are made and checked by the
//! `jsonwebtoken` crate.

use crate::error::AppError;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commune_domain::authz::Action;
use commune_domain::oidc::{KEY_GRACE_MS, KeyState, PUBLISH_AHEAD_MS, promotion_due, published, rotation_due};
use commune_store::{SigningKey, StoreError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::de::DeserializeOwned;

const ALG: &str = "RS256";

fn purpose(kid: &str) -> String {
    format!("oidc-key:{kid}")
}

/// Generates a key (off the async runtime: RSA generation takes a moment) as a row to store.
async fn generate(state: &AppState, key_state: KeyState) -> Result<SigningKey, AppError> {
    let instance_key = state.config.instance_key.clone();
    tokio::task::spawn_blocking(move || {
        let private = <rsa::PrivateKey as rsa::Generate>::generate();
        let public = private.to_public_key();
        let kid = hex::encode(&crate::secrets::random_bytes()[..8]);
        let jwk = serde_json::json!({
            "kty": "RSA",
            "use": "sig",
            "alg": ALG,
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_be_bytes()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_be_bytes()),
        });
        let der = private.to_pkcs1_der().map_err(|e| anyhow::anyhow!("encode key: {e}"))?;
        Ok::<_, anyhow::Error>(SigningKey {
            sealed_private: instance_key.seal(&purpose(&kid), der.as_bytes()),
            kid,
            alg: ALG.into(),
            public_jwk: jwk.to_string(),
            state: key_state.as_str().into(),
            created_at: 0,
            retire_at: 0,
        })
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::Internal)
}

/// The published keys (active and previous within their grace), creating the first key on
/// first use.
async fn live(state: &AppState, now: i64) -> Result<Vec<SigningKey>, AppError> {
    let mut keys = state.store.signing_keys().await?;
    if !keys.iter().any(|k| k.state == KeyState::Active.as_str()) {
        let first = generate(state, KeyState::Active).await?;
        let mut tx = state.store.write("system").await?;
        match tx.insert_signing_key(&first).await {
            Ok(()) => tx.commit().await?,
            Err(StoreError::Conflict(_)) => {} // another request created it first: use theirs
            Err(other) => return Err(other.into()),
        }
        keys = state.store.signing_keys().await?;
    }
    Ok(keys.into_iter().filter(|k| is_published(k, now)).collect())
}

fn is_published(key: &SigningKey, now: i64) -> bool {
    KeyState::parse(&key.state).is_some_and(|s| published(s, key.retire_at, now))
}

/// The JSON Web Key Set of the published keys.
pub async fn jwks(state: &AppState, now: i64) -> Result<serde_json::Value, AppError> {
    let keys = live(state, now).await?;
    let keys: Vec<serde_json::Value> = keys.iter().filter_map(|k| serde_json::from_str(&k.public_jwk).ok()).collect();
    Ok(serde_json::json!({ "keys": keys }))
}

/// Signs claims with the active key.
pub async fn sign(state: &AppState, now: i64, typ: &str, claims: &serde_json::Value) -> Result<String, AppError> {
    let keys = live(state, now).await?;
    let active = keys
        .iter()
        .find(|k| k.state == KeyState::Active.as_str())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no active signing key")))?;
    let der =
        state.config.instance_key.open(&purpose(&active.kid), &active.sealed_private).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("the signing key does not open with this instance key"))
        })?;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(active.kid.clone());
    header.typ = Some(typ.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).map_err(AppError::internal)
}

/// What [`verify`] checks besides the signature by a published key.
pub struct Expect<'a> {
    pub issuer: &'a str,
    /// The audience the token must name; `None` skips the check.
    pub audience: Option<&'a str>,
    /// Refuse expired tokens (an `id_token_hint` may be expired).
    pub check_exp: bool,
}

/// Checks a JWT this provider issued: a published key's RS256 signature, the issuer, and as asked
/// the audience and expiry. `None` for anything else.
pub async fn verify<T: DeserializeOwned>(state: &AppState, now: i64, token: &str, expect: Expect<'_>) -> Option<T> {
    let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
    let keys = live(state, now).await.ok()?;
    let key = keys.iter().find(|k| k.kid == kid)?;
    let jwk: serde_json::Value = serde_json::from_str(&key.public_jwk).ok()?;
    let decoding = DecodingKey::from_rsa_components(jwk["n"].as_str()?, jwk["e"].as_str()?).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[expect.issuer]);
    validation.leeway = 0;
    validation.validate_exp = expect.check_exp;
    match expect.audience {
        Some(aud) => validation.set_audience(&[aud]),
        None => validation.validate_aud = false,
    }
    if !expect.check_exp {
        validation.required_spec_claims.remove("exp");
    }
    jsonwebtoken::decode::<T>(token, &decoding, &validation).ok().map(|data| data.claims)
}

/// Where a rotation stands.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Rotation {
    /// The key that signs now.
    pub active: String,
    /// The key published ahead, if a rotation is under way.
    pub next: Option<String>,
    /// When the next key starts signing (unix ms), if one is published.
    pub next_signs_at: Option<i64>,
}

fn find(keys: &[SigningKey], state: KeyState) -> Option<&SigningKey> {
    keys.iter().find(|k| k.state == state.as_str())
}

fn no_active() -> AppError {
    AppError::Internal(anyhow::anyhow!("no active signing key"))
}

/// Rotates the signing key, for the commune's stewards (`POST /api/v1/admin/oidc/rotate`): starts
/// a rotation (the next key is published now and signs after [`PUBLISH_AHEAD_MS`]), or with
/// `immediately` (a suspected leak) makes the next key sign at once — clients whose cached key
/// set predates it then fetch the set again.
pub async fn rotate(
    state: &AppState,
    caller: &crate::caller::Caller,
    immediately: bool,
    now: i64,
) -> Result<Rotation, AppError> {
    caller.authorize(state, None, Action::AdministerInstance).await?;
    let actor = caller.audit_actor();
    let keys = live(state, now).await?;
    let next = match find(&keys, KeyState::Next) {
        Some(next) => next.clone(),
        None => stage(state, &actor, now).await?,
    };
    if immediately {
        let active = find(&keys, KeyState::Active).ok_or_else(no_active)?;
        promote(state, &actor, &active.kid, &next.kid, now).await?;
        return Ok(Rotation { active: next.kid, next: None, next_signs_at: None });
    }
    let active = find(&keys, KeyState::Active).ok_or_else(no_active)?;
    Ok(Rotation {
        active: active.kid.clone(),
        next_signs_at: Some(next.created_at.max(0) + PUBLISH_AHEAD_MS),
        next: Some(next.kid),
    })
}

async fn stage(state: &AppState, actor: &str, now: i64) -> Result<SigningKey, AppError> {
    let mut next = generate(state, KeyState::Next).await?;
    let mut tx = state.store.write_at(actor, now).await?;
    tx.insert_signing_key(&next).await.map_err(|e| match e {
        StoreError::Conflict(_) => AppError::Rule("a key rotation is already under way".into()),
        other => other.into(),
    })?;
    tx.commit().await?;
    next.created_at = now;
    tracing::info!(next = %next.kid, "published the next OpenID Connect signing key");
    Ok(next)
}

async fn promote(state: &AppState, actor: &str, active: &str, next: &str, now: i64) -> Result<(), AppError> {
    let mut tx = state.store.write_at(actor, now).await?;
    tx.promote_signing_key(active, next, now + KEY_GRACE_MS).await?;
    tx.commit().await?;
    tracing::info!(previous = %active, active = %next, "rotated the OpenID Connect signing key");
    Ok(())
}

/// The scheduler's part: retire previous keys past their grace, let a next key sign once it was
/// published long enough, and start a rotation when the active key is past its lifetime.
pub async fn tick(state: &AppState, now: i64) -> Result<(), AppError> {
    let keys = state.store.signing_keys().await?;
    if keys.iter().any(|k| k.state == KeyState::Previous.as_str() && k.retire_at <= now) {
        let mut tx = state.store.write_at("system", now).await?;
        if tx.retire_signing_keys(now).await? > 0 {
            tx.commit().await?;
        }
    }
    let (active, next) = (find(&keys, KeyState::Active), find(&keys, KeyState::Next));
    match (active, next) {
        (Some(active), Some(next)) if promotion_due(next.created_at, now) => {
            promote(state, "system", &active.kid, &next.kid, now).await?;
        }
        (Some(active), None) if rotation_due(active.created_at, now) => {
            stage(state, "system", now).await?;
        }
        _ => {}
    }
    Ok(())
}
