//! The audit chain: every change is chained; `commune verify` recomputes it and fails, naming
//! the entry, when any field of any stored entry is changed.

use crate::support::TestApp;
use axum::http::Method;
use serde_json::json;
use std::process::Command;

fn verify(url: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_commune"))
        .args(["verify", "--database-url", url])
        .output()
        .expect("run commune verify");
    (
        output.status.success(),
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)),
    )
}

#[tokio::test]
async fn changes_are_chained_and_tampering_is_caught() {
    let app = TestApp::set_up().await;
    let alice = app.member("alice").await;
    app.org(&alice, "acme").await;
    let (_, _) = app.call(Method::PUT, "/api/v1/me/profile", &alice, Some(json!({ "display_name": "Alice A" }))).await;

    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
        .fetch_all(app.store.pool())
        .await
        .expect("read");
    for expected in ["member.create", "org.create", "membership.add", "session.create", "member.update_profile"] {
        assert!(actions.iter().any(|a| a == expected), "{expected} in {actions:?}");
    }
    let (ok, out) = verify(&app.db.url);
    assert!(ok, "an untouched chain verifies: {out}");
    assert!(out.contains("OK"), "{out}");

    let target: i64 = 3;
    let fields = [
        ("at_ms", "at_ms = at_ms + 1"),
        ("actor", "actor = actor || 'x'"),
        ("action", "action = 'member.delete'"),
        ("subject", "subject = subject || 'x'"),
        ("payload", "payload = '{}'"),
        (
            "prev_hash",
            "prev_hash = (CASE WHEN substr(prev_hash, 1, 1) = 'a' THEN 'b' ELSE 'a' END) || substr(prev_hash, 2)",
        ),
        ("hash", "hash = (CASE WHEN substr(hash, 1, 1) = 'a' THEN 'b' ELSE 'a' END) || substr(hash, 2)"),
        ("seq", "seq = seq + 1000"),
    ];
    let row = sqlx::query(&format!(
        "SELECT at_ms, actor, action, subject, payload, prev_hash, hash FROM audit_log WHERE seq = {target}"
    ))
    .fetch_one(app.store.pool())
    .await
    .expect("the entry");
    let at_ms: i64 = sqlx::Row::get(&row, 0);
    let text: Vec<String> = (1..7).map(|i| sqlx::Row::get(&row, i)).collect();
    for (field, change) in fields {
        sqlx::query(&format!("UPDATE audit_log SET {change} WHERE seq = {target}"))
            .execute(app.store.pool())
            .await
            .expect("tamper");
        let (ok, out) = verify(&app.db.url);
        assert!(!ok, "changing {field} must fail verification: {out}");
        assert!(
            out.contains(&format!("entry {target}")) || out.contains(&format!("entry {}", target + 1)),
            "names the broken link ({field}): {out}"
        );
        // Restore the entry for the next field.
        sqlx::query(&format!("DELETE FROM audit_log WHERE seq = {target} OR seq = {}", target + 1000))
            .execute(app.store.pool())
            .await
            .expect("remove");
        let mut insert = sqlx::query("INSERT INTO audit_log (seq, at_ms, actor, action, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(target)
            .bind(at_ms);
        for value in &text {
            insert = insert.bind(value.clone());
        }
        insert.execute(app.store.pool()).await.expect("restore");
        assert!(verify(&app.db.url).0, "restored after {field}");
    }

    // Deleting the newest entry is caught by the chain head.
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
        .execute(app.store.pool())
        .await
        .expect("truncate");
    let (ok, out) = verify(&app.db.url);
    assert!(!ok && out.contains("BROKEN"), "{out}");
}

#[tokio::test]
async fn the_chain_never_forks_under_concurrent_writers() {
    let app = TestApp::set_up().await;
    let mut handles = Vec::new();
    for i in 0..16 {
        let router = app.router.clone();
        handles.push(tokio::spawn(async move {
            let body =
                json!({ "handle": format!("con{i}"), "display_name": "C", "password": crate::support::PASSWORD });
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/api/v1/members")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .expect("request");
            tower::ServiceExt::oneshot(router, request).await.expect("response").status()
        }));
    }
    for handle in handles {
        assert_eq!(handle.await.expect("join"), axum::http::StatusCode::CREATED);
    }
    let (ok, out) = verify(&app.db.url);
    assert!(ok, "{out}");
    let admin = app.login("root").await;
    let (_, chain) = app.call(Method::POST, "/api/v1/admin/verify", &admin, None).await;
    assert_eq!(chain["intact"], true, "{chain}");
}
