//! Location assignments: a device assigned to a location receives that
//! location's stock only; changing the assignment asks for a new snapshot;
//! only roles that see all stock may choose their own, and a manager's
//! enrolment code gives a salesperson their van. A push that puts an op
//! outside every scope of its device tells the device so.

use axum::http::{Method, StatusCode};
use serde_json::json;
use stockroom_protocol::sync::EnrolResponse;
use stockroom_protocol::{Op, PROTOCOL_VERSION};

use crate::scopes::{op_types, received, shop, LOCATION_A, LOCATION_B};
use crate::support::{on_both_backends, TestDevice, TestHub};

on_both_backends!(
    an_assigned_till_receives_its_shops_stock_only,
    a_managers_code_gives_a_salesperson_their_van,
    a_push_outside_the_devices_scopes_says_so
);

async fn assign(hub: &TestHub, device: &TestDevice, location: serde_json::Value) -> (StatusCode, serde_json::Value) {
    hub.call(
        Method::PUT,
        "/v1/device/location",
        Some(&device.token),
        Some(json!({ "location_id": location })),
    )
    .await
}

fn stock_locations(feed: &[(u64, stockroom_protocol::OpEnvelope)]) -> Vec<uuid::Uuid> {
    feed.iter()
        .filter_map(|(_, op)| match &op.op {
            Op::StockMoved(moved) => Some(moved.movements[0].location_id),
            _ => None,
        })
        .collect()
}

async fn an_assigned_till_receives_its_shops_stock_only(hub: TestHub) {
    let shop = shop(&hub).await;
    let before = hub.pull(&shop.cashier, "", 100).await;
    assert_eq!(
        stock_locations(&hub.pull_all(&shop.cashier, 100).await),
        [LOCATION_A, LOCATION_B]
    );
    let (status, answer) = assign(&hub, &shop.cashier, json!(LOCATION_A)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    // The cursor names the old scopes: the device must take a new snapshot.
    let (status, answer) = hub.pull_status(&shop.cashier, &before.next, 100).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["code"], "scopes_changed");
    let assigned = hub.pull_all(&shop.cashier, 100).await;
    assert_eq!(op_types(&assigned), ["fields.set", "stock.moved", "payment.received"]);
    assert_eq!(stock_locations(&assigned), [LOCATION_A]);
    // Enrolling the till again keeps its assignment.
    let again = hub.enrol_device("cass", Some(shop.cashier.device_id)).await;
    assert_eq!(stock_locations(&hub.pull_all(&again, 100).await), [LOCATION_A]);
    // Unassigned, it sees every location again.
    let (status, _) = assign(&hub, &again, serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        stock_locations(&hub.pull_all(&again, 100).await),
        [LOCATION_A, LOCATION_B]
    );
    // A salesperson may not pick a location for themself.
    let (status, answer) = assign(&hub, &shop.sami, json!(LOCATION_B)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["code"], "role_not_allowed");
    let (status, answer) = assign(&hub, &shop.owner, json!("not a location")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
}

async fn a_managers_code_gives_a_salesperson_their_van(hub: TestHub) {
    let shop = shop(&hub).await;
    let body = json!({ "username": "sami", "location_id": LOCATION_B });
    let (status, code) = hub
        .call(Method::POST, "/v1/enrol/codes", Some(&shop.owner.token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let body = json!({ "protocol_version": PROTOCOL_VERSION, "enrolment_code": code["code"] });
    let (status, answer) = hub.call(Method::POST, "/v1/enrol", None, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let enrolled: EnrolResponse = serde_json::from_value(answer).unwrap();
    assert_eq!(enrolled.location_id, Some(LOCATION_B));
    let van = TestDevice {
        device_id: enrolled.device_id,
        epoch: enrolled.epoch,
        token: enrolled.session_token,
        user_id: enrolled.user_id,
        tenant_id: enrolled.tenant_id,
    };
    // Their own orders, as before, and now the van's stock.
    let feed = hub.pull_all(&van, 100).await;
    assert_eq!(
        op_types(&feed),
        ["fields.set", "stock.moved", "order.submitted", "order.decided"]
    );
    assert_eq!(stock_locations(&feed), [LOCATION_B]);
    // Their other device, enrolled with the password, has no van.
    assert!(stock_locations(&hub.pull_all(&shop.sami, 100).await).is_empty());
}

async fn a_push_outside_the_devices_scopes_says_so(hub: TestHub) {
    let shop = shop(&hub).await;
    let till = &shop.cashier;
    let (status, answer) = assign(&hub, till, json!(LOCATION_A)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    // Goods received at its own shop: inside its scopes.
    let first = hub.push(till, &[till.envelope(1, received(LOCATION_A))]).await;
    assert!(!first.outside_scopes, "{first:?}");
    // At the other shop (where it worked before, say): outside, and the
    // answer says so, for the batch with it in.
    let second = hub
        .push(
            till,
            &[
                till.envelope(2, received(LOCATION_A)),
                till.envelope(3, received(LOCATION_B)),
            ],
        )
        .await;
    assert!(second.outside_scopes, "{second:?}");
    // Unassigned, the till sees every shop's stock again.
    let (status, _) = assign(&hub, till, serde_json::Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let third = hub.push(till, &[till.envelope(4, received(LOCATION_B))]).await;
    assert!(!third.outside_scopes, "{third:?}");
}
