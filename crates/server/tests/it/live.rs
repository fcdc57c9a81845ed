//! The live channel: a WebSocket per device that pokes with the tenant's
//! feed head, at connect and after pushes, on one instance and (PostgreSQL)
//! across two instances on one database through LISTEN/NOTIFY.

use std::time::Duration;

use futures_util::StreamExt;
use stockroom_protocol::snapshot::LivePoke;
use stockroom_protocol::sync::{PushRequest, PushResponse, SCHEMA_VERSION};
use stockroom_protocol::{OpEnvelope, PROTOCOL_VERSION};
use stockroom_server::policy::Role;
use stockroom_server::AppState;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

use crate::support::{on_both_backends, Backend, Served, TestDevice, TestHub};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A guard against a hub that never pokes: the test fails instead of
/// hanging. Not a timing assertion; pokes normally come in milliseconds.
const STUCK: Duration = Duration::from_secs(30);

async fn connect(served: &Served, token: &str) -> Socket {
    let mut request = served.ws("/v1/sync/live").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (socket, response) = connect_async(request).await.expect("live socket opens");
    assert_eq!(response.status(), 101);
    socket
}

/// The next poke (pings and pongs skipped).
async fn next_poke(socket: &mut Socket) -> LivePoke {
    loop {
        let message = tokio::time::timeout(STUCK, socket.next())
            .await
            .expect("a poke within the guard time")
            .expect("socket open")
            .expect("socket readable");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("a LivePoke"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// Reads pokes until one reaches `position` (pokes coalesce, so the ones
/// between may be skipped, but they never go backwards).
async fn poked_at_least(socket: &mut Socket, position: u64) -> u64 {
    let mut last = 0;
    loop {
        let poke = next_poke(socket).await;
        assert!(
            poke.position >= last,
            "pokes went backwards: {last} then {}",
            poke.position
        );
        last = poke.position;
        if last >= position {
            return last;
        }
    }
}

async fn push_over_http(served: &Served, device: &TestDevice, ops: Vec<OpEnvelope>) -> PushResponse {
    reqwest::Client::new()
        .post(served.http("/v1/sync/push"))
        .bearer_auth(&device.token)
        .json(&PushRequest {
            protocol_version: PROTOCOL_VERSION,
            schema_version: SCHEMA_VERSION,
            device_id: device.device_id,
            epoch: device.epoch,
            ops,
        })
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

on_both_backends!(
    a_socket_is_poked_with_the_head_at_connect_and_after_each_push,
    other_tenants_pushes_do_not_poke,
    a_socket_without_a_valid_token_is_refused,
    a_plain_get_on_the_live_route_is_told_to_upgrade,
);

async fn a_socket_is_poked_with_the_head_at_connect_and_after_each_push(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let pusher = hub.enrol("sam").await;
    let listener = hub.enrol("sam").await;
    hub.push(&pusher, &pusher.payments(1, 2)).await;
    let served = Served::start(hub.state.clone()).await;
    let mut socket = connect(&served, &listener.token).await;
    assert_eq!(next_poke(&mut socket).await, LivePoke { position: 2 });

    hub.push(&pusher, &pusher.payments(3, 5)).await;
    assert_eq!(poked_at_least(&mut socket, 5).await, 5);
    push_over_http(&served, &pusher, pusher.payments(6, 6)).await;
    assert_eq!(poked_at_least(&mut socket, 6).await, 6);
    assert_eq!(hub.metric("stockroom_hub_live_connections"), Some(1.0));

    socket.close(None).await.unwrap();
}

async fn other_tenants_pushes_do_not_poke(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    hub.add_user("Other Shop", "olga", Role::Salesperson).await;
    let sam = hub.enrol("sam").await;
    let olga = hub.enrol("olga").await;
    let served = Served::start(hub.state.clone()).await;
    let mut socket = connect(&served, &sam.token).await;
    assert_eq!(next_poke(&mut socket).await, LivePoke { position: 0 });
    // Olga's pushes move her tenant's feed only; then one of Sam's. The
    // first poke Sam's socket gets is Sam's tenant's head, 1.
    hub.push(&olga, &olga.payments(1, 3)).await;
    hub.push(&sam, &sam.payments(1, 1)).await;
    assert_eq!(next_poke(&mut socket).await, LivePoke { position: 1 });
}

async fn a_socket_without_a_valid_token_is_refused(hub: TestHub) {
    let served = Served::start(hub.state.clone()).await;
    for token in [None, Some("not-a-token")] {
        let mut request = served.ws("/v1/sync/live").into_client_request().unwrap();
        if let Some(token) = token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        match connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
                let body: serde_json::Value =
                    serde_json::from_slice(response.body().as_deref().unwrap_or_default()).expect("an ApiError body");
                assert_eq!(body["code"], "unauthenticated");
            }
            Err(other) => panic!("expected a 401, got {other}"),
            Ok(_) => panic!("a socket opened without a valid token"),
        }
    }
}

async fn a_plain_get_on_the_live_route_is_told_to_upgrade(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let device = hub.enrol("sam").await;
    let (status, answer) = hub
        .call(axum::http::Method::GET, "/v1/sync/live", Some(&device.token), None)
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "websocket_required");
}

/// Two hub instances (two routers on two listeners) on ONE PostgreSQL
/// database: a device listening on B is poked after a push to A, also after
/// B's LISTEN connection was killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_to_one_instance_pokes_sockets_on_another() {
    let hub = TestHub::new(Backend::Postgres).await;
    hub.add_user("Chain", "sam", Role::Salesperson).await;
    let pusher = hub.enrol("sam").await;
    let listener = hub.enrol("sam").await;
    let store_b = stockroom_server::open(&hub.url).await.expect("second instance's store");
    let state_b = AppState {
        config: hub.state.config.clone(),
        clock: hub.state.clock.clone(),
        ..AppState::new(store_b)
    };
    let instance_a = Served::start(hub.state.clone()).await;
    let instance_b = Served::start(state_b).await;
    let mut socket = connect(&instance_b, &listener.token).await;
    assert_eq!(next_poke(&mut socket).await, LivePoke { position: 0 });

    let pushed = push_over_http(&instance_a, &pusher, pusher.payments(1, 2)).await;
    assert_eq!(pushed.acked_through_seq, 2);
    assert_eq!(poked_at_least(&mut socket, 2).await, 2);

    // Kill every LISTEN connection on the database: B listens again and
    // reads the head afresh, so the next push still reaches the socket.
    let killed = hub
        .count(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await;
    assert!(killed >= 1, "no LISTEN connection found");
    push_over_http(&instance_a, &pusher, pusher.payments(3, 3)).await;
    assert_eq!(poked_at_least(&mut socket, 3).await, 3);
    drop(instance_a);
    drop(instance_b);
}
