//! Blobs on PostgreSQL: content-addressed per tenant, written once.

use uuid::Uuid;

use super::PostgresStore;
use crate::error::HubError;
use crate::store::rows::to_i64;
use crate::store::NewBlob;

impl PostgresStore {
    pub(super) async fn put_blob_inner(&self, blob: &NewBlob) -> Result<bool, HubError> {
        let inserted = sqlx::query(
            "INSERT INTO blobs (tenant_id, sha256, size_bytes, content, created_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, sha256) DO NOTHING",
        )
        .bind(blob.tenant_id)
        .bind(&blob.sha256[..])
        .bind(blob.content.len() as i64)
        .bind(&blob.content)
        .bind(to_i64(blob.now_ms, "time")?)
        .execute(&self.pool)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    pub(super) async fn blob_inner(&self, tenant_id: Uuid, sha256: [u8; 32]) -> Result<Option<Vec<u8>>, HubError> {
        Ok(
            sqlx::query_scalar("SELECT content FROM blobs WHERE tenant_id = $1 AND sha256 = $2")
                .bind(tenant_id)
                .bind(&sha256[..])
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
