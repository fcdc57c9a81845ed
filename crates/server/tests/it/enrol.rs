//! Enrolment: username and password give a device its id, epoch and session
//! token; re-enrolling takes the next epoch and retires the old token.

use axum::http::{Method, StatusCode};
use serde_json::json;
use stockroom_protocol::PROTOCOL_VERSION;
use stockroom_server::policy::Role;

use crate::support::{on_both_backends, TestHub, PASSWORD};

on_both_backends!(
    enrolment_gives_a_token_that_authenticates,
    re_enrolment_takes_the_next_epoch_and_retires_the_old_token,
    wrong_passwords_unknown_users_and_bad_tokens_are_401,
    a_device_of_another_tenant_cannot_be_enrolled,
    password_guessing_locks_the_username_for_a_while,
);

async fn enrolment_gives_a_token_that_authenticates(hub: TestHub) {
    let owner_id = hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    assert_eq!(device.epoch, 1);
    assert_eq!(device.user_id, owner_id);
    assert_eq!(device.token.len(), 64);
    let page = hub.pull(&device, "", 10).await;
    assert!(page.changes.is_empty());
    assert!(!page.more);
    // Only the token's SHA-256 (32 bytes) is stored, never the token.
    let sql = "SELECT CAST(min(length(token_hash)) AS BIGINT) FROM device_epochs";
    assert_eq!(hub.count(sql).await, 32);
}

async fn re_enrolment_takes_the_next_epoch_and_retires_the_old_token(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let first = hub.enrol("olive").await;
    let second = hub.enrol_device("OLIVE", Some(first.device_id)).await;
    assert_eq!(second.device_id, first.device_id);
    assert_eq!(second.epoch, 2);
    let (status, answer) = hub.pull_status(&first, "", 10).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "unauthenticated");
    hub.pull(&second, "", 10).await;
    // The new token with the old epoch in the request: the device must
    // renumber its outbox for the new epoch.
    let stale = crate::support::TestDevice {
        epoch: 1,
        ..second.clone()
    };
    let (status, answer) = hub.push_status(&stale, &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["code"], "stale_epoch");
    // A device id the hub has never seen is registered as given.
    let own_id = uuid::Uuid::now_v7();
    let third = hub.enrol_device("olive", Some(own_id)).await;
    assert_eq!((third.device_id, third.epoch), (own_id, 1));
}

async fn wrong_passwords_unknown_users_and_bad_tokens_are_401(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    for (username, password) in [
        ("olive", "wrong password"),
        ("nobody", PASSWORD),
        ("bad\u{0}name", PASSWORD),
    ] {
        let body = json!({"protocol_version": PROTOCOL_VERSION, "username": username, "password": password});
        let (status, answer) = hub.call(Method::POST, "/v1/enrol", None, Some(body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{username}");
        assert_eq!(answer["code"], "bad_credentials");
    }
    for token in ["", "0000", &"f".repeat(64)] {
        let (status, answer) = hub.call(Method::GET, "/v1/sync/pull", Some(token), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(answer["code"], "unauthenticated");
    }
    let (status, _) = hub.call(Method::GET, "/v1/sync/pull", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_device_of_another_tenant_cannot_be_enrolled(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    hub.add_user("Other Shop", "oscar", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let body = json!({
        "protocol_version": PROTOCOL_VERSION,
        "username": "oscar",
        "password": PASSWORD,
        "device_id": device.device_id,
    });
    let (status, answer) = hub.call(Method::POST, "/v1/enrol", None, Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["code"], "wrong_tenant");
    hub.pull(&device, "", 10).await;
}

async fn password_guessing_locks_the_username_for_a_while(hub: TestHub) {
    use stockroom_server::throttle::{MAX_FAILURES, WINDOW_MS};
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    hub.add_user("Corner Shop", "sami", Role::Salesperson).await;
    let attempt = |username: &str, password: &str| json!({"protocol_version": PROTOCOL_VERSION, "username": username, "password": password});
    for _ in 0..MAX_FAILURES {
        let (status, _) = hub
            .call(Method::POST, "/v1/enrol", None, Some(attempt("olive", "guess")))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits, whatever the name's case.
    let (status, answer) = hub
        .call(Method::POST, "/v1/enrol", None, Some(attempt("OLIVE", PASSWORD)))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer["code"], "too_many_attempts");
    // Another user of the shop is not held up.
    hub.enrol("sami").await;
    hub.clock.advance(WINDOW_MS);
    let device = hub.enrol("olive").await;
    assert_eq!(device.epoch, 1);
}
