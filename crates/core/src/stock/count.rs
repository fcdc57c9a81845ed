//! Count sessions: local work (start, key in counted quantities, see the
//! variance, cancel) until committed into `count` movements, the ledger's
//! reset points. Only the products counted are reset.

use sqlx::{Executor, Sqlite};
use stockroom_protocol::ops::MovementKind;
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::Qty;
use crate::store::{Store, WriteTx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountStatus {
    /// Being counted; nothing in the ledger yet.
    Open,
    /// Turned into `count` movements.
    Committed,
    /// Abandoned; nothing reached the ledger.
    Cancelled,
}

impl CountStatus {
    pub const ALL: [CountStatus; 3] = [CountStatus::Open, CountStatus::Committed, CountStatus::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            CountStatus::Open => "open",
            CountStatus::Committed => "committed",
            CountStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(name: &str) -> Option<CountStatus> {
        CountStatus::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

/// A count of one location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountSession {
    pub id: Uuid,
    pub location_id: Uuid,
    pub status: CountStatus,
    pub started_by: Uuid,
    pub started_ms: u64,
    /// The stamp of the `count` movements, once committed.
    pub committed_hlc: Option<Hlc>,
}

/// One counted product. While the session is open `expected` is the current
/// stock level; once committed it is the level the count replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountLine {
    pub product_id: Uuid,
    /// Empty when the product has not reached this device yet.
    pub sku: String,
    pub name: String,
    pub expected: Qty,
    pub counted: Qty,
    /// `counted - expected`: positive when more was found than expected.
    pub variance: Qty,
    /// When the line was keyed: its reset point.
    pub counted_at: Hlc,
}

type CountSessionRow = (String, String, String, String, i64, Option<i64>);

fn count_session_from_row(row: CountSessionRow) -> Result<CountSession> {
    let (id, location_id, status, started_by, started_ms, committed_hlc) = row;
    Ok(CountSession {
        id: parse_uuid(&id)?,
        location_id: parse_uuid(&location_id)?,
        status: CountStatus::parse(&status).ok_or_else(|| CoreError::corrupt(format!("count status {status:?}")))?,
        started_by: parse_uuid(&started_by)?,
        started_ms: started_ms as u64,
        committed_hlc: committed_hlc
            .map(Hlc::from_i64)
            .transpose()
            .map_err(|_| CoreError::corrupt("count HLC"))?,
    })
}

const COUNT_SESSION_COLUMNS: &str = "id, location_id, status, started_by, started_ms, committed_hlc";

/// The session's lines; `expected` is the saved one if committed, else the
/// current level at the session's location.
async fn count_lines_of<'c, E>(executor: E, count_id: Uuid) -> Result<Vec<CountLine>>
where
    E: Executor<'c, Database = Sqlite>,
{
    // Open lines expect the level as of the moment they were keyed: the live
    // level less the changes stamped after that moment.
    let rows: Vec<(String, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT l.product_id, coalesce(p.sku, ''), coalesce(p.name, ''),
                coalesce(l.expected_milli, coalesce(sl.qty_milli, 0) - coalesce((
                    SELECT sum(m.qty_milli) FROM stock_movements m
                    WHERE m.product_id = l.product_id AND m.location_id = s.location_id
                      AND m.kind != 'count' AND m.hlc > l.counted_hlc), 0)),
                l.counted_milli, l.counted_hlc
         FROM count_lines l
         JOIN count_sessions s ON s.id = l.session_id
         LEFT JOIN products p ON p.id = l.product_id
         LEFT JOIN stock_levels sl ON sl.product_id = l.product_id AND sl.location_id = s.location_id
         WHERE l.session_id = ?
         ORDER BY 3, 2, 1",
    )
    .bind(count_id.to_string())
    .fetch_all(executor)
    .await?;
    rows.into_iter()
        .map(|(product_id, sku, name, expected_milli, counted_milli, counted_hlc)| {
            Ok(CountLine {
                product_id: parse_uuid(&product_id)?,
                counted_at: Hlc::from_i64(counted_hlc).map_err(|_| CoreError::corrupt("count line stamp"))?,
                sku,
                name,
                expected: Qty(expected_milli),
                counted: Qty(counted_milli),
                variance: Qty(counted_milli.checked_sub(expected_milli).ok_or(CoreError::Overflow)?),
            })
        })
        .collect()
}

impl WriteTx<'_> {
    /// The location of count `count_id`, which must still be open.
    async fn open_count_location(&mut self, count_id: Uuid) -> Result<Uuid> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT location_id, status FROM count_sessions WHERE id = ?")
                .bind(count_id.to_string())
                .fetch_optional(self.conn())
                .await?;
        let (location_id, status) = row.ok_or_else(|| CoreError::not_found("count session", count_id))?;
        if status != CountStatus::Open.as_str() {
            return Err(CoreError::invalid(
                "count session",
                format!("count {count_id} is {status}, not open"),
            ));
        }
        parse_uuid(&location_id)
    }
}

impl Store {
    /// Starts counting `location_id`. One open count per location: a second
    /// fails with `conflict`. Returns the count's id.
    pub async fn start_count(&self, session: &Session, location_id: Uuid) -> Result<Uuid> {
        session.require(Permission::CountStock)?;
        let mut write = self.write(session).await?;
        write.require_location(location_id, true).await?;
        let open: Option<String> =
            sqlx::query_scalar("SELECT id FROM count_sessions WHERE location_id = ? AND status = 'open'")
                .bind(location_id.to_string())
                .fetch_optional(write.conn())
                .await?;
        if let Some(open) = open {
            return Err(CoreError::Conflict {
                entity: "open count at location",
                key: format!("{location_id} (count {open})"),
            });
        }
        let count_id = write.new_id();
        let started_ms = write.now_ms() as i64;
        let user_id = write.user_id.to_string();
        sqlx::query(
            "INSERT INTO count_sessions (id, location_id, status, started_by, started_ms) VALUES (?, ?, 'open', ?, ?)",
        )
        .bind(count_id.to_string())
        .bind(location_id.to_string())
        .bind(user_id)
        .bind(started_ms)
        .execute(write.conn())
        .await?;
        write.commit().await?;
        Ok(count_id)
    }

    /// Sets (or replaces) the counted quantity of one product, as scanned or
    /// keyed in. Zero is a real count: the shelf is empty.
    pub async fn set_count_line(
        &self,
        session: &Session,
        count_id: Uuid,
        product_id: Uuid,
        counted: Qty,
    ) -> Result<()> {
        session.require(Permission::CountStock)?;
        if counted.milli() < 0 {
            return Err(CoreError::invalid("quantity", "a counted quantity cannot be negative"));
        }
        let mut write = self.write(session).await?;
        write.open_count_location(count_id).await?;
        write.require_product(product_id).await?;
        let counted_at = write.stamp();
        sqlx::query(
            "INSERT INTO count_lines (session_id, product_id, counted_milli, counted_hlc) VALUES (?, ?, ?, ?)
             ON CONFLICT(session_id, product_id) DO UPDATE
             SET counted_milli = excluded.counted_milli, counted_hlc = excluded.counted_hlc",
        )
        .bind(count_id.to_string())
        .bind(product_id.to_string())
        .bind(counted.milli())
        .bind(counted_at.to_i64())
        .execute(write.conn())
        .await?;
        write.commit().await
    }

    /// Takes a product out of an open count: its stock will not be reset.
    pub async fn remove_count_line(&self, session: &Session, count_id: Uuid, product_id: Uuid) -> Result<()> {
        session.require(Permission::CountStock)?;
        let mut write = self.write(session).await?;
        write.open_count_location(count_id).await?;
        let removed = sqlx::query("DELETE FROM count_lines WHERE session_id = ? AND product_id = ?")
            .bind(count_id.to_string())
            .bind(product_id.to_string())
            .execute(write.conn())
            .await?
            .rows_affected();
        if removed == 0 {
            return Err(CoreError::not_found("count line", product_id));
        }
        write.commit().await
    }

    /// One count session.
    pub async fn count_session(&self, count_id: Uuid) -> Result<CountSession> {
        let sql = format!("SELECT {COUNT_SESSION_COLUMNS} FROM count_sessions WHERE id = ?");
        let row: Option<CountSessionRow> = sqlx::query_as(&sql)
            .bind(count_id.to_string())
            .fetch_optional(self.reader())
            .await?;
        count_session_from_row(row.ok_or_else(|| CoreError::not_found("count session", count_id))?)
    }

    /// The open count at `location_id`, if any.
    pub async fn open_count_at(&self, location_id: Uuid) -> Result<Option<CountSession>> {
        let sql =
            format!("SELECT {COUNT_SESSION_COLUMNS} FROM count_sessions WHERE location_id = ? AND status = 'open'");
        let row: Option<CountSessionRow> = sqlx::query_as(&sql)
            .bind(location_id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.map(count_session_from_row).transpose()
    }

    /// The counted products with expected quantity and variance: before
    /// committing, what the commit would change; after, what it changed.
    pub async fn count_lines(&self, count_id: Uuid) -> Result<Vec<CountLine>> {
        self.count_session(count_id).await?;
        count_lines_of(self.reader(), count_id).await
    }

    /// Commits an open count: one `count` movement per counted product, each
    /// stamped when its line was keyed (its reset point, so changes made
    /// since still count), the expected quantities saved on the lines, and
    /// one `stock.moved` op. Products not counted
    /// keep their level. Returns the lines with their variance.
    pub async fn commit_count(&self, session: &Session, count_id: Uuid) -> Result<Vec<CountLine>> {
        session.require(Permission::CountStock)?;
        let mut write = self.write(session).await?;
        let location_id = write.open_count_location(count_id).await?;
        let lines = count_lines_of(write.conn(), count_id).await?;
        if lines.is_empty() {
            return Err(CoreError::invalid("count session", "nothing has been counted"));
        }
        let hlc = write.stamp();
        for line in &lines {
            sqlx::query("UPDATE count_lines SET expected_milli = ? WHERE session_id = ? AND product_id = ?")
                .bind(line.expected.milli())
                .bind(count_id.to_string())
                .bind(line.product_id.to_string())
                .execute(write.conn())
                .await?;
        }
        sqlx::query("UPDATE count_sessions SET status = 'committed', committed_hlc = ? WHERE id = ?")
            .bind(hlc.to_i64())
            .bind(count_id.to_string())
            .execute(write.conn())
            .await?;
        let movements = lines
            .iter()
            .map(|line| {
                write.movement(
                    MovementKind::Count,
                    line.product_id,
                    location_id,
                    line.counted.milli(),
                    line.counted_at,
                    Some(count_id),
                )
            })
            .collect();
        write.record_stock_moved(hlc, movements, None).await?;
        write.commit().await?;
        Ok(lines)
    }

    /// Abandons an open count; nothing reaches the ledger.
    pub async fn cancel_count(&self, session: &Session, count_id: Uuid) -> Result<()> {
        session.require(Permission::CountStock)?;
        let mut write = self.write(session).await?;
        write.open_count_location(count_id).await?;
        sqlx::query("UPDATE count_sessions SET status = 'cancelled' WHERE id = ?")
            .bind(count_id.to_string())
            .execute(write.conn())
            .await?;
        write.commit().await
    }
}
