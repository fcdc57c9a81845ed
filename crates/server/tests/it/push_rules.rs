//! What the hub decides per op: rejections recorded with stable codes that
//! still move the cursor, facts accepted and flagged, type versions outside
//! the window stopping the batch, far-future stamps clamped, and inputs
//! (NULs, foreign op ids, other devices' envelopes) that must never fail a
//! push with a 500.

use axum::http::StatusCode;
use serde_json::json;
use stockroom_protocol::sync::{BatchStop, FeedChange, FlagCode, OpOutcome, RejectCode};
use stockroom_protocol::Hlc;
use stockroom_server::policy::Role;

use crate::support::{on_both_backends, payment, product_edit, sale, TestHub, START_MS};

on_both_backends!(
    rejections_are_recorded_with_codes_and_move_the_cursor,
    facts_are_accepted_and_flagged_whatever_the_role,
    an_unsupported_type_version_stops_the_batch_unacknowledged,
    far_future_stamps_are_clamped_and_the_skew_recorded,
    nul_characters_never_fail_a_push,
    an_op_id_of_another_tenant_is_rejected_and_the_queue_moves_on,
    envelopes_of_another_device_are_refused_whole,
);

fn rejected(code: RejectCode) -> OpOutcome {
    OpOutcome::Rejected { code }
}

async fn rejections_are_recorded_with_codes_and_move_the_cursor(hub: TestHub) {
    hub.add_user("Corner Shop", "carla", Role::Cashier).await;
    let device = hub.enrol("carla").await;
    let edit = serde_json::to_value(device.envelope(1, product_edit("Tea"))).unwrap();
    let mut unknown = serde_json::to_value(device.envelope(2, payment(2))).unwrap();
    unknown["op"]["type"] = json!("sale.voided");
    let mut broken = serde_json::to_value(device.envelope(3, payment(3))).unwrap();
    broken["op"]["data"]["amount_minor"] = json!("a lot");
    let good = serde_json::to_value(device.envelope(4, payment(4))).unwrap();
    let ops = vec![edit, unknown, broken, good];

    let (status, answer) = hub.push_json(&device, ops.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let response: stockroom_protocol::sync::PushResponse = serde_json::from_value(answer).unwrap();
    assert_eq!(response.acked_through_seq, 4);
    let outcomes: Vec<_> = response.results.iter().map(|result| result.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        vec![
            rejected(RejectCode::RoleNotAllowed),
            rejected(RejectCode::UnknownOpType),
            rejected(RejectCode::InvalidPayload),
            OpOutcome::Applied { flags: vec![] },
        ]
    );
    // Every op is in the log (the audit trail), only the applied one in the feed.
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 4);
    assert_eq!(
        hub.count("SELECT count(*) FROM op_log WHERE outcome = 'rejected'")
            .await,
        3
    );
    assert_eq!(
        hub.count("SELECT count(*) FROM op_log WHERE reject_code = 'unknown_op_type' AND op_type = 'sale.voided'")
            .await,
        1
    );
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 1);
    // A retry hears the first answer again.
    let (_, answer) = hub.push_json(&device, ops).await;
    let again: stockroom_protocol::sync::PushResponse = serde_json::from_value(answer).unwrap();
    let outcomes: Vec<_> = again.results.iter().map(|result| result.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        vec![
            OpOutcome::Duplicate {
                rejected: Some(RejectCode::RoleNotAllowed)
            },
            OpOutcome::Duplicate {
                rejected: Some(RejectCode::UnknownOpType)
            },
            OpOutcome::Duplicate {
                rejected: Some(RejectCode::InvalidPayload)
            },
            OpOutcome::Duplicate { rejected: None },
        ]
    );
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 4);
}

async fn facts_are_accepted_and_flagged_whatever_the_role(hub: TestHub) {
    hub.add_user("Corner Shop", "walt", Role::Warehouse).await;
    let device = hub.enrol("walt").await;
    let ops = vec![
        device.envelope(1, sale("EUR")),
        device.envelope(2, sale("euro")),
        device.envelope(3, payment(3)),
    ];
    let response = hub.push(&device, &ops).await;
    let outcomes: Vec<_> = response.results.iter().map(|result| result.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        vec![
            OpOutcome::Applied {
                flags: vec![FlagCode::RoleNotAllowed]
            },
            OpOutcome::Applied {
                flags: vec![FlagCode::RoleNotAllowed, FlagCode::InvalidShape]
            },
            OpOutcome::Applied {
                flags: vec![FlagCode::RoleNotAllowed]
            },
        ]
    );
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 3);
    assert_eq!(
        hub.count("SELECT count(*) FROM op_log WHERE outcome = 'applied' AND reject_code IS NULL")
            .await,
        3
    );
}

async fn an_unsupported_type_version_stops_the_batch_unacknowledged(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let mut ops = device.payments(1, 3);
    ops[1].type_version = 2;
    let response = hub.push(&device, &ops).await;
    assert_eq!(response.acked_through_seq, 1);
    assert_eq!(
        response.stopped,
        Some(BatchStop::UnsupportedOpVersion {
            seq: 2,
            type_version: 2,
            min_version: 1,
            max_version: 1
        })
    );
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 1);
}

async fn far_future_stamps_are_clamped_and_the_skew_recorded(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let year_ms = 365 * 86_400_000;
    let ops = vec![
        device.envelope_at(1, START_MS + year_ms, payment(1)),
        device.envelope_at(2, START_MS + year_ms + 1, payment(2)),
    ];
    let response = hub.push(&device, &ops).await;
    for result in &response.results {
        assert_eq!(
            result.outcome,
            OpOutcome::Applied {
                flags: vec![FlagCode::ClockClamped]
            }
        );
    }
    let limit_ms = START_MS + hub.state.config.max_future_ms;
    let feed = hub.pull_all(&device, 10).await;
    let stamps: Vec<Hlc> = feed.iter().map(|(_, op)| op.hlc).collect();
    assert_eq!(stamps, vec![Hlc::new(limit_ms, 0), Hlc::new(limit_ms, 1)]);
    // The log keeps the stamp as sent, and the device's skew.
    assert_eq!(
        hub.count("SELECT count(*) FROM op_log WHERE hlc > effective_hlc").await,
        2
    );
    assert_eq!(
        hub.count("SELECT max(clock_skew_ms) FROM devices").await,
        (year_ms + 1) as i64
    );
    // A device a year behind syncs too, untouched.
    let late = device.envelope_at(3, START_MS - year_ms, payment(3));
    let response = hub.push(&device, std::slice::from_ref(&late)).await;
    assert_eq!(response.results[0].outcome, OpOutcome::Applied { flags: vec![] });
    let page = hub.pull(&device, &crate::support::cursor_at(2), 10).await;
    match &page.changes[0].change {
        FeedChange::Op(op) => assert_eq!(op.hlc, late.hlc),
        other => panic!("{other:?}"),
    }
}

async fn nul_characters_never_fail_a_push(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let mut odd_type = serde_json::to_value(device.envelope(1, payment(1))).unwrap();
    odd_type["op"]["type"] = json!("pay\u{0}ment");
    let mut odd_text = serde_json::to_value(device.envelope(2, product_edit("Te\u{0}a"))).unwrap();
    odd_text["op"]["data"]["fields"]["note"] = json!("\u{0}");
    let (status, answer) = hub.push_json(&device, vec![odd_type, odd_text]).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acked_through_seq"], 2);
    assert_eq!(answer["results"][0]["code"], "unknown_op_type");
    assert_eq!(answer["results"][1]["outcome"], "applied");
    let feed = hub.pull_all(&device, 10).await;
    assert_eq!(feed.len(), 1);
}

async fn an_op_id_of_another_tenant_is_rejected_and_the_queue_moves_on(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    hub.add_user("Other Shop", "oscar", Role::Owner).await;
    let ours = hub.enrol("olive").await;
    let theirs = hub.enrol("oscar").await;
    let op = ours.envelope(1, payment(1));
    hub.push(&ours, std::slice::from_ref(&op)).await;
    let copy = stockroom_protocol::OpEnvelope {
        device_id: theirs.device_id,
        user_id: theirs.user_id,
        ..op
    };
    let next = theirs.envelope(2, payment(2));
    let response = hub.push(&theirs, &[copy.clone(), next.clone()]).await;
    assert_eq!(response.acked_through_seq, 2);
    assert_eq!(response.results[0].outcome, rejected(RejectCode::OpIdConflict));
    assert_eq!(response.results[1].outcome, OpOutcome::Applied { flags: vec![] });
    let again = hub.push(&theirs, &[copy, next]).await;
    assert_eq!(
        again.results[0].outcome,
        OpOutcome::Duplicate {
            rejected: Some(RejectCode::OpIdConflict)
        }
    );
    // Each tenant sees only its own op.
    assert_eq!(hub.pull_all(&ours, 10).await.len(), 1);
    let their_feed = hub.pull_all(&theirs, 10).await;
    assert_eq!(their_feed.len(), 1);
    assert_eq!(their_feed[0].1.device_id, theirs.device_id);
}

async fn envelopes_of_another_device_are_refused_whole(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let other = hub.enrol("olive").await;
    let mut ops = device.payments(1, 2);
    ops[1].device_id = other.device_id;
    let (status, answer) = hub.push_status(&device, &ops).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["code"], "envelope_mismatch");
    let mut zero = device.payments(1, 1);
    zero[0].seq = 0;
    let (status, _) = hub.push_status(&device, &zero).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A request naming the other device with this device's token.
    let impostor = crate::support::TestDevice {
        token: device.token.clone(),
        ..other.clone()
    };
    let (status, answer) = hub.push_status(&impostor, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["code"], "device_mismatch");
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 0);
}
