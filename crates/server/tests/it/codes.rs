//! SKUs and barcodes are unique among a tenant's active records: the hub
//! rejects with `duplicate_code` an op that would give a second active
//! record a code, whether the first holder came in an earlier push or
//! earlier in the same one; an archived holder frees its code.

use serde_json::json;
use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::sync::{OpOutcome, RejectCode};
use stockroom_protocol::Op;
use stockroom_server::policy::Role;
use uuid::Uuid;

use crate::support::{on_both_backends, TestHub};

on_both_backends!(
    a_second_active_holder_of_a_code_is_refused,
    a_code_claimed_twice_in_one_push_goes_to_the_first,
    an_archived_holder_frees_its_code,
);

fn set(entity: Entity, row_id: Uuid, fields: serde_json::Value) -> Op {
    let serde_json::Value::Object(fields) = fields else {
        panic!("fields must be an object");
    };
    Op::FieldsSet(FieldsSet { entity, row_id, fields })
}

fn product(row_id: Uuid, sku: &str) -> Op {
    set(
        Entity::Product,
        row_id,
        json!({ "sku": sku, "name": sku, "active": true }),
    )
}

fn barcode(row_id: Uuid, product_id: Uuid, code: &str) -> Op {
    set(
        Entity::Barcode,
        row_id,
        json!({ "code": code, "product_id": product_id.to_string(), "active": true }),
    )
}

fn applied(outcome: &OpOutcome) -> bool {
    matches!(outcome, OpOutcome::Applied { .. })
}

const DUPLICATE: OpOutcome = OpOutcome::Rejected {
    code: RejectCode::DuplicateCode,
};

async fn a_second_active_holder_of_a_code_is_refused(hub: TestHub) {
    hub.add_user("Tea House", "mona", Role::Manager).await;
    let (first, second) = (hub.enrol("mona").await, hub.enrol("mona").await);
    let (tea, other_tea) = (Uuid::now_v7(), Uuid::now_v7());
    let answer = hub
        .push(
            &first,
            &[
                first.envelope(1, product(tea, "TEA-1")),
                first.envelope(2, barcode(Uuid::now_v7(), tea, "4006381333931")),
            ],
        )
        .await;
    assert!(answer.results.iter().all(|result| applied(&result.outcome)));

    let answer = hub
        .push(
            &second,
            &[
                second.envelope(1, product(other_tea, "TEA-1")),
                second.envelope(2, product(other_tea, "TEA-2")),
                second.envelope(3, barcode(Uuid::now_v7(), other_tea, "4006381333931")),
                // The holder itself may send its code again.
                second.envelope(4, product(tea, "TEA-1")),
                // Another record may not take it by an edit either.
                second.envelope(5, set(Entity::Product, other_tea, json!({ "sku": "TEA-1" }))),
            ],
        )
        .await;
    let outcomes: Vec<&OpOutcome> = answer.results.iter().map(|result| &result.outcome).collect();
    assert_eq!(outcomes[0], &DUPLICATE);
    assert!(applied(outcomes[1]));
    assert_eq!(outcomes[2], &DUPLICATE);
    assert!(applied(outcomes[3]));
    assert_eq!(outcomes[4], &DUPLICATE);
    assert_eq!(answer.acked_through_seq, 5, "refusals still move the cursor");

    // Refused ops never reach the feed.
    let feed = hub.pull_all(&first, 100).await;
    let fed_seqs: Vec<(Uuid, u64)> = feed.iter().map(|(_, op)| (op.device_id, op.seq)).collect();
    assert!(!fed_seqs.contains(&(second.device_id, 1)));
    assert!(fed_seqs.contains(&(second.device_id, 2)));
    assert!(!fed_seqs.contains(&(second.device_id, 3)));
    assert!(!fed_seqs.contains(&(second.device_id, 5)));
}

async fn a_code_claimed_twice_in_one_push_goes_to_the_first(hub: TestHub) {
    hub.add_user("Tea House", "mona", Role::Manager).await;
    let device = hub.enrol("mona").await;
    let answer = hub
        .push(
            &device,
            &[
                device.envelope(1, product(Uuid::now_v7(), "MUG")),
                device.envelope(2, product(Uuid::now_v7(), "MUG")),
            ],
        )
        .await;
    assert!(applied(&answer.results[0].outcome));
    assert_eq!(answer.results[1].outcome, DUPLICATE);
}

async fn an_archived_holder_frees_its_code(hub: TestHub) {
    hub.add_user("Tea House", "mona", Role::Manager).await;
    let device = hub.enrol("mona").await;
    let (old, new) = (Uuid::now_v7(), Uuid::now_v7());
    hub.push(&device, &[device.envelope(1, product(old, "POT"))]).await;
    let answer = hub
        .push(
            &device,
            &[
                device.envelope(2, set(Entity::Product, old, json!({ "active": false }))),
                device.envelope(3, product(new, "POT")),
            ],
        )
        .await;
    assert!(applied(&answer.results[0].outcome));
    // Judged before the push's own writes: the holder was still active.
    assert_eq!(answer.results[1].outcome, DUPLICATE);
    let answer = hub.push(&device, &[device.envelope(4, product(new, "POT"))]).await;
    assert!(applied(&answer.results[0].outcome), "{:?}", answer.results);
}
