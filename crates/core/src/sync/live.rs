//! Listening to the hub's live channel (`GET /v1/sync/live`, a WebSocket):
//! every message is a hint that the feed moved, passed to the sync engine
//! as [`Signal::Poke`]. Reconnects with a capped backoff for as long as the
//! engine listens; correctness never depends on it (the engine also pulls
//! when idle). A `wss://` channel trusts what `HttpHub` trusts: the public
//! roots, and the shop's own CA when `STOCKROOM_HUB_CA_FILE` names one.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::sync::mpsc::Sender;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::Connector;

use super::http::HUB_CA_FILE_ENV;
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
    let (mut socket, _) = tokio_tungstenite::connect_async_tls_with_config(request, None, false, tls_connector()?)
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

/// The TLS set-up for a `wss://` hub when `STOCKROOM_HUB_CA_FILE` names a
/// CA: the public roots plus that CA's certificates (rustls on `ring`, as
/// for HTTP). `None` without one: the library's default, the public roots.
fn tls_connector() -> Result<Option<Connector>, String> {
    let Some(path) = std::env::var_os(HUB_CA_FILE_ENV) else {
        return Ok(None);
    };
    let unusable = |problem: String| format!("{HUB_CA_FILE_ENV} ({}): {problem}", path.to_string_lossy());
    let pem = std::fs::read(&path).map_err(|err| unusable(err.to_string()))?;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut added = 0;
    for certificate in CertificateDer::pem_slice_iter(&pem) {
        let certificate = certificate.map_err(|err| unusable(err.to_string()))?;
        roots.add(certificate).map_err(|err| unusable(err.to_string()))?;
        added += 1;
    }
    if added == 0 {
        return Err(unusable("no certificate in the file".to_string()));
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| err.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Connector::Rustls(Arc::new(config))))
}
