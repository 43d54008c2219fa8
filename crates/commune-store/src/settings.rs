//! Instance settings: a small key-value table (instance name, whether it holds the demo).

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM instance_settings WHERE key = $1")
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }
}

impl WriteTx {
    pub async fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO instance_settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *self.tx)
        .await?;
        self.audit("setting.set", key, json!({ "value": value })).await
    }
}
