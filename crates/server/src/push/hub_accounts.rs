//! Accounts made on the hub (`stockroom-server add-user`, the bootstrap
//! owner) reach devices the way accounts a manager makes in the app do: as
//! a `user.set` in the tenant's feed, here one the tenant's hub device
//! writes. Until then an account is *unfed* (`users.fed` is false).
//!
//! [`feed_new_accounts`] runs in one transaction per tenant, like a push:
//! it takes the tenant's row first, so it is fed in commit order with
//! pushes, and reads the unfed accounts only then, so two hub instances
//! starting together feed each account once. Each account's op sits at the
//! next feed position, whose number is also its seq on the hub device, as
//! for the hub's answers to orders.

use std::future::Future;

use stockroom_protocol::snapshot::{canonical_change, chain_link};
use stockroom_protocol::sync::{FeedChange, RawOp, RawOpEnvelope};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use super::{hub_device_id, FeedRow, OpLogRow, PushEnd, PushTx, TenantHead};
use crate::error::HubError;
use crate::scopes;

/// Feeds the tenant's unfed accounts inside `tx` (which the caller
/// commits): one `user.set` each, in the order they were made. Returns how
/// many it fed.
/// Feeds the unfed accounts of each of `tenants`, each tenant in its own
/// transaction from `begin`. Returns the tenants whose feed grew.
pub(crate) async fn feed_tenants<T, F, Fut>(
    mut begin: F,
    tenants: Vec<Uuid>,
    now_ms: u64,
) -> Result<Vec<Uuid>, HubError>
where
    T: PushTx,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, HubError>>,
{
    let mut grown = Vec::new();
    for tenant_id in tenants {
        let mut tx = begin().await?;
        if feed_new_accounts(&mut tx, tenant_id, now_ms).await? > 0 {
            grown.push(tenant_id);
        }
        tx.commit().await?;
    }
    Ok(grown)
}

async fn feed_new_accounts<T: PushTx>(tx: &mut T, tenant_id: Uuid, now_ms: u64) -> Result<usize, HubError> {
    let TenantHead {
        head: start,
        mut chain,
        scopes: mut scope_chains,
    } = tx.lock_tenant(tenant_id).await?;
    let accounts = tx.unfed_accounts(tenant_id).await?;
    if accounts.is_empty() {
        return Ok(0);
    }
    let hub_device = hub_device_id(tenant_id);
    tx.ensure_hub_device(tenant_id, hub_device, now_ms).await?;
    let first_position = start + 1;
    let envelopes: Vec<RawOpEnvelope> = accounts
        .iter()
        .zip(first_position..)
        .map(|(account, position)| RawOpEnvelope {
            op_id: Uuid::now_v7(),
            device_id: hub_device,
            epoch: 0,
            seq: position,
            hlc: Hlc::new(now_ms, 0),
            user_id: Uuid::nil(),
            type_version: 1,
            op: RawOp {
                op_type: "user.set".to_string(),
                data: Op::UserSet(account.clone()).payload_json(),
            },
        })
        .collect();
    let rows: Vec<OpLogRow<'_>> = envelopes
        .iter()
        .map(|envelope| OpLogRow::of_hub(envelope, tenant_id, now_ms))
        .collect();
    let row_refs: Vec<&OpLogRow<'_>> = rows.iter().collect();
    tx.insert_ops(&row_refs).await?;

    let mut feed = Vec::with_capacity(envelopes.len());
    for (envelope, account) in envelopes.iter().zip(&accounts) {
        let position = envelope.seq;
        let canonical = canonical_change(&FeedChange::Op(envelope));
        chain = chain_link(&chain, position, &canonical);
        let op_scopes = scopes::scopes_of(Some(&Op::UserSet(account.clone()))).resolve(|_| None);
        feed.push(FeedRow {
            op_id: envelope.op_id,
            chain,
            scopes: scopes::link(&mut scope_chains, &op_scopes, position, &canonical),
            customers: Vec::new(),
        });
    }
    let ids: Vec<Uuid> = accounts.iter().map(|account| account.id).collect();
    tx.mark_fed(&ids).await?;
    tx.finish(&PushEnd {
        device_id: hub_device,
        epoch: 0,
        tenant_id,
        last_seq: None,
        first_position,
        feed: &feed,
        head: Some((start + feed.len() as u64, chain)),
        scope_chains_json: Some(scopes::scope_chains_json(&scope_chains)),
        skew: None,
        moved: &[],
    })
    .await?;
    Ok(accounts.len())
}
