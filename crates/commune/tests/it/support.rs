//! The test harness: a fresh store per test on the backend under test (SQLite by default;
//! PostgreSQL when `COMMUNE_TEST_DATABASE_URL` names a database whose role may create databases),
//! the real router driven in-process, and helpers to act as members and tokens.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use commune_server::{AppState, Config};
use commune_store::Store;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";
/// The bearer token that opens `/metrics` in tests.
pub const METRICS_TOKEN: &str = "metrics-test-token";

const DAY: i64 = 24 * 3_600_000;
/// When a test proposal's vote opens and closes, from now: past every kind's discussion and
/// voting floors, money-scaled and constitutional ones included.
pub const OPENS_IN: i64 = 8 * DAY;
pub const CLOSES_IN: i64 = 20 * DAY;

/// Where a test's database lives: its URL and what to delete afterwards (the folder of a SQLite
/// file, or the PostgreSQL database: some 20 MB each, and a run makes hundreds).
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
    postgres: Option<(String, String)>,
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database, ending the test's own connections first. Drop cannot await,
    /// so a thread with its own runtime does it and is joined.
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let store = Store::connect(&admin_url).await.ok()?;
                let done =
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(store.pool()).await;
                store.close().await;
                done.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: could not drop a test database; .ci/run sweeps leftovers (commune_t_*)");
        }
    }
}

/// A temporary folder removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("commune-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("COMMUNE_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

/// A fresh, empty database on the backend under test.
pub async fn fresh_db() -> TestDb {
    match postgres_url() {
        Some(admin_url) => {
            let name = format!("commune_t_{}", uuid::Uuid::now_v7().simple());
            let store = Store::connect(&admin_url).await.expect("connect to the PostgreSQL test server");
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(store.pool())
                .await
                .expect("create a test database (does the role have CREATEDB?)");
            store.close().await;
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
            TestDb { url: format!("{base}/{name}"), _dir: None, postgres: Some((admin_url.clone(), name)) }
        }
        None => {
            let dir = TempDir::new();
            let url = format!("sqlite://{}", dir.0.join("commune.db").display());
            TestDb { url, _dir: Some(dir), postgres: None }
        }
    }
}

/// The application under test, with its store.
pub struct TestApp {
    pub db: TestDb,
    pub store: Store,
    pub state: AppState,
    pub router: Router,
}

impl TestApp {
    /// An empty instance (no commune yet), with `/metrics` behind [`METRICS_TOKEN`].
    pub async fn empty() -> TestApp {
        TestApp::with_config(Config { metrics_token: Some(METRICS_TOKEN.into()), ..Config::default() }).await
    }

    pub async fn with_config(config: Config) -> TestApp {
        let db = fresh_db().await;
        let store = Store::connect(&db.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let state = AppState::new(store.clone(), config);
        let router = commune_server::app(state.clone());
        TestApp { db, store, state, router }
    }

    /// An instance with a commune (`root`) stewarded by `root`.
    pub async fn set_up() -> TestApp {
        TestApp::set_up_with(Config { metrics_token: Some(METRICS_TOKEN.into()), ..Config::default() }).await
    }

    /// [`TestApp::set_up`] with a configuration.
    pub async fn set_up_with(config: Config) -> TestApp {
        let app = TestApp::with_config(config).await;
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/setup",
                &Auth::None,
                Some(json!({
                    "commune_name": "Test Commune", "commune_slug": "root",
                    "handle": "root", "display_name": "Root Steward", "password": PASSWORD
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "setup: {body}");
        app
    }

    /// Sends a request through the real router; returns the status and the JSON body (or the
    /// text as a JSON string, or null when empty).
    pub async fn call(&self, method: Method, path: &str, auth: &Auth, body: Option<Value>) -> (StatusCode, Value) {
        let response = self.send(self.request(method, path, auth, body)).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("read the body").to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, value)
    }

    pub fn request(&self, method: Method, path: &str, auth: &Auth, body: Option<Value>) -> Request<Body> {
        let mut builder = Request::builder().method(method).uri(path);
        builder = auth.apply(builder);
        match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
            None => builder.body(Body::empty()).expect("request"),
        }
    }

    pub async fn send(&self, request: Request<Body>) -> axum::response::Response {
        self.router.clone().oneshot(request).await.expect("the router never fails")
    }

    /// Signs up `handle` and logs in; returns their session.
    pub async fn member(&self, handle: &str) -> Auth {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/members",
                &Auth::None,
                Some(json!({ "handle": handle, "display_name": handle.to_uppercase(), "password": PASSWORD })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "sign-up of {handle}: {body}");
        self.login(handle).await
    }

    pub async fn login(&self, handle: &str) -> Auth {
        self.login_with(handle, PASSWORD).await
    }

    /// Signs in with a given password (the demo's members share one).
    pub async fn login_with(&self, handle: &str, password: &str) -> Auth {
        let request = self.request(
            Method::POST,
            "/api/v1/sessions",
            &Auth::None,
            Some(json!({ "handle": handle, "password": password })),
        );
        let response = self.send(request).await;
        assert_eq!(response.status(), StatusCode::CREATED, "login of {handle}");
        let cookie = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("commune_session="))
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body: Value = serde_json::from_slice(&bytes).expect("json");
        let csrf = body["csrf_token"].as_str().expect("a CSRF token").to_owned();
        Auth::Session { cookie, csrf }
    }

    /// Creates an organisation stewarded by `steward`.
    pub async fn org(&self, steward: &Auth, slug: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/orgs",
                steward,
                Some(json!({ "slug": slug, "name": slug.to_uppercase(), "kind": "business" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create org {slug}: {body}");
        body
    }

    /// Makes `member` a plain member of `slug` through request and admission.
    pub async fn admit(&self, steward: &Auth, member: &Auth, slug: &str) {
        let (status, body) =
            self.call(Method::POST, &format!("/api/v1/orgs/{slug}/join-requests"), member, Some(json!({}))).await;
        assert_eq!(status, StatusCode::CREATED, "join request: {body}");
        let id = body["id"].as_str().expect("request id");
        let (status, body) =
            self.call(Method::POST, &format!("/api/v1/orgs/{slug}/join-requests/{id}/admit"), steward, None).await;
        assert_eq!(status, StatusCode::OK, "admit: {body}");
    }

    /// Creates a token of `slug` with `scopes`; returns it as bearer auth.
    pub async fn token(&self, steward: &Auth, slug: &str, scopes: &[&str]) -> Auth {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/api/v1/orgs/{slug}/tokens"),
                steward,
                Some(json!({ "name": "test", "scopes": scopes })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create token: {body}");
        Auth::Bearer(body["secret"].as_str().expect("secret").to_owned())
    }

    /// The number of audit entries: every successful change adds at least one, a refused one none.
    pub async fn audit_len(&self) -> i64 {
        self.store.audit_head().await.expect("audit head").entries
    }
}

/// How a test request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Session {
        cookie: String,
        csrf: String,
    },
    Bearer(String),
    /// A session cookie without its CSRF header.
    CookieOnly(String),
}

impl Auth {
    fn apply(&self, builder: axum::http::request::Builder) -> axum::http::request::Builder {
        match self {
            Auth::None => builder,
            Auth::Session { cookie, csrf } => builder.header(header::COOKIE, cookie).header("x-csrf-token", csrf),
            Auth::CookieOnly(cookie) => builder.header(header::COOKIE, cookie),
            Auth::Bearer(secret) => builder.header(header::AUTHORIZATION, format!("Bearer {secret}")),
        }
    }

    pub fn cookie(&self) -> &str {
        match self {
            Auth::Session { cookie, .. } | Auth::CookieOnly(cookie) => cookie,
            _ => "",
        }
    }
}

/// Asserts an API error: its status and stable machine code.
#[track_caller]
pub fn check_error(result: (StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(result.0, status, "body: {}", result.1);
    assert_eq!(result.1["error"]["code"], code, "body: {}", result.1);
    assert!(result.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a human message: {}", result.1);
}
