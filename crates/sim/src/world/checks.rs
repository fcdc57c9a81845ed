//! The checks after a run: the feed read as each user's devices receive
//! it, the invariants ([`World::check`]), and their helpers: a device's
//! stamps for a failure report, stock levels against the ledger, and where
//! two replicas differ.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, ensure, Context};
use rand::Rng;
use stockroom_core::{Role, Store};
use stockroom_server::scopes::Grant;
use stockroom_server::store::Enrolment;
use uuid::Uuid;

use super::{Device, World};
use crate::link::SimLink;

/// The field stamps and pending fields of a device, for a failure report.
pub(super) async fn debug_stamps(path: &Path) -> anyhow::Result<String> {
    use sqlx::ConnectOptions as _;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?;
    let mut out = String::new();
    let rows: Vec<(String, String, String, i64, String)> =
        sqlx::query_as("SELECT entity, row_id, field, hlc, hlc_device FROM field_stamps WHERE entity = 'product'")
            .fetch_all(&mut conn)
            .await?;
    for row in rows {
        out.push_str(&format!("  stamp {row:?}\n"));
    }
    let rows: Vec<(String, String, i64, String)> = sqlx::query_as("SELECT id, name, hlc, hlc_device FROM products")
        .fetch_all(&mut conn)
        .await?;
    for row in rows {
        out.push_str(&format!("  row {row:?}\n"));
    }
    let rows: Vec<(String, String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT row_id, field, confirmed_value, confirmed_hlc FROM field_pending")
            .fetch_all(&mut conn)
            .await?;
    for row in rows {
        out.push_str(&format!("  pending {row:?}\n"));
    }
    Ok(out)
}

/// The customers a device's draft orders name. A device keeps them when
/// they leave its scopes (a customer given to another salesperson), so the
/// salesperson's unfinished order keeps its customer; they are the only
/// rows a device may hold beyond its scopes.
async fn draft_customers(path: &Path) -> anyhow::Result<BTreeSet<String>> {
    use sqlx::ConnectOptions as _;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?;
    let ids: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT customer_id FROM sales_orders WHERE status = 'draft'")
        .fetch_all(&mut conn)
        .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Every stock level equals the ledger formula (latest count plus later
/// movements).
pub(super) async fn check_levels(store: &Store) -> anyhow::Result<()> {
    let rows = store.replica_rows().await?;
    for line in rows.get("stock_levels").into_iter().flatten() {
        let mut parts = line.split('|');
        let (Some(product), Some(location), Some(qty)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("stock level row {line:?}");
        };
        let from_ledger = store
            .stock_level_from_ledger(product.parse()?, location.parse()?)
            .await?;
        ensure!(
            from_ledger.to_string() == qty,
            "level {qty} of {product} at {location} but the ledger says {from_ledger}"
        );
    }
    Ok(())
}

/// The first rows where two replicas differ, table by table.
pub(super) fn diff(
    expected: &BTreeMap<&'static str, Vec<String>>,
    found: &BTreeMap<&'static str, Vec<String>>,
) -> String {
    let mut out = String::new();
    for (table, rows) in expected {
        let other = found.get(table).cloned().unwrap_or_default();
        if *rows != other {
            let expected: BTreeSet<&String> = rows.iter().collect();
            let found: BTreeSet<&String> = other.iter().collect();
            for missing in expected.difference(&found).take(3) {
                out.push_str(&format!("{table}: hub has {missing}\n"));
            }
            for extra in found.difference(&expected).take(3) {
                out.push_str(&format!("{table}: device has {extra}\n"));
            }
        }
    }
    out
}

/// An op as the checker reads the feed: its position and scopes, its id,
/// type, the order it is (`order.submitted`) or answers (`order.decided`)
/// or the account it sets (`user.set`), and whether the hub wrote it.
struct FeedOp {
    position: u64,
    scopes: Vec<String>,
    op_id: Uuid,
    op_type: String,
    order_id: Option<serde_json::Value>,
    by_hub: bool,
}

/// A device's synced tables as text rows ([`Store::replica_rows`]).
type Replica = BTreeMap<&'static str, Vec<String>>;

impl World {
    /// The feed `user_id`'s devices assigned to `assigned` receive (the
    /// whole feed for the owner), pulled page by page as a device would;
    /// with `replay`, also applied to a device that had nothing (the feed
    /// replay must equal the snapshot).
    async fn pull_feed(
        &mut self,
        user_id: Uuid,
        assigned: Option<Uuid>,
        replay: bool,
    ) -> anyhow::Result<(Vec<FeedOp>, Option<Device>)> {
        use stockroom_core::sync::HubLink as _;
        // Replaying needs a device; reading the feed only a hub session.
        let (link, mut device) = if replay {
            let device = self.new_device("replayed.db", self.owner_id, Role::Owner, None).await?;
            (device.link.clone(), Some(device))
        } else {
            let (token, token_hash) = stockroom_server::accounts::new_session_token();
            let device_id = Uuid::from_u128(self.rng.gen());
            self.hub
                .enrol_device(&Enrolment {
                    tenant_id: self.tenant_id,
                    user_id,
                    device_id,
                    device_name: Some("checker".into()),
                    token_hash,
                    now_ms: self.hub_clock_now(),
                })
                .await?;
            if assigned.is_some() {
                self.hub
                    .set_device_location(self.tenant_id, device_id, assigned)
                    .await?;
            }
            let link = SimLink {
                network: self.network.clone(),
                token,
            };
            (link, None)
        };
        let limit = if replay { self.sync_config.pull_limit } else { 1_000 };
        let mut cursor: Option<String> = None;
        let mut feed_ops = Vec::new();
        let hub_device = stockroom_server::hub_device_id(self.tenant_id);
        loop {
            let page = link
                .pull(cursor.as_deref(), limit)
                .await
                .map_err(|err| anyhow::anyhow!("feed pull failed: {}", err.detail))?;
            for entry in &page.changes {
                if let stockroom_protocol::sync::FeedChange::Op(op) = &entry.change {
                    feed_ops.push(FeedOp {
                        position: entry.position,
                        scopes: entry.scopes.clone(),
                        op_id: op.op_id,
                        op_type: op.op.op_type.clone(),
                        order_id: op.op.data.get("order_id").or_else(|| op.op.data.get("id")).cloned(),
                        by_hub: op.device_id == hub_device,
                    });
                }
            }
            if let Some(store) = device.as_mut().and_then(|device| device.store.as_ref()) {
                store.apply_pull(&page).await?;
            }
            cursor = Some(page.next.clone());
            if !page.more {
                return Ok((feed_ops, device));
            }
        }
    }

    /// The invariants. Each device's reference is a device of the same user
    /// started from the hub's snapshot for the same scopes; every eighth run
    /// also replays the whole feed into an empty device and holds it to the
    /// owner's reference. Each user's devices receive every op of their
    /// scopes exactly once, in feed order, and nothing else.
    pub(super) async fn check(&mut self, replay: bool) -> anyhow::Result<()> {
        let owner_id = self.owner_id;
        let (feed, replayed) = self.pull_feed(owner_id, None, replay).await?;
        // The hub answers every order once, right after it.
        let orders: Vec<&FeedOp> = feed.iter().filter(|op| op.op_type == "order.submitted").collect();
        for (index, op) in feed.iter().enumerate() {
            if op.op_type == "order.submitted" {
                let answer = feed.get(index + 1).filter(|next| next.op_type == "order.decided");
                ensure!(
                    answer.is_some_and(|answer| answer.order_id == op.order_id),
                    "an order is not answered right after it in the feed"
                );
            }
        }
        let decided = feed.iter().filter(|op| op.op_type == "order.decided").count();
        ensure!(
            decided == orders.len(),
            "{decided} decisions for {} orders",
            orders.len()
        );
        self.outcome.orders += orders.len();
        // The hub feeds each account made on it once.
        let mut fed_accounts: Vec<Uuid> = feed
            .iter()
            .filter(|op| op.by_hub && op.op_type == "user.set")
            .filter_map(|op| op.order_id.as_ref()?.as_str()?.parse().ok())
            .collect();
        fed_accounts.sort();
        let made: Vec<Uuid> = self.hub_accounts.iter().copied().collect();
        ensure!(
            fed_accounts == made,
            "{} accounts fed for the {} made on the hub",
            fed_accounts.len(),
            made.len()
        );
        // Exactly once, nothing lost: the feed holds every op written, once
        // (and the hub's own).
        let feed_ops: Vec<Uuid> = feed.iter().filter(|op| !op.by_hub).map(|op| op.op_id).collect();
        let distinct: BTreeSet<Uuid> = feed_ops.iter().copied().collect();
        ensure!(distinct.len() == feed_ops.len(), "an op is in the feed twice");
        if distinct != self.written {
            let mut notices = Vec::new();
            for device in &self.devices {
                if let Some(store) = &device.store {
                    notices.extend(store.sync_notices(50).await?);
                }
            }
            bail!(
                "feed and writes differ: {} missing, {} unexpected; notices: {notices:?}",
                self.written.difference(&distinct).count(),
                distinct.difference(&self.written).count()
            );
        }
        // One reference per user and assignment: a device of theirs
        // started from the snapshot of their scopes.
        let users: BTreeMap<(Uuid, Option<Uuid>), Role> = self
            .devices
            .iter()
            .map(|device| ((device.user_id, device.assigned), device.role))
            .collect();
        let mut references: BTreeMap<(Uuid, Option<Uuid>), (Device, Replica)> = BTreeMap::new();
        for ((user_id, assigned), role) in users {
            let grant = Grant::for_device(role, user_id, assigned);
            let in_scope: Vec<Uuid> = feed
                .iter()
                .filter(|op| op.scopes.iter().any(|scope| grant.covers_key(scope)))
                .map(|op| op.op_id)
                .collect();
            let (received, _) = self.pull_feed(user_id, assigned, false).await?;
            let received_positions: Vec<u64> = received.iter().map(|op| op.position).collect();
            ensure!(
                received_positions.windows(2).all(|pair| pair[0] < pair[1]),
                "the {} receives the feed out of order",
                role.as_str()
            );
            let received: Vec<Uuid> = received.iter().map(|op| op.op_id).collect();
            ensure!(
                received == in_scope,
                "the {} receives {} ops, {} of its scopes are in the feed",
                role.as_str(),
                received.len(),
                in_scope.len()
            );
            let reference = self.snapshot_device(user_id, role, assigned).await?;
            let reference_store = reference.store.as_ref().context("snapshot device")?;
            let expected = reference_store.replica_rows().await?;
            check_levels(reference_store)
                .await
                .context("device started from the snapshot")?;
            references.insert((user_id, assigned), (reference, expected));
        }
        let mut compared: Vec<(String, &Device)> = self
            .devices
            .iter()
            .enumerate()
            .map(|(index, device)| (format!("device {index} ({})", device.role.as_str()), device))
            .collect();
        if let Some(replayed) = &replayed {
            compared.push(("a device replaying the whole feed".to_string(), replayed));
        }
        for (name, device) in compared {
            let (reference, expected) = references
                .get(&(device.user_id, device.assigned))
                .context("a reference per user and assignment")?;
            let expected = expected.clone();
            let store = device.store.as_ref().context("device open")?;
            ensure!(store.outbox_len().await? == 0, "{name} still has ops waiting");
            let mut rows = store.replica_rows().await?;
            let drafts = draft_customers(&device.path).await?;
            if let (Some(found), Some(wanted)) = (rows.get_mut("customers"), expected.get("customers")) {
                found.retain(|row| {
                    let id = row.split('|').next().unwrap_or_default();
                    wanted.contains(row) || !drafts.contains(id)
                });
            }
            if rows != expected {
                let stamps = debug_stamps(&device.path).await.unwrap_or_default();
                let reference_stamps = debug_stamps(&reference.path).await.unwrap_or_default();
                bail!(
                    "{name} differs from the hub's snapshot:\n{}{name}:\n{stamps}snapshot:\n{reference_stamps}",
                    diff(&expected, &rows)
                );
            }
            check_levels(store).await.with_context(|| name.clone())?;
        }
        self.outcome.ops_written = self.written.len();
        let mut finished: Vec<Device> = Vec::new();
        for (_, (device, _)) in references {
            finished.push(device);
        }
        finished.extend(replayed);
        for device in finished {
            if let Some(store) = device.store {
                store.close().await;
            }
        }
        Ok(())
    }
}
