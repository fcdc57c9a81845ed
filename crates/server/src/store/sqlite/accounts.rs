//! Hub accounts changed by a push on SQLite: reading the accounts a
//! `user.set` touches, making or updating one, and the accounts made on the
//! hub still to be fed (see `crate::push`).

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use stockroom_protocol::ops::UserSet;
use uuid::Uuid;

use super::{parse_uuid, role_of};
use crate::error::HubError;
use crate::push::Account;
use crate::store::rows::{account_display_name, to_i64, SAVE_ACCOUNT};

pub(super) async fn accounts(
    conn: &mut SqliteConnection,
    ids: &[Uuid],
    folded_usernames: &[String],
) -> Result<Vec<Account>, HubError> {
    let mut select = QueryBuilder::<Sqlite>::new("SELECT id, tenant_id, username, role FROM users WHERE id IN (");
    let mut values = select.separated(", ");
    for id in ids {
        values.push_bind(id.to_string());
    }
    select.push(") OR lower(username) IN (");
    let mut values = select.separated(", ");
    for username in folded_usernames {
        values.push_bind(username.as_str());
    }
    select.push(")");
    let rows: Vec<(String, String, String, String)> = select.build_query_as().fetch_all(conn).await?;
    rows.into_iter()
        .map(|(id, tenant_id, username, role)| {
            Ok(Account {
                id: parse_uuid(&id)?,
                tenant_id: parse_uuid(&tenant_id)?,
                username,
                role: role_of(&role)?,
            })
        })
        .collect()
}

pub(super) async fn save_account(
    conn: &mut SqliteConnection,
    tenant_id: Uuid,
    user: &UserSet,
    now_ms: u64,
) -> Result<(), HubError> {
    sqlx::query(SAVE_ACCOUNT)
        .bind(user.id.to_string())
        .bind(tenant_id.to_string())
        .bind(user.username.trim())
        .bind(account_display_name(user))
        .bind(&user.role)
        .bind(user.active)
        .bind(to_i64(now_ms, "time")?)
        .execute(conn)
        .await?;
    Ok(())
}

pub(super) async fn unfed_accounts(conn: &mut SqliteConnection, tenant_id: Uuid) -> Result<Vec<UserSet>, HubError> {
    let rows: Vec<(String, String, String, String, bool)> = sqlx::query_as(
        "SELECT id, username, display_name, role, active FROM users
         WHERE tenant_id = $1 AND NOT fed ORDER BY created_ms, id",
    )
    .bind(tenant_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, username, display_name, role, active)| {
            Ok(UserSet {
                id: parse_uuid(&id)?,
                username,
                display_name,
                role,
                active,
            })
        })
        .collect()
}

pub(super) async fn mark_fed(conn: &mut SqliteConnection, ids: &[Uuid]) -> Result<(), HubError> {
    let mut update = QueryBuilder::<Sqlite>::new("UPDATE users SET fed = 1 WHERE id IN (");
    let mut values = update.separated(", ");
    for id in ids {
        values.push_bind(id.to_string());
    }
    update.push(")");
    update.build().execute(conn).await?;
    Ok(())
}
