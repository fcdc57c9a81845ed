//! Pull: the tenant's feed after an opaque cursor, in position order, page
//! by page, with `more` right at exact page multiples.

use axum::http::StatusCode;
use stockroom_protocol::sync::FeedChange;
use stockroom_server::policy::Role;

use crate::support::{cursor_at, on_both_backends, TestHub};

on_both_backends!(
    pages_walk_the_feed_in_order_at_every_page_size,
    each_tenant_pulls_only_its_own_feed,
    foreign_and_future_cursors_are_refused,
);

async fn pages_walk_the_feed_in_order_at_every_page_size(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let ops = device.payments(1, 6);
    hub.push(&device, &ops).await;
    // (page size, sizes of the pages, then `more` of each page)
    let cases: [(u32, &[usize], &[bool]); 6] = [
        (1, &[1, 1, 1, 1, 1, 1], &[true, true, true, true, true, false]),
        (2, &[2, 2, 2], &[true, true, false]),
        (3, &[3, 3], &[true, false]),
        (4, &[4, 2], &[true, false]),
        (6, &[6], &[false]),
        (7, &[6], &[false]),
    ];
    for (limit, sizes, mores) in cases {
        let mut since = String::new();
        let mut seen = Vec::new();
        let mut page_sizes = Vec::new();
        let mut page_mores = Vec::new();
        loop {
            let page = hub.pull(&device, &since, limit).await;
            page_sizes.push(page.changes.len());
            page_mores.push(page.more);
            for entry in page.changes {
                let FeedChange::Op(op) = entry.change else {
                    panic!("only ops are fed");
                };
                seen.push((entry.position, op));
            }
            since = page.next;
            if !page.more {
                break;
            }
        }
        assert_eq!(page_sizes, sizes, "limit {limit}");
        assert_eq!(page_mores, mores, "limit {limit}");
        let positions: Vec<u64> = seen.iter().map(|(position, _)| *position).collect();
        assert_eq!(positions, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(seen.into_iter().map(|(_, op)| op).collect::<Vec<_>>(), ops);
        // At the end: nothing more, and the cursor stays put.
        let end = hub.pull(&device, &since, limit).await;
        assert!(end.changes.is_empty());
        assert!(!end.more);
        assert_eq!(end.next, since);
    }
    // Resuming from the end picks up new changes only.
    let end = hub.pull(&device, "", 100).await.next;
    hub.push(&device, &device.payments(7, 7)).await;
    let page = hub.pull(&device, &end, 100).await;
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].position, 7);
}

async fn each_tenant_pulls_only_its_own_feed(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    hub.add_user("Other Shop", "oscar", Role::Owner).await;
    let ours = hub.enrol("olive").await;
    let theirs = hub.enrol("oscar").await;
    let colleague = hub.enrol("olive").await;
    assert_eq!(colleague.tenant_id, ours.tenant_id);
    assert_ne!(theirs.tenant_id, ours.tenant_id);
    hub.push(&ours, &ours.payments(1, 3)).await;
    hub.push(&theirs, &theirs.payments(1, 2)).await;
    let our_feed = hub.pull_all(&colleague, 100).await;
    assert_eq!(our_feed.len(), 3);
    assert!(our_feed.iter().all(|(_, op)| op.device_id == ours.device_id));
    let their_feed = hub.pull_all(&theirs, 100).await;
    assert_eq!(
        their_feed.iter().map(|(position, _)| *position).collect::<Vec<_>>(),
        vec![1, 2],
        "positions count per tenant"
    );
}

async fn foreign_and_future_cursors_are_refused(hub: TestHub) {
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let device = hub.enrol("olive").await;
    hub.push(&device, &device.payments(1, 2)).await;
    for bad in ["abc", "1:", "1:-1", "2:1", "2:1:", "3:1", "1:99999999999999999999999"] {
        let (status, answer) = hub.pull_status(&device, bad, 10).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer["code"], "bad_cursor");
    }
    // A cursor past the head (a restored hub, say): the device must resnapshot.
    let (status, answer) = hub.pull_status(&device, &cursor_at(3), 10).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["code"], "cursor_ahead");
    let at_head = hub.pull(&device, &cursor_at(2), 10).await;
    assert!(at_head.changes.is_empty());
    // A cursor of protocol 1, or of other scopes: a new snapshot is needed.
    for other in ["1:2".to_string(), "2:2:00ff00ff00ff".to_string()] {
        let (status, answer) = hub.pull_status(&device, &other, 10).await;
        assert_eq!(status, StatusCode::CONFLICT, "{other}");
        assert_eq!(answer["code"], "scopes_changed");
    }
}
