//! Hub accounts changed by a push on PostgreSQL: reading the accounts a
//! `user.set` touches, making or updating one, and the accounts made on the
//! hub still to be fed (see `crate::push`).

use sqlx::PgConnection;
use stockroom_protocol::ops::UserSet;
use uuid::Uuid;

use super::role_of;
use crate::error::HubError;
use crate::push::Account;
use crate::store::rows::{account_display_name, to_i64, SAVE_ACCOUNT};

pub(super) async fn accounts(
    conn: &mut PgConnection,
    ids: &[Uuid],
    folded_usernames: &[String],
) -> Result<Vec<Account>, HubError> {
    let rows: Vec<(Uuid, Uuid, String, String)> = sqlx::query_as(
        "SELECT id, tenant_id, username, role FROM users
         WHERE id = ANY($1::uuid[]) OR lower(username) = ANY($2::text[])",
    )
    .bind(ids)
    .bind(folded_usernames)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, tenant_id, username, role)| {
            Ok(Account {
                id,
                tenant_id,
                username,
                role: role_of(&role)?,
            })
        })
        .collect()
}

pub(super) async fn save_account(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user: &UserSet,
    now_ms: u64,
) -> Result<(), HubError> {
    sqlx::query(SAVE_ACCOUNT)
        .bind(user.id)
        .bind(tenant_id)
        .bind(user.username.trim())
        .bind(account_display_name(user))
        .bind(&user.role)
        .bind(user.active)
        .bind(to_i64(now_ms, "time")?)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn unfed_accounts(conn: &mut PgConnection, tenant_id: Uuid) -> Result<Vec<UserSet>, HubError> {
    let rows: Vec<(Uuid, String, String, String, bool)> = sqlx::query_as(
        "SELECT id, username, display_name, role, active FROM users
         WHERE tenant_id = $1 AND NOT fed ORDER BY created_ms, id",
    )
    .bind(tenant_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display_name, role, active)| UserSet {
            id,
            username,
            display_name,
            role,
            active,
        })
        .collect())
}

pub(super) async fn mark_fed(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(), HubError> {
    sqlx::query("UPDATE users SET fed = true WHERE id = ANY($1::uuid[])")
        .bind(ids)
        .execute(conn)
        .await?;
    Ok(())
}
