//! The planner by tables (one `check(state, now, expected)` helper) and by
//! properties over arbitrary sequences of answers.

use proptest::prelude::*;
use stockroom_protocol::sync::{BatchStop, PullResponse, PushResponse};

use super::*;

fn config() -> SyncConfig {
    SyncConfig {
        batch_size: 100,
        pull_limit: 50,
        backoff_base_ms: 1_000,
        backoff_cap_ms: 60_000,
        jitter_seed: 7,
        snapshot_first: false,
        idle_pull_ms: 30_000,
    }
}

/// `acked` acknowledged, the outbox ending at `last_local_seq`, nothing to
/// pull, no failure.
fn state(acked: u64, last_local_seq: u64) -> SyncState {
    SyncState {
        hub_has_newer: false,
        ..SyncState::new(acked, last_local_seq + 1, None)
    }
}

fn check(state: &SyncState, now_ms: u64, expected: Step) {
    let actual = next_step(state, now_ms, &config());
    assert_eq!(actual, expected, "state: {state:#?}, now: {now_ms}");
}

fn pushed(acked_through_seq: u64, stopped: Option<BatchStop>) -> PushResponse {
    PushResponse {
        acked_through_seq,
        results: Vec::new(),
        stopped,
        hub_time_ms: 0,
        outside_scopes: false,
    }
}

fn pulled(next: &str, more: bool) -> PullResponse {
    PullResponse {
        changes: Vec::new(),
        next: next.to_string(),
        more,
        hub_time_ms: 0,
        scopes: Default::default(),
    }
}

fn push(from_seq: u64, to_seq: u64) -> Step {
    Step::Push { from_seq, to_seq }
}

fn pull(since: Option<&str>) -> Step {
    Step::Pull {
        since: since.map(str::to_string),
        limit: 50,
    }
}

fn blocked(reason: BlockReason) -> Step {
    Step::Blocked { reason }
}

fn failed(failures: u32, at_ms: u64) -> SyncState {
    SyncState {
        failures,
        last_attempt_ms: Some(at_ms),
        ..state(0, 5)
    }
}

#[test]
fn steps_from_states() {
    // Nothing written, nothing to pull.
    check(&state(0, 0), 0, Step::Idle);
    check(&state(5, 5), 0, Step::Idle);
    // App start: pull the feed from the start, or from the saved cursor.
    check(&SyncState::new(0, 1, None), 0, pull(None));
    check(&SyncState::new(3, 4, Some("1:9".into())), 0, pull(Some("1:9")));
    // The outbox goes in batches from acked + 1.
    check(&state(0, 5), 0, push(1, 5));
    check(&state(0, 250), 0, push(1, 100));
    check(&state(100, 250), 0, push(101, 200));
    check(&state(200, 250), 0, push(201, 250));
    // Push before pull when both are due.
    check(&SyncState::new(2, 10, Some("c".into())), 0, push(3, 9));
    // Pull again at once while the hub says more.
    check(
        &SyncState {
            pull_more: true,
            pull_cursor: Some("c".into()),
            ..state(9, 9)
        },
        0,
        pull(Some("c")),
    );
    // Blocked beats a full outbox and a due pull.
    check(
        &SyncState {
            blocked: Some(BlockReason::AppTooOld),
            ..SyncState::new(0, 50, None)
        },
        0,
        blocked(BlockReason::AppTooOld),
    );
    // After failures, wait out the backoff (jitter seed 7 takes 16% off).
    check(&failed(1, 10_000), 10_000, Step::Wait { until_ms: 10_840 });
    check(&failed(1, 10_000), 10_839, Step::Wait { until_ms: 10_840 });
    check(&failed(1, 10_000), 10_840, push(1, 5));
    check(&failed(2, 10_000), 10_000, Step::Wait { until_ms: 11_680 });
    check(&failed(3, 10_000), 10_000, Step::Wait { until_ms: 13_360 });
    // Capped at 60 s (less the jitter), however many failures.
    check(&failed(7, 0), 0, Step::Wait { until_ms: 50_400 });
    check(&failed(u32::MAX, 0), 0, Step::Wait { until_ms: 50_400 });
}

#[test]
fn pushes_walk_the_outbox_then_idle() {
    let mut sync = state(0, 250);
    for (from_seq, to_seq) in [(1, 100), (101, 200), (201, 250)] {
        check(&sync, 0, push(from_seq, to_seq));
        sync = on_push_result(sync, to_seq, &pushed(to_seq, None), 0);
    }
    check(&sync, 0, Step::Idle);
    // A local write wakes it.
    sync = on_local_write(sync, 253);
    check(&sync, 0, push(251, 252));
}

#[test]
fn acks_only_move_forward_and_never_past_what_was_sent() {
    // A stale answer (an earlier push's) leaves the ack where it is.
    let sync = on_push_result(state(40, 60), 20, &pushed(20, None), 5);
    assert_eq!(sync.acked_through_seq, 40);
    check(&sync, 5, push(41, 60));
    // A hub acknowledging more than was sent is taken only up to what was sent.
    let sync = on_push_result(state(0, 60), 30, &pushed(55, None), 5);
    assert_eq!(sync.acked_through_seq, 30);
    check(&sync, 5, push(31, 60));
    // Part of a batch acknowledged with no reason: carry on from there.
    let sync = on_push_result(state(0, 60), 60, &pushed(10, None), 5);
    check(&sync, 5, push(11, 60));
    // No progress and no reason: back off rather than spin.
    let sync = on_push_result(state(10, 60), 60, &pushed(10, None), 5);
    check(&sync, 5, Step::Wait { until_ms: 845 });
}

#[test]
fn a_gap_pushes_again_from_the_hubs_ack() {
    let gap = |seq, expected_seq| Some(BatchStop::Gap { seq, expected_seq });
    let sync = on_push_result(state(0, 300), 100, &pushed(40, gap(42, 41)), 5);
    check(&sync, 5, push(41, 140));
    // The hub wants an op this device already dropped: stop and surface.
    let sync = on_push_result(state(50, 300), 150, &pushed(30, gap(51, 31)), 5);
    assert_eq!(sync.acked_through_seq, 50);
    check(&sync, 5, blocked(BlockReason::HubMissingOps { expected_seq: 31 }));
    // The outbox is kept: after someone acts, pushing resumes from acked + 1.
    check(&unblock(sync), 5, push(51, 150));
}

#[test]
fn an_op_version_the_hub_cannot_take_blocks_and_keeps_the_rest() {
    let stop = |type_version| {
        Some(BatchStop::UnsupportedOpVersion {
            seq: 8,
            type_version,
            min_version: 2,
            max_version: 3,
        })
    };
    let sync = on_push_result(state(0, 20), 20, &pushed(7, stop(1)), 5);
    assert_eq!(sync.acked_through_seq, 7);
    check(&sync, 5, blocked(BlockReason::AppTooOld));
    let sync = on_push_result(state(0, 20), 20, &pushed(7, stop(4)), 5);
    check(&sync, 5, blocked(BlockReason::HubTooOld));
    check(&unblock(sync), 5, push(8, 20));
}

#[test]
fn failures_back_off_on_their_own_timer() {
    let sync = on_failure(state(0, 5), FailureKind::Network, 1_000);
    check(&sync, 1_000, Step::Wait { until_ms: 1_840 });
    // A local write does not cut the wait short.
    let sync = on_local_write(sync, 9);
    check(&sync, 1_500, Step::Wait { until_ms: 1_840 });
    check(&sync, 1_840, push(1, 8));
    let sync = on_failure(sync, FailureKind::Server { status: 503 }, 1_840);
    check(&sync, 1_840, Step::Wait { until_ms: 3_520 });
    // An unknown 4xx code backs off too; it never blocks.
    let sync = on_failure(sync, FailureKind::Refused(Refusal::from_code("tax_id_missing")), 3_520);
    check(&sync, 3_520, Step::Wait { until_ms: 6_880 });
    // The next answer that makes progress ends the backoff.
    let sync = on_push_result(sync, 8, &pushed(8, None), 6_900);
    assert_eq!(sync.failures, 0);
    check(&sync, 6_900, Step::Idle);
}

#[test]
fn refusals_that_need_someone_block_and_keep_the_outbox() {
    for (code, reason) in [
        ("app_too_old", BlockReason::AppTooOld),
        ("hub_too_old", BlockReason::HubTooOld),
        ("divergent_outbox", BlockReason::DivergentOutbox),
        ("stale_epoch", BlockReason::StaleEpoch),
        ("unauthenticated", BlockReason::SignedOut),
        ("device_mismatch", BlockReason::SignedOut),
        ("wrong_tenant", BlockReason::SignedOut),
        ("user_inactive", BlockReason::UserInactive),
        ("cursor_ahead", BlockReason::SnapshotNeeded),
        ("bad_cursor", BlockReason::SnapshotNeeded),
        ("scopes_changed", BlockReason::SnapshotNeeded),
    ] {
        let sync = on_failure(state(3, 12), FailureKind::Refused(Refusal::from_code(code)), 5);
        assert_eq!(sync.acked_through_seq, 3, "{code}");
        check(&sync, 5, blocked(reason));
        check(&unblock(sync), 5, push(4, 12));
    }
}

#[test]
fn pulls_follow_the_cursor_while_more() {
    let sync = SyncState::new(0, 1, None);
    check(&sync, 0, pull(None));
    let sync = on_pull_result(sync, &pulled("1:50", true), 1);
    check(&sync, 1, pull(Some("1:50")));
    let sync = on_pull_result(sync, &pulled("1:73", false), 2);
    check(&sync, 2, Step::Idle);
    // A poke asks for the next page.
    let sync = on_poke(sync);
    check(&sync, 3, pull(Some("1:73")));
    // A refused cursor waits for a snapshot, then pulls from the snapshot's.
    let sync = on_failure(sync, FailureKind::Refused(Refusal::CursorAhead), 4);
    check(&sync, 4, blocked(BlockReason::SnapshotNeeded));
    check(&on_snapshot(sync, "1:900".into()), 5, pull(Some("1:900")));
}

#[test]
fn a_merged_snapshot_is_taken_again_once_the_outbox_is_empty() {
    // Loaded while ops 4..=6 waited: merged, so another is due.
    let sync = SyncState {
        rebuild_due: true,
        ..on_snapshot(state(3, 6), "1:50".into())
    };
    // The waiting ops go first; then, with nothing unsent, the snapshot.
    check(&sync, 1, push(4, 6));
    let sync = on_push_result(sync, 6, &pushed(6, None), 2);
    check(&sync, 2, blocked(BlockReason::SnapshotNeeded));
    // A new write goes before it too.
    check(&on_local_write(sync.clone(), 8), 3, push(7, 7));
    // Loaded with nothing unsent, it rebuilt: the feed follows.
    let sync = on_snapshot(
        SyncState {
            rebuild_due: false,
            ..sync
        },
        "1:60".into(),
    );
    check(&sync, 4, pull(Some("1:60")));
}

#[test]
fn a_push_that_went_outside_the_scopes_is_followed_by_a_snapshot() {
    // Ops 4..=6 go in two batches; the hub says the first went outside
    // the device's scopes (a sale where it no longer works).
    let sync = state(3, 6);
    let outside = PushResponse {
        outside_scopes: true,
        ..pushed(4, None)
    };
    let sync = on_push_result(sync, 4, &outside, 1);
    assert!(sync.rebuild_due);
    // The rest of the outbox goes first, then the snapshot that rebuilds.
    check(&sync, 2, push(5, 6));
    let sync = on_push_result(sync, 6, &pushed(6, None), 3);
    check(&sync, 3, blocked(BlockReason::SnapshotNeeded));
    // Batches inside the scopes ask for nothing.
    let sync = on_push_result(state(3, 4), 4, &pushed(4, None), 4);
    assert!(!sync.rebuild_due);
    check(&sync, 4, Step::Idle);
}

#[test]
fn a_snapshot_that_failed_to_come_waits_out_its_backoff() {
    let sync = on_failure(state(3, 3), FailureKind::Refused(Refusal::ScopesChanged), 100);
    check(&sync, 100, blocked(BlockReason::SnapshotNeeded));
    // The snapshot request fails on the network: asked again after the
    // backoff, not at once.
    let sync = on_failure(sync, FailureKind::Network, 200);
    let until_ms = 200 + backoff_ms(1, &config());
    check(&sync, 201, Step::Wait { until_ms });
    check(&sync, until_ms, blocked(BlockReason::SnapshotNeeded));
}

#[test]
fn a_hub_that_keeps_asking_for_snapshots_is_asked_again_after_a_growing_wait() {
    // Scopes changed: a snapshot at once, no failure counted.
    let sync = on_failure(state(3, 3), FailureKind::Refused(Refusal::ScopesChanged), 100);
    assert_eq!(sync.failures, 0);
    check(&sync, 100, blocked(BlockReason::SnapshotNeeded));
    // Loaded; the pull from its cursor is refused the same way: a failure.
    let sync = on_failure(
        on_snapshot(sync, "1:10".into()),
        FailureKind::Refused(Refusal::ScopesChanged),
        200,
    );
    assert_eq!(sync.failures, 1);
    let until_ms = 200 + backoff_ms(1, &config());
    check(&sync, 201, Step::Wait { until_ms });
    // Again: the wait grows.
    let sync = on_failure(
        on_snapshot(sync, "1:20".into()),
        FailureKind::Refused(Refusal::ScopesChanged),
        300,
    );
    assert_eq!(sync.failures, 2);
    // A page from the next snapshot's cursor settles it: the next change
    // of scopes is a snapshot at once again.
    let sync = on_pull_result(on_snapshot(sync, "1:30".into()), &pulled("1:30", false), 400);
    assert_eq!(sync.failures, 0);
    assert!(!sync.snapshot_unconfirmed);
    let sync = on_failure(sync, FailureKind::Refused(Refusal::ScopesChanged), 500);
    assert_eq!(sync.failures, 0);
    check(&sync, 500, blocked(BlockReason::SnapshotNeeded));
}

/// One thing that can happen to the planner.
#[derive(Clone, Debug)]
enum Event {
    Write(u16),
    Poke,
    /// The hub answers the planned push (or, when none is planned, a stale
    /// earlier one) with this ack and stop.
    PushAnswer {
        ack: u64,
        stop: u8,
    },
    PullAnswer {
        more: bool,
    },
    Fail(FailureKind),
    Advance(u32),
    Unblock,
}

fn event() -> impl Strategy<Value = Event> {
    let refusal = prop_oneof![
        Just(Refusal::AppTooOld),
        Just(Refusal::DivergentOutbox),
        Just(Refusal::CursorAhead),
        Just(Refusal::Unrecognised),
    ];
    let failure = prop_oneof![
        Just(FailureKind::Network),
        (500u16..600).prop_map(|status| FailureKind::Server { status }),
        refusal.prop_map(FailureKind::Refused),
    ];
    prop_oneof![
        (0u16..300).prop_map(Event::Write),
        Just(Event::Poke),
        (0u64..2_000, 0u8..6).prop_map(|(ack, stop)| Event::PushAnswer { ack, stop }),
        any::<bool>().prop_map(|more| Event::PullAnswer { more }),
        failure.prop_map(Event::Fail),
        (0u32..200_000).prop_map(Event::Advance),
        Just(Event::Unblock),
    ]
}

/// Applies `events` from an empty device, checking after each one that the
/// ack never went back and never passed what was sent. Returns the state,
/// the time, and the highest seq ever sent.
fn run(events: &[Event]) -> (SyncState, u64, u64) {
    let config = config();
    let mut sync = SyncState::new(0, 1, None);
    let mut now_ms = 0u64;
    let mut max_sent = 0u64;
    for event in events {
        let acked_before = sync.acked_through_seq;
        sync = match event.clone() {
            Event::Write(n_ops) => {
                let next_local_seq = sync.next_local_seq + u64::from(n_ops);
                on_local_write(sync, next_local_seq)
            }
            Event::Poke => on_poke(sync),
            Event::PushAnswer { ack, stop } => {
                let sent_to_seq = match next_step(&sync, now_ms, &config) {
                    Step::Push { to_seq, .. } => to_seq,
                    _ => ack % (max_sent + 1),
                };
                max_sent = max_sent.max(sent_to_seq);
                let stopped = match stop {
                    0 => Some(BatchStop::Gap {
                        seq: ack + 2,
                        expected_seq: ack + 1,
                    }),
                    1 => Some(BatchStop::UnsupportedOpVersion {
                        seq: ack + 1,
                        type_version: 1,
                        min_version: 2,
                        max_version: 2,
                    }),
                    _ => None,
                };
                on_push_result(sync, sent_to_seq, &pushed(ack, stopped), now_ms)
            }
            Event::PullAnswer { more } => on_pull_result(sync, &pulled(&format!("1:{now_ms}"), more), now_ms),
            Event::Fail(kind) => on_failure(sync, kind, now_ms),
            Event::Advance(ms) => {
                now_ms += u64::from(ms);
                sync
            }
            Event::Unblock => unblock(sync),
        };
        assert!(sync.acked_through_seq >= acked_before, "ack went back after {event:?}");
        assert!(
            sync.acked_through_seq <= max_sent,
            "ack passed what was sent after {event:?}"
        );
        assert!(sync.acked_through_seq <= sync.last_local_seq());
    }
    (sync, now_ms, max_sent)
}

proptest! {
    #[test]
    fn acks_never_go_back_nor_pass_what_was_sent(events in prop::collection::vec(event(), 0..80)) {
        run(&events);
    }

    #[test]
    fn backoff_grows_with_failures_and_is_capped(
        base in 0u64..10_000_000,
        cap in 0u64..u64::MAX,
        seed in any::<u64>(),
        failures in 0u32..200,
    ) {
        let config = SyncConfig { backoff_base_ms: base, backoff_cap_ms: cap, jitter_seed: seed, ..config() };
        let wait = backoff_ms(failures, &config);
        prop_assert!(wait <= backoff_ms(failures + 1, &config));
        prop_assert!(wait <= cap);
        if failures > 0 {
            // The jitter takes at most a quarter off.
            prop_assert!(u128::from(wait) * 4 >= u128::from(base.min(cap)) * 3);
        }
    }

    #[test]
    fn a_working_hub_drains_the_outbox_then_idles(events in prop::collection::vec(event(), 0..80)) {
        let (mut sync, mut now_ms, _) = run(&events);
        let config = config();
        sync = unblock(sync);
        let mut n_steps = 0;
        loop {
            n_steps += 1;
            prop_assert!(n_steps < 1_000, "no end: {sync:?}");
            match next_step(&sync, now_ms, &config) {
                Step::Push { from_seq, to_seq } => {
                    prop_assert_eq!(from_seq, sync.acked_through_seq + 1);
                    prop_assert!(from_seq <= to_seq && to_seq <= sync.last_local_seq());
                    prop_assert!(to_seq - from_seq < config.batch_size);
                    sync = on_push_result(sync, to_seq, &pushed(to_seq, None), now_ms);
                }
                Step::Pull { .. } => {
                    prop_assert_eq!(sync.acked_through_seq, sync.last_local_seq(), "pulled before pushing");
                    sync = on_pull_result(sync, &pulled("1:end", false), now_ms);
                }
                Step::Wait { until_ms } => {
                    prop_assert!(until_ms > now_ms);
                    now_ms = until_ms;
                }
                Step::Idle => break,
                Step::Blocked { reason } => prop_assert!(false, "blocked: {reason:?}"),
            }
        }
        prop_assert_eq!(sync.acked_through_seq, sync.last_local_seq());
    }
}
