//! Listening to the hub's live channel (`GET /v1/sync/live`, a WebSocket):
//! every message is a hint that the feed moved, passed to the sync engine
//! as [`Signal::Poke`]. Reconnects with a capped backoff for as long as the
//! engine listens; correctness never depends on it (the engine also pulls
//! when idle).

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc::Sender;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::Signal;

/// Longest wait before connecting again.
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(30);

/// Listens until the engine stops listening (its signal channel closes).
/// `base_url` is the hub's `http://` or `https://` address.
pub async fn listen(base_url: &str, token: &str, engine: Sender<Signal>) {
    let url = format!(
        "{}/v1/sync/live",
        base_url
            .trim_end_matches('/')
            .replacen("http://", "ws://", 1)
            .replacen("https://", "wss://", 1)
    );
    let mut wait = Duration::from_millis(500);
    while !engine.is_closed() {
        match listen_once(&url, token, &engine).await {
            Ok(()) => wait = Duration::from_millis(500),
            Err(err) => tracing::debug!(%err, "live channel down"),
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = engine.closed() => return,
        }
        wait = (wait * 2).min(MAX_RECONNECT_WAIT);
    }
}

async fn listen_once(url: &str, token: &str, engine: &Sender<Signal>) -> Result<(), String> {
    let mut request = url.into_client_request().map_err(|err| err.to_string())?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| "token is not a header value".to_string())?;
    request.headers_mut().insert("authorization", bearer);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|err| err.to_string())?;
    while let Some(message) = socket.next().await {
        match message.map_err(|err| err.to_string())? {
            Message::Text(_) if engine.send(Signal::Poke).await.is_err() => return Ok(()),
            Message::Close(_) => return Ok(()),
            _ => {}
        }
    }
    Ok(())
}
