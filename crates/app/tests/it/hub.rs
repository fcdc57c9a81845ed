//! The app against a real hub (the server's router on SQLite, on port 0):
//! enrol, write, sell, and see the sale on the hub and on a second device.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::policy::Role;

use crate::support::Twin;

pub(crate) const PASSWORD: &str = "a long hub password";

pub(crate) struct Hub {
    pub(crate) url: String,
    pub(crate) db: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _task: tokio::task::JoinHandle<()>,
}

pub(crate) async fn start_hub() -> Hub {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db");
    let store = stockroom_server::open(db.to_str().unwrap()).await.expect("hub store");
    let owner = NewUser {
        tenant_name: "Shop".into(),
        username: "olive".into(),
        display_name: "Olive Owner".into(),
        role: Role::Owner,
        password: PASSWORD.into(),
    };
    accounts::add_user(store.as_ref(), owner, 0).await.expect("hub owner");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = stockroom_server::AppState::new(store);
    let task = tokio::spawn(async move {
        stockroom_server::run(listener, state, std::future::pending())
            .await
            .expect("hub");
    });
    Hub {
        url,
        db,
        _dir: dir,
        _task: task,
    }
}

/// Polls `sync_status` until nothing is unsent, a sync happened and the
/// engine is idle (not still pulling); nudges it while something waits.
pub(crate) async fn synced(twin: &Twin) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = twin.call("sync_status", json!({})).await.ok();
        let sent = status["unsentCount"] == 0 && !status["lastSyncMs"].is_null();
        if sent && status["phase"] == "idle" {
            return status;
        }
        assert!(Instant::now() < deadline, "never synced: {status}");
        if !sent {
            twin.call("sync_now", json!({})).await.ok();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_sell_and_see_the_sale_on_the_hub_and_another_device() {
    let hub = start_hub().await;
    let till = Twin::start().await;
    let refused = till
        .call(
            "enrol",
            json!({"hubUrl": hub.url, "username": "olive", "password": "wrong password!", "pin": "2468"}),
        )
        .await;
    assert_eq!(refused.code(), "hub_refused");
    let unreachable = till
        .call(
            "enrol",
            json!({"hubUrl": "http://127.0.0.1:9", "username": "olive", "password": PASSWORD, "pin": "2468"}),
        )
        .await;
    assert_eq!(unreachable.code(), "hub_unreachable");

    let info = till
        .call(
            "enrol",
            json!({"hubUrl": hub.url, "username": "olive", "password": PASSWORD, "pin": "2468"}),
        )
        .await
        .ok();
    assert_eq!(info["mode"], "enrolled");
    assert_eq!(info["user"]["username"], "olive");

    let shop = till
        .call("create_location", json!({"name": "Front shop", "kind": "store"}))
        .await
        .ok();
    let product = till
        .call(
            "create_product",
            json!({"sku": "TEA-1", "name": "Mint tea", "price": {"minor": 350, "currency": "EUR"}, "barcode": "4006381333931"}),
        )
        .await
        .ok();
    till.call(
        "receive",
        json!({"locationId": shop["id"], "lines": [{"productId": product["id"], "qtyMilli": 10000}]}),
    )
    .await
    .ok();
    // A wedge scan: the digits as typed.
    let hit = till.call("lookup_code", json!({"code": "4006381333931"})).await.ok();
    let receipt = till
        .call(
            "record_sale",
            json!({
                "locationId": shop["id"],
                "lines": [{"productId": hit["product"]["id"], "qtyMilli": 2000}],
                "payments": [{"method": "card", "amount": {"minor": 700, "currency": "EUR"}}]
            }),
        )
        .await
        .ok();
    let blocked = till.call("sign_out", json!({"force": false})).await;
    if blocked.status != 200 {
        assert_eq!(blocked.code(), "unsent_data");
    }
    synced(&till).await;

    let hub_db = sqlx::SqlitePool::connect(&format!("sqlite:{}", hub.db.display()))
        .await
        .unwrap();
    let sales: Vec<(String, String)> =
        sqlx::query_as("SELECT op_type, payload FROM op_log WHERE op_type = 'sale.completed' AND outcome = 'applied'")
            .fetch_all(&hub_db)
            .await
            .unwrap();
    assert_eq!(sales.len(), 1, "{sales:?}");
    assert!(
        sales[0].1.contains(&receipt["saleId"].as_str().unwrap().to_string()),
        "{}",
        sales[0].1
    );

    // A second device of the shop starts from the hub and finds the sale.
    let office = Twin::start().await;
    office
        .call(
            "enrol",
            json!({"hubUrl": hub.url, "username": "olive", "password": PASSWORD, "pin": "1357"}),
        )
        .await
        .ok();
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let answer = office.call("get_receipt", json!({"number": receipt["number"]})).await;
        if answer.status == 200 {
            break answer.body;
        }
        assert!(Instant::now() < deadline, "the sale never reached the second device");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(seen["total"], receipt["total"]);
    till.state.stop_sync().await;
    office.state.stop_sync().await;
}
