//! Till shifts on this device: opening with a float, the cash the drawer
//! should hold (float + cash taken − cash refunded − change given, in the
//! shift's currency), and closing with the cash counted and the variance.
//! Shifts are this device's own records; they are not synced.

use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{Currency, Money};
use crate::store::{Store, WriteTx};

/// A shift, open or closed. `expected` is the cash the drawer should hold:
/// so far while open, at closing once closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shift {
    pub id: Uuid,
    pub location_id: Uuid,
    pub float: Money,
    pub opened_by: Uuid,
    pub opened_ms: u64,
    pub closed_by: Option<Uuid>,
    pub closed_ms: Option<u64>,
    pub expected: Money,
    pub counted: Option<Money>,
    /// `counted − expected`: negative when cash is missing.
    pub variance: Option<Money>,
}

type ShiftRow = (
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const SHIFT_COLUMNS: &str = "id, location_id, currency, float_minor, opened_by, opened_ms, opened_hlc, closed_by, \
                             closed_ms, expected_minor, counted_minor";

/// Cash movements of one device at one location since a stamp, in one
/// currency: cash payments of sales and refunds of returns (negative),
/// minus the change handed back.
const CASH_SQL: &str = "SELECT
    coalesce((SELECT sum(p.amount_minor) FROM payments p JOIN sales s ON s.id = p.doc_id
              WHERE p.method = 'cash' AND p.currency = ?1 AND s.hlc_device = ?2 AND s.hlc >= ?3
                AND s.location_id = ?4), 0)
  + coalesce((SELECT sum(p.amount_minor) FROM payments p JOIN returns r ON r.id = p.doc_id
              WHERE p.method = 'cash' AND p.currency = ?1 AND r.hlc_device = ?2 AND r.hlc >= ?3
                AND r.location_id = ?4), 0)
  - coalesce((SELECT sum(change_minor) FROM sales
              WHERE currency = ?1 AND hlc_device = ?2 AND hlc >= ?3 AND location_id = ?4), 0)";

async fn cash_since(
    conn: &mut sqlx::SqliteConnection,
    currency: Currency,
    device: &str,
    since_hlc: i64,
    location_id: &str,
) -> Result<i64> {
    Ok(sqlx::query_scalar(CASH_SQL)
        .bind(currency.as_str())
        .bind(device)
        .bind(since_hlc)
        .bind(location_id)
        .fetch_one(conn)
        .await?)
}

fn shift_from_row(row: ShiftRow, expected_now: Option<i64>) -> Result<Shift> {
    let (id, location_id, currency, float_minor, opened_by, opened_ms, _, closed_by, closed_ms, expected, counted) =
        row;
    let currency: Currency = currency.parse()?;
    let expected = expected.or(expected_now).unwrap_or(float_minor);
    Ok(Shift {
        id: parse_uuid(&id)?,
        location_id: parse_uuid(&location_id)?,
        float: Money::new(float_minor, currency),
        opened_by: parse_uuid(&opened_by)?,
        opened_ms: opened_ms as u64,
        closed_by: closed_by.as_deref().map(parse_uuid).transpose()?,
        closed_ms: closed_ms.map(|ms| ms as u64),
        expected: Money::new(expected, currency),
        counted: counted.map(|minor| Money::new(minor, currency)),
        variance: counted.map(|minor| Money::new(minor - expected, currency)),
    })
}

impl WriteTx<'_> {
    async fn open_shift_row(&mut self) -> Result<Option<ShiftRow>> {
        let sql = format!("SELECT {SHIFT_COLUMNS} FROM shifts WHERE closed_ms IS NULL ORDER BY opened_ms DESC LIMIT 1");
        Ok(sqlx::query_as(&sql).fetch_optional(self.conn()).await?)
    }
}

impl Store {
    /// Opens a shift on this till at `location_id` with `float` in the
    /// drawer. One shift is open per device at a time: a second is
    /// `conflict`.
    pub async fn open_shift(&self, session: &Session, location_id: Uuid, float: Money) -> Result<Shift> {
        session.require(Permission::Sell)?;
        if float.minor < 0 {
            return Err(CoreError::invalid("float", "must not be negative"));
        }
        let mut write = self.write(session).await?;
        write.require_location(location_id, true).await?;
        if write.open_shift_row().await?.is_some() {
            return Err(CoreError::Conflict {
                entity: "open shift",
                key: "this till".into(),
            });
        }
        let id = write.new_id();
        let hlc = write.stamp();
        let now_ms = write.now_ms() as i64;
        sqlx::query(
            "INSERT INTO shifts (id, location_id, currency, float_minor, opened_by, opened_ms, opened_hlc)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(location_id.to_string())
        .bind(float.currency.as_str())
        .bind(float.minor)
        .bind(write.user_id.to_string())
        .bind(now_ms)
        .bind(hlc.to_i64())
        .execute(write.conn())
        .await?;
        write.commit().await?;
        self.shift(id).await
    }

    /// The open shift of this till, with the cash expected so far.
    pub async fn current_shift(&self) -> Result<Option<Shift>> {
        let sql = format!("SELECT {SHIFT_COLUMNS} FROM shifts WHERE closed_ms IS NULL ORDER BY opened_ms DESC LIMIT 1");
        let row: Option<ShiftRow> = sqlx::query_as(&sql).fetch_optional(self.reader()).await?;
        match row {
            Some(row) => Ok(Some(self.with_expected(row).await?)),
            None => Ok(None),
        }
    }

    /// One shift by id.
    pub async fn shift(&self, id: Uuid) -> Result<Shift> {
        let sql = format!("SELECT {SHIFT_COLUMNS} FROM shifts WHERE id = ?");
        let row: Option<ShiftRow> = sqlx::query_as(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        self.with_expected(row.ok_or_else(|| CoreError::not_found("shift", id))?)
            .await
    }

    async fn with_expected(&self, row: ShiftRow) -> Result<Shift> {
        if row.9.is_some() {
            return shift_from_row(row, None);
        }
        let device = self.device_info().await?.device_id.to_string();
        let mut conn = self.reader().acquire().await?;
        let cash = cash_since(&mut conn, row.2.parse()?, &device, row.6, &row.1).await?;
        shift_from_row(row.clone(), Some(row.3 + cash))
    }

    /// Closes the open shift with the cash counted in the drawer (in the
    /// shift's currency). Returns the shift with expected, counted and the
    /// variance. No open shift is `not_found`.
    pub async fn close_shift(&self, session: &Session, counted: Money) -> Result<Shift> {
        session.require(Permission::Sell)?;
        if counted.minor < 0 {
            return Err(CoreError::invalid("counted cash", "must not be negative"));
        }
        let mut write = self.write(session).await?;
        let row = write
            .open_shift_row()
            .await?
            .ok_or_else(|| CoreError::not_found("open shift", "this till"))?;
        let currency: Currency = row.2.parse()?;
        if counted.currency != currency {
            return Err(CoreError::CurrencyMismatch {
                expected: currency.to_string(),
                found: counted.currency.to_string(),
            });
        }
        let device = write.device_text.clone();
        let cash = cash_since(write.conn(), currency, &device, row.6, &row.1).await?;
        let expected = row.3.checked_add(cash).ok_or(CoreError::Overflow)?;
        let hlc = write.stamp();
        let now_ms = write.now_ms() as i64;
        sqlx::query(
            "UPDATE shifts SET closed_by = ?, closed_ms = ?, closed_hlc = ?, expected_minor = ?, counted_minor = ?
             WHERE id = ?",
        )
        .bind(write.user_id.to_string())
        .bind(now_ms)
        .bind(hlc.to_i64())
        .bind(expected)
        .bind(counted.minor)
        .bind(&row.0)
        .execute(write.conn())
        .await?;
        write.commit().await?;
        self.shift(parse_uuid(&row.0)?).await
    }
}
