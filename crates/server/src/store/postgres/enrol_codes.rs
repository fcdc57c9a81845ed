//! One-time enrolment codes on PostgreSQL. Taking a code locks its row
//! (`FOR UPDATE`), so of two enrolments racing for one code only one wins.

use uuid::Uuid;

use super::{role_of, PostgresStore};
use crate::error::HubError;
use crate::store::rows::to_i64;
use crate::store::{NewEnrolCode, TakeEnrolCode, TakenCode};

/// A code and its user, as read when taking it.
#[derive(sqlx::FromRow)]
struct CodeRow {
    tenant_id: Uuid,
    user_id: Uuid,
    expires_ms: i64,
    used_ms: Option<i64>,
    username: String,
    role: String,
    active: bool,
    location_id: Option<Uuid>,
}

impl PostgresStore {
    pub(super) async fn create_enrol_code_inner(&self, code: &NewEnrolCode) -> Result<(), HubError> {
        sqlx::query(
            "INSERT INTO enrol_codes
                 (code_hash, tenant_id, user_id, created_by, created_device, created_ms, expires_ms, location_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&code.code_hash[..])
        .bind(code.tenant_id)
        .bind(code.user_id)
        .bind(code.created_by)
        .bind(code.created_device)
        .bind(to_i64(code.created_ms, "time")?)
        .bind(to_i64(code.expires_ms, "time")?)
        .bind(code.location_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn take_enrol_code_inner(&self, take: &TakeEnrolCode) -> Result<TakenCode, HubError> {
        let mut tx = self.pool.begin().await?;
        let row: Option<CodeRow> = sqlx::query_as(
            "SELECT c.tenant_id, c.user_id, c.expires_ms, c.used_ms, u.username, u.role, u.active, c.location_id
             FROM enrol_codes c JOIN users u ON u.id = c.user_id
             WHERE c.code_hash = $1
             FOR UPDATE OF c",
        )
        .bind(&take.code_hash[..])
        .fetch_optional(&mut *tx)
        .await?;
        let Some(CodeRow {
            tenant_id,
            user_id,
            expires_ms,
            used_ms,
            username,
            role,
            active,
            location_id,
        }) = row
        else {
            return Ok(TakenCode::Unknown);
        };
        let now_ms = to_i64(take.now_ms, "time")?;
        let named_other = take
            .username
            .as_deref()
            .is_some_and(|given| given.to_lowercase() != username.to_lowercase());
        let taken = if named_other {
            TakenCode::Unknown
        } else if used_ms.is_some() {
            TakenCode::Used
        } else if now_ms >= expires_ms {
            TakenCode::Expired
        } else if !active {
            TakenCode::UserInactive
        } else {
            sqlx::query("UPDATE enrol_codes SET used_ms = $2, used_device = $3 WHERE code_hash = $1")
                .bind(&take.code_hash[..])
                .bind(now_ms)
                .bind(take.device_id)
                .execute(&mut *tx)
                .await?;
            TakenCode::Taken {
                tenant_id,
                user_id,
                username,
                role: role_of(&role)?,
                location_id,
            }
        };
        tx.commit().await?;
        Ok(taken)
    }
}
