//! The benchmark's raw limit: a twin of the transfer log written without engine or audit, and
//! the backend's durability settings in words.

use crate::error::Result;
use sqlx::Row;

use super::rows::*;

impl crate::Store {
    /// The benchmark's raw limit: creates `table` as a twin of the transfer log (same columns,
    /// types and indexes: the primary key and the unique id), replacing any earlier one.
    pub async fn create_raw_twin(&self, table: &str) -> Result<()> {
        let blob = match self.backend() {
            crate::Backend::Sqlite => "BLOB",
            crate::Backend::Postgres => "BYTEA",
        };
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(&self.pool).await?;
        sqlx::query(&format!(
            "CREATE TABLE {table} (seq BIGINT PRIMARY KEY NOT NULL, id {blob} NOT NULL UNIQUE, \
             debit_account_id {blob} NOT NULL, credit_account_id {blob} NOT NULL, amount BIGINT NOT NULL, \
             requested BIGINT NOT NULL, pending_id {blob}, timeout BIGINT NOT NULL, ledger BIGINT NOT NULL, \
             code BIGINT NOT NULL, flags BIGINT NOT NULL, user_data {blob}, at_ms BIGINT NOT NULL, expires_at BIGINT, \
             debit_prev_seq BIGINT NOT NULL, credit_prev_seq BIGINT NOT NULL)"
        ))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Inserts rows into a raw twin in one plain transaction: no engine, no audit.
    pub async fn insert_raw_rows(&self, table: &str, rows: &[TransferRecord]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_rows(&mut tx, self.backend(), table, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The settings that decide what an acknowledged write survives (see
    /// `commune_domain::durability`).
    pub async fn durability_settings(&self) -> Result<commune_domain::durability::Settings> {
        use commune_domain::durability::Settings;
        Ok(match self.backend() {
            crate::Backend::Sqlite => {
                let mode: String = sqlx::query("PRAGMA journal_mode").fetch_one(self.reader()).await?.try_get(0)?;
                let synchronous: i64 = sqlx::query("PRAGMA synchronous").fetch_one(self.reader()).await?.try_get(0)?;
                Settings::Sqlite { journal_mode: mode.to_lowercase(), synchronous }
            }
            crate::Backend::Postgres => {
                let show = |name: &'static str| async move {
                    let value: String =
                        sqlx::query(&format!("SHOW {name}")).fetch_one(self.reader()).await?.try_get(0)?;
                    Ok::<String, crate::StoreError>(value)
                };
                let sync_standbys: i64 =
                    sqlx::query("SELECT COUNT(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')")
                        .fetch_one(self.reader())
                        .await?
                        .try_get(0)?;
                let in_recovery: bool =
                    sqlx::query("SELECT pg_is_in_recovery()").fetch_one(self.reader()).await?.try_get(0)?;
                Settings::Postgres {
                    synchronous_commit: show("synchronous_commit").await?,
                    fsync: show("fsync").await? == "on",
                    synchronous_standby_names: show("synchronous_standby_names").await?,
                    sync_standbys,
                    in_recovery,
                }
            }
        })
    }

    /// The backend's durability settings, in words, for benchmark reports.
    pub async fn durability(&self) -> Result<String> {
        Ok(match self.backend() {
            crate::Backend::Sqlite => {
                let mode: String = sqlx::query("PRAGMA journal_mode").fetch_one(self.reader()).await?.try_get(0)?;
                let sync: i64 = sqlx::query("PRAGMA synchronous").fetch_one(self.reader()).await?.try_get(0)?;
                let sync = match sync {
                    0 => "OFF",
                    1 => "NORMAL",
                    2 => "FULL",
                    _ => "EXTRA",
                };
                format!("journal_mode={mode} synchronous={sync}")
            }
            crate::Backend::Postgres => {
                let commit: String =
                    sqlx::query("SHOW synchronous_commit").fetch_one(self.reader()).await?.try_get(0)?;
                let fsync: String = sqlx::query("SHOW fsync").fetch_one(self.reader()).await?.try_get(0)?;
                format!("synchronous_commit={commit} fsync={fsync}")
            }
        })
    }
}
