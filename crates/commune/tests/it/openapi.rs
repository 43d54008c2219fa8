//! The committed OpenAPI document must equal the one generated from the code.
//! Regenerate with `UPDATE_OPENAPI=1 cargo test -p commune --test it openapi` (or `commune openapi`).

use crate::support::{Auth, TestApp};
use axum::http::{Method, StatusCode};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");

#[test]
fn the_committed_document_matches_the_code() {
    let generated = commune_server::openapi::document();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is out of date with the code; run `UPDATE_OPENAPI=1 cargo test -p commune --test it openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"].as_object().is_some_and(|p| p.len() >= 15), "all endpoints are documented");
}

#[tokio::test]
async fn the_document_is_served_and_every_route_in_it_exists() {
    let app = TestApp::set_up().await;
    let (status, doc) = app.call(Method::GET, "/api/v1/openapi.json", &Auth::None, None).await;
    assert_eq!(status, StatusCode::OK);
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let concrete = path.replace("{slug}", "root").replace("{handle}", "root").replace("{id}", "x");
            let (status, body) =
                app.call(method.to_ascii_uppercase().parse().expect("method"), &concrete, &Auth::None, None).await;
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not routed");
            assert!(
                status != StatusCode::NOT_FOUND || body["error"]["message"] != "API endpoint not found",
                "{method} {path} is documented but not routed"
            );
        }
    }
}
