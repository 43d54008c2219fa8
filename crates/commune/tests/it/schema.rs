//! Both migration sets must give the same tables, columns, types and nullability (apart from
//! SQLite's FTS5 search tables: PostgreSQL searches through an index instead).

use crate::support::{TempDir, postgres_url};
use commune_store::Store;
use sqlx::Row;
use std::collections::BTreeSet;

type Columns = BTreeSet<(String, String, String, bool)>;

async fn sqlite_columns() -> Columns {
    let dir = TempDir::new();
    let store = Store::connect(&format!("sqlite://{}", dir.0.join("schema.db").display())).await.expect("sqlite");
    store.migrate().await.expect("migrate sqlite");
    let rows = sqlx::query(
        "SELECT m.name, p.name, p.type, p.\"notnull\" FROM sqlite_master m JOIN pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'learn_fts%' ORDER BY m.name, p.cid",
    )
    .fetch_all(store.pool())
    .await
    .expect("read the SQLite schema");
    rows.iter()
        .map(|r| {
            (
                r.get::<String, _>(0),
                r.get::<String, _>(1),
                // SQLite's rowid key must be spelled INTEGER; BLOB is PostgreSQL's BYTEA.
                match r.get::<String, _>(2).to_ascii_lowercase().as_str() {
                    "integer" => "bigint".to_owned(),
                    "blob" => "bytea".to_owned(),
                    other => other.to_owned(),
                },
                r.get::<i64, _>(3) == 1,
            )
        })
        .collect()
}

async fn postgres_columns(admin_url: &str) -> Columns {
    let db = crate::support::fresh_db().await;
    assert!(db.url.starts_with("postgres"), "{admin_url}");
    let store = Store::connect(&db.url).await.expect("postgres");
    store.migrate().await.expect("migrate postgres");
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    .fetch_all(store.pool())
    .await
    .expect("read the PostgreSQL schema");
    rows.iter()
        .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<String, _>(2), r.get::<String, _>(3) == "NO"))
        .collect()
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let sqlite = sqlite_columns().await;
    let tables: BTreeSet<&str> = sqlite.iter().map(|c| c.0.as_str()).collect();
    for expected in [
        "members",
        "orgs",
        "memberships",
        "join_requests",
        "sessions",
        "api_tokens",
        "audit_log",
        "audit_head",
        "commune_migrations",
    ] {
        assert!(tables.contains(expected), "{expected} in {tables:?}");
    }
    assert!(
        sqlite.iter().all(|c| c.2 == "bigint" || c.2 == "text" || c.2 == "bytea"),
        "portable types only: {sqlite:?}"
    );
    let Some(url) = postgres_url() else {
        eprintln!("schema parity with PostgreSQL: skipped (set COMMUNE_TEST_DATABASE_URL=postgres://... to run it)");
        return;
    };
    let postgres = postgres_columns(&url).await;
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only in SQLite: {only_sqlite:?}\nonly in PostgreSQL: {only_postgres:?}"
    );
}
