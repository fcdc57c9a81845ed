//! A push writes its new ops all together: the edges of that, against what
//! op-by-op writing would do. An op id twice in one batch is applied once;
//! an op id another tenant already used is refused alone.

use stockroom_protocol::sync::{OpOutcome, RejectCode};
use stockroom_server::policy::Role;

use crate::support::{on_both_backends, TestHub};

on_both_backends!(
    an_op_id_twice_in_one_batch_is_applied_once,
    another_tenants_op_id_is_refused_alone,
);

async fn an_op_id_twice_in_one_batch_is_applied_once(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let mut ops = device.payments(1, 4);
    ops[2].op_id = ops[1].op_id;
    let answer = hub.push(&device, &ops).await;
    assert_eq!(answer.acked_through_seq, 4);
    let outcomes: Vec<OpOutcome> = answer.results.into_iter().map(|result| result.outcome).collect();
    let applied = OpOutcome::Applied { flags: vec![] };
    assert_eq!(
        outcomes,
        vec![
            applied.clone(),
            applied.clone(),
            OpOutcome::Duplicate { rejected: None },
            applied
        ]
    );
    let feed = hub.pull_all(&device, 10).await;
    assert_eq!(
        feed.iter().map(|(position, _)| *position).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(feed[1].1, ops[1], "the first of the two is the one applied");
    assert_eq!(hub.count("SELECT COUNT(*) FROM op_log").await, 3);
    assert_eq!(hub.count("SELECT COUNT(*) FROM repeated_ops").await, 1);
}

async fn another_tenants_op_id_is_refused_alone(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    hub.add_user("Other Shop", "oscar", Role::Owner).await;
    let ours = hub.enrol("olive").await;
    let theirs = hub.enrol("oscar").await;
    let their_ops = theirs.payments(1, 1);
    hub.push(&theirs, &their_ops).await;
    let mut ops = ours.payments(1, 3);
    ops[1].op_id = their_ops[0].op_id;
    let answer = hub.push(&ours, &ops).await;
    let outcomes: Vec<OpOutcome> = answer.results.into_iter().map(|result| result.outcome).collect();
    let applied = OpOutcome::Applied { flags: vec![] };
    assert_eq!(
        outcomes,
        vec![
            applied.clone(),
            OpOutcome::Rejected {
                code: RejectCode::OpIdConflict
            },
            applied
        ]
    );
    assert_eq!(hub.pull_all(&ours, 10).await.len(), 2);
    assert_eq!(hub.pull_all(&theirs, 10).await.len(), 1);
}
