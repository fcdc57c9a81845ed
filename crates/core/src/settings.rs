//! Small device settings the app keeps in the database (its mode, the UI
//! locale): text by key, device only, never synced.

use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::store::Store;

/// Longest key or value kept.
const MAX_SETTING_CHARS: usize = 256;

impl Store {
    /// The value of setting `key`, if set.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM device_settings WHERE key = ?")
            .bind(key)
            .fetch_optional(self.reader())
            .await?)
    }

    /// Sets (or replaces) setting `key`.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        if key.is_empty() || key.chars().count() > MAX_SETTING_CHARS {
            return Err(CoreError::invalid("setting", "the key must be 1 to 256 characters"));
        }
        if value.chars().count() > MAX_SETTING_CHARS {
            return Err(CoreError::invalid(
                "setting",
                "the value must be at most 256 characters",
            ));
        }
        let mut write = self.write_as(Uuid::nil()).await?;
        sqlx::query(
            "INSERT INTO device_settings (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(write.conn())
        .await?;
        write.commit().await
    }
}
