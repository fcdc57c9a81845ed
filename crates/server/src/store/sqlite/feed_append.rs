//! Appending a push's entries to the feed on SQLite: the entries, the
//! scopes each belongs to (with each scope's chain after it) and the
//! customers each concerns; and counting salespersons' customer moves.

use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::{SqlitePushTx, ROWS_PER_STATEMENT};
use crate::error::HubError;
use crate::push::FeedRow;
use crate::store::rows::to_i64;

impl SqlitePushTx {
    pub(super) async fn append_feed(
        &mut self,
        tenant_id: Uuid,
        first_position: u64,
        rows: &[FeedRow],
    ) -> Result<(), HubError> {
        let tenant_id = tenant_id.to_string();
        let first_position = to_i64(first_position, "position")?;
        for (chunk_index, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
            let chunk_start = first_position + (chunk_index * ROWS_PER_STATEMENT) as i64;
            let mut insert = QueryBuilder::<Sqlite>::new("INSERT INTO feed (tenant_id, position, op_id, chain) ");
            insert.push_values(chunk.iter().enumerate(), |mut columns, (index, row)| {
                columns
                    .push_bind(tenant_id.clone())
                    .push_bind(chunk_start + index as i64)
                    .push_bind(row.op_id.to_string())
                    .push_bind(row.chain.to_vec());
            });
            insert.build().execute(&mut *self.0).await?;
        }
        let scoped: Vec<(i64, &str, &[u8; 32])> = rows
            .iter()
            .enumerate()
            .flat_map(|(index, row)| {
                let position = first_position + index as i64;
                row.scopes
                    .iter()
                    .map(move |(scope, chain)| (position, scope.as_str(), chain))
            })
            .collect();
        for chunk in scoped.chunks(ROWS_PER_STATEMENT) {
            let mut insert =
                QueryBuilder::<Sqlite>::new("INSERT INTO feed_scopes (tenant_id, scope, position, chain) ");
            insert.push_values(chunk, |mut columns, (position, scope, chain)| {
                columns
                    .push_bind(tenant_id.clone())
                    .push_bind(*scope)
                    .push_bind(*position)
                    .push_bind(chain.to_vec());
            });
            insert.build().execute(&mut *self.0).await?;
        }
        let customers: Vec<(i64, Uuid)> = rows
            .iter()
            .enumerate()
            .flat_map(|(index, row)| {
                let position = first_position + index as i64;
                row.customers.iter().map(move |customer| (position, *customer))
            })
            .collect();
        for chunk in customers.chunks(ROWS_PER_STATEMENT) {
            let mut insert =
                QueryBuilder::<Sqlite>::new("INSERT INTO feed_customers (tenant_id, customer_id, position) ");
            insert.push_values(chunk, |mut columns, (position, customer)| {
                columns
                    .push_bind(tenant_id.clone())
                    .push_bind(customer.to_string())
                    .push_bind(*position);
            });
            insert.build().execute(&mut *self.0).await?;
        }
        Ok(())
    }

    /// Counts one more customer move for each of these salespersons.
    pub(super) async fn count_customer_moves(&mut self, tenant_id: Uuid, moved: &[Uuid]) -> Result<(), HubError> {
        for user_id in moved {
            sqlx::query("UPDATE users SET customers_version = customers_version + 1 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id.to_string())
                .bind(user_id.to_string())
                .execute(&mut *self.0)
                .await?;
        }
        Ok(())
    }
}
