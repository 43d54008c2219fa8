//! Per-backend migrations, embedded in the binary and applied in order, each in its own
//! transaction, with a checksum so an edited migration is caught instead of silently skipped.
//!
//! Written by hand rather than with `sqlx::migrate!`: that macro needs sqlx's compile-time
//! machinery and one migration folder per database type, while the `Any` pool picks its backend
//! at run time. The runner is forty lines.

use crate::connect::Store;
use crate::sql::Backend;
use crate::{Result, StoreError};
use sha2::{Digest, Sha256};
use sqlx::{Acquire, Row};

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    /// A query counting rows that this migration cannot carry over, and what to do about them:
    /// the migration is refused (and nothing changes) while the count is above zero.
    pub refuse_if: Option<(&'static str, &'static str)>,
}

/// Tallies counted with floating-point weights cannot be recounted exactly.
const FLOAT_TALLIES: Option<(&str, &str)> = Some((
    "SELECT CAST(COUNT(*) AS BIGINT) FROM tallies",
    "this database holds tallies counted with floating-point weights by an earlier Commune, which cannot be recounted exactly; export what you need (commune ledger export, the ballot exports) and start from a fresh database",
));

/// The migration set of a backend, in order.
pub fn migrations(backend: Backend) -> &'static [Migration] {
    const SQLITE: &[Migration] = &[
        Migration {
            version: 1,
            name: "foundation",
            sql: include_str!("../migrations/sqlite/0001_foundation.sql"),
            refuse_if: None,
        },
        Migration {
            version: 2,
            name: "governance",
            sql: include_str!("../migrations/sqlite/0002_governance.sql"),
            refuse_if: None,
        },
        Migration {
            version: 3,
            name: "merit",
            sql: include_str!("../migrations/sqlite/0003_merit.sql"),
            refuse_if: None,
        },
        Migration {
            version: 4,
            name: "ledger",
            sql: include_str!("../migrations/sqlite/0004_ledger.sql"),
            refuse_if: None,
        },
        Migration {
            version: 5,
            name: "trust",
            sql: include_str!("../migrations/sqlite/0005_trust.sql"),
            refuse_if: FLOAT_TALLIES,
        },
        Migration {
            version: 6,
            name: "checkpoints",
            sql: include_str!("../migrations/sqlite/0006_checkpoints.sql"),
            refuse_if: None,
        },
        Migration {
            version: 7,
            name: "inbox",
            sql: include_str!("../migrations/sqlite/0007_inbox.sql"),
            refuse_if: None,
        },
        Migration {
            version: 8,
            name: "capital",
            sql: include_str!("../migrations/sqlite/0008_capital.sql"),
            refuse_if: None,
        },
        Migration {
            version: 9,
            name: "expenses",
            sql: include_str!("../migrations/sqlite/0009_expenses.sql"),
            refuse_if: None,
        },
        Migration {
            version: 10,
            name: "patronage",
            sql: include_str!("../migrations/sqlite/0010_patronage.sql"),
            refuse_if: None,
        },
        Migration {
            version: 11,
            name: "funding",
            sql: include_str!("../migrations/sqlite/0011_funding.sql"),
            refuse_if: None,
        },
        Migration {
            version: 12,
            name: "work",
            sql: include_str!("../migrations/sqlite/0012_work.sql"),
            refuse_if: None,
        },
        Migration {
            version: 13,
            name: "learn",
            sql: include_str!("../migrations/sqlite/0013_learn.sql"),
            refuse_if: None,
        },
        Migration {
            version: 14,
            name: "ideas",
            sql: include_str!("../migrations/sqlite/0014_ideas.sql"),
            refuse_if: None,
        },
        Migration {
            version: 15,
            name: "oidc",
            sql: include_str!("../migrations/sqlite/0015_oidc.sql"),
            refuse_if: None,
        },
        Migration {
            version: 16,
            name: "webhooks",
            sql: include_str!("../migrations/sqlite/0016_webhooks.sql"),
            refuse_if: None,
        },
        Migration {
            version: 17,
            name: "activitypub",
            sql: include_str!("../migrations/sqlite/0017_activitypub.sql"),
            refuse_if: None,
        },
        Migration {
            version: 18,
            name: "chapters",
            sql: include_str!("../migrations/sqlite/0018_chapters.sql"),
            refuse_if: None,
        },
        Migration {
            version: 19,
            name: "home_sign_in",
            sql: include_str!("../migrations/sqlite/0019_home_sign_in.sql"),
            refuse_if: None,
        },
        Migration {
            version: 20,
            name: "politics",
            sql: include_str!("../migrations/sqlite/0020_politics.sql"),
            refuse_if: None,
        },
        Migration {
            version: 21,
            name: "campaigns",
            sql: include_str!("../migrations/sqlite/0021_campaigns.sql"),
            refuse_if: None,
        },
    ];
    const POSTGRES: &[Migration] = &[
        Migration {
            version: 1,
            name: "foundation",
            sql: include_str!("../migrations/postgres/0001_foundation.sql"),
            refuse_if: None,
        },
        Migration {
            version: 2,
            name: "governance",
            sql: include_str!("../migrations/postgres/0002_governance.sql"),
            refuse_if: None,
        },
        Migration {
            version: 3,
            name: "merit",
            sql: include_str!("../migrations/postgres/0003_merit.sql"),
            refuse_if: None,
        },
        Migration {
            version: 4,
            name: "ledger",
            sql: include_str!("../migrations/postgres/0004_ledger.sql"),
            refuse_if: None,
        },
        Migration {
            version: 5,
            name: "trust",
            sql: include_str!("../migrations/postgres/0005_trust.sql"),
            refuse_if: FLOAT_TALLIES,
        },
        Migration {
            version: 6,
            name: "checkpoints",
            sql: include_str!("../migrations/postgres/0006_checkpoints.sql"),
            refuse_if: None,
        },
        Migration {
            version: 7,
            name: "inbox",
            sql: include_str!("../migrations/postgres/0007_inbox.sql"),
            refuse_if: None,
        },
        Migration {
            version: 8,
            name: "capital",
            sql: include_str!("../migrations/postgres/0008_capital.sql"),
            refuse_if: None,
        },
        Migration {
            version: 9,
            name: "expenses",
            sql: include_str!("../migrations/postgres/0009_expenses.sql"),
            refuse_if: None,
        },
        Migration {
            version: 10,
            name: "patronage",
            sql: include_str!("../migrations/postgres/0010_patronage.sql"),
            refuse_if: None,
        },
        Migration {
            version: 11,
            name: "funding",
            sql: include_str!("../migrations/postgres/0011_funding.sql"),
            refuse_if: None,
        },
        Migration {
            version: 12,
            name: "work",
            sql: include_str!("../migrations/postgres/0012_work.sql"),
            refuse_if: None,
        },
        Migration {
            version: 13,
            name: "learn",
            sql: include_str!("../migrations/postgres/0013_learn.sql"),
            refuse_if: None,
        },
        Migration {
            version: 14,
            name: "ideas",
            sql: include_str!("../migrations/postgres/0014_ideas.sql"),
            refuse_if: None,
        },
        Migration {
            version: 15,
            name: "oidc",
            sql: include_str!("../migrations/postgres/0015_oidc.sql"),
            refuse_if: None,
        },
        Migration {
            version: 16,
            name: "webhooks",
            sql: include_str!("../migrations/postgres/0016_webhooks.sql"),
            refuse_if: None,
        },
        Migration {
            version: 17,
            name: "activitypub",
            sql: include_str!("../migrations/postgres/0017_activitypub.sql"),
            refuse_if: None,
        },
        Migration {
            version: 18,
            name: "chapters",
            sql: include_str!("../migrations/postgres/0018_chapters.sql"),
            refuse_if: None,
        },
        Migration {
            version: 19,
            name: "home_sign_in",
            sql: include_str!("../migrations/postgres/0019_home_sign_in.sql"),
            refuse_if: None,
        },
        Migration {
            version: 20,
            name: "politics",
            sql: include_str!("../migrations/postgres/0020_politics.sql"),
            refuse_if: None,
        },
        Migration {
            version: 21,
            name: "campaigns",
            sql: include_str!("../migrations/postgres/0021_campaigns.sql"),
            refuse_if: None,
        },
    ];
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

impl Store {
    /// Applies every pending migration; returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        let postgres = self.backend() == Backend::Postgres;
        if postgres {
            // Two servers starting together must not both migrate.
            sqlx::query("SELECT count(*) FROM (SELECT pg_advisory_lock(7060320251128)) AS locked")
                .execute(&mut *conn)
                .await?;
        }
        let result = self.apply_pending(&mut conn).await;
        if postgres {
            sqlx::query("SELECT pg_advisory_unlock(7060320251128)").execute(&mut *conn).await?;
        }
        result
    }

    async fn apply_pending(&self, conn: &mut sqlx::pool::PoolConnection<sqlx::Any>) -> Result<Vec<i64>> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS commune_migrations (
                version BIGINT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )",
        )
        .execute(&mut **conn)
        .await?;
        let applied: Vec<(i64, String)> =
            sqlx::query("SELECT version, checksum FROM commune_migrations ORDER BY version")
                .fetch_all(&mut **conn)
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, sqlx::Error>>()?;
        let mut now_applied = Vec::new();
        for migration in migrations(self.backend()) {
            let sum = checksum(migration.sql);
            if let Some((_, stored)) = applied.iter().find(|(v, _)| *v == migration.version) {
                if *stored != sum {
                    return Err(StoreError::Migration(format!(
                        "migration {} ({}) was changed after it was applied; restore it and add a new migration instead",
                        migration.version, migration.name
                    )));
                }
                continue;
            }
            if let Some((count, why)) = migration.refuse_if {
                let blocking: i64 = sqlx::query(count).fetch_one(&mut **conn).await?.try_get(0)?;
                if blocking > 0 {
                    return Err(StoreError::Migration(format!(
                        "migration {} ({}) cannot run: {why}",
                        migration.version, migration.name
                    )));
                }
            }
            let mut tx = conn.begin().await?;
            sqlx::raw_sql(migration.sql).execute(&mut *tx).await.map_err(|e| {
                StoreError::Migration(format!("migration {} ({}) failed: {e}", migration.version, migration.name))
            })?;
            sqlx::query("INSERT INTO commune_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(migration.version)
                .bind(migration.name)
                .bind(sum)
                .bind(crate::write::now_ms())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            now_applied.push(migration.version);
        }
        Ok(now_applied)
    }
}
