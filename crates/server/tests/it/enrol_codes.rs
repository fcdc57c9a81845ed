//! One-time enrolment codes: who may make them, for whom, and that a code
//! enrols once, before it expires, as its user.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use stockroom_protocol::sync::{EnrolCodeResponse, EnrolResponse};
use stockroom_protocol::PROTOCOL_VERSION;
use stockroom_server::policy::Role;

use crate::support::{on_both_backends, TestDevice, TestHub};

async fn make_code(hub: &TestHub, by: &TestDevice, body: Value) -> (StatusCode, Value) {
    hub.call(Method::POST, "/v1/enrol/codes", Some(&by.token), Some(body))
        .await
}

async fn code_for(hub: &TestHub, by: &TestDevice, username: &str) -> EnrolCodeResponse {
    let (status, answer) = make_code(hub, by, json!({ "username": username })).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    serde_json::from_value(answer).expect("an EnrolCodeResponse")
}

async fn enrol_with(hub: &TestHub, body: Value) -> (StatusCode, Value) {
    let mut body = body;
    body["protocol_version"] = json!(PROTOCOL_VERSION);
    hub.call(Method::POST, "/v1/enrol", None, Some(body)).await
}

on_both_backends!(
    a_managers_code_enrols_its_user_once,
    a_code_typed_loosely_still_works,
    an_expired_code_is_refused,
    a_code_given_with_another_username_is_refused_and_kept,
    cashiers_and_salespeople_cannot_make_codes,
    codes_are_only_for_users_of_the_same_tenant,
    only_an_owner_makes_a_code_for_an_owner,
    bad_code_requests_get_4xx_codes,
);

async fn a_managers_code_enrols_its_user_once(hub: TestHub) {
    hub.add_user("Corner Shop", "mia", Role::Manager).await;
    let cashier_id = hub.add_user("Corner Shop", "carl", Role::Cashier).await;
    let manager = hub.enrol("mia").await;
    let code = code_for(&hub, &manager, "carl").await;
    assert_eq!(code.code.len(), 10);
    assert_eq!(code.user_id, cashier_id);
    assert_eq!(code.expires_ms, crate::support::START_MS + 15 * 60 * 1000);
    // Only the hash is stored.
    assert_eq!(hub.count("SELECT count(*) FROM enrol_codes").await, 1);

    let (status, answer) = enrol_with(&hub, json!({ "enrolment_code": code.code, "device_name": "till 2" })).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let enrolled: EnrolResponse = serde_json::from_value(answer).unwrap();
    assert_eq!(enrolled.user_id, cashier_id);
    assert_eq!(enrolled.role, "cashier");
    assert_eq!(enrolled.tenant_id, manager.tenant_id);
    // The new device works.
    let device = TestDevice {
        device_id: enrolled.device_id,
        epoch: enrolled.epoch,
        token: enrolled.session_token,
        user_id: enrolled.user_id,
        tenant_id: enrolled.tenant_id,
    };
    hub.push(&device, &device.payments(1, 1)).await;

    let (status, answer) = enrol_with(&hub, json!({ "enrolment_code": code.code })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "enrolment_code_used");
}

async fn a_code_typed_loosely_still_works(hub: TestHub) {
    hub.add_user("Corner Shop", "mia", Role::Owner).await;
    hub.add_user("Corner Shop", "carl", Role::Cashier).await;
    let owner = hub.enrol("mia").await;
    let code = code_for(&hub, &owner, "carl").await.code;
    let typed = format!("{}-{} ", code[..5].to_lowercase(), &code[5..]);
    let (status, answer) = enrol_with(&hub, json!({ "username": "CARL", "enrolment_code": typed })).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

async fn an_expired_code_is_refused(hub: TestHub) {
    hub.add_user("Corner Shop", "mia", Role::Manager).await;
    hub.add_user("Corner Shop", "carl", Role::Cashier).await;
    let manager = hub.enrol("mia").await;
    let (status, answer) = make_code(&hub, &manager, json!({ "username": "carl", "ttl_secs": 60 })).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let code = answer["code"].as_str().unwrap().to_string();
    hub.clock.advance(60_000);
    let (status, answer) = enrol_with(&hub, json!({ "enrolment_code": code })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "enrolment_code_expired");
    let (status, answer) = enrol_with(&hub, json!({ "enrolment_code": "ZZZZZZZZZZ" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "enrolment_code_unknown");
    let (status, answer) = enrol_with(&hub, json!({ "enrolment_code": "" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "enrolment_code_unknown");
}

async fn a_code_given_with_another_username_is_refused_and_kept(hub: TestHub) {
    hub.add_user("Corner Shop", "mia", Role::Manager).await;
    hub.add_user("Corner Shop", "carl", Role::Cashier).await;
    let manager = hub.enrol("mia").await;
    let code = code_for(&hub, &manager, "carl").await.code;
    let (status, answer) = enrol_with(&hub, json!({ "username": "mia", "enrolment_code": code })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "enrolment_code_unknown");
    let (status, answer) = enrol_with(&hub, json!({ "username": "carl", "enrolment_code": code })).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

async fn cashiers_and_salespeople_cannot_make_codes(hub: TestHub) {
    hub.add_user("Corner Shop", "carl", Role::Cashier).await;
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    hub.add_user("Corner Shop", "wes", Role::Warehouse).await;
    for username in ["carl", "sam", "wes"] {
        let device = hub.enrol(username).await;
        let (status, answer) = make_code(&hub, &device, json!({ "username": "carl" })).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{username}");
        assert_eq!(answer["code"], "role_not_allowed");
    }
    assert_eq!(hub.count("SELECT count(*) FROM enrol_codes").await, 0);
}

async fn codes_are_only_for_users_of_the_same_tenant(hub: TestHub) {
    hub.add_user("Corner Shop", "mia", Role::Manager).await;
    hub.add_user("Other Shop", "olga", Role::Cashier).await;
    let manager = hub.enrol("mia").await;
    for username in ["olga", "nobody", ""] {
        let (status, answer) = make_code(&hub, &manager, json!({ "username": username })).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{username}");
        assert_eq!(answer["code"], "unknown_user");
    }
}

async fn only_an_owner_makes_a_code_for_an_owner(hub: TestHub) {
    hub.add_user("Corner Shop", "otto", Role::Owner).await;
    hub.add_user("Corner Shop", "mia", Role::Manager).await;
    let manager = hub.enrol("mia").await;
    let owner = hub.enrol("otto").await;
    let (status, answer) = make_code(&hub, &manager, json!({ "username": "otto" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["code"], "role_not_allowed");
    code_for(&hub, &owner, "otto").await;
    code_for(&hub, &manager, "mia").await;
}

async fn bad_code_requests_get_4xx_codes(hub: TestHub) {
    hub.add_user("Corner Shop", "mia", Role::Manager).await;
    let manager = hub.enrol("mia").await;
    let cases = [
        (
            json!({ "username": "mia", "ttl_secs": 0 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({ "username": "mia", "ttl_secs": 99999999 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
        ),
        (
            json!({ "username": "mia", "ttl_secs": -5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            json!({ "ttl_secs": 60 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (json!([1, 2]), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (got, answer) = make_code(&hub, &manager, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["code"], code, "{body}");
    }
    let (status, answer) = hub
        .call_raw(
            Method::POST,
            "/v1/enrol/codes",
            Some(&manager.token),
            Some("application/json"),
            Some(b"{not json".to_vec()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "malformed_json");
    let (status, answer) = hub
        .call(
            Method::POST,
            "/v1/enrol/codes",
            None,
            Some(json!({ "username": "mia" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "unauthenticated");
}
