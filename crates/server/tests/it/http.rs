//! Bad requests get a 4xx with a stable code, never a 500: malformed or
//! misshapen JSON, oversized bodies, missing tokens, unknown routes, and
//! apps too old or too new. Health and readiness answer.

use axum::http::{Method, StatusCode};
use serde_json::json;
use stockroom_protocol::sync::SCHEMA_VERSION;
use stockroom_protocol::PROTOCOL_VERSION;
use stockroom_server::policy::Role;

use crate::support::{on_both_backends, TestHub, MAX_BODY_BYTES};

on_both_backends!(
    bad_requests_get_4xx_codes,
    versions_are_checked,
    health_and_readiness_answer
);

async fn bad_requests_get_4xx_codes(mut hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let token = Some(device.token.as_str());
    let push = "/v1/sync/push";
    let valid = |ops: serde_json::Value| {
        json!({"protocol_version": PROTOCOL_VERSION, "schema_version": SCHEMA_VERSION,
               "device_id": device.device_id, "epoch": device.epoch, "ops": ops})
    };
    let oversized = valid(json!([{"padding": "x".repeat(MAX_BODY_BYTES)}]));
    let with_token = |body: Vec<u8>| (Some(device.token.clone()), Some("application/json"), body);
    let cases = [
        (
            "truncated",
            with_token(b"{\"protocol_version\": 1,".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not json",
            with_token(b"hello".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "wrong shape",
            with_token(json!({"ops": 3}).to_string().into_bytes()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "bad op",
            with_token(valid(json!([{"seq": -1}])).to_string().into_bytes()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "no content type",
            (
                Some(device.token.clone()),
                None,
                valid(json!([])).to_string().into_bytes(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "oversized",
            with_token(oversized.to_string().into_bytes()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            "no token",
            (
                None,
                Some("application/json"),
                valid(json!([])).to_string().into_bytes(),
            ),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    for (name, (token, content_type, body), status, code) in cases {
        let (got_status, answer) = hub
            .call_raw(Method::POST, push, token.as_deref(), content_type, Some(body))
            .await;
        assert_eq!(
            (got_status, answer["code"].as_str()),
            (status, Some(code)),
            "{name}: {answer}"
        );
        assert!(
            answer["message"].as_str().is_some_and(|message| !message.is_empty()),
            "{name}"
        );
    }
    hub.reconfigure(|config| config.max_ops_per_push = 2);
    let (status, answer) = hub.push_status(&device, &device.payments(1, 3)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_too_large"))
    );
    let (status, answer) = hub.call(Method::GET, "/v1/sync/pull?limit=many", token, None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_query"))
    );
    let (status, answer) = hub.call(Method::GET, "/v1/nowhere", token, None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, answer) = hub.call(Method::GET, push, token, None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    let (status, answer) = hub
        .call(Method::POST, "/v1/enrol", None, Some(json!({"username": "olive"})))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 0);
}

async fn versions_are_checked(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let push = |protocol: u32, schema: u32| {
        json!({"protocol_version": protocol, "schema_version": schema,
               "device_id": device.device_id, "epoch": device.epoch, "ops": []})
    };
    let cases = [
        (push(0, SCHEMA_VERSION), StatusCode::UPGRADE_REQUIRED, "app_too_old"),
        (push(PROTOCOL_VERSION, 0), StatusCode::UPGRADE_REQUIRED, "app_too_old"),
        (
            push(PROTOCOL_VERSION + 1, SCHEMA_VERSION),
            StatusCode::BAD_REQUEST,
            "hub_too_old",
        ),
        (push(PROTOCOL_VERSION, SCHEMA_VERSION + 1), StatusCode::OK, ""),
    ];
    for (body, status, code) in cases {
        let (got, answer) = hub
            .call(Method::POST, "/v1/sync/push", Some(&device.token), Some(body))
            .await;
        assert_eq!(got, status, "{answer}");
        if !code.is_empty() {
            assert_eq!(answer["code"], code);
        }
    }
    let enrol_old = json!({"protocol_version": 0, "username": "olive", "password": crate::support::PASSWORD});
    let (status, answer) = hub.call(Method::POST, "/v1/enrol", None, Some(enrol_old)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UPGRADE_REQUIRED, Some("app_too_old"))
    );
}

async fn health_and_readiness_answer(hub: TestHub) {
    let (status, answer) = hub.call(Method::GET, "/healthz", None, None).await;
    assert_eq!((status, answer["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, answer) = hub.call(Method::GET, "/readyz", None, None).await;
    assert_eq!((status, answer["status"].as_str()), (StatusCode::OK, Some("ready")));
    // With the database gone, the hub is alive but not ready.
    hub.state.store.close().await.unwrap();
    let (status, answer) = hub.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    let (status, _) = hub.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
}
