//! Feed heads across hub instances on PostgreSQL: `NOTIFY` on the
//! `stockroom_feed` channel when a push moved a tenant's head, and a
//! reconnecting `LISTEN` task that hands what arrives to the live channel.

use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::{PgPool, Row};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::PostgresStore;
use crate::error::HubError;
use crate::store::HeadNews;

/// The channel every hub instance listens on. Payload: `TENANT_UUID HEAD`.
pub const FEED_CHANNEL: &str = "stockroom_feed";

/// Longest wait between attempts to listen again.
const MAX_RETRY: Duration = Duration::from_secs(5);

impl PostgresStore {
    pub(super) async fn feed_head_inner(&self, tenant_id: Uuid) -> Result<u64, HubError> {
        let head: Option<i64> = sqlx::query_scalar("SELECT feed_head FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(head.unwrap_or(0) as u64)
    }

    /// Reads the head and notifies in one statement.
    pub(super) async fn publish_feed_head_inner(&self, tenant_id: Uuid) -> Result<u64, HubError> {
        let row = sqlx::query(
            "SELECT feed_head, pg_notify($2, id::text || ' ' || feed_head::text) AS notified
             FROM tenants WHERE id = $1",
        )
        .bind(tenant_id)
        .bind(FEED_CHANNEL)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(row.try_get::<i64, _>("feed_head")? as u64),
            None => Ok(0),
        }
    }

    pub(super) fn listen_feed_heads_inner(&self) -> mpsc::Receiver<HeadNews> {
        let (sender, receiver) = mpsc::channel(1024);
        tokio::spawn(listen(self.pool.clone(), sender));
        receiver
    }
}

/// Listens until the receiver goes away or the pool is closed; after a lost
/// connection it listens again (with a capped backoff) and says so, since
/// announcements made meanwhile are lost.
async fn listen(pool: PgPool, sender: mpsc::Sender<HeadNews>) {
    let mut retry = Duration::from_millis(100);
    loop {
        if sender.is_closed() || pool.is_closed() {
            return;
        }
        let mut listener = match start_listening(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, retry_ms = retry.as_millis() as u64, "cannot listen for feed heads");
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(retry) => {}
                }
                retry = (retry * 2).min(MAX_RETRY);
                continue;
            }
        };
        retry = Duration::from_millis(100);
        if sender.send(HeadNews::Listening).await.is_err() {
            return;
        }
        loop {
            let received = tokio::select! {
                () = sender.closed() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(notification)) => match parse_payload(notification.payload()) {
                    Some(news) => {
                        if sender.send(news).await.is_err() {
                            return;
                        }
                    }
                    None => tracing::warn!(payload = notification.payload(), "unreadable feed notification"),
                },
                Ok(None) => {
                    tracing::warn!("feed listener lost its connection; listening again");
                    break;
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(error) => {
                    tracing::warn!(%error, "feed listener failed; listening again");
                    break;
                }
            }
        }
    }
}

async fn start_listening(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(FEED_CHANNEL).await?;
    Ok(listener)
}

fn parse_payload(payload: &str) -> Option<HeadNews> {
    let (tenant, head) = payload.split_once(' ')?;
    Some(HeadNews::Head {
        tenant_id: tenant.parse().ok()?,
        head: head.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse_or_are_refused() {
        let tenant_id = Uuid::from_u128(7);
        assert_eq!(
            parse_payload(&format!("{tenant_id} 42")),
            Some(HeadNews::Head { tenant_id, head: 42 })
        );
        assert_eq!(parse_payload("nonsense"), None);
        assert_eq!(parse_payload(&format!("{tenant_id} -1")), None);
    }
}
