//! The hub served for real: `run` on a port-0 listener, a reqwest client
//! over TCP, and a graceful shutdown.

use stockroom_protocol::sync::{EnrolRequest, EnrolResponse, PullResponse, PushRequest, PushResponse, SCHEMA_VERSION};
use stockroom_protocol::{OpEnvelope, PROTOCOL_VERSION};
use stockroom_server::policy::Role;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::support::{on_both_backends, payment, TestDevice, TestHub, PASSWORD};

on_both_backends!(
    a_device_enrols_pushes_and_pulls_over_tcp,
    guessing_codes_from_one_address_is_held_up
);

/// The hub served on a port-0 listener: its address, the shutdown signal
/// and the serving task.
async fn serve(
    hub: &TestHub,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), stockroom_server::HubError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(stockroom_server::run(listener, hub.state.clone(), async {
        stopped.await.ok();
    }));
    (base, stop, server)
}

async fn a_device_enrols_pushes_and_pulls_over_tcp(hub: TestHub) {
    // A cashier: their device receives every customer's payments, its own too.
    hub.add_user("Corner Shop", "cass", Role::Cashier).await;
    let (base, stop, server) = serve(&hub).await;
    let client = reqwest::Client::new();

    let enrolled: EnrolResponse = client
        .post(format!("{base}/v1/enrol"))
        .json(&EnrolRequest {
            protocol_version: PROTOCOL_VERSION,
            username: "cass".into(),
            password: PASSWORD.into(),
            device_id: None,
            device_name: Some("till 7".into()),
            enrolment_code: None,
        })
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(enrolled.role, "cashier");
    let device = TestDevice {
        device_id: enrolled.device_id,
        epoch: enrolled.epoch,
        token: enrolled.session_token.clone(),
        user_id: enrolled.user_id,
        tenant_id: enrolled.tenant_id,
    };
    let ops: Vec<OpEnvelope> = (1..=3).map(|seq| device.envelope(seq, payment(seq as i64))).collect();
    let pushed: PushResponse = client
        .post(format!("{base}/v1/sync/push"))
        .bearer_auth(&device.token)
        .json(&PushRequest {
            protocol_version: PROTOCOL_VERSION,
            schema_version: SCHEMA_VERSION,
            device_id: device.device_id,
            epoch: device.epoch,
            ops: ops.clone(),
        })
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pushed.acked_through_seq, 3);

    let pulled: PullResponse = client
        .get(format!("{base}/v1/sync/pull"))
        .query(&[("limit", "2")])
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pulled.changes.len(), 2);
    assert!(pulled.more);
    let rest: PullResponse = client
        .get(format!("{base}/v1/sync/pull"))
        .query(&[("since", pulled.next.as_str()), ("limit", "2")])
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest.changes.len(), 1);
    assert!(!rest.more);

    let unauthenticated = client.get(format!("{base}/v1/sync/pull")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), reqwest::StatusCode::UNAUTHORIZED);
    let error: stockroom_protocol::sync::ApiError = unauthenticated.json().await.unwrap();
    assert_eq!(error.code, "unauthenticated");

    stop.send(()).unwrap();
    server.await.unwrap().expect("the hub shuts down cleanly");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
}

/// Served for real, the hub knows the client's address: wrong codes from it
/// lock it out (codes name no user to count against).
async fn guessing_codes_from_one_address_is_held_up(hub: TestHub) {
    use stockroom_server::throttle::MAX_FAILURES;
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let (base, stop, server) = serve(&hub).await;
    let client = reqwest::Client::new();
    let enrol = |code: &str| {
        client
            .post(format!("{base}/v1/enrol"))
            .json(&serde_json::json!({"protocol_version": PROTOCOL_VERSION, "enrolment_code": code}))
            .send()
    };
    for guess in 0..MAX_FAILURES {
        let answer = enrol(&format!("ABCDEFGH{:02}", guess + 22)).await.unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);
    }
    let answer = enrol("ABCDEFGHZZ").await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = answer.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    let error: stockroom_protocol::sync::ApiError = answer.json().await.unwrap();
    assert_eq!(error.code, "too_many_attempts");
    stop.send(()).unwrap();
    server.await.unwrap().expect("the hub shuts down cleanly");
}
