//! Snapshots and the feed's hash chain: a snapshot and a pull from its
//! cursor give what pulling the whole feed gives; the chain recomputed over
//! pulled pages is the hub's; a cut body has no end line; a fleet asking at
//! once costs one build.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, Request, StatusCode};
use serde_json::{json, Value};
use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::snapshot::{chain_hex, chain_next, parse_chain, FieldStamp, SnapshotItem, GENESIS_CHAIN};
use stockroom_protocol::sync::{FeedChange, OpOutcome, PullResponse, RawOpEnvelope, RejectCode};
use stockroom_protocol::{Op, OpEnvelope};
use stockroom_server::policy::Role;
use stockroom_server::records::Record;
use stockroom_server::Backend as StoreBackend;
use tower::ServiceExt;
use uuid::Uuid;

use crate::support::{cursor_at, on_both_backends, payment, sale, TestDevice, TestHub, START_MS};

on_both_backends!(
    a_snapshot_then_a_pull_equals_pulling_the_whole_feed,
    the_chain_recomputed_over_pulled_pages_is_the_hubs,
    a_cut_body_has_no_end_line,
    a_fleet_asking_at_once_costs_one_build,
    the_cache_keeps_to_its_bytes,
    a_record_the_database_refuses_rejects_that_op_alone,
);

type Key = (Entity, Uuid);

/// What a device holds after loading snapshots and pulls: the records, the
/// facts and requests with their positions, and each scope's chain it
/// recomputed.
#[derive(Debug, PartialEq)]
pub(crate) struct Replica {
    pub records: HashMap<Key, Record>,
    pub ops: Vec<(u64, RawOpEnvelope)>,
    pub position: u64,
    pub chains: BTreeMap<String, [u8; 32]>,
}

impl Replica {
    pub(crate) fn empty() -> Replica {
        Replica {
            records: HashMap::new(),
            ops: Vec::new(),
            position: 0,
            chains: BTreeMap::new(),
        }
    }

    fn apply(&mut self, position: u64, op: RawOpEnvelope, scopes: &[String]) {
        assert!(!scopes.is_empty(), "every entry names its scopes");
        for scope in scopes {
            let chain = self.chains.entry(scope.clone()).or_insert(GENESIS_CHAIN);
            *chain = chain_next(chain, position, &FeedChange::Op(op.clone()));
        }
        self.position = position;
        match op.decode().expect("feed ops decode").op {
            Op::FieldsSet(set) => {
                let stamp = FieldStamp {
                    hlc: op.hlc,
                    device_id: op.device_id,
                };
                self.records
                    .entry((set.entity, set.row_id))
                    .or_default()
                    .merge(&set.fields, stamp);
            }
            _ => self.ops.push((position, op)),
        }
    }

    /// Pulls from `since` to the end, checking the chain on every page.
    pub(crate) async fn pull_rest(&mut self, hub: &TestHub, device: &TestDevice, since: &str, limit: u32) {
        let mut since = since.to_string();
        loop {
            let page = pull_raw(hub, device, &since, limit).await;
            for entry in page.changes {
                let FeedChange::Op(op) = entry.change else {
                    panic!("only ops are fed");
                };
                for scope in &entry.scopes {
                    assert!(page.scopes.contains_key(scope), "the page carries the chain of {scope}");
                }
                self.apply(entry.position, op, &entry.scopes);
            }
            for (scope, chain) in &page.scopes {
                assert_eq!(
                    chain,
                    &chain_hex(&self.chains[scope]),
                    "chain of {scope} at {}",
                    page.next
                );
            }
            since = page.next;
            if !page.more {
                return;
            }
        }
    }
}

/// A snapshot's lines, and the replica loaded from them.
pub(crate) fn load(lines: &[SnapshotItem<RawOpEnvelope>]) -> Replica {
    let mut replica = Replica::empty();
    let mut ended = false;
    for (index, line) in lines.iter().enumerate() {
        match line {
            SnapshotItem::Header {
                position,
                scopes,
                cursor,
                ..
            } => {
                assert_eq!(index, 0, "the header comes first");
                assert!(cursor.starts_with(&format!("2:{position}:")), "{cursor}");
                replica.position = *position;
                replica.chains = scopes
                    .iter()
                    .map(|(scope, chain)| (scope.clone(), parse_chain(chain).expect("hex chain")))
                    .collect();
            }
            SnapshotItem::Row(row) => {
                let record = Record {
                    fields: row.fields.clone(),
                    stamps: row.stamps.clone(),
                };
                assert!(replica.records.insert((row.entity, row.row_id), record).is_none());
            }
            SnapshotItem::Op { position, op } => {
                assert!(*position <= replica.position);
                assert_ne!(op.op.op_type, "fields.set");
                replica.ops.push((*position, op.clone()));
            }
            SnapshotItem::End { rows, ops } => {
                assert_eq!(index, lines.len() - 1, "the end comes last");
                assert_eq!(*rows as usize, replica.records.len());
                assert_eq!(*ops as usize, replica.ops.len());
                ended = true;
            }
        }
    }
    assert!(ended, "a whole body ends with its end line");
    replica
}

async fn pull_raw(hub: &TestHub, device: &TestDevice, since: &str, limit: u32) -> PullResponse<RawOpEnvelope> {
    let (status, answer) = hub.pull_status(device, since, limit).await;
    assert_eq!(status, StatusCode::OK, "pull: {answer}");
    serde_json::from_value(answer).expect("pull response")
}

async fn get_snapshot(
    hub: &TestHub,
    device: &TestDevice,
    if_none_match: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get("/v1/sync/snapshot").header(AUTHORIZATION, format!("Bearer {}", device.token));
    if let Some(tag) = if_none_match {
        request = request.header(IF_NONE_MATCH, tag);
    }
    let response = hub
        .app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, headers, bytes.to_vec())
}

/// The complete NDJSON lines in a (possibly cut) gzip body.
fn lines_of(gzip: &[u8]) -> Vec<SnapshotItem<RawOpEnvelope>> {
    let mut text = Vec::new();
    let _ = flate2::read::GzDecoder::new(gzip).read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text);
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .map(|line| serde_json::from_str(line).expect("a snapshot line"))
        .collect()
}

pub(crate) async fn snapshot_lines(hub: &TestHub, device: &TestDevice) -> Vec<SnapshotItem<RawOpEnvelope>> {
    let (status, headers, body) = get_snapshot(hub, device, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_ENCODING], "gzip");
    lines_of(&body)
}

fn fields_set(entity: Entity, row_id: u128, fields: Value) -> Op {
    let Value::Object(fields) = fields else {
        panic!("fields are an object");
    };
    Op::FieldsSet(FieldsSet {
        entity,
        row_id: Uuid::from_u128(row_id),
        fields,
    })
}

/// Ops of one device, seqs from `first`, stamped at the given milliseconds.
fn ops_at(device: &TestDevice, first: u64, ops: Vec<(u64, Op)>) -> Vec<OpEnvelope> {
    ops.into_iter()
        .enumerate()
        .map(|(index, (hlc_ms, op))| device.envelope_at(first + index as u64, hlc_ms, op))
        .collect()
}

async fn two_devices(hub: &TestHub) -> (TestDevice, TestDevice) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    (hub.enrol("olive").await, hub.enrol("olive").await)
}

async fn a_snapshot_then_a_pull_equals_pulling_the_whole_feed(hub: TestHub) {
    let (ann, bob) = two_devices(&hub).await;
    let t = START_MS - 10_000;
    hub.push(
        &ann,
        &ops_at(
            &ann,
            1,
            vec![
                (
                    t + 10,
                    fields_set(Entity::Product, 1, json!({"name": "Tea", "price_minor": 250})),
                ),
                (t + 11, sale("EUR")),
                (
                    t + 12,
                    fields_set(
                        Entity::Barcode,
                        2,
                        json!({"code": "4006381333931", "product_id": Uuid::from_u128(1)}),
                    ),
                ),
                (t + 13, payment(500)),
            ],
        ),
    )
    .await;
    // Bob's edit of the name is older than Ann's: it arrives later and loses;
    // his price is newer and wins.
    hub.push(
        &bob,
        &ops_at(
            &bob,
            1,
            vec![
                (t + 5, fields_set(Entity::Product, 1, json!({"name": "Old tea"}))),
                (t + 20, fields_set(Entity::Product, 1, json!({"price_minor": 275}))),
                (
                    t + 21,
                    fields_set(Entity::PriceListEntry, 3, json!({"price_minor": 199})),
                ),
            ],
        ),
    )
    .await;
    let snapshot = load(&snapshot_lines(&hub, &ann).await);
    assert_eq!(snapshot.position, 7);
    assert_eq!(snapshot.records.len(), 3);
    let tea = &snapshot.records[&(Entity::Product, Uuid::from_u128(1))];
    assert_eq!(
        Value::Object(tea.fields.clone()),
        json!({"name": "Tea", "price_minor": 275})
    );
    assert_eq!(tea.stamps["name"].device_id, ann.device_id);
    assert_eq!(tea.stamps["price_minor"].device_id, bob.device_id);
    assert_eq!(
        snapshot.ops.iter().map(|(position, _)| *position).collect::<Vec<_>>(),
        vec![2, 4]
    );

    // More after the snapshot, then the snapshot's holder pulls from its cursor.
    hub.push(
        &ann,
        &ops_at(
            &ann,
            5,
            vec![
                (t + 30, fields_set(Entity::Product, 1, json!({"name": "Green tea"}))),
                (t + 31, payment(100)),
            ],
        ),
    )
    .await;
    hub.push(
        &bob,
        &ops_at(
            &bob,
            4,
            vec![
                (t + 32, fields_set(Entity::Product, 9, json!({"name": "Mint"}))),
                (t + 33, sale("EUR")),
            ],
        ),
    )
    .await;
    let mut from_snapshot = snapshot;
    let cursor = cursor_at(from_snapshot.position);
    from_snapshot.pull_rest(&hub, &bob, &cursor, 2).await;
    let mut from_start = Replica::empty();
    from_start.pull_rest(&hub, &bob, "", 3).await;
    assert_eq!(from_snapshot, from_start);
    assert_eq!(from_start.position, 11);
    assert_eq!(from_start.records.len(), 4);
    // A new snapshot is the same state again.
    hub.clock.advance(60_000);
    assert_eq!(load(&snapshot_lines(&hub, &ann).await), from_start);
}

async fn the_chain_recomputed_over_pulled_pages_is_the_hubs(hub: TestHub) {
    let (ann, bob) = two_devices(&hub).await;
    let empty = pull_raw(&hub, &ann, "", 10).await;
    assert!(empty.changes.is_empty() && empty.scopes.is_empty());
    let t = START_MS - 10_000;
    hub.push(
        &ann,
        &ops_at(
            &ann,
            1,
            vec![
                (t, payment(1)),
                (t + 1, fields_set(Entity::Customer, 4, json!({"name": "Ada"}))),
            ],
        ),
    )
    .await;
    // A stamp far in the future: the feed (and the chain) carry the clamped one.
    hub.push(
        &bob,
        &ops_at(&bob, 1, vec![(START_MS + 86_400_000, sale("EUR")), (t + 3, payment(2))]),
    )
    .await;
    hub.push(
        &ann,
        &ops_at(
            &ann,
            3,
            vec![
                (t + 4, fields_set(Entity::Location, 5, json!({"name": "Van"}))),
                (t + 5, payment(3)),
            ],
        ),
    )
    .await;
    let mut whole = Replica::empty();
    whole.pull_rest(&hub, &ann, "", 100).await;
    assert_eq!(whole.position, 6);
    // Every page size, pages ending at exact multiples included: the chain
    // recomputed page by page is checked against each page's.
    for limit in [1, 2, 3, 4, 6, 7] {
        let mut replica = Replica::empty();
        replica.pull_rest(&hub, &ann, "", limit).await;
        assert_eq!(replica.chains, whole.chains, "limit {limit}");
        // At the end, an empty page: nothing to chain.
        let end = pull_raw(&hub, &ann, &cursor_at(6), limit).await;
        assert!(end.changes.is_empty() && end.scopes.is_empty());
    }
    // From every position, a page of one carries its scopes' chains after
    // its entry.
    let mut walked = Replica::empty();
    for position in 0..6u64 {
        let page = pull_raw(&hub, &ann, &cursor_at(position), 1).await;
        let FeedChange::Op(op) = page.changes[0].change.clone() else {
            panic!("only ops are fed");
        };
        walked.apply(position + 1, op, &page.changes[0].scopes);
        for (scope, chain) in &page.scopes {
            assert_eq!(chain, &chain_hex(&walked.chains[scope]), "after {}", position + 1);
        }
    }
    assert_eq!(walked.chains, whole.chains);
    // Payments and the customer record are in `customers`, the sale at its
    // location, the location record in `shared`.
    assert_eq!(whole.chains.len(), 3, "{:?}", whole.chains.keys());
    let snapshot = load(&snapshot_lines(&hub, &ann).await);
    assert_eq!(snapshot.chains, whole.chains, "the snapshot carries the same chains");
}

async fn a_cut_body_has_no_end_line(hub: TestHub) {
    let (ann, _) = two_devices(&hub).await;
    let ops: Vec<(u64, Op)> = (0..300u64)
        .map(|index| {
            let op = if index % 3 == 0 {
                payment(index as i64 + 1)
            } else {
                fields_set(
                    Entity::Product,
                    u128::from(index) + 1000,
                    json!({"name": format!("Product {index}"), "sku": format!("SKU-{index:05}")}),
                )
            };
            (START_MS - 100_000 + index, op)
        })
        .collect();
    hub.push(&ann, &ops_at(&ann, 1, ops)).await;
    let (_, _, body) = get_snapshot(&hub, &ann, None).await;
    let whole = lines_of(&body);
    assert_eq!(whole.last(), Some(&SnapshotItem::End { rows: 200, ops: 100 }));
    load(&whole);
    for cut in [body.len() / 4, body.len() / 2, body.len() * 3 / 4] {
        let lines = lines_of(&body[..cut]);
        let mut text = Vec::new();
        assert!(
            flate2::read::GzDecoder::new(&body[..cut])
                .read_to_end(&mut text)
                .is_err(),
            "a cut gzip body does not read whole"
        );
        assert!(lines.len() < whole.len(), "cut at {cut}");
        assert!(
            !lines.iter().any(|line| matches!(line, SnapshotItem::End { .. })),
            "cut at {cut}"
        );
        assert_eq!(lines[..], whole[..lines.len()], "what came is a prefix");
    }
}

async fn the_cache_keeps_to_its_bytes(mut hub: TestHub) {
    let (olive, _) = two_devices(&hub).await;
    hub.add_user("Other Shop", "oscar", Role::Owner).await;
    let oscar = hub.enrol("oscar").await;
    hub.push(&olive, &olive.payments(1, 3)).await;
    hub.push(&oscar, &oscar.payments(1, 2)).await;
    // Room for one shop's snapshot, not two.
    let (_, _, body) = get_snapshot(&hub, &olive, None).await;
    hub.reconfigure(|config| config.snapshot_cache_bytes = body.len() + 10);
    get_snapshot(&hub, &oscar, None).await;
    assert_eq!(hub.state.snapshots.builds(), 2);
    let (held, bytes) = hub.state.snapshots.held();
    assert_eq!(held, 1, "the shop asked for longest ago was dropped");
    assert!(bytes <= body.len() + 10, "{bytes} bytes held");
    // Oscar's is still cached; Olive's is built again, and Oscar's goes.
    get_snapshot(&hub, &oscar, None).await;
    assert_eq!(hub.state.snapshots.builds(), 2);
    let (_, _, again) = get_snapshot(&hub, &olive, None).await;
    assert_eq!(hub.state.snapshots.builds(), 3);
    assert_eq!(lines_of(&again), lines_of(&body), "built again, the same snapshot");
    assert_eq!(hub.state.snapshots.held().0, 1);
}

async fn a_fleet_asking_at_once_costs_one_build(hub: TestHub) {
    let (ann, bob) = two_devices(&hub).await;
    hub.push(&ann, &ann.payments(1, 3)).await;
    let fleet: Vec<TestDevice> = vec![
        ann.clone(),
        bob.clone(),
        ann.clone(),
        bob.clone(),
        ann.clone(),
        bob.clone(),
        ann.clone(),
        bob.clone(),
    ];
    let answers = futures_util::future::join_all(fleet.iter().map(|device| get_snapshot(&hub, device, None))).await;
    assert_eq!(hub.state.snapshots.builds(), 1);
    let first_tag = answers[0].1[ETAG].clone();
    for (status, headers, body) in &answers {
        assert_eq!(*status, StatusCode::OK);
        assert_eq!(headers[ETAG], first_tag);
        assert_eq!(body, &answers[0].2);
    }
    let tag = first_tag.to_str().unwrap().to_string();
    let (status, headers, body) = get_snapshot(&hub, &bob, Some(&tag)).await;
    assert_eq!(
        (status, headers[ETAG].to_str().unwrap(), body.len()),
        (StatusCode::NOT_MODIFIED, tag.as_str(), 0)
    );

    // The feed moves: within the age, the cached one is still served ...
    hub.push(&bob, &bob.payments(1, 1)).await;
    hub.clock.advance(29_000);
    let (_, headers, _) = get_snapshot(&hub, &ann, None).await;
    assert_eq!(headers[ETAG], first_tag);
    assert_eq!(hub.state.snapshots.builds(), 1);
    // ... past it, a new one is built, once.
    hub.clock.advance(2_000);
    let (_, headers, body) = get_snapshot(&hub, &ann, Some(&tag)).await;
    assert_ne!(headers[ETAG], first_tag);
    assert_eq!(hub.state.snapshots.builds(), 2);
    assert!(matches!(lines_of(&body)[0], SnapshotItem::Header { position: 4, .. }));
    // Old but the feed has not moved: no build.
    hub.clock.advance(120_000);
    let (status, _, _) = get_snapshot(&hub, &ann, Some(headers[ETAG].to_str().unwrap())).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(hub.state.snapshots.builds(), 2);

    // Authenticated and version-checked like pull.
    let no_token = Request::get("/v1/sync/snapshot").body(Body::empty()).unwrap();
    assert_eq!(
        hub.app.clone().oneshot(no_token).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let too_old = Request::get("/v1/sync/snapshot")
        .header(AUTHORIZATION, format!("Bearer {}", ann.token))
        .header(stockroom_protocol::sync::PROTOCOL_VERSION_HEADER, "0")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        hub.app.clone().oneshot(too_old).await.unwrap().status(),
        StatusCode::UPGRADE_REQUIRED
    );
}

async fn a_record_the_database_refuses_rejects_that_op_alone(hub: TestHub) {
    // A rule the hub does not know, enforced by the database itself.
    match hub.state.store.backend() {
        StoreBackend::Postgres => {
            hub.execute("ALTER TABLE records ADD CONSTRAINT no_poison CHECK (fields::text NOT LIKE '%poison%')")
                .await
        }
        StoreBackend::Sqlite => {
            for event in ["INSERT", "UPDATE"] {
                hub.execute(&format!(
                    "CREATE TRIGGER no_poison_{event} BEFORE {event} ON records WHEN NEW.fields LIKE '%poison%'
                     BEGIN SELECT RAISE(ABORT, 'poison'); END"
                ))
                .await;
            }
        }
    }
    let (ann, _) = two_devices(&hub).await;
    let t = START_MS - 10_000;
    let ops = ops_at(
        &ann,
        1,
        vec![
            (t, fields_set(Entity::Product, 1, json!({"name": "Tea"}))),
            (t + 1, fields_set(Entity::Product, 1, json!({"name": "poison"}))),
            (t + 2, payment(5)),
            (t + 3, fields_set(Entity::Product, 2, json!({"name": "Mint"}))),
        ],
    );
    let answer = hub.push(&ann, &ops).await;
    assert_eq!(answer.acked_through_seq, 4);
    let outcomes: Vec<OpOutcome> = answer.results.into_iter().map(|result| result.outcome).collect();
    let applied = OpOutcome::Applied { flags: vec![] };
    let refused = OpOutcome::Rejected {
        code: RejectCode::InvalidPayload,
    };
    assert_eq!(
        outcomes,
        vec![applied.clone(), refused.clone(), applied.clone(), applied]
    );
    // Sent again: the refusal is what was recorded.
    let again = hub.push(&ann, &ops[1..2]).await;
    assert_eq!(
        again.results[0].outcome,
        OpOutcome::Duplicate {
            rejected: Some(RejectCode::InvalidPayload)
        }
    );
    let mut replica = Replica::empty();
    replica.pull_rest(&hub, &ann, "", 2).await;
    assert_eq!(replica.position, 3);
    let snapshot = load(&snapshot_lines(&hub, &ann).await);
    assert_eq!(snapshot, replica);
    let tea = &snapshot.records[&(Entity::Product, Uuid::from_u128(1))];
    assert_eq!(tea.fields["name"], "Tea");
}
