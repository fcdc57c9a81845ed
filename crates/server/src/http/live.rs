//! `GET /v1/sync/live`: a WebSocket that pokes a device each time its
//! tenant's feed head moves. The first message is the head at connect;
//! later ones come as the head moves, coalesced (a burst of pushes may reach
//! a slow socket as one poke with the latest head). Messages are
//! `LivePoke` JSON texts; the device never has to send anything.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use stockroom_protocol::snapshot::LivePoke;
use uuid::Uuid;

use super::error::AppError;
use super::extract::AuthDevice;
use crate::state::AppState;

/// How often an idle socket is pinged, so dead peers and idle-killing
/// proxies are noticed.
const KEEPALIVE: Duration = Duration::from_secs(30);
/// A socket that cannot take a message in this long is closed: the device
/// reconnects and gets the head anew.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The upgrade: authenticated like push and pull, by the bearer token.
pub async fn live(
    State(state): State<AppState>,
    AuthDevice(auth): AuthDevice,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let upgrade = upgrade.map_err(|_| AppError::WebSocketRequired)?;
    let device_id = auth.device_id;
    Ok(upgrade.on_upgrade(move |socket| async move {
        tracing::debug!(%device_id, "live socket open");
        serve_socket(state, auth.tenant_id, socket).await;
        tracing::debug!(%device_id, "live socket closed");
    }))
}

async fn serve_socket(state: AppState, tenant_id: Uuid, mut socket: WebSocket) {
    let _counted = state.metrics.live_connection();
    // Subscribe before reading the head, so no move in between is missed.
    let mut subscription = state.live.subscribe(tenant_id);
    match state.store.feed_head(tenant_id).await {
        Ok(head) => state.live.announce(tenant_id, head),
        Err(error) => {
            tracing::warn!(%error, %tenant_id, "cannot read the feed head for a live socket");
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    }
    let head = *subscription.receiver.borrow_and_update();
    if !send(&mut socket, poke(head)).await {
        return;
    }
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    loop {
        let sent = tokio::select! {
            changed = subscription.receiver.changed() => match changed {
                Ok(()) => {
                    let head = *subscription.receiver.borrow_and_update();
                    send(&mut socket, poke(head)).await
                }
                Err(_) => false,
            },
            received = socket.recv() => match received {
                // Pings are answered by the WebSocket layer; anything else a
                // device sends is ignored.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => false,
                Some(Ok(_)) => true,
            },
            _ = keepalive.tick() => send(&mut socket, Message::Ping(Bytes::new())).await,
        };
        if !sent {
            break;
        }
    }
}

fn poke(position: u64) -> Message {
    let text = serde_json::to_string(&LivePoke { position }).unwrap_or_default();
    Message::Text(text.into())
}

/// Sends one message; `false` if the socket is gone or too slow.
async fn send(socket: &mut WebSocket, message: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await,
        Ok(Ok(()))
    )
}
