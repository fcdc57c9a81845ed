//! Properties of the ledger primitive under sync: movements and counts from
//! several devices, delivered in any order (some twice), keep every derived
//! stock level equal to its definition from the ledger, and the final levels
//! do not depend on the order of arrival.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use stockroom_protocol::ops::{Movement, MovementKind};
use stockroom_protocol::Hlc;
use uuid::Uuid;

use crate::error::Result;
use crate::ids::{ManualClock, SeededIds};
use crate::store::{Durability, Store, StoreOptions};

/// 2026-11-23 09:00 UTC, as in the integration tests.
const START_MS: u64 = 1_795_424_400_000;
const N_PRODUCTS: u128 = 2;
const N_LOCATIONS: u128 = 2;

/// A movement as made on one of the simulated devices.
#[derive(Clone, Debug)]
struct Fact {
    device: String,
    movement: Movement,
}

fn device_text(device_idx: u128) -> String {
    Uuid::from_u128(0xD0 + device_idx).to_string()
}

fn product_id(product_idx: u128) -> Uuid {
    Uuid::from_u128(0x100 + product_idx)
}

fn location_id(location_idx: u128) -> Uuid {
    Uuid::from_u128(0x200 + location_idx)
}

fn pairs() -> Vec<(Uuid, Uuid)> {
    (0..N_PRODUCTS)
        .flat_map(|product_idx| {
            (0..N_LOCATIONS).map(move |location_idx| (product_id(product_idx), location_id(location_idx)))
        })
        .collect()
}

/// One device's facts, its stamps strictly increasing as a real HLC's are.
/// Stamps come from a narrow range so that devices often tie.
fn device_facts(device_idx: u128) -> impl Strategy<Value = Vec<Fact>> {
    let raw_fact = (
        0..N_PRODUCTS,
        0..N_LOCATIONS,
        0..9usize,
        -5_000i64..5_000,
        1u64..12,
        0u32..3,
    );
    prop::collection::vec(raw_fact, 1..10).prop_map(move |raw_facts| {
        let mut stamps: Vec<Hlc> = raw_facts
            .iter()
            .map(|(_, _, _, _, millis, counter)| Hlc::new(START_MS + millis, *counter))
            .collect();
        stamps.sort();
        stamps.dedup();
        raw_facts
            .into_iter()
            .zip(stamps)
            .enumerate()
            .map(
                |(fact_idx, ((product_idx, location_idx, kind_idx, qty_milli, _, _), hlc))| {
                    // Kinds 6 to 8 are counts: about a third of the facts.
                    let kind = MovementKind::ALL[kind_idx.min(6)];
                    let qty_milli = if kind == MovementKind::Count {
                        qty_milli.abs()
                    } else {
                        qty_milli
                    };
                    Fact {
                        device: device_text(device_idx),
                        movement: Movement {
                            id: Uuid::from_u128((device_idx << 64) | (fact_idx as u128 + 1)),
                            kind,
                            product_id: product_id(product_idx),
                            location_id: location_id(location_idx),
                            qty_milli,
                            hlc,
                            ref_id: None,
                            reason: None,
                        },
                    }
                },
            )
            .collect()
    })
}

/// Facts of 2 or 3 devices, in no particular order.
fn facts_of_devices() -> impl Strategy<Value = Vec<Fact>> {
    (2u128..=3).prop_flat_map(|n_devices| {
        (0..n_devices)
            .map(device_facts)
            .collect::<Vec<_>>()
            .prop_map(|per_device| per_device.into_iter().flatten().collect::<Vec<Fact>>())
    })
}

/// The level by definition: the latest count (by HLC, device, id) plus the
/// changes stamped after it, or the sum of all changes if never counted.
fn model_levels(facts: &[Fact]) -> BTreeMap<(Uuid, Uuid), i64> {
    pairs()
        .into_iter()
        .map(|(product, location)| {
            let at_pair = || {
                facts
                    .iter()
                    .filter(move |fact| fact.movement.product_id == product && fact.movement.location_id == location)
            };
            let latest_count = at_pair()
                .filter(|fact| fact.movement.kind == MovementKind::Count)
                .max_by_key(|fact| (fact.movement.hlc, fact.device.clone(), fact.movement.id));
            let (base, after) = match latest_count {
                Some(count) => (count.movement.qty_milli, Some(count.movement.hlc)),
                None => (0, None),
            };
            let changes: i64 = at_pair()
                .filter(|fact| fact.movement.kind != MovementKind::Count)
                .filter(|fact| after.is_none_or(|count_hlc| fact.movement.hlc > count_hlc))
                .map(|fact| fact.movement.qty_milli)
                .sum();
            ((product, location), base + changes)
        })
        .collect()
}

async fn open_store(dir: &tempfile::TempDir) -> Result<Store> {
    let options = StoreOptions {
        durability: Durability::Normal,
        ..StoreOptions::default()
    };
    Store::open_with(
        &dir.path().join("device.db"),
        options,
        Arc::new(ManualClock::new(START_MS)),
        Arc::new(SeededIds::new(7)),
    )
    .await
}

/// Records `arrivals` one write each, as sync would apply them, checking
/// after every write that each derived level equals the ledger's. Returns
/// the final levels.
async fn apply_in_order(arrivals: &[Fact]) -> std::result::Result<BTreeMap<(Uuid, Uuid), i64>, TestCaseError> {
    let fail = |error: crate::CoreError| TestCaseError::fail(error.to_string());
    let dir = tempfile::tempdir().map_err(|error| TestCaseError::fail(error.to_string()))?;
    let store = open_store(&dir).await.map_err(fail)?;
    let syncing_user = Uuid::from_u128(0xAB);
    for (arrival_idx, fact) in arrivals.iter().enumerate() {
        let mut write = store.write_as(syncing_user).await.map_err(fail)?;
        write
            .record_movements(std::slice::from_ref(&fact.movement), &fact.device)
            .await
            .map_err(fail)?;
        write.commit().await.map_err(fail)?;
        for (product, location) in pairs() {
            let derived = store.stock_level(product, location).await.map_err(fail)?;
            let from_ledger = store.stock_level_from_ledger(product, location).await.map_err(fail)?;
            prop_assert_eq!(
                derived,
                from_ledger,
                "after arrival {} ({:?}) at product {} location {}",
                arrival_idx,
                fact,
                product,
                location
            );
        }
    }
    let mut levels = BTreeMap::new();
    for (product, location) in pairs() {
        levels.insert(
            (product, location),
            store.stock_level(product, location).await.map_err(fail)?,
        );
    }
    store.close().await;
    Ok(levels)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
        .block_on(future)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn levels_follow_the_ledger_in_any_arrival_order(
        (first_order, second_order) in facts_of_devices().prop_flat_map(|facts| {
            (Just(facts.clone()).prop_shuffle(), Just(facts).prop_shuffle())
        }),
        redelivered in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        redelivery_slots in prop::collection::vec(any::<prop::sample::Index>(), 3),
    ) {
        // The first order also gets some facts a second time, as a retried
        // sync would deliver them.
        let mut first_arrivals = first_order.clone();
        for (redelivery, slot) in redelivered.iter().zip(&redelivery_slots) {
            let fact = redelivery.get(&first_order).clone();
            let position = slot.index(first_arrivals.len() + 1);
            first_arrivals.insert(position, fact);
        }
        let expected = model_levels(&first_order);
        let first_levels = block_on(apply_in_order(&first_arrivals))?;
        let second_levels = block_on(apply_in_order(&second_order))?;
        prop_assert_eq!(&first_levels, &expected);
        prop_assert_eq!(&second_levels, &expected);
    }
}

/// Two devices count the same shelf at the same HLC: the higher device id
/// wins, whichever count arrives first.
#[tokio::test]
async fn equally_stamped_counts_resolve_by_device_not_arrival() {
    let stamp = Hlc::new(START_MS + 5, 0);
    let count = |device_idx: u128, qty_milli: i64| Fact {
        device: device_text(device_idx),
        movement: Movement {
            id: Uuid::from_u128(0xC0 + device_idx),
            kind: MovementKind::Count,
            product_id: product_id(0),
            location_id: location_id(0),
            qty_milli,
            hlc: stamp,
            ref_id: None,
            reason: None,
        },
    };
    let low_device = count(1, 5_000);
    let high_device = count(2, 7_000);
    let pair = (product_id(0), location_id(0));
    let one_way = apply_in_order(&[low_device.clone(), high_device.clone()])
        .await
        .unwrap();
    let other_way = apply_in_order(&[high_device, low_device]).await.unwrap();
    assert_eq!(one_way[&pair], 7_000);
    assert_eq!(other_way[&pair], 7_000);
}
