//! Applying facts and requests from the feed: sales, returns, stock
//! movements and account entries are added to their ledgers as a set by id
//! (an op applied twice, or this device's own op coming back, changes
//! nothing); orders and users are taken as the hub passed them.

use stockroom_protocol::ops::{
    OrderDecided, OrderDecision, OrderSubmitted, ReturnCompleted, SaleCompleted, StockMoved, UserSet,
};
use stockroom_protocol::sync::RowChange;
use stockroom_protocol::{Hlc, Op, OpEnvelope};

use crate::error::Result;
use crate::store::WriteTx;
use crate::sync::fields::{IncomingField, Stamp};

impl WriteTx<'_> {
    /// Applies one op from the feed. Its author is `envelope.user_id` on
    /// `envelope.device_id`; `own` says it came from this device.
    pub(crate) async fn apply_op(&mut self, envelope: &OpEnvelope, own: bool) -> Result<()> {
        self.user_id = envelope.user_id;
        let device = envelope.device_id.to_string();
        let hlc = envelope.hlc;
        match &envelope.op {
            Op::FieldsSet(set) => {
                let stamp = Stamp::new(hlc, envelope.device_id);
                let fields: Vec<IncomingField<'_>> = set
                    .fields
                    .iter()
                    .map(|(name, value)| IncomingField {
                        name: name.as_str(),
                        value,
                        stamp: stamp.clone(),
                    })
                    .collect();
                let own_op = own.then_some(envelope.op_id);
                self.merge_fields(set.entity, set.row_id, &fields, own_op, false).await
            }
            Op::StockMoved(moved) => self.apply_stock_moved(moved, hlc, &device).await,
            Op::SaleCompleted(sale) => self.apply_sale(sale, hlc, &device).await,
            Op::ReturnCompleted(completed) => self.apply_return(completed, hlc, &device).await,
            Op::PaymentReceived(entry) => self.insert_account_entry_once(entry, hlc, &device).await,
            Op::OrderSubmitted(order) => self.apply_order(order, hlc).await,
            Op::UserSet(user) => self.apply_user(user).await,
            Op::OrderDecided(decided) => self.apply_order_decided(decided).await,
        }
    }

    /// The hub's answer to an order: the order takes the status, and a
    /// rejection goes to the inbox with its reason. An answer to an order
    /// this device does not hold changes nothing.
    async fn apply_order_decided(&mut self, decided: &OrderDecided) -> Result<()> {
        let number: Option<String> =
            sqlx::query_scalar("UPDATE sales_orders SET status = ? WHERE id = ? RETURNING number")
                .bind(decided.status.as_str())
                .bind(decided.order_id.to_string())
                .fetch_optional(self.conn())
                .await?;
        if let (Some(number), OrderDecision::Rejected) = (number, decided.status) {
            let code = decided.reason.map_or("rejected", |reason| reason.as_str());
            let now_ms = self.now_ms();
            crate::sync::local::notice(
                self,
                decided.order_id,
                "order.submitted",
                "rejected",
                code,
                Some(format!("order {number}")),
                now_ms,
            )
            .await?;
        }
        Ok(())
    }

    async fn apply_stock_moved(&mut self, moved: &StockMoved, hlc: Hlc, device: &str) -> Result<()> {
        if let Some(transfer) = &moved.transfer {
            sqlx::query(
                "INSERT INTO transfers (id, number, from_location_id, to_location_id, hlc, user_id)
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            )
            .bind(transfer.id.to_string())
            .bind(&transfer.number)
            .bind(transfer.from_location_id.to_string())
            .bind(transfer.to_location_id.to_string())
            .bind(hlc.to_i64())
            .bind(self.user_id.to_string())
            .execute(self.conn())
            .await?;
        }
        self.record_movements(&moved.movements, device).await
    }

    async fn apply_sale(&mut self, sale: &SaleCompleted, hlc: Hlc, device: &str) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO sales (id, number, location_id, customer_id, user_id, currency, subtotal_minor,
                                discount_minor, tax_minor, total_minor, change_minor, hlc, hlc_device)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        )
        .bind(sale.id.to_string())
        .bind(&sale.number)
        .bind(sale.location_id.to_string())
        .bind(sale.customer_id.map(|id| id.to_string()))
        .bind(self.user_id.to_string())
        .bind(&sale.currency)
        .bind(sale.subtotal_minor)
        .bind(sale.discount_minor)
        .bind(sale.tax_minor)
        .bind(sale.total_minor)
        .bind(sale.change_minor)
        .bind(hlc.to_i64())
        .bind(device)
        .execute(self.conn())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(());
        }
        for line in &sale.lines {
            sqlx::query(
                "INSERT INTO sale_lines (id, sale_id, line_no, product_id, qty_milli, unit_price_minor,
                                         discount_minor, tax_rate_bp, tax_minor, total_minor)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            )
            .bind(line.id.to_string())
            .bind(sale.id.to_string())
            .bind(i64::from(line.line_no))
            .bind(line.product_id.to_string())
            .bind(line.qty_milli)
            .bind(line.unit_price_minor)
            .bind(line.discount_minor)
            .bind(i64::from(line.tax_rate_bp))
            .bind(line.tax_minor)
            .bind(line.total_minor)
            .execute(self.conn())
            .await?;
        }
        for payment in &sale.payments {
            self.insert_payment(sale.id, payment, hlc).await?;
        }
        self.record_movements(&sale.movements, device).await?;
        for entry in &sale.account_entries {
            self.insert_account_entry_once(entry, hlc, device).await?;
        }
        Ok(())
    }

    async fn apply_return(&mut self, completed: &ReturnCompleted, hlc: Hlc, device: &str) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO returns (id, number, sale_id, location_id, user_id, currency, total_minor, reason, hlc, hlc_device)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        )
        .bind(completed.id.to_string())
        .bind(&completed.number)
        .bind(completed.sale_id.to_string())
        .bind(completed.location_id.to_string())
        .bind(self.user_id.to_string())
        .bind(&completed.currency)
        .bind(completed.total_minor)
        .bind(completed.reason.as_deref())
        .bind(hlc.to_i64())
        .bind(device)
        .execute(self.conn())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(());
        }
        for line in &completed.lines {
            sqlx::query(
                "INSERT INTO return_lines (id, return_id, sale_line_id, product_id, qty_milli, refund_minor)
                 VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            )
            .bind(line.id.to_string())
            .bind(completed.id.to_string())
            .bind(line.sale_line_id.to_string())
            .bind(line.product_id.to_string())
            .bind(line.qty_milli)
            .bind(line.refund_minor)
            .execute(self.conn())
            .await?;
        }
        for refund in &completed.refunds {
            self.insert_payment(completed.id, refund, hlc).await?;
        }
        self.record_movements(&completed.movements, device).await?;
        for entry in &completed.account_entries {
            self.insert_account_entry_once(entry, hlc, device).await?;
        }
        Ok(())
    }

    async fn insert_account_entry_once(
        &mut self,
        entry: &stockroom_protocol::ops::AccountEntry,
        hlc: Hlc,
        device: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_entries (id, customer_id, kind, amount_minor, currency, ref_id, method, hlc, hlc_device, user_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        )
        .bind(entry.id.to_string())
        .bind(entry.customer_id.to_string())
        .bind(entry.kind.as_str())
        .bind(entry.amount_minor)
        .bind(&entry.currency)
        .bind(entry.ref_id.map(|id| id.to_string()))
        .bind(entry.method.map(|method| method.as_str()))
        .bind(hlc.to_i64())
        .bind(device)
        .bind(self.user_id.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A submitted order: recorded as submitted (the hub's decision comes
    /// right after it in the feed, as an `order.decided` op); an order this
    /// device already has keeps its status.
    async fn apply_order(&mut self, order: &OrderSubmitted, hlc: Hlc) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO sales_orders (id, number, customer_id, customer_name, salesperson_id, price_list_id, currency,
                                       status, total_minor, note, created_ms, submitted_hlc)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
        )
        .bind(order.id.to_string())
        .bind(&order.number)
        .bind(order.customer_id.to_string())
        .bind(order.customer_name.as_deref())
        .bind(order.salesperson_id.to_string())
        .bind(order.price_list_id.map(|id| id.to_string()))
        .bind(&order.currency)
        .bind(order.total_minor)
        .bind(order.note.as_deref())
        .bind(hlc.millis() as i64)
        .bind(hlc.to_i64())
        .execute(self.conn())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(());
        }
        for line in &order.lines {
            sqlx::query(
                "INSERT INTO sales_order_lines (id, order_id, line_no, product_id, qty_milli, unit_price_minor, total_minor)
                 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
            )
            .bind(line.id.to_string())
            .bind(order.id.to_string())
            .bind(i64::from(line.line_no))
            .bind(line.product_id.to_string())
            .bind(line.qty_milli)
            .bind(line.unit_price_minor)
            .bind(line.total_minor)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// A user as the hub accepted it. The PIN stays this device's own.
    ///
    /// The hub's account holds the username: a user of this device with
    /// the same name (one the hub refused as `username_taken`, made here
    /// before the device learnt of the other) gives it up, renamed to
    /// `name~abcd` after its id, so applying the feed never stops on it.
    async fn apply_user(&mut self, user: &UserSet) -> Result<()> {
        sqlx::query("UPDATE users SET username = username || '~' || substr(id, 1, 4) WHERE username = ? AND id <> ?")
            .bind(&user.username)
            .bind(user.id.to_string())
            .execute(self.conn())
            .await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, role, active, created_ms) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name,
                                           role = excluded.role, active = excluded.active",
        )
        .bind(user.id.to_string())
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.role)
        .bind(user.active)
        .bind(self.now_ms() as i64)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A decision of the hub on a request (class A). This build knows the
    /// order's status; other entities are left for a newer build.
    pub(crate) async fn apply_row_change(&mut self, change: &RowChange) -> Result<bool> {
        if change.entity != "sales_order" {
            return Ok(false);
        }
        let status = change.fields.get("status").and_then(|status| status.as_str());
        let Some(status) = status.filter(|status| matches!(*status, "confirmed" | "rejected")) else {
            return Ok(false);
        };
        sqlx::query("UPDATE sales_orders SET status = ? WHERE id = ?")
            .bind(status)
            .bind(change.row_id.to_string())
            .execute(self.conn())
            .await?;
        Ok(true)
    }
}
