//! The background sync engine over real HTTP: a hub on a socket, two
//! devices each running `sync::run`. A product created on one appears on the
//! other with nobody calling sync, the status channel reports an empty
//! outbox, and a stop signal ends the engine. Scopes over real HTTP: a role
//! change, a location assignment and a customer moved between salespersons
//! each bring the device a snapshot of what it now sees, and a
//! salesperson keeps their orders of a customer given away. A till whose user
//! is switched off stops, refuses that user's next sign-in, keeps what it
//! holds, and sends it once enrolled again by another user.

use std::sync::Arc;
use std::time::Duration;

use stockroom_core::sync::{run, run_step, BlockReason, HttpHub, Signal, SyncConfig, SyncState, SyncStatus};
use stockroom_core::{
    CustomerPatch, CustomerPayment, Money, NewCustomer, NewProduct, PaymentMethod, Role, Store, StoreOptions,
};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::store::Enrolment;
use stockroom_server::{AppState, Clock as _, SystemClock};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_engines_carry_a_product_from_one_device_to_another() {
    let shop_on_hub = ShopOnHub::serve(&[("owner", Role::Owner)]).await;
    let base = shop_on_hub.base.clone();
    let mut devices = Vec::new();
    for name in ["a", "b"] {
        let (store, token) = shop_on_hub.enrol_device(name, 0).await;
        let store = Arc::new(store);
        let (signals, signals_in) = tokio::sync::mpsc::channel(4);
        let (status_out, status) = tokio::sync::watch::channel(SyncStatus::default());
        let config = SyncConfig {
            // Long: the live channel, not polling, brings the change.
            idle_pull_ms: 600_000,
            ..SyncConfig::default()
        };
        let link = HttpHub::new(&base, &token).unwrap();
        let engine = tokio::spawn(run(store.clone(), link, None, config, signals_in, status_out));
        // Pokes from the hub's live channel wake the engine at once.
        tokio::spawn({
            let (base, token, signals) = (base.clone(), token.clone(), signals.clone());
            async move { stockroom_core::sync::live::listen(&base, &token, signals).await }
        });
        devices.push((store, signals, status, engine));
    }

    let owner = devices[0].0.sign_in("owner", "1234").await.unwrap();
    let eur = "EUR".parse().unwrap();
    let product = devices[0]
        .0
        .create_product(&owner, &NewProduct::simple("ENG-1", "Engine tea", Money::new(350, eur)))
        .await
        .unwrap();

    let arrived = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if devices[1].0.product(product).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(arrived.is_ok(), "the product never reached the other device");
    assert_eq!(devices[1].0.product(product).await.unwrap().name, "Engine tea");

    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        let status = &mut devices[0].2;
        loop {
            if status.borrow().pending_ops == 0 && status.borrow().last_sync_ms.is_some() {
                return;
            }
            let _ = status.changed().await;
        }
    })
    .await;
    assert!(drained.is_ok(), "device a still reports ops waiting");
    assert_eq!(devices[0].0.outbox_len().await.unwrap(), 0);

    for (store, signals, _, engine) in devices {
        signals.send(Signal::Stop).await.unwrap();
        engine.await.unwrap().unwrap();
        drop(store);
    }
    shop_on_hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_engine_takes_the_snapshot_the_hub_asks_for() {
    let shop_on_hub = ShopOnHub::start(&OWNER_AND_SALESPERSONS).await;
    let config = SyncConfig::default();
    let (owner_store, owner_link) = &shop_on_hub.devices[0];
    let owner = owner_store.sign_in("olive", "1234").await.unwrap();
    let acme = acme_for(owner_store, &owner, shop_on_hub.users[1].user_id).await;
    settle(owner_store, owner_link, &config).await;
    // Sam's device syncs in the background, pulling only when poked.
    let (sam_store, token) = shop_on_hub.enrol_device("sam-engine", 1).await;
    let sam_store = Arc::new(sam_store);
    let (signals, signals_in) = tokio::sync::mpsc::channel(4);
    let (status_out, _status) = tokio::sync::watch::channel(SyncStatus::default());
    let engine_config = SyncConfig {
        idle_pull_ms: 600_000,
        ..SyncConfig::default()
    };
    let link = HttpHub::new(&shop_on_hub.base, &token).unwrap();
    let engine = tokio::spawn(run(
        sam_store.clone(),
        link,
        None,
        engine_config,
        signals_in,
        status_out,
    ));
    let held = |store: Arc<Store>| async move { store.customer(acme).await.is_ok() };
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while !held(sam_store.clone()).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "Acme never reached Sam's device");
    // The owner gives Acme to no one; one poke, and Sam's next pull is
    // told to take a new snapshot, which the engine then takes by itself.
    let to_no_one = CustomerPatch {
        salesperson_id: Some(None),
        ..CustomerPatch::default()
    };
    owner_store.edit_customer(&owner, acme, &to_no_one).await.unwrap();
    settle(owner_store, owner_link, &config).await;
    signals.send(Signal::Poke).await.unwrap();
    let gone = tokio::time::timeout(Duration::from_secs(30), async {
        while held(sam_store.clone()).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        gone.is_ok(),
        "Sam's device still holds Acme: the snapshot was never taken"
    );
    signals.send(Signal::Stop).await.unwrap();
    engine.await.unwrap().unwrap();
    shop_on_hub.stop().await;
}

/// A device's engine steps until idle (loading a snapshot when the hub asks
/// for one); fails if it blocks for another reason.
/// A new location of `kind`, with `units` of `product` received there.
async fn location_with_goods(
    store: &Store,
    owner: &stockroom_core::Session,
    name: &str,
    kind: stockroom_core::LocationKind,
    product: uuid::Uuid,
    units: i64,
) -> uuid::Uuid {
    let location = store.create_location(owner, name, kind, None).await.unwrap();
    let goods = [stockroom_core::ProductQty::new(
        product,
        stockroom_core::Qty::units(units),
    )];
    store.receive_goods(owner, location, &goods, None).await.unwrap();
    location
}

/// Olive signs in on her device and sets up shop: a product `sku` and a
/// shop with `units` of it received; her session, the product, the shop.
async fn olives_shop(store: &Store, sku: &str, units: i64) -> (stockroom_core::Session, uuid::Uuid, uuid::Uuid) {
    let owner = store.sign_in("olive", "1234").await.unwrap();
    let eur = "EUR".parse().unwrap();
    let product = store
        .create_product(&owner, &NewProduct::simple(sku, "Shop tea", Money::new(350, eur)))
        .await
        .unwrap();
    let shop = location_with_goods(
        store,
        &owner,
        "Shop",
        stockroom_core::LocationKind::Store,
        product,
        units,
    )
    .await;
    (owner, product, shop)
}

async fn settle(store: &Store, link: &HttpHub, config: &SyncConfig) -> stockroom_core::sync::SyncState {
    use stockroom_core::sync::{next_step, on_poke, Step};
    let mut state = on_poke(store.sync_state().await.unwrap());
    for _ in 0..200 {
        match next_step(&state, SystemClock.now_ms(), config) {
            Step::Idle => return state,
            Step::Blocked { reason } if reason != BlockReason::SnapshotNeeded => panic!("blocked: {reason:?}"),
            Step::Wait { .. } => panic!("a failure: {state:?}"),
            _ => state = run_step(store, link, state, config).await.unwrap().0,
        }
    }
    panic!("never settled: {state:?}")
}

/// A hub on a socket over an SQLite file, with one device per user
/// (enrolled, signed in with PIN 1234 by its username).
struct ShopOnHub {
    dir: tempfile::TempDir,
    hub: Arc<dyn stockroom_server::HubStore>,
    base: String,
    people: Vec<(String, Role)>,
    users: Vec<accounts::AddedUser>,
    devices: Vec<(Store, HttpHub)>,
    stop_hub: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), stockroom_server::HubError>>,
}

impl ShopOnHub {
    /// The hub with these users, and a device for each.
    async fn start(people: &[(&str, Role)]) -> ShopOnHub {
        let mut shop = ShopOnHub::serve(people).await;
        for (index, (name, _)) in people.iter().enumerate() {
            let (store, token) = shop.enrol_device(name, index).await;
            shop.devices.push((store, HttpHub::new(&shop.base, &token).unwrap()));
        }
        shop
    }

    /// The hub with these users, serving; no devices yet.
    async fn serve(people: &[(&str, Role)]) -> ShopOnHub {
        let dir = tempfile::tempdir().unwrap();
        let hub_path = dir.path().join("hub.db");
        let hub = stockroom_server::open(hub_path.to_str().unwrap()).await.unwrap();
        let mut users = Vec::new();
        for (username, role) in people {
            let user = NewUser {
                tenant_name: "Scoped Shop".into(),
                username: (*username).into(),
                display_name: (*username).into(),
                role: *role,
                password: "a long hub password".into(),
            };
            users.push(accounts::add_user(&*hub, user, SystemClock.now_ms()).await.unwrap());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop_hub, hub_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(stockroom_server::run(listener, AppState::new(hub.clone()), async {
            let _ = hub_stopped.await;
        }));
        ShopOnHub {
            dir,
            hub,
            base,
            people: people.iter().map(|(name, role)| ((*name).to_string(), *role)).collect(),
            users,
            devices: Vec::new(),
            stop_hub,
            server,
        }
    }

    /// A new device in file `name`, enrolled as user number `user`, with
    /// its session token.
    async fn enrol_device(&self, name: &str, user: usize) -> (Store, String) {
        let store = Store::open(&self.dir.path().join(format!("{name}.db")), StoreOptions::default())
            .await
            .unwrap();
        let token = self.enrol_store(&store, name, user).await;
        (store, token)
    }

    /// Enrols `store` (again) as user number `user`, as the app's enrolment
    /// does: a new epoch, the user adopted with PIN 1234; its session token.
    async fn enrol_store(&self, store: &Store, name: &str, user: usize) -> String {
        let (username, role) = &self.people[user];
        let added = &self.users[user];
        self.enrol_store_as(store, name, (added.tenant_id, added.user_id), username, *role)
            .await
    }

    /// Enrols `store` (again) as the hub account `user_id` of `tenant_id`
    /// (one a manager made in the app, say), with PIN 1234.
    async fn enrol_store_as(
        &self,
        store: &Store,
        name: &str,
        (tenant_id, user_id): (uuid::Uuid, uuid::Uuid),
        username: &str,
        role: Role,
    ) -> String {
        let device_id = store.device_info().await.unwrap().device_id;
        let (token, token_hash) = accounts::new_session_token();
        let epoch = self
            .hub
            .enrol_device(&Enrolment {
                tenant_id,
                user_id,
                device_id,
                device_name: Some(name.into()),
                token_hash,
                now_ms: SystemClock.now_ms(),
            })
            .await
            .unwrap();
        store
            .adopt_hub_user(user_id, username, role, Some("1234"))
            .await
            .unwrap();
        store
            .record_enrolment(&self.base, tenant_id, device_id, epoch, SystemClock.now_ms())
            .await
            .unwrap();
        token
    }

    fn hub_path(&self) -> std::path::PathBuf {
        self.dir.path().join("hub.db")
    }

    async fn stop(self) {
        let _ = self.stop_hub.send(());
        self.server.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_brings_a_new_snapshot_of_the_new_scopes() {
    let shop_on_hub = ShopOnHub::start(&[("olive", Role::Owner), ("sam", Role::Salesperson)]).await;
    let (hub, users, devices) = (&shop_on_hub.hub, &shop_on_hub.users, &shop_on_hub.devices);
    let config = SyncConfig::default();
    // The owner's device: a product, a shop, goods received there.
    let (owner_store, owner_link) = &devices[0];
    let (owner, product, shop) = olives_shop(owner_store, "SC-1", 4).await;
    settle(owner_store, owner_link, &config).await;

    // The salesperson's device: the catalog, no stock.
    let (sam_store, sam_link) = &devices[1];
    settle(sam_store, sam_link, &config).await;
    let rows = sam_store.replica_rows().await.unwrap();
    assert_eq!(rows["products"].len(), 1);
    assert!(rows["stock_movements"].is_empty(), "{:?}", rows["stock_movements"]);
    assert!(!sam_store
        .scope_chains()
        .await
        .unwrap()
        .keys()
        .any(|scope| scope.starts_with("stock:")));

    // Sam becomes a cashier: the hub asks for a new snapshot, which brings
    // the stock of every location.
    let probe = sqlx::SqlitePool::connect(&format!("sqlite:{}", shop_on_hub.hub_path().display()))
        .await
        .unwrap();
    sqlx::query("UPDATE users SET role = 'cashier' WHERE username = 'sam'")
        .execute(&probe)
        .await
        .unwrap();
    probe.close().await;
    settle(sam_store, sam_link, &config).await;
    let rows = sam_store.replica_rows().await.unwrap();
    assert_eq!(rows["stock_movements"].len(), 1);
    assert_eq!(rows, owner_store.replica_rows().await.unwrap());
    assert!(sam_store
        .scope_chains()
        .await
        .unwrap()
        .contains_key(&format!("stock:{shop}")));

    // Goods go into a van too; the cashier's device receives them.
    let van = location_with_goods(
        owner_store,
        &owner,
        "Van",
        stockroom_core::LocationKind::Van,
        product,
        2,
    )
    .await;
    settle(owner_store, owner_link, &config).await;
    settle(sam_store, sam_link, &config).await;
    assert_eq!(sam_store.replica_rows().await.unwrap()["stock_movements"].len(), 2);

    // The till is assigned to the shop: its new snapshot has the shop's
    // stock only, and the van's rows are gone from it.
    let sam_device = sam_store.device_info().await.unwrap().device_id;
    hub.set_device_location(users[1].tenant_id, sam_device, Some(shop))
        .await
        .unwrap();
    settle(sam_store, sam_link, &config).await;
    let rows = sam_store.replica_rows().await.unwrap();
    let van_id = van.to_string();
    assert_eq!(rows["stock_movements"].len(), 1, "{:?}", rows["stock_movements"]);
    assert_eq!(rows["stock_levels"].len(), 1, "{:?}", rows["stock_levels"]);
    for (table, lines) in &rows {
        if table.starts_with("stock") {
            assert!(lines.iter().all(|line| !line.contains(&van_id)), "{table}: {lines:?}");
        }
    }
    assert_eq!(rows["products"], owner_store.replica_rows().await.unwrap()["products"]);
    shop_on_hub.stop().await;
}

/// Acme, a customer paying in EUR, added by `owner` for `salesperson`.
async fn acme_for(store: &Store, owner: &stockroom_core::Session, salesperson: uuid::Uuid) -> uuid::Uuid {
    let acme = NewCustomer {
        salesperson_id: Some(salesperson),
        ..NewCustomer::named("Acme", "EUR".parse().unwrap())
    };
    store.create_customer(owner, &acme).await.unwrap()
}

/// Olive the owner, and Sam and Sal who sell on the road.
const OWNER_AND_SALESPERSONS: [(&str, Role); 3] = [
    ("olive", Role::Owner),
    ("sam", Role::Salesperson),
    ("sal", Role::Salesperson),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_moved_to_another_salesperson_leaves_the_first_ones_device() {
    let shop_on_hub = ShopOnHub::start(&OWNER_AND_SALESPERSONS).await;
    let (users, devices) = (&shop_on_hub.users, &shop_on_hub.devices);
    let config = SyncConfig::default();
    let [(owner_store, owner_link), (sam_store, sam_link), (sal_store, sal_link)] = &devices[..] else {
        panic!("three devices");
    };
    let (sam_id, sal_id) = (users[1].user_id, users[2].user_id);
    // The owner adds Acme for Sam, who pays 20 EUR on account.
    let owner = owner_store.sign_in("olive", "1234").await.unwrap();
    let eur = "EUR".parse().unwrap();
    let acme = acme_for(owner_store, &owner, sam_id).await;
    let paid = CustomerPayment {
        amount: Money::new(2_000, eur),
        method: PaymentMethod::Cash,
    };
    owner_store.record_customer_payment(&owner, acme, &paid).await.unwrap();
    owner_store
        .create_customer(&owner, &NewCustomer::named("Walk-in", eur))
        .await
        .unwrap();
    settle(owner_store, owner_link, &config).await;
    // Sam adds a customer on the road: his own.
    let sam = sam_store.sign_in("sam", "1234").await.unwrap();
    let roadside = sam_store
        .create_customer(&sam, &NewCustomer::named("Roadside", eur))
        .await
        .unwrap();
    assert_eq!(sam_store.customer(roadside).await.unwrap().salesperson_id, Some(sam_id));
    for (store, link) in [(sam_store, sam_link), (sal_store, sal_link), (owner_store, owner_link)] {
        settle(store, link, &config).await;
    }
    let names = |customers: Vec<stockroom_core::Customer>| -> Vec<String> {
        customers.into_iter().map(|customer| customer.name).collect()
    };
    assert_eq!(
        names(sam_store.customers("", true).await.unwrap()),
        ["Acme", "Roadside"]
    );
    assert_eq!(sam_store.customer_balance(acme).await.unwrap(), Money::new(-2_000, eur));
    assert!(sal_store.customers("", true).await.unwrap().is_empty());
    assert_eq!(
        names(owner_store.customers("", true).await.unwrap()),
        ["Acme", "Roadside", "Walk-in"]
    );
    // Sam may not give his customer away; the owner gives Acme to Sal.
    let to_sal = CustomerPatch {
        salesperson_id: Some(Some(sal_id)),
        ..CustomerPatch::default()
    };
    assert!(sam_store.edit_customer(&sam, acme, &to_sal).await.is_err());
    owner_store.edit_customer(&owner, acme, &to_sal).await.unwrap();
    for (store, link) in [(owner_store, owner_link), (sam_store, sam_link), (sal_store, sal_link)] {
        settle(store, link, &config).await;
    }
    // Acme and its account left Sam's device and arrived whole on Sal's.
    assert_eq!(names(sam_store.customers("", true).await.unwrap()), ["Roadside"]);
    assert!(!sam_store.sync_position().await.unwrap().rebuild_due);
    assert!(sam_store.replica_rows().await.unwrap()["account_entries"].is_empty());
    assert_eq!(names(sal_store.customers("", true).await.unwrap()), ["Acme"]);
    assert_eq!(sal_store.customer_balance(acme).await.unwrap(), Money::new(-2_000, eur));
    assert_eq!(sal_store.customer(acme).await.unwrap().salesperson_id, Some(sal_id));

    // Acme comes back to Sam, and goes to Sal again while Sam's device has a
    // customer of its own unsent: its snapshot then merges (the unsent
    // customer is only here), Acme stays for now, and another snapshot is
    // due; once the customer is sent, it rebuilds and Acme goes.
    let to_sam = CustomerPatch {
        salesperson_id: Some(Some(sam_id)),
        ..CustomerPatch::default()
    };
    owner_store.edit_customer(&owner, acme, &to_sam).await.unwrap();
    settle(owner_store, owner_link, &config).await;
    settle(sam_store, sam_link, &config).await;
    assert_eq!(
        names(sam_store.customers("", true).await.unwrap()),
        ["Acme", "Roadside"]
    );
    owner_store.edit_customer(&owner, acme, &to_sal).await.unwrap();
    settle(owner_store, owner_link, &config).await;
    sam_store
        .create_customer(&sam, &NewCustomer::named("Late", eur))
        .await
        .unwrap();
    let asked = SyncState {
        blocked: Some(BlockReason::SnapshotNeeded),
        ..sam_store.sync_state().await.unwrap()
    };
    let (merged, _) = run_step(sam_store, sam_link, asked, &config).await.unwrap();
    assert!(merged.rebuild_due);
    assert!(sam_store.sync_position().await.unwrap().rebuild_due);
    assert_eq!(
        names(sam_store.customers("", true).await.unwrap()),
        ["Acme", "Late", "Roadside"]
    );
    let state = settle(sam_store, sam_link, &config).await;
    assert!(!state.rebuild_due);
    assert_eq!(
        names(sam_store.customers("", true).await.unwrap()),
        ["Late", "Roadside"]
    );
    assert!(sam_store.replica_rows().await.unwrap()["account_entries"].is_empty());
    shop_on_hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesperson_keeps_their_orders_of_a_customer_given_away() {
    let shop_on_hub = ShopOnHub::start(&OWNER_AND_SALESPERSONS).await;
    let (users, devices) = (&shop_on_hub.users, &shop_on_hub.devices);
    let config = SyncConfig::default();
    let [(owner_store, owner_link), (sam_store, sam_link), (sal_store, sal_link)] = &devices[..] else {
        panic!("three devices");
    };
    let (sam_id, sal_id) = (users[1].user_id, users[2].user_id);
    let (owner, tea, _) = olives_shop(owner_store, "TEA-1", 10).await;
    let acme = acme_for(owner_store, &owner, sam_id).await;
    settle(owner_store, owner_link, &config).await;
    settle(sam_store, sam_link, &config).await;
    // Sam sends one order for Acme and starts another.
    let sam = sam_store.sign_in("sam", "1234").await.unwrap();
    let two = stockroom_core::Qty::units(2);
    let sent = sam_store.create_order(&sam, acme, None).await.unwrap();
    sam_store.add_order_line(&sam, sent, tea, two).await.unwrap();
    sam_store.submit_order(&sam, sent).await.unwrap();
    let draft = sam_store.create_order(&sam, acme, None).await.unwrap();
    sam_store.add_order_line(&sam, draft, tea, two).await.unwrap();
    settle(sam_store, sam_link, &config).await;
    // The owner gives Acme to Sal. Sam's device keeps Acme for the draft.
    let to_sal = CustomerPatch {
        salesperson_id: Some(Some(sal_id)),
        ..CustomerPatch::default()
    };
    owner_store.edit_customer(&owner, acme, &to_sal).await.unwrap();
    for (store, link) in [(owner_store, owner_link), (sam_store, sam_link), (sal_store, sal_link)] {
        settle(store, link, &config).await;
    }
    assert!(sam_store.customer(acme).await.is_ok());
    // Sam sends the draft: the hub says it names a customer outside his
    // scopes, and his device rebuilds. Acme leaves; both orders stay, with
    // Acme's name, and the hub confirmed them.
    sam_store.submit_order(&sam, draft).await.unwrap();
    let state = settle(sam_store, sam_link, &config).await;
    assert!(!state.rebuild_due);
    assert!(sam_store.customers("", true).await.unwrap().is_empty());
    assert!(sam_store.customer(acme).await.is_err());
    let orders = sam_store.orders(None).await.unwrap();
    let seen: Vec<(uuid::Uuid, &str, stockroom_core::OrderStatus)> = orders
        .iter()
        .map(|order| (order.id, order.customer_name.as_str(), order.status))
        .collect();
    let confirmed = stockroom_core::OrderStatus::Confirmed;
    assert_eq!(seen, [(draft, "Acme", confirmed), (sent, "Acme", confirmed)]);
    // Sal holds Acme and none of Sam's orders; a new device of Sam's,
    // started from the hub's snapshot, holds what Sam's device holds.
    settle(sal_store, sal_link, &config).await;
    assert!(sal_store.customer(acme).await.is_ok());
    assert!(sal_store.orders(None).await.unwrap().is_empty());
    let (fresh, token) = shop_on_hub.enrol_device("sam-2", 1).await;
    let fresh_link = HttpHub::new(&shop_on_hub.base, &token).unwrap();
    settle(&fresh, &fresh_link, &config).await;
    let (held, expected) = (
        sam_store.replica_rows().await.unwrap(),
        fresh.replica_rows().await.unwrap(),
    );
    for table in ["customers", "sales_orders"] {
        assert_eq!(held[table], expected[table], "{table}");
    }
    assert_eq!(held["sales_orders"].len(), 2);
    fresh.close().await;
    shop_on_hub.stop().await;
}

/// A cash sale of one unit of `product` at `location` by `session`.
async fn sell_one(store: &Store, session: &stockroom_core::Session, location: uuid::Uuid, product: uuid::Uuid) {
    let one = stockroom_core::Qty::units(1);
    stockroom_sim::cash_sale(store, session, location, product, one)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switched_off_users_till_keeps_its_sales_until_enrolled_again() {
    use stockroom_core::sync::{next_step, on_poke, Step};
    // Cass's account is made on the hub (`stockroom-server add-user`).
    let people = [("olive", Role::Owner), ("dana", Role::Cashier), ("cass", Role::Cashier)];
    let mut shop_on_hub = ShopOnHub::serve(&people).await;
    let (owner_store, token) = shop_on_hub.enrol_device("olive", 0).await;
    shop_on_hub
        .devices
        .push((owner_store, HttpHub::new(&shop_on_hub.base, &token).unwrap()));
    let (owner_store, owner_link) = &shop_on_hub.devices[0];
    let config = SyncConfig::default();
    let (owner, product, shop) = olives_shop(owner_store, "TL-1", 5).await;
    // The feed brings every hub account to the owner's app.
    settle(owner_store, owner_link, &config).await;
    let cass_id = shop_on_hub.users[2].user_id;
    let listed: Vec<(uuid::Uuid, String, Role, bool)> = owner_store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|user| (user.id, user.username, user.role, user.active))
        .collect();
    assert!(
        listed.contains(&(cass_id, "cass".into(), Role::Cashier, true)),
        "{listed:?}"
    );
    assert_eq!(listed.len(), 3);
    let (till, token) = shop_on_hub.enrol_device("till", 2).await;
    let till_link = &HttpHub::new(&shop_on_hub.base, &token).unwrap();
    let till = &till;
    settle(till, till_link, &config).await;
    let cass = till.sign_in("cass", "1234").await.unwrap();

    // The owner switches Cass off; her till has not heard and sells on.
    owner_store.set_user_active(&owner, cass_id, false).await.unwrap();
    settle(owner_store, owner_link, &config).await;
    sell_one(till, &cass, shop, product).await;

    // The till's sale goes up, then the hub gives it nothing more.
    let mut state = on_poke(till.sync_state().await.unwrap());
    for _ in 0..20 {
        if matches!(next_step(&state, SystemClock.now_ms(), &config), Step::Blocked { .. }) {
            break;
        }
        state = run_step(till, till_link, state, &config).await.unwrap().0;
    }
    assert_eq!(state.blocked, Some(BlockReason::UserInactive), "{state:?}");
    assert_eq!(
        till.outbox_len().await.unwrap(),
        0,
        "the sale went up before the refusal"
    );
    settle(owner_store, owner_link, &config).await;
    assert_eq!(owner_store.replica_rows().await.unwrap()["sales"].len(), 1);

    // Cass's open session goes on, but she cannot sign in at the till
    // again; a sale made while cut off waits on the till, and the till
    // stays blocked.
    assert!(till.sign_in("cass", "1234").await.is_err());
    sell_one(till, &cass, shop, product).await;
    let state = on_poke(state);
    assert_eq!(
        next_step(&state, SystemClock.now_ms(), &config),
        Step::Blocked {
            reason: BlockReason::UserInactive
        }
    );
    assert_eq!(till.outbox_len().await.unwrap(), 1);

    // Dana enrols the till again: the waiting sale goes up (flagged as
    // Cass's, who was switched off), and the till and the owner agree.
    let token = shop_on_hub.enrol_store(till, "till", 1).await;
    let link = HttpHub::new(&shop_on_hub.base, &token).unwrap();
    settle(till, &link, &config).await;
    assert_eq!(till.outbox_len().await.unwrap(), 0);
    settle(owner_store, owner_link, &config).await;
    let owner_rows = owner_store.replica_rows().await.unwrap();
    assert_eq!(owner_rows["sales"].len(), 2);
    assert_eq!(till.replica_rows().await.unwrap(), owner_rows);
    // The feed says Cass is switched off, and Dana signs in.
    let users = till.users().await.unwrap();
    assert!(users.iter().any(|user| user.username == "cass" && !user.active));
    assert!(till.sign_in("cass", "1234").await.is_err());
    assert!(till.sign_in("dana", "1234").await.is_ok());
    let notices = till.sync_notices(10).await.unwrap();
    let flagged: Vec<(&str, &str)> = notices
        .iter()
        .map(|notice| (notice.kind.as_str(), notice.code.as_str()))
        .collect();
    assert_eq!(
        flagged,
        [("flagged", "user_inactive"); 2],
        "both of Cass's sales are kept and flagged"
    );
    shop_on_hub.stop().await;
}
