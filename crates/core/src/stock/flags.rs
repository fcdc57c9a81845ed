//! Flags raised for a manager when a fact breaks a rule (negative stock, a
//! movement within clock uncertainty of a count): listing them and marking
//! them resolved. Flags are this device's own; they are not synced.

use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::store::{FlagCode, Store};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub id: Uuid,
    pub code: FlagCode,
    /// What the flag is about: a product, a movement, a customer.
    pub entity_id: Option<Uuid>,
    pub detail: String,
    pub created_ms: u64,
    pub resolved: bool,
    pub resolved_by: Option<Uuid>,
    pub resolved_ms: Option<u64>,
}

type FlagRow = (
    String,
    String,
    Option<String>,
    String,
    i64,
    bool,
    Option<String>,
    Option<i64>,
);

fn flag_from_row(row: FlagRow) -> Result<Flag> {
    let (id, code, entity_id, detail, created_ms, resolved, resolved_by, resolved_ms) = row;
    Ok(Flag {
        id: parse_uuid(&id)?,
        code: FlagCode::parse(&code).ok_or_else(|| CoreError::corrupt(format!("flag code {code:?}")))?,
        entity_id: entity_id.as_deref().map(parse_uuid).transpose()?,
        detail,
        created_ms: created_ms as u64,
        resolved,
        resolved_by: resolved_by.as_deref().map(parse_uuid).transpose()?,
        resolved_ms: resolved_ms.map(|ms| ms as u64),
    })
}

impl Store {
    /// Flags, newest first: only the unresolved ones, or all.
    pub async fn flags(&self, open_only: bool) -> Result<Vec<Flag>> {
        let rows: Vec<FlagRow> = sqlx::query_as(
            "SELECT id, code, entity_id, detail, created_ms, resolved, resolved_by, resolved_ms
             FROM flags
             WHERE resolved = 0 OR ?1 = 0
             ORDER BY created_ms DESC, rowid DESC",
        )
        .bind(open_only)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(flag_from_row).collect()
    }

    /// Marks a flag dealt with, recording who and when. Resolving a flag
    /// twice keeps the first resolution.
    pub async fn resolve_flag(&self, session: &Session, flag_id: Uuid) -> Result<()> {
        session.require(Permission::ResolveFlags)?;
        let mut write = self.write(session).await?;
        let resolved: Option<bool> = sqlx::query_scalar("SELECT resolved FROM flags WHERE id = ?")
            .bind(flag_id.to_string())
            .fetch_optional(write.conn())
            .await?;
        match resolved {
            None => return Err(CoreError::not_found("flag", flag_id)),
            Some(true) => return Ok(()),
            Some(false) => {}
        }
        let user_id = write.user_id.to_string();
        let now_ms = write.now_ms() as i64;
        sqlx::query("UPDATE flags SET resolved = 1, resolved_by = ?, resolved_ms = ? WHERE id = ?")
            .bind(user_id)
            .bind(now_ms)
            .bind(flag_id.to_string())
            .execute(write.conn())
            .await?;
        write.commit().await
    }
}
