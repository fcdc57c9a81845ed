//! App users are hub accounts: a `user.set` a manager's device sends makes
//! or changes the account with the same id, so the user can enrol a device
//! with a manager's one-time code, and the role given in the app is the
//! role the hub judges their ops by. A `user.set` that would take another
//! account's username, reach into another tenant or change an owner from a
//! manager's device is rejected with a code and changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::json;
use stockroom_protocol::ops::UserSet;
use stockroom_protocol::sync::{EnrolResponse, FlagCode, OpOutcome, PushResponse, RejectCode};
use stockroom_protocol::{Op, PROTOCOL_VERSION};
use uuid::Uuid;

use stockroom_server::policy::Role;

use crate::support::{on_both_backends, sale, TestDevice, TestHub};

on_both_backends!(
    a_user_made_in_the_app_enrols_with_a_managers_code,
    user_sets_that_clash_are_rejected_and_change_nothing
);

fn user_set(id: Uuid, username: &str, role: &str, active: bool) -> Op {
    Op::UserSet(UserSet {
        id,
        username: username.to_string(),
        display_name: String::new(),
        role: role.to_string(),
        active,
    })
}

fn outcomes(pushed: &PushResponse) -> Vec<OpOutcome> {
    pushed.results.iter().map(|result| result.outcome.clone()).collect()
}

fn applied() -> OpOutcome {
    OpOutcome::Applied { flags: Vec::new() }
}

fn rejected(code: RejectCode) -> OpOutcome {
    OpOutcome::Rejected { code }
}

/// Enrols a new device with a code `manager` makes for `username`.
async fn enrol_with_code(hub: &TestHub, manager: &TestDevice, username: &str) -> (StatusCode, serde_json::Value) {
    let (status, code) = hub
        .call(
            Method::POST,
            "/v1/enrol/codes",
            Some(&manager.token),
            Some(json!({ "username": username })),
        )
        .await;
    if status != StatusCode::CREATED {
        return (status, code);
    }
    let body = json!({ "protocol_version": PROTOCOL_VERSION, "enrolment_code": code["code"] });
    hub.call(Method::POST, "/v1/enrol", None, Some(body)).await
}

async fn a_user_made_in_the_app_enrols_with_a_managers_code(hub: TestHub) {
    hub.add_user("shop", "mia", Role::Manager).await;
    let manager = hub.enrol("mia").await;
    let cass = Uuid::now_v7();
    let pushed = hub
        .push(
            &manager,
            &[manager.envelope(1, user_set(cass, "Cass", "cashier", true))],
        )
        .await;
    assert_eq!(outcomes(&pushed), [applied()]);
    let accounts = "SELECT count(*) FROM users WHERE username = 'Cass' AND role = 'cashier' AND password_hash = ''";
    assert_eq!(hub.count(accounts).await, 1, "the account is made, with no password");

    // No password signs in to an account made in the app, not even none.
    for password in ["", "password1"] {
        let body = json!({ "protocol_version": PROTOCOL_VERSION, "username": "cass", "password": password });
        let (status, answer) = hub.call(Method::POST, "/v1/enrol", None, Some(body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(answer["code"], "bad_credentials");
    }
    // A manager's code enrols a device as them, under the app's username.
    let (status, answer) = enrol_with_code(&hub, &manager, "cass").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let enrolled: EnrolResponse = serde_json::from_value(answer).unwrap();
    assert_eq!((enrolled.user_id, enrolled.role.as_str()), (cass, "cashier"));
    assert_eq!(enrolled.username, "Cass");
    let till = TestDevice {
        device_id: enrolled.device_id,
        epoch: enrolled.epoch,
        token: enrolled.session_token,
        user_id: cass,
        tenant_id: enrolled.tenant_id,
    };
    let pushed = hub.push(&till, &[till.envelope(1, sale("EUR"))]).await;
    assert_eq!(outcomes(&pushed), [applied()], "a cashier sells");

    // The manager makes Cass a warehouse worker: the hub judges by that now.
    let pushed = hub
        .push(
            &manager,
            &[manager.envelope(2, user_set(cass, "Cass", "warehouse", true))],
        )
        .await;
    assert_eq!(outcomes(&pushed), [applied()]);
    let pushed = hub.push(&till, &[till.envelope(2, sale("EUR"))]).await;
    assert_eq!(
        outcomes(&pushed),
        [OpOutcome::Applied {
            flags: vec![FlagCode::RoleNotAllowed]
        }],
        "a sale is a fact, kept and flagged"
    );

    // Switched off in the app: no code for them, and none of theirs works.
    let (status, code) = hub
        .call(
            Method::POST,
            "/v1/enrol/codes",
            Some(&manager.token),
            Some(json!({ "username": "cass" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let pushed = hub
        .push(
            &manager,
            &[manager.envelope(3, user_set(cass, "Cass", "warehouse", false))],
        )
        .await;
    assert_eq!(outcomes(&pushed), [applied()]);
    let body = json!({ "protocol_version": PROTOCOL_VERSION, "enrolment_code": code["code"] });
    let (status, answer) = hub.call(Method::POST, "/v1/enrol", None, Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], "user_inactive");
    let (status, answer) = enrol_with_code(&hub, &manager, "cass").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["code"], "user_inactive");
}

async fn user_sets_that_clash_are_rejected_and_change_nothing(hub: TestHub) {
    let owner = hub.add_user("shop", "olga", Role::Owner).await;
    hub.add_user("shop", "mia", Role::Manager).await;
    let elsewhere = hub.add_user("other shop", "zed", Role::Cashier).await;
    let manager = hub.enrol("mia").await;
    let (bo, other_bo) = (Uuid::now_v7(), Uuid::now_v7());
    let ops = [
        // Another account's name, in another case.
        user_set(Uuid::now_v7(), "MIA", "cashier", true),
        // The owner's account, from a manager's device.
        user_set(owner, "olga", "manager", true),
        // Another tenant's account.
        user_set(elsewhere, "zed", "manager", true),
        // Two new users after one name in one push: the first has it.
        user_set(bo, "bo", "cashier", true),
        user_set(other_bo, "Bo", "cashier", true),
        // Bo takes another name, and the old one is free.
        user_set(bo, "bob", "cashier", true),
        user_set(other_bo, "bo", "salesperson", true),
    ];
    let envelopes: Vec<_> = ops
        .into_iter()
        .enumerate()
        .map(|(index, op)| manager.envelope(index as u64 + 1, op))
        .collect();
    let pushed = hub.push(&manager, &envelopes).await;
    assert_eq!(
        outcomes(&pushed),
        [
            rejected(RejectCode::UsernameTaken),
            rejected(RejectCode::RoleNotAllowed),
            rejected(RejectCode::WrongTenant),
            applied(),
            rejected(RejectCode::UsernameTaken),
            applied(),
            applied(),
        ]
    );
    let accounts = "SELECT count(*) FROM users WHERE (username = 'olga' AND role = 'owner')
                    OR (username = 'zed' AND role = 'cashier') OR (username = 'bob' AND role = 'cashier')
                    OR (username = 'bo' AND role = 'salesperson') OR (username = 'mia' AND role = 'manager')";
    assert_eq!(hub.count(accounts).await, 5);
    assert_eq!(hub.count("SELECT count(*) FROM users").await, 5);
    // Only what was applied reaches the feed.
    let fed = hub
        .pull_all(&manager, 100)
        .await
        .into_iter()
        .filter(|(_, op)| matches!(op.op, Op::UserSet(_)))
        .count();
    assert_eq!(fed, 3);
}
