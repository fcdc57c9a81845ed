//! The feed head on SQLite, for the live channel. One process is the whole
//! hub, so there is nothing to tell other instances.

use uuid::Uuid;

use super::SqliteStore;
use crate::error::HubError;

impl SqliteStore {
    pub(super) async fn feed_head_inner(&self, tenant_id: Uuid) -> Result<u64, HubError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT feed_head FROM tenants WHERE id = $1")
            .bind(tenant_id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        Ok(head.unwrap_or(0) as u64)
    }
}
