//! A hub at an `https://` address: the app enrols and syncs through a TLS
//! front (rustls, with a certificate of a test CA) to the real hub. Until
//! the device is told to trust that CA (`STOCKROOM_HUB_CA_FILE`), the hub
//! is unreachable for it, never reached in clear. Once it does, the live
//! channel (`wss://`) connects through the front too.

use std::sync::Arc;

use serde_json::json;
use stockroom_core::sync::HUB_CA_FILE_ENV;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::hub::{start_hub, synced, PASSWORD};
use crate::support::Twin;

/// A test CA (its certificate as PEM) and a certificate for `localhost`
/// it signed, with that certificate's key.
fn certificates() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Stockroom test CA");
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let hub_params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("hub params");
    let hub_key = rcgen::KeyPair::generate().expect("hub key");
    let hub = hub_params.signed_by(&hub_key, &ca, &ca_key).expect("hub certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(hub_key.serialize_der()));
    (ca.pem(), hub.der().clone(), key)
}

/// Terminates TLS on a port of its own and passes the bytes on to the
/// plain hub at `hub_address`; returns the `https://localhost:<port>` URL.
async fn tls_front(hub_address: String, certificate: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> String {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate], key)
        .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (acceptor, hub_address) = (acceptor.clone(), hub_address.clone());
            tokio::spawn(async move {
                let Ok(mut secure) = acceptor.accept(socket).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(&hub_address).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut secure, &mut plain).await;
            });
        }
    });
    format!("https://localhost:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrols_and_syncs_with_a_hub_behind_tls() {
    let hub = start_hub().await;
    let (ca_pem, certificate, key) = certificates();
    let address = hub.url.trim_start_matches("http://").to_string();
    let https = tls_front(address, certificate, key).await;
    let till = Twin::start().await;
    let enrol = json!({"hubUrl": https, "username": "olive", "password": PASSWORD, "pin": "2468"});
    // The test CA is nobody's public root: not trusted yet.
    assert_eq!(till.call("enrol", enrol.clone()).await.code(), "hub_unreachable");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = dir.path().join("hub-ca.pem");
    std::fs::write(&ca_file, ca_pem).expect("write the CA");
    // Each test runs in a process of its own (nextest): the variable is this
    // test's alone.
    std::env::set_var(HUB_CA_FILE_ENV, &ca_file);
    let info = till.call("enrol", enrol).await.ok();
    assert_eq!(info["hubUrl"], https);
    till.call("create_location", json!({"name": "Kiosk", "kind": "store"}))
        .await
        .ok();
    synced(&till).await;
    let hub_db = sqlx::SqlitePool::connect(&format!("sqlite:{}", hub.db.display()))
        .await
        .expect("hub database");
    let (applied,): (i64,) = sqlx::query_as("SELECT count(*) FROM op_log WHERE outcome = 'applied'")
        .fetch_one(&hub_db)
        .await
        .expect("count");
    assert!(applied >= 1, "nothing reached the hub through TLS");

    // The live channel trusts the same CA: the hub counts its socket.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let metrics = reqwest::get(format!("{}/metrics", hub.url))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        if metrics.lines().any(|line| line == "stockroom_hub_live_connections 1") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the live channel never connected over wss://"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    till.state.stop_sync().await;
}
