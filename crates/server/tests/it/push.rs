//! Push: one transaction per batch, duplicates acknowledged without being
//! applied twice, gaps refused, a divergent outbox answered loudly, and
//! concurrent pushes that never double-apply.

use std::sync::Arc;

use axum::http::StatusCode;
use stockroom_protocol::sync::{BatchStop, OpOutcome};
use stockroom_server::policy::Role;
use tokio::task::JoinSet;

use crate::support::{on_both_backends, payment, TestHub};

on_both_backends!(
    a_batch_is_applied_and_fed_in_order,
    a_repeated_push_is_acknowledged_but_applied_once,
    a_gap_stops_the_batch_and_keeps_what_came_before,
    a_known_seq_with_another_op_id_is_a_divergent_outbox,
    ops_resent_after_re_enrolment_are_duplicates,
    concurrent_pushes_from_one_device_apply_each_op_once,
    racing_divergent_pushes_let_exactly_one_win,
    concurrent_pushes_from_many_devices_get_contiguous_positions,
);

fn applied() -> OpOutcome {
    OpOutcome::Applied { flags: vec![] }
}

fn duplicate() -> OpOutcome {
    OpOutcome::Duplicate { rejected: None }
}

fn outcomes(response: &stockroom_protocol::sync::PushResponse) -> Vec<(u64, OpOutcome)> {
    response
        .results
        .iter()
        .map(|result| (result.seq, result.outcome.clone()))
        .collect()
}

async fn a_batch_is_applied_and_fed_in_order(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let ops = device.payments(1, 5);
    let response = hub.push(&device, &ops).await;
    assert_eq!(response.acked_through_seq, 5);
    assert_eq!(response.stopped, None);
    assert_eq!(
        outcomes(&response),
        (1..=5).map(|seq| (seq, applied())).collect::<Vec<_>>()
    );
    assert_eq!(response.hub_time_ms, crate::support::START_MS);
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 5);
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 5);
    assert_eq!(hub.count("SELECT max(last_seq) FROM device_epochs").await, 5);
    let feed = hub.pull_all(&device, 100).await;
    assert_eq!(
        feed.iter().map(|(position, _)| *position).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(feed.into_iter().map(|(_, op)| op).collect::<Vec<_>>(), ops);
    // An empty push acknowledges what the hub has, and tells hub time.
    hub.clock.advance(5_000);
    let response = hub.push(&device, &[]).await;
    assert_eq!(response.acked_through_seq, 5);
    assert_eq!(response.hub_time_ms, crate::support::START_MS + 5_000);
}

async fn a_repeated_push_is_acknowledged_but_applied_once(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let ops = device.payments(1, 5);
    hub.push(&device, &ops[..3]).await;
    // The answer was lost; the device sends everything again, and more.
    let response = hub.push(&device, &ops).await;
    assert_eq!(response.acked_through_seq, 5);
    assert_eq!(
        outcomes(&response),
        vec![
            (1, duplicate()),
            (2, duplicate()),
            (3, duplicate()),
            (4, applied()),
            (5, applied())
        ]
    );
    let again = hub.push(&device, &ops).await;
    assert!(again.results.iter().all(|result| result.outcome == duplicate()));
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 5);
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 5);
}

async fn a_gap_stops_the_batch_and_keeps_what_came_before(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let ops = device.payments(1, 6);
    hub.push(&device, &ops[..2]).await;
    let response = hub.push(&device, &ops[3..]).await;
    assert_eq!(response.acked_through_seq, 2);
    assert!(response.results.is_empty());
    assert_eq!(
        response.stopped,
        Some(BatchStop::Gap {
            seq: 4,
            expected_seq: 3
        })
    );
    // The op before the gap goes in; the ones after wait.
    let batch = [ops[2].clone(), ops[4].clone(), ops[5].clone()];
    let response = hub.push(&device, &batch).await;
    assert_eq!(response.acked_through_seq, 3);
    assert_eq!(outcomes(&response), vec![(3, applied())]);
    assert_eq!(
        response.stopped,
        Some(BatchStop::Gap {
            seq: 5,
            expected_seq: 4
        })
    );
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 3);
    let response = hub.push(&device, &ops).await;
    assert_eq!(response.acked_through_seq, 6);
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 6);
}

async fn a_known_seq_with_another_op_id_is_a_divergent_outbox(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let ops = device.payments(1, 2);
    hub.push(&device, &ops).await;
    // Seq 2 again with another op id, followed by a new op 3.
    let impostor = device.envelope(2, payment(999));
    let next = device.envelope(3, payment(3));
    let (status, answer) = hub.push_status(&device, &[ops[0].clone(), impostor, next]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["code"], "divergent_outbox");
    // Nothing of the refused batch went in.
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 2);
    assert_eq!(hub.count("SELECT max(last_seq) FROM device_epochs").await, 2);
}

async fn ops_resent_after_re_enrolment_are_duplicates(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let first = hub.enrol("olive").await;
    let ops = first.payments(1, 3);
    hub.push(&first, &ops).await;
    // The device lost the acknowledgement, re-enrolled, and renumbered its
    // outbox from 1 for the new epoch; op ids stay.
    let second = hub.enrol_device("olive", Some(first.device_id)).await;
    let mut renumbered: Vec<_> = ops
        .iter()
        .map(|op| stockroom_protocol::OpEnvelope {
            epoch: second.epoch,
            ..op.clone()
        })
        .collect();
    renumbered.push(second.envelope(4, payment(4)));
    let response = hub.push(&second, &renumbered).await;
    assert_eq!(response.acked_through_seq, 4);
    assert_eq!(
        outcomes(&response),
        vec![(1, duplicate()), (2, duplicate()), (3, duplicate()), (4, applied())]
    );
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 4);
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 4);
    // Sending them again is still a duplicate, and consistent.
    let again = hub.push(&second, &renumbered).await;
    assert!(again.results.iter().all(|result| result.outcome == duplicate()));
}

async fn concurrent_pushes_from_one_device_apply_each_op_once(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let ops = device.payments(1, 40);
    let hub = Arc::new(hub);
    for round in 0..4 {
        let batch = ops[..10 * (round + 1)].to_vec();
        let mut pushes = JoinSet::new();
        for _ in 0..4 {
            let (hub, device, batch) = (hub.clone(), device.clone(), batch.clone());
            pushes.spawn(async move { hub.push(&device, &batch).await });
        }
        let responses = pushes.join_all().await;
        for response in &responses {
            assert_eq!(response.acked_through_seq, batch.len() as u64);
        }
        let n_applied = responses
            .iter()
            .flat_map(|response| &response.results)
            .filter(|result| matches!(result.outcome, OpOutcome::Applied { .. }))
            .count();
        assert_eq!(n_applied, 10, "round {round}: each new op applied by exactly one push");
    }
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 40);
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 40);
}

async fn racing_divergent_pushes_let_exactly_one_win(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let hub = Arc::new(hub);
    // Four pushes of seqs 1..=5 at once, each with its own op ids (a cloned
    // device): the cursor lock lets one in, the others see a divergence.
    let mut pushes = JoinSet::new();
    for _ in 0..4 {
        let (hub, device) = (hub.clone(), device.clone());
        pushes.spawn(async move {
            let ops = device.payments(1, 5);
            hub.push_status(&device, &ops).await
        });
    }
    let mut statuses: Vec<_> = pushes
        .join_all()
        .await
        .into_iter()
        .map(|(status, answer)| (status, answer["code"].as_str().map(str::to_string)))
        .collect();
    statuses.sort();
    let divergent = (StatusCode::CONFLICT, Some("divergent_outbox".to_string()));
    assert_eq!(
        statuses,
        vec![(StatusCode::OK, None), divergent.clone(), divergent.clone(), divergent]
    );
    assert_eq!(hub.count("SELECT count(*) FROM op_log").await, 5);
    assert_eq!(hub.count("SELECT count(*) FROM feed").await, 5);
}

async fn concurrent_pushes_from_many_devices_get_contiguous_positions(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let mut devices = Vec::new();
    for _ in 0..4 {
        devices.push(hub.enrol("olive").await);
    }
    let batches: Vec<_> = devices.iter().map(|device| device.payments(1, 30)).collect();
    let hub = Arc::new(hub);
    let mut pushes = JoinSet::new();
    for (device, ops) in devices.iter().zip(&batches) {
        let (hub, device, ops) = (hub.clone(), device.clone(), ops.clone());
        pushes.spawn(async move {
            for chunk in ops.chunks(10) {
                hub.push(&device, chunk).await;
            }
        });
    }
    pushes.join_all().await;
    let feed = hub.pull_all(&devices[0], 7).await;
    let positions: Vec<u64> = feed.iter().map(|(position, _)| *position).collect();
    assert_eq!(positions, (1..=120).collect::<Vec<_>>());
    // Each device's ops appear once, in its own order.
    for (device, ops) in devices.iter().zip(&batches) {
        let fed: Vec<_> = feed
            .iter()
            .filter(|(_, op)| op.device_id == device.device_id)
            .map(|(_, op)| op.clone())
            .collect();
        assert_eq!(&fed, ops);
    }
}
