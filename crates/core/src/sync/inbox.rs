//! The inbox a person acts on: what the hub refused or flagged among this
//! device's ops (and feed entries this device could not apply), and the
//! open rule-breach flags raised here. Either can be dismissed.

use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::store::Store;

/// Where an inbox item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboxSource {
    /// A sync notice: `rejected`, `flagged` or `not_applied`.
    Notice,
    /// A flag raised on this device (negative stock, clock doubt, ...).
    Flag,
}

/// One entry of the inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxItem {
    /// Stable id to dismiss it with (`flag:<uuid>` for flags).
    pub id: String,
    pub source: InboxSource,
    /// `rejected`, `flagged`, `not_applied` or `flag`.
    pub kind: String,
    /// The stable code (`negative_stock`, `credit_limit`, a hub rejection).
    pub code: String,
    /// The op type a notice is about.
    pub op_type: Option<String>,
    /// The product, customer or movement a flag is about.
    pub entity_id: Option<Uuid>,
    pub detail: Option<String>,
    pub created_ms: u64,
}

const FLAG_PREFIX: &str = "flag:";

impl Store {
    /// Undismissed sync notices and open flags, newest first, at most
    /// `limit`.
    pub async fn inbox(&self, limit: u32) -> Result<Vec<InboxItem>> {
        let limit = i64::from(limit.clamp(1, 1000));
        let rows: Vec<(String, String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT id, kind, code, op_type, detail, created_ms FROM sync_notices
             WHERE dismissed_ms IS NULL ORDER BY created_ms DESC, id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut items: Vec<InboxItem> = rows
            .into_iter()
            .map(|(id, kind, code, op_type, detail, created_ms)| InboxItem {
                id,
                source: InboxSource::Notice,
                kind,
                code,
                op_type: Some(op_type),
                entity_id: None,
                detail,
                created_ms: created_ms as u64,
            })
            .collect();
        for flag in self.flags(true).await?.into_iter().take(limit as usize) {
            items.push(InboxItem {
                id: format!("{FLAG_PREFIX}{}", flag.id),
                source: InboxSource::Flag,
                kind: "flag".into(),
                code: flag.code.as_str().into(),
                op_type: None,
                entity_id: flag.entity_id,
                detail: Some(flag.detail),
                created_ms: flag.created_ms,
            });
        }
        items.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.id.cmp(&b.id)));
        items.truncate(limit as usize);
        Ok(items)
    }

    /// Dismisses an inbox item: a flag is resolved, a notice hidden. Needs
    /// the right to resolve flags (managers and owners).
    pub async fn dismiss_inbox_item(&self, session: &Session, id: &str) -> Result<()> {
        session.require(Permission::ResolveFlags)?;
        if let Some(flag_id) = id.strip_prefix(FLAG_PREFIX) {
            let flag_id = Uuid::parse_str(flag_id).map_err(|_| CoreError::not_found("inbox item", id))?;
            return self.resolve_flag(session, flag_id).await;
        }
        let mut write = self.write(session).await?;
        let now_ms = write.now_ms() as i64;
        let changed = sqlx::query("UPDATE sync_notices SET dismissed_ms = ? WHERE id = ? AND dismissed_ms IS NULL")
            .bind(now_ms)
            .bind(id)
            .execute(write.conn())
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(CoreError::not_found("inbox item", id));
        }
        write.commit().await
    }
}
