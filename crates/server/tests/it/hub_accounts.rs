//! Accounts made on the hub (`stockroom-server add-user`, the bootstrap
//! owner) reach the tenant's devices as `user.set` ops of the hub device,
//! in pulls and snapshots, each account once however many hub instances
//! feed at the same time; accounts an older hub made are fed when the hub
//! next starts.

use stockroom_protocol::ops::UserSet;
use stockroom_protocol::{Op, OpEnvelope};
use stockroom_server::accounts;
use stockroom_server::policy::Role;
use uuid::Uuid;

use crate::snapshot::{load, snapshot_lines, Replica};
use crate::support::{on_both_backends, payment, TestHub, START_MS};

on_both_backends!(
    accounts_made_on_the_hub_reach_devices,
    two_hubs_feeding_at_once_feed_each_account_once,
    accounts_an_older_hub_made_are_fed_when_it_starts
);

/// The accounts in a pulled feed: position, the device that wrote the op,
/// and the account.
fn users_in(feed: &[(u64, OpEnvelope)]) -> Vec<(u64, Uuid, UserSet)> {
    feed.iter()
        .filter_map(|(position, envelope)| match &envelope.op {
            Op::UserSet(user) => Some((*position, envelope.device_id, user.clone())),
            _ => None,
        })
        .collect()
}

async fn accounts_made_on_the_hub_reach_devices(hub: TestHub) {
    let olive = hub.add_fed_user("Corner Shop", "olive", Role::Owner).await;
    let cass = hub.add_fed_user("Corner Shop", "cass", Role::Cashier).await;
    hub.add_fed_user("Other Shop", "oscar", Role::Owner).await;
    let till = hub.enrol("olive").await;

    let fed = users_in(&hub.pull_all(&till, 10).await);
    let positions: Vec<u64> = fed.iter().map(|(position, _, _)| *position).collect();
    assert_eq!(positions, [1, 2], "Oscar's account is fed to his own shop");
    let hub_device = fed[0].1;
    assert!(fed
        .iter()
        .all(|(_, device, _)| *device == hub_device && *device != till.device_id));
    let accounts: Vec<(Uuid, &str, &str, &str, bool)> = fed
        .iter()
        .map(|(_, _, user)| {
            (
                user.id,
                user.username.as_str(),
                user.display_name.as_str(),
                user.role.as_str(),
                user.active,
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [
            (olive, "olive", "olive", "owner", true),
            (cass, "cass", "cass", "cashier", true)
        ]
    );

    // The till's own ops follow them, and a snapshot then a pull from it
    // give what pulling everything gives, every scope's chain checked.
    hub.push(&till, &[till.envelope(1, payment(500))]).await;
    let mut from_start = Replica::empty();
    from_start.pull_rest(&hub, &till, "", 2).await;
    assert_eq!(from_start.position, 3);
    let snapshot = load(&snapshot_lines(&hub, &till).await);
    assert_eq!(snapshot, from_start);

    // Nothing is left to feed, and the feed does not grow.
    assert!(accounts::feed_new_accounts(&*hub.state.store, None, START_MS)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(hub.state.store.feed_head(till.tenant_id).await.unwrap(), 3);
}

async fn two_hubs_feeding_at_once_feed_each_account_once(hub: TestHub) {
    // Made, but not fed yet (as if the hub stopped in between).
    hub.add_user("Corner Shop", "olive", Role::Owner).await;
    for name in ["cass", "carl", "cleo"] {
        hub.add_user("Corner Shop", name, Role::Cashier).await;
    }
    hub.add_user("Other Shop", "oscar", Role::Owner).await;
    let device = hub.enrol("olive").await;
    let oscar = hub.enrol("oscar").await;
    assert!(hub.pull_all(&device, 10).await.is_empty());

    // One shop's alone first.
    let store = &*hub.state.store;
    let fed = accounts::feed_new_accounts(store, Some(oscar.tenant_id), START_MS).await;
    assert_eq!(fed.unwrap(), [oscar.tenant_id]);
    assert!(hub.pull_all(&device, 10).await.is_empty());
    assert_eq!(hub.pull_all(&oscar, 10).await.len(), 1);

    // Then two hub instances on the one database, each feeding every shop.
    let second = stockroom_server::open(&hub.url)
        .await
        .expect("a second hub on the database");
    let (one, other) = tokio::join!(
        accounts::feed_new_accounts(store, None, START_MS),
        accounts::feed_new_accounts(&*second, None, START_MS)
    );
    let mut tenants = one.unwrap();
    tenants.extend(other.unwrap());
    assert_eq!(tenants, [device.tenant_id], "Corner Shop is fed by one of them");
    second.close().await.unwrap();

    let fed = users_in(&hub.pull_all(&device, 10).await);
    let usernames: Vec<&str> = fed.iter().map(|(_, _, user)| user.username.as_str()).collect();
    assert_eq!(
        usernames,
        ["olive", "cass", "carl", "cleo"],
        "in the order they were made"
    );
    assert_eq!(hub.count("SELECT count(*) FROM users WHERE NOT fed").await, 0);
    assert_eq!(hub.pull_all(&oscar, 10).await.len(), 1, "Oscar's shop is fed once");
}

async fn accounts_an_older_hub_made_are_fed_when_it_starts(hub: TestHub) {
    let olive = hub.add_user("Corner Shop", "olive", Role::Owner).await;
    let mia = hub.add_user("Corner Shop", "mia", Role::Manager).await;
    let manager = hub.enrol("mia").await;
    // Mia renames herself in the app, makes Cass there, and tries to change
    // the owner's account, which is refused.
    let user_set = |id: Uuid, username: &str, role: &str| {
        Op::UserSet(UserSet {
            id,
            username: username.into(),
            display_name: username.into(),
            role: role.into(),
            active: true,
        })
    };
    let pushed = hub
        .push(
            &manager,
            &[
                manager.envelope(1, user_set(mia, "mia.k", "manager")),
                manager.envelope(2, user_set(Uuid::now_v7(), "cass", "cashier")),
                manager.envelope(3, user_set(olive, "olive", "cashier")),
            ],
        )
        .await;
    assert_eq!(pushed.acked_through_seq, 3);
    // And a user made on a device whose op holds a NUL: the backfill must
    // read past it.
    let mut odd = serde_json::to_value(manager.envelope(4, user_set(Uuid::now_v7(), "nul", "cashier"))).unwrap();
    odd["op"]["data"]["note"] = serde_json::json!("\u{0}");
    let (status, answer) = hub.push_json(&manager, vec![odd]).await;
    assert_eq!(answer["results"][0]["outcome"], "applied", "{status}: {answer}");

    // As the last build left them (it fed no account), then its migration.
    hub.execute("UPDATE users SET fed = true").await;
    let migration = match hub.state.store.backend() {
        stockroom_server::Backend::Postgres => {
            include_str!("../../../../migrations/hub/postgres/20261205090000_fed_accounts.sql")
        }
        stockroom_server::Backend::Sqlite => {
            include_str!("../../../../migrations/hub/sqlite/20261205090000_fed_accounts.sql")
        }
    };
    let backfill = &migration[migration.find("UPDATE").expect("the backfill statement")..];
    hub.execute(backfill).await;
    let unfed = "SELECT count(*) FROM users WHERE NOT fed";
    assert_eq!(hub.count(unfed).await, 1, "only Olive's account was never fed");

    let head = hub.state.store.feed_head(manager.tenant_id).await.unwrap();
    accounts::feed_new_accounts(&*hub.state.store, None, START_MS)
        .await
        .unwrap();
    let fed = users_in(&hub.pull_all(&manager, 10).await);
    let last = fed.last().expect("accounts in the feed");
    assert_eq!((last.0, last.2.id, last.2.role.as_str()), (head + 1, olive, "owner"));
    assert_eq!(fed.len(), 4, "Mia's, Cass's, Nul's, then Olive's from the hub");
}
