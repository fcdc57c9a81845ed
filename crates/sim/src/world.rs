//! One simulated tenant run from a seed: set-up, the faulty phase (writes,
//! sync steps, crashes, new epochs, clock jumps, late deliveries), the quiet
//! phase (no faults; everyone syncs until nothing moves), and the checks.
//!
//! Devices have roles: the first is the owner's, the second a
//! salesperson's, the third a warehouse's or a cashier's (by seed), and so
//! on; each is enrolled by its user, writes as that user, and receives only
//! the feed scopes the hub grants its role. Half of the others are assigned
//! to their own location (a till's shop, a salesperson's van) and receive
//! that location's stock only. Scopes change mid-run: devices are assigned
//! to other locations, and the owner gives customers to other salespersons
//! (one of them with no device here), so devices re-snapshot while ops wait
//! in their outboxes and messages are lost.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, ensure, Context};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stockroom_core::sync::{next_step, on_poke, run_step, unblock, BlockReason, Step, SyncConfig, SyncState};
use stockroom_core::Role;
use stockroom_core::{Durability, LocationKind, ManualClock, SeededIds, Session, Store, StoreOptions};
use stockroom_server::store::{Enrolment, HubStore, NewHubUser};
use stockroom_server::{AppState, HubConfig};
use uuid::Uuid;

use crate::link::{Faults, Network, SimLink};

mod checks;
mod writes;

pub use writes::cash_sale;

/// A year, the largest clock error simulated.
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;
/// Hub time at the start of every run.
const START_MS: u64 = 1_790_000_000_000;

/// A device database with its first owner, copied for every device of
/// every run (creating one takes far longer than a run). The owner's PIN
/// hash uses the lightest Argon2 settings so signing in costs little; each
/// run gives the owner its own id, the same on its devices and its hub.
pub struct Template {
    bytes: Arc<Vec<u8>>,
}

const OWNER: &str = "owner";
const OWNER_PIN: &str = "2468";

fn light_pin_hash() -> anyhow::Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).map_err(|err| anyhow::anyhow!("{err}"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"simulation-salt").map_err(|err| anyhow::anyhow!("{err}"))?;
    Ok(argon
        .hash_password(OWNER_PIN.as_bytes(), &salt)
        .map_err(|err| anyhow::anyhow!("{err}"))?
        .to_string())
}

/// Runs statements on a closed device database file.
async fn edit_file(path: &Path, statements: &[(&str, Vec<String>)]) -> anyhow::Result<()> {
    use sqlx::ConnectOptions as _;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await?;
    for (sql, binds) in statements {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(bind);
        }
        query.execute(&mut conn).await?;
    }
    sqlx::Connection::close(conn).await?;
    Ok(())
}

impl Template {
    /// Builds the template in `dir`.
    pub async fn build(dir: &Path) -> anyhow::Result<Template> {
        let path = dir.join("template.db");
        let options = StoreOptions {
            durability: Durability::Normal,
            ..StoreOptions::default()
        };
        let store = Store::open(&path, options).await?;
        store.create_first_owner(OWNER, "Owner", OWNER_PIN).await?;
        store.close().await;
        // Each copy becomes its own device: drop the identity made at open.
        let clean = Store::forget_device_identity(&path).await;
        clean.context("clearing the template's device identity")?;
        edit_file(&path, &[("UPDATE users SET pin_hash = ?", vec![light_pin_hash()?])]).await?;
        Ok(Template {
            bytes: Arc::new(std::fs::read(&path)?),
        })
    }
}

/// Which hub database the run uses (shared between runs; each run is its
/// own tenant).
#[derive(Clone)]
pub struct HubKind {
    pub store: Arc<dyn HubStore>,
}

#[derive(Clone)]
pub struct SimConfig {
    pub devices: usize,
    /// Events of the faulty phase.
    pub events: usize,
}

/// What a run did, for the test's summary.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub ops_written: usize,
    /// Orders the hub decided.
    pub orders: usize,
    pub crashes: usize,
    pub new_epochs: usize,
    pub held_delivered: usize,
    /// Customers the owner gave to another salesperson (or to no one).
    pub customer_moves: usize,
    /// Devices assigned to another location (or to none) mid-run.
    pub reassignments: usize,
}

struct Device {
    path: PathBuf,
    /// The user who enrolled it and writes on it, and their role.
    user_id: Uuid,
    role: Role,
    session: Option<Session>,
    store: Option<Store>,
    clock: Arc<ManualClock>,
    skew_ms: i64,
    state: SyncState,
    link: SimLink,
    location: Option<Uuid>,
    /// The location the hub assigned the device to (its stock only).
    assigned: Option<Uuid>,
    device_id: Uuid,
    ids_seed: u64,
}

struct World {
    rng: StdRng,
    /// The template's bytes, then the run's (with its users): every device
    /// of the run starts as a copy.
    template: Arc<Vec<u8>>,
    hub_clock: Arc<stockroom_server::ManualClock>,
    hub: Arc<dyn HubStore>,
    network: Arc<Network>,
    tenant_id: Uuid,
    /// Signed in on the first device (a session names a user; the same user
    /// exists on every device of the run).
    owner: Option<Session>,
    owner_id: Uuid,
    devices: Vec<Device>,
    products: Vec<Uuid>,
    customers: Vec<Uuid>,
    /// Whom the owner may give a customer: each salesperson of the run
    /// (one has no device), or no one.
    salespersons: Vec<Option<Uuid>>,
    written: BTreeSet<Uuid>,
    /// The accounts made on the hub for this run (fed to its devices as
    /// `user.set`s of the hub device).
    hub_accounts: BTreeSet<Uuid>,
    outcome: Outcome,
    sync_config: SyncConfig,
}

/// Runs seed `seed`: returns what happened, or the broken invariant.
pub async fn run_seed(
    seed: u64,
    config: &SimConfig,
    template: &Template,
    hub: &HubKind,
    dir: &Path,
) -> anyhow::Result<Outcome> {
    let mut rng = StdRng::seed_from_u64(seed);
    let hub_clock = Arc::new(stockroom_server::ManualClock::new(START_MS));
    let state = AppState {
        config: HubConfig::default(),
        clock: hub_clock.clone(),
        ..AppState::new(hub.store.clone())
    };
    let network = Arc::new(Network {
        router: stockroom_server::router(state),
        rng: Mutex::new(StdRng::seed_from_u64(seed ^ 0x5eed)),
        faults: Mutex::new(Faults {
            lose_request: rng.gen_range(0..150),
            lose_answer: rng.gen_range(0..150),
            duplicate: rng.gen_range(0..100),
            hold_back: rng.gen_range(0..100),
        }),
        held: Mutex::new(Vec::new()),
    });
    let tenant_id = hub
        .store
        .ensure_tenant(&format!("sim-{seed}-{}", Uuid::now_v7()), Uuid::now_v7(), START_MS)
        .await?;
    // The owner exists on every device (the template) and on the hub, same id.
    let owner_id = Uuid::from_u128(rng.gen());
    hub.store
        .create_user(&NewHubUser {
            id: owner_id,
            tenant_id,
            username: format!("owner-{tenant_id}"),
            display_name: "Owner".into(),
            role: stockroom_server::policy::Role::Owner,
            password_hash: "not used by the simulation".into(),
            created_ms: START_MS,
        })
        .await
        .or_else(|err| match err {
            stockroom_server::HubError::UsernameTaken { .. } => Ok(()),
            other => Err(other),
        })?;
    let mut world = World {
        rng,
        template: template.bytes.clone(),
        hub_clock,
        hub: hub.store.clone(),
        network,
        tenant_id,
        owner: None,
        owner_id,
        devices: Vec::new(),
        products: Vec::new(),
        customers: Vec::new(),
        salespersons: vec![None],
        written: BTreeSet::new(),
        hub_accounts: BTreeSet::from([owner_id]),
        outcome: Outcome::default(),
        sync_config: SyncConfig {
            batch_size: 7,
            pull_limit: 5,
            backoff_base_ms: 500,
            backoff_cap_ms: 20_000,
            jitter_seed: seed,
            snapshot_first: true,
            idle_pull_ms: 30_000,
        },
    };
    let started = std::time::Instant::now();
    let roles: Vec<Role> = (0..config.devices)
        .map(|index| match index % 3 {
            0 => Role::Owner,
            1 => Role::Salesperson,
            _ if seed.is_multiple_of(2) => Role::Warehouse,
            _ => Role::Cashier,
        })
        .collect();
    let users = world.add_users(&roles, dir).await?;
    // As `stockroom-server add-user` does once it has made an account (this
    // run's tenant only: other runs share the hub).
    stockroom_server::accounts::feed_new_accounts(&*world.hub, Some(world.tenant_id), START_MS).await?;
    for (index, (role, user)) in roles.into_iter().zip(users).enumerate() {
        world.add_device(index, role, user, dir).await?;
    }
    let set_up = started.elapsed();
    for _ in 0..config.events {
        world.event().await?;
    }
    let faulty = started.elapsed();
    world.quiesce().await?;
    let quiet = started.elapsed();
    world.check(seed.is_multiple_of(8)).await?;
    if std::env::var_os("STOCKROOM_SIM_TIMING").is_some() {
        eprintln!(
            "seed {seed}: set-up {set_up:?}, faults {faulty:?}, quiet {quiet:?}, checked {:?}",
            started.elapsed()
        );
    }
    for device in world.devices.drain(..) {
        if let Some(store) = device.store {
            store.close().await;
        }
    }
    Ok(world.outcome)
}

impl World {
    /// The run's users, one per device role: the owner, and the others as
    /// users of the hub. All of them become users of the run's device
    /// template (with the owner's light PIN hash), made once here.
    async fn add_users(&mut self, roles: &[Role], dir: &Path) -> anyhow::Result<Vec<(Uuid, String)>> {
        let mut users = Vec::with_capacity(roles.len());
        let mut edits = vec![("UPDATE users SET id = ?", vec![self.owner_id.to_string()])];
        for (index, role) in roles.iter().enumerate() {
            if *role == Role::Owner {
                users.push((self.owner_id, OWNER.to_string()));
                continue;
            }
            let user_id = Uuid::from_u128(self.rng.gen());
            let username = format!("{}-{index}", role.as_str());
            self.hub
                .create_user(&NewHubUser {
                    id: user_id,
                    tenant_id: self.tenant_id,
                    username: format!("{username}-{}", self.tenant_id),
                    display_name: username.clone(),
                    role: *role,
                    password_hash: "not used by the simulation".into(),
                    created_ms: START_MS,
                })
                .await?;
            edits.push((
                "INSERT INTO users (id, username, display_name, role, pin_hash, active, created_ms)
                 SELECT ?, ?, ?, ?, pin_hash, 1, created_ms FROM users WHERE username = ?",
                vec![
                    user_id.to_string(),
                    username.clone(),
                    username.clone(),
                    role.as_str().to_string(),
                    OWNER.to_string(),
                ],
            ));
            if *role == Role::Salesperson {
                self.salespersons.push(Some(user_id));
            }
            self.hub_accounts.insert(user_id);
            users.push((user_id, username));
        }
        // A salesperson of the hub's with no device in the run: customers
        // given to them leave every simulated salesperson's device.
        let away = Uuid::from_u128(self.rng.gen());
        self.hub
            .create_user(&NewHubUser {
                id: away,
                tenant_id: self.tenant_id,
                username: format!("away-{}", self.tenant_id),
                display_name: "Away".into(),
                role: Role::Salesperson,
                password_hash: "not used by the simulation".into(),
                created_ms: START_MS,
            })
            .await?;
        self.salespersons.push(Some(away));
        self.hub_accounts.insert(away);
        let path = dir.join("run-template.db");
        std::fs::write(&path, &*self.template)?;
        edit_file(&path, &edits).await?;
        self.template = Arc::new(std::fs::read(&path)?);
        Ok(users)
    }

    /// A copy of the run's template at `path`: a device as set up, before
    /// it opens (far cheaper than migrating a new file).
    fn device_file(&self, path: &Path) -> anyhow::Result<()> {
        Ok(std::fs::write(path, &*self.template)?)
    }

    async fn add_device(
        &mut self,
        index: usize,
        role: Role,
        (user_id, username): (Uuid, String),
        dir: &Path,
    ) -> anyhow::Result<()> {
        let path = dir.join(format!("device-{index}.db"));
        self.device_file(&path)?;
        let skew_ms = match self.rng.gen_range(0..4) {
            0 => 0,
            1 => self.rng.gen_range(-60_000..60_000),
            _ => self.rng.gen_range(-YEAR_MS..YEAR_MS),
        };
        let clock = Arc::new(ManualClock::new(START_MS.saturating_add_signed(skew_ms)));
        let ids_seed = self.rng.gen();
        let store = open_device(&path, clock.clone(), ids_seed).await?;
        if self.owner.is_none() {
            self.owner = Some(store.sign_in(OWNER, OWNER_PIN).await?);
        }
        let session = Some(store.sign_in(&username, OWNER_PIN).await?);
        let device_id = store.device_info().await?.device_id;
        let mut device = Device {
            path,
            user_id,
            role,
            session,
            store: Some(store),
            clock,
            skew_ms,
            state: SyncState::new(0, 1, None),
            link: SimLink {
                network: self.network.clone(),
                token: String::new(),
            },
            location: None,
            assigned: None,
            device_id,
            ids_seed,
        };
        self.enrol(&mut device).await?;
        let store = device.store.as_ref().context("device open")?;
        let location = store
            .create_location(&self.owner()?, &format!("Shop {index}"), LocationKind::Store, None)
            .await?;
        device.location = Some(location);
        if role != Role::Owner && self.rng.gen_bool(0.5) {
            self.hub
                .set_device_location(self.tenant_id, device.device_id, Some(location))
                .await?;
            device.assigned = Some(location);
        }
        device.state = store.sync_state().await?;
        self.devices.push(device);
        self.note_written(self.devices.len() - 1).await
    }

    /// Enrols (again): a new epoch and token from the hub, recorded on the
    /// device, which renumbers what waits in its outbox.
    async fn enrol(&mut self, device: &mut Device) -> anyhow::Result<()> {
        let (token, token_hash) = stockroom_server::accounts::new_session_token();
        let epoch = self
            .hub
            .enrol_device(&Enrolment {
                tenant_id: self.tenant_id,
                user_id: device.user_id,
                device_id: device.device_id,
                device_name: None,
                token_hash,
                now_ms: self.hub_clock_now(),
            })
            .await?;
        device.link.token = token;
        let store = device.store.as_ref().context("device open")?;
        store
            .record_enrolment(
                "sim://hub",
                self.tenant_id,
                device.device_id,
                epoch,
                self.hub_clock_now(),
            )
            .await?;
        device.state = unblock(store.sync_state().await?);
        Ok(())
    }

    fn owner(&self) -> anyhow::Result<Session> {
        self.owner.clone().context("no device signed in yet")
    }

    async fn note_written(&mut self, index: usize) -> anyhow::Result<()> {
        let store = self.devices[index].store.as_ref().context("device open")?;
        for op in store.outbox_pending(u32::MAX).await? {
            self.written.insert(op.op_id);
        }
        Ok(())
    }

    fn advance(&mut self, by_ms: u64) {
        use stockroom_server::Clock as _;
        let now = self.hub_clock.now_ms() + by_ms;
        self.hub_clock.set(now);
        for device in &self.devices {
            device.clock.set(now.saturating_add_signed(device.skew_ms));
        }
    }

    async fn event(&mut self) -> anyhow::Result<()> {
        let by = self.rng.gen_range(0..3_000);
        self.advance(by);
        let index = self.rng.gen_range(0..self.devices.len());
        if self.devices[index].store.is_none() {
            return self.restart(index).await;
        }
        match self.rng.gen_range(0..100) {
            0..=39 => self.write(index).await,
            40..=84 => self.sync_step(index).await,
            85..=89 => {
                // Crash: the store is dropped mid-run, without closing.
                self.devices[index].store = None;
                self.outcome.crashes += 1;
                Ok(())
            }
            90..=91 => {
                let mut device = self.devices.remove(index);
                let result = self.enrol(&mut device).await;
                self.devices.insert(index, device);
                self.outcome.new_epochs += 1;
                result
            }
            92..=95 => {
                if self.network.deliver_one_held().await {
                    self.outcome.held_delivered += 1;
                }
                Ok(())
            }
            96..=97 if self.devices[index].role != Role::Owner => self.reassign(index).await,
            _ => {
                let skew_ms = self.rng.gen_range(-YEAR_MS..YEAR_MS);
                let now = self.hub_clock_now().saturating_add_signed(skew_ms);
                let device = &mut self.devices[index];
                device.skew_ms = skew_ms;
                device.clock.set(now);
                Ok(())
            }
        }
    }

    /// The device is assigned to another location (a shop's, another
    /// device's), or to none, as the app does it: a till or a warehouse
    /// device assigns itself (`PUT /v1/device/location`); a salesperson's
    /// device is enrolled again with a manager's code naming a van (a new
    /// epoch). Its stock scopes change under it, its next pull asks it to
    /// take a new snapshot, and from now on it works at that location.
    async fn reassign(&mut self, index: usize) -> anyhow::Result<()> {
        let choice = self.rng.gen_range(0..=self.devices.len());
        let assigned = self.devices.get(choice).and_then(|device| device.location);
        if assigned == self.devices[index].assigned {
            return Ok(());
        }
        let mut device = self.devices.remove(index);
        let result = self.assign(&mut device, assigned).await;
        self.devices.insert(index, device);
        self.outcome.reassignments += 1;
        result
    }

    async fn assign(&mut self, device: &mut Device, assigned: Option<Uuid>) -> anyhow::Result<()> {
        if device.role == Role::Salesperson {
            self.enrol(device).await?;
            self.outcome.new_epochs += 1;
        }
        self.hub
            .set_device_location(self.tenant_id, device.device_id, assigned)
            .await?;
        device.assigned = assigned;
        Ok(())
    }

    fn hub_clock_now(&self) -> u64 {
        use stockroom_server::Clock as _;
        self.hub_clock.now_ms()
    }

    async fn restart(&mut self, index: usize) -> anyhow::Result<()> {
        let device = &mut self.devices[index];
        let store = open_device(
            &device.path,
            device.clock.clone(),
            device.ids_seed ^ self.rng.gen::<u64>(),
        )
        .await?;
        device.state = store.sync_state().await?;
        device.store = Some(store);
        Ok(())
    }

    async fn sync_step(&mut self, index: usize) -> anyhow::Result<()> {
        let config = self.sync_config.clone();
        let device = &mut self.devices[index];
        let store = device.store.as_ref().context("device open")?;
        if self.rng.gen_bool(0.3) {
            device.state = on_poke(device.state.clone());
        }
        let (state, _) = run_step(store, &device.link, device.state.clone(), &config).await?;
        device.state = state;
        Ok(())
    }

    /// Faults off; everyone restarts, delivers what was held, and syncs
    /// until a whole round moves nothing.
    async fn quiesce(&mut self) -> anyhow::Result<()> {
        *self.network.faults.lock().unwrap_or_else(|e| e.into_inner()) = Faults::NONE;
        while self.network.deliver_one_held().await {
            self.outcome.held_delivered += 1;
        }
        for index in 0..self.devices.len() {
            if self.devices[index].store.is_none() {
                self.restart(index).await?;
            }
        }
        let config = self.sync_config.clone();
        for _round in 0..4 {
            for index in 0..self.devices.len() {
                self.devices[index].state = on_poke(self.devices[index].state.clone());
                let mut steps = 0;
                loop {
                    steps += 1;
                    ensure!(
                        steps < 10_000,
                        "device {index} never settles: {:?}",
                        self.devices[index].state
                    );
                    let device = &mut self.devices[index];
                    let store = device.store.as_ref().context("device open")?;
                    let seq = store.device_info().await?.next_seq;
                    device.state = stockroom_core::sync::on_local_write(device.state.clone(), seq);
                    match next_step(&device.state, store_clock(&device.clock), &config) {
                        Step::Idle => break,
                        Step::Blocked {
                            reason: BlockReason::SnapshotNeeded,
                        }
                        | Step::Push { .. }
                        | Step::Pull { .. } => {
                            let (state, _) = run_step(store, &device.link, device.state.clone(), &config).await?;
                            device.state = state;
                        }
                        Step::Blocked { reason } => bail!("device {index} blocked after the faults: {reason:?}"),
                        Step::Wait { until_ms } => {
                            let by = until_ms.saturating_sub(store_clock(&device.clock));
                            self.advance(by + 1);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A device enrolled now by `user_id` (of `role`) and assigned to
    /// `assigned`, with nothing on it but the owner.
    async fn new_device(
        &mut self,
        file: &str,
        user_id: Uuid,
        role: Role,
        assigned: Option<Uuid>,
    ) -> anyhow::Result<Device> {
        let dir = self.devices[0].path.parent().context("run folder")?.to_path_buf();
        let path = dir.join(file);
        self.device_file(&path)?;
        let clock = Arc::new(ManualClock::new(self.hub_clock_now()));
        let ids_seed = self.rng.gen();
        let store = open_device(&path, clock.clone(), ids_seed).await?;
        let device_id = store.device_info().await?.device_id;
        let mut device = Device {
            path,
            user_id,
            role,
            session: None,
            store: Some(store),
            clock,
            skew_ms: 0,
            state: SyncState::new(0, 1, None),
            link: SimLink {
                network: self.network.clone(),
                token: String::new(),
            },
            location: None,
            assigned,
            device_id,
            ids_seed,
        };
        self.enrol(&mut device).await?;
        if assigned.is_some() {
            self.hub
                .set_device_location(self.tenant_id, device_id, assigned)
                .await?;
        }
        Ok(device)
    }

    /// A new device of `user_id` (of `role`, assigned to `assigned`) that
    /// starts from the hub's snapshot for its scopes, then the feed.
    async fn snapshot_device(&mut self, user_id: Uuid, role: Role, assigned: Option<Uuid>) -> anyhow::Result<Device> {
        let file = format!("from-snapshot-{user_id}-{}.db", assigned.unwrap_or_default());
        let mut device = self.new_device(&file, user_id, role, assigned).await?;
        let store = device.store.as_ref().context("snapshot device")?;
        let mut state = on_poke(store.sync_state().await?);
        for _ in 0..10_000 {
            match next_step(&state, store_clock(&device.clock), &self.sync_config) {
                Step::Idle => {
                    device.state = state;
                    return Ok(device);
                }
                Step::Pull { .. } => state = run_step(store, &device.link, state, &self.sync_config).await?.0,
                other => bail!("snapshot device: unexpected step {other:?}"),
            }
        }
        bail!("snapshot device never settled")
    }
}

fn store_clock(clock: &ManualClock) -> u64 {
    use stockroom_core::Clock as _;
    clock.now_ms()
}

async fn open_device(path: &Path, clock: Arc<ManualClock>, ids_seed: u64) -> anyhow::Result<Store> {
    let options = StoreOptions {
        durability: Durability::Normal,
        read_connections: 1,
        ..StoreOptions::default()
    };
    Ok(Store::open_with(path, options, clock, Arc::new(SeededIds::new(ids_seed))).await?)
}
