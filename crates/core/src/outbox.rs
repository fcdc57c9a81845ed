//! Reading the outbox: the ops waiting for the hub, in sequence order. The
//! sync engine drops them once the hub has acknowledged them.

use stockroom_protocol::{Hlc, Op, OpEnvelope};

use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::store::Store;

impl Store {
    /// Up to `limit` unacknowledged ops, oldest first, ready to push.
    pub async fn outbox_pending(&self, limit: u32) -> Result<Vec<OpEnvelope>> {
        self.outbox_from(0, limit).await
    }

    /// Up to `limit` outbox ops from sequence number `from_seq` on, in order.
    pub async fn outbox_from(&self, from_seq: u64, limit: u32) -> Result<Vec<OpEnvelope>> {
        let device = self.device_info().await?;
        let rows: Vec<(i64, String, i64, String, String, i64, String)> = sqlx::query_as(
            "SELECT seq, op_id, hlc, user_id, op_type, type_version, payload FROM outbox WHERE seq >= ?
             ORDER BY seq LIMIT ?",
        )
        .bind(from_seq as i64)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await?;
        rows.into_iter()
            .map(|(seq, op_id, hlc, user_id, op_type, type_version, payload)| {
                let payload: serde_json::Value =
                    serde_json::from_str(&payload).map_err(|_| CoreError::corrupt(format!("outbox op {seq}")))?;
                let op =
                    Op::from_parts(&op_type, payload).map_err(|_| CoreError::corrupt(format!("outbox op {seq}")))?;
                Ok(OpEnvelope {
                    op_id: parse_uuid(&op_id)?,
                    device_id: device.device_id,
                    epoch: device.epoch,
                    seq: seq as u64,
                    hlc: Hlc::from_i64(hlc).map_err(|_| CoreError::corrupt("outbox HLC"))?,
                    user_id: parse_uuid(&user_id)?,
                    type_version: type_version as u32,
                    op,
                })
            })
            .collect()
    }

    /// Number of ops not yet acknowledged by the hub.
    pub async fn outbox_len(&self) -> Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(self.reader())
            .await?;
        Ok(count as u64)
    }
}
