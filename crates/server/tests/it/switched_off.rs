//! A user a manager switched off: the devices they enrolled get nothing
//! more from the hub (`403 user_inactive` on pulls, snapshots, photos,
//! enrolment codes and the device's location), but what those devices send
//! is still taken, judged by each op's own author; switched on again, the
//! devices go on from where they were.

use axum::http::{Method, StatusCode};
use stockroom_protocol::ops::UserSet;
use stockroom_protocol::sync::{FlagCode, OpOutcome, PushResponse};
use stockroom_protocol::Op;
use uuid::Uuid;

use stockroom_server::policy::Role;

use crate::support::{on_both_backends, sale, TestDevice, TestHub};

on_both_backends!(a_switched_off_users_devices_send_but_get_nothing);

fn switch(id: Uuid, username: &str, active: bool) -> Op {
    Op::UserSet(UserSet {
        id,
        username: username.to_string(),
        display_name: String::new(),
        role: "cashier".to_string(),
        active,
    })
}

fn outcomes(pushed: &PushResponse) -> Vec<OpOutcome> {
    pushed.results.iter().map(|result| result.outcome.clone()).collect()
}

/// The status and code of each request that gives a device something.
async fn what_the_device_gets(hub: &TestHub, device: &TestDevice, cursor: &str) -> Vec<(StatusCode, String)> {
    let blob = format!("/v1/blobs/{}", "ab".repeat(32));
    let pull = format!("/v1/sync/pull?since={cursor}&limit=10");
    let location = serde_json::json!({ "location_id": null });
    let code = serde_json::json!({ "username": "cass" });
    let requests = [
        (Method::GET, pull.as_str(), None),
        (Method::GET, "/v1/sync/snapshot", None),
        (Method::GET, blob.as_str(), None),
        (Method::PUT, "/v1/device/location", Some(location)),
        (Method::POST, "/v1/enrol/codes", Some(code)),
    ];
    let mut answers = Vec::new();
    for (method, path, body) in requests {
        let (status, answer) = hub.call(method, path, Some(&device.token), body).await;
        answers.push((status, answer["code"].as_str().unwrap_or_default().to_string()));
    }
    answers
}

async fn a_switched_off_users_devices_send_but_get_nothing(hub: TestHub) {
    hub.add_user("shop", "mia", Role::Manager).await;
    let cass = hub.add_user("shop", "cass", Role::Cashier).await;
    let dana = hub.add_user("shop", "dana", Role::Cashier).await;
    let manager = hub.enrol("mia").await;
    let till = hub.enrol("cass").await;
    let pushed = hub.push(&till, &[till.envelope(1, sale("EUR"))]).await;
    assert_eq!(outcomes(&pushed), [OpOutcome::Applied { flags: Vec::new() }]);
    let page = hub.pull(&till, "", 10).await;
    assert_eq!(page.changes.len(), 1);
    let before = what_the_device_gets(&hub, &till, &page.next).await;
    let served = |status, code: &str| (status, code.to_string());
    assert_eq!(
        before,
        [
            served(StatusCode::OK, ""),
            served(StatusCode::OK, ""),
            served(StatusCode::NOT_FOUND, "blob_not_found"),
            served(StatusCode::NO_CONTENT, ""),
            // A cashier makes no codes.
            served(StatusCode::FORBIDDEN, "role_not_allowed"),
        ],
        "an active user's device is served"
    );

    let pushed = hub
        .push(&manager, &[manager.envelope(1, switch(cass, "cass", false))])
        .await;
    assert_eq!(outcomes(&pushed), [OpOutcome::Applied { flags: Vec::new() }]);
    let after = what_the_device_gets(&hub, &till, &page.next).await;
    assert_eq!(
        after,
        vec![(StatusCode::FORBIDDEN, "user_inactive".to_string()); 5],
        "nothing more for the switched-off user's device"
    );
    // Its sales still come in: Cass's flagged, Dana's (on the same till) not.
    let by_dana = stockroom_protocol::ops::OpEnvelope {
        user_id: dana,
        ..till.envelope(3, sale("EUR"))
    };
    let pushed = hub.push(&till, &[till.envelope(2, sale("EUR")), by_dana]).await;
    assert_eq!(
        outcomes(&pushed),
        [
            OpOutcome::Applied {
                flags: vec![FlagCode::UserInactive]
            },
            OpOutcome::Applied { flags: Vec::new() },
        ]
    );
    // The manager's device is not touched.
    let feed = hub.pull_all(&manager, 50).await;
    assert_eq!(feed.len(), 4, "the first sale, the switch and both sales");

    // Switched on again, the till pulls on from its cursor.
    let pushed = hub
        .push(&manager, &[manager.envelope(2, switch(cass, "cass", true))])
        .await;
    assert_eq!(outcomes(&pushed), [OpOutcome::Applied { flags: Vec::new() }]);
    let page = hub.pull(&till, &page.next, 10).await;
    let sales = page
        .changes
        .iter()
        .filter(|entry| matches!(&entry.change, stockroom_protocol::sync::FeedChange::Op(op) if matches!(op.op, Op::SaleCompleted(_))))
        .count();
    assert_eq!(sales, 2, "the two sales sent while switched off");
}
