//! Live pokes: each tenant's latest feed head, fanned out to the WebSockets
//! of `GET /v1/sync/live` on this instance.
//!
//! A poke is a hint (the device pulls to learn what changed), so the channel
//! per tenant is a `tokio::sync::watch`: a push only stores a number and
//! never waits for a socket, and a burst of moves reaches a slow socket as
//! one poke with the latest head. Heads come from this instance's pushes
//! ([`LiveFeed::announce`]) and, on PostgreSQL, from every instance's through
//! the store's `LISTEN` task ([`spawn_relay`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::store::{HeadNews, HubStore};

/// The feed heads of the tenants that have sockets on this instance.
#[derive(Clone, Default)]
pub struct LiveFeed {
    tenants: Arc<Mutex<HashMap<Uuid, watch::Sender<u64>>>>,
}

impl LiveFeed {
    pub fn new() -> Self {
        LiveFeed::default()
    }

    /// The tenant's head moved to `head` (an older head is ignored: news
    /// from several instances may arrive out of order).
    pub fn announce(&self, tenant_id: Uuid, head: u64) {
        let tenants = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = tenants.get(&tenant_id) {
            sender.send_if_modified(|current| {
                let moved = head > *current;
                if moved {
                    *current = head;
                }
                moved
            });
        }
    }

    /// Watches the tenant's head until the subscription is dropped.
    pub fn subscribe(&self, tenant_id: Uuid) -> LiveSubscription {
        let mut tenants = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        let sender = tenants.entry(tenant_id).or_insert_with(|| watch::channel(0).0);
        LiveSubscription {
            receiver: sender.subscribe(),
            tenant_id,
            feed: self.clone(),
        }
    }

    /// Tenants with at least one socket here.
    pub fn watched_tenants(&self) -> Vec<Uuid> {
        let tenants = self.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        tenants.keys().copied().collect()
    }
}

/// One socket's view of its tenant's head. Dropping the last one of a
/// tenant forgets the tenant.
pub struct LiveSubscription {
    pub receiver: watch::Receiver<u64>,
    tenant_id: Uuid,
    feed: LiveFeed,
}

impl Drop for LiveSubscription {
    fn drop(&mut self) {
        let mut tenants = self.feed.tenants.lock().unwrap_or_else(PoisonError::into_inner);
        // This subscription's receiver is still alive here: the last one
        // sees a count of 1.
        if tenants
            .get(&self.tenant_id)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            tenants.remove(&self.tenant_id);
        }
    }
}

/// Forwards heads published by any instance (PostgreSQL `LISTEN`) to this
/// instance's sockets; after (re)connecting it reads the heads of the
/// watched tenants afresh, since announcements may have been missed. `None`
/// on SQLite, where every push is this process's own.
pub fn spawn_relay(store: Arc<dyn HubStore>, live: LiveFeed) -> Option<JoinHandle<()>> {
    let mut news = store.listen_feed_heads()?;
    Some(tokio::spawn(async move {
        while let Some(item) = news.recv().await {
            match item {
                HeadNews::Head { tenant_id, head } => live.announce(tenant_id, head),
                HeadNews::Listening => {
                    for tenant_id in live.watched_tenants() {
                        match store.feed_head(tenant_id).await {
                            Ok(head) => live.announce(tenant_id, head),
                            Err(error) => tracing::warn!(%error, %tenant_id, "cannot read the feed head"),
                        }
                    }
                }
            }
        }
    }))
}

/// After a push that appended to the tenant's feed committed: tells this
/// instance's sockets and (PostgreSQL) every other instance. Runs apart from
/// the push's answer, which never waits for it.
pub fn feed_moved(store: Arc<dyn HubStore>, live: LiveFeed, tenant_id: Uuid) {
    tokio::spawn(async move {
        match store.publish_feed_head(tenant_id).await {
            Ok(head) => live.announce(tenant_id, head),
            Err(error) => tracing::warn!(%error, %tenant_id, "cannot publish the feed head"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_only_move_forward_and_bursts_coalesce() {
        let live = LiveFeed::new();
        let tenant_id = Uuid::from_u128(1);
        let mut subscription = live.subscribe(tenant_id);
        live.announce(tenant_id, 3);
        live.announce(tenant_id, 5);
        live.announce(tenant_id, 4);
        assert!(subscription.receiver.has_changed().unwrap());
        assert_eq!(*subscription.receiver.borrow_and_update(), 5);
        live.announce(tenant_id, 5);
        assert!(!subscription.receiver.has_changed().unwrap());
    }

    #[test]
    fn a_tenant_is_forgotten_with_its_last_socket() {
        let live = LiveFeed::new();
        let tenant_id = Uuid::from_u128(1);
        let first = live.subscribe(tenant_id);
        let second = live.subscribe(tenant_id);
        drop(first);
        assert_eq!(live.watched_tenants(), vec![tenant_id]);
        drop(second);
        assert!(live.watched_tenants().is_empty());
        // Announcing to a tenant nobody watches keeps nothing.
        live.announce(tenant_id, 9);
        assert!(live.watched_tenants().is_empty());
    }
}
