//! Test set-up: a hub on a fresh database of either backend (a PostgreSQL
//! database made for the test and dropped after it, or an SQLite file in a
//! temporary folder), a manual clock, enrolled devices, op builders, and
//! requests through the router with `oneshot`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use sqlx::{PgPool, SqlitePool};
use stockroom_protocol::ops::{
    AccountEntry, AccountEntryKind, Entity, FieldsSet, PaymentMethod, SaleCompleted, SaleLine,
};
use stockroom_protocol::sync::{EnrolResponse, PullResponse, PushResponse, SCHEMA_VERSION};
use stockroom_protocol::{Hlc, Op, OpEnvelope, PROTOCOL_VERSION};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::policy::Role;
use stockroom_server::{AppState, HubConfig, ManualClock};
use tower::ServiceExt;
use uuid::Uuid;

/// 2026-11-23 09:00 UTC: tests start here.
pub const START_MS: u64 = 1_795_424_400_000;
/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery";
/// The body limit of test hubs, small so the oversized test is cheap.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Runs each named test body (`async fn name(hub: TestHub)`) once on
/// PostgreSQL and once on SQLite.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::support::TestHub::new($crate::support::Backend::Postgres).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::TestHub::new($crate::support::Backend::Sqlite).await).await;
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The PostgreSQL server tests make their databases on.
fn postgres_server_url() -> String {
    std::env::var("STOCKROOM_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// Where the test's database lives, and how to look inside it.
enum Database {
    Postgres { name: String, probe: PgPool },
    Sqlite { probe: SqlitePool, _dir: tempfile::TempDir },
}

/// A hub on a fresh database, driven through its router.
pub struct TestHub {
    pub state: AppState,
    pub app: Router,
    pub clock: Arc<ManualClock>,
    /// The database URL, for a second hub instance on the same database.
    pub url: String,
    database: Database,
}

/// The cursor after feed position `position` of a device whose user is an
/// owner or a manager (the cursor names the device's scopes).
pub fn cursor_at(position: u64) -> String {
    let grant = stockroom_server::scopes::Grant::for_user(Role::Owner, Uuid::nil());
    format!("2:{position}:{}", grant.tag())
}

/// An enrolled device and what it needs to make ops.
#[derive(Clone, Debug)]
pub struct TestDevice {
    pub device_id: Uuid,
    pub epoch: u32,
    pub token: String,
    pub user_id: Uuid,
    pub tenant_id: Uuid,
}

impl TestHub {
    pub async fn new(backend: Backend) -> TestHub {
        // The database made for the test, before the hub opens it.
        enum Made {
            Postgres(String),
            Sqlite(tempfile::TempDir),
        }
        let (url, made) = match backend {
            Backend::Postgres => {
                let server = postgres_server_url();
                let name = format!("stockroom_hub_test_{}", Uuid::now_v7().simple());
                let admin = PgPool::connect(&format!("{server}/postgres"))
                    .await
                    .expect("PostgreSQL must run on 127.0.0.1:5432 (or set STOCKROOM_TEST_POSTGRES_URL)");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create test database");
                admin.close().await;
                (format!("{server}/{name}"), Made::Postgres(name))
            }
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("hub.db");
                (path.to_str().expect("utf-8 path").to_string(), Made::Sqlite(dir))
            }
        };
        let store = stockroom_server::open(&url).await.expect("open hub store");
        let database = match made {
            Made::Postgres(name) => Database::Postgres {
                name,
                probe: PgPool::connect(&url).await.expect("probe connection"),
            },
            Made::Sqlite(dir) => Database::Sqlite {
                probe: SqlitePool::connect(&format!("sqlite:{url}"))
                    .await
                    .expect("probe connection"),
                _dir: dir,
            },
        };
        let clock = Arc::new(ManualClock::new(START_MS));
        let state = AppState {
            config: HubConfig {
                max_body_bytes: MAX_BODY_BYTES,
                ..HubConfig::default()
            },
            clock: clock.clone(),
            ..AppState::new(store)
        };
        TestHub {
            app: stockroom_server::router(state.clone()),
            state,
            clock,
            url,
            database,
        }
    }

    /// Changes the hub's limits; later requests see the new ones.
    pub fn reconfigure(&mut self, edit: impl FnOnce(&mut HubConfig)) {
        edit(&mut self.state.config);
        self.app = stockroom_server::router(self.state.clone());
    }

    /// Adds a user (and their tenant) with [`PASSWORD`], as the tests'
    /// set-up: the account is not fed, so the feed holds only what a test
    /// pushes ([`TestHub::add_fed_user`] makes one as `add-user` does).
    pub async fn add_user(&self, tenant: &str, username: &str, role: Role) -> Uuid {
        accounts::create_account(&*self.state.store, self.new_user(tenant, username, role), START_MS)
            .await
            .expect("add user")
            .user_id
    }

    /// Adds a user as `stockroom-server add-user` does: fed to the
    /// tenant's devices as a `user.set` of the hub device.
    pub async fn add_fed_user(&self, tenant: &str, username: &str, role: Role) -> Uuid {
        accounts::add_user(&*self.state.store, self.new_user(tenant, username, role), START_MS)
            .await
            .expect("add user")
            .user_id
    }

    fn new_user(&self, tenant: &str, username: &str, role: Role) -> NewUser {
        NewUser {
            tenant_name: tenant.into(),
            username: username.into(),
            display_name: username.into(),
            role,
            password: PASSWORD.into(),
        }
    }

    /// Enrols a new device as `username`.
    pub async fn enrol(&self, username: &str) -> TestDevice {
        self.enrol_device(username, None).await
    }

    /// Enrols the device `device_id` (a known one takes its next epoch).
    pub async fn enrol_device(&self, username: &str, device_id: Option<Uuid>) -> TestDevice {
        let body = json!({
            "protocol_version": PROTOCOL_VERSION,
            "username": username,
            "password": PASSWORD,
            "device_id": device_id,
            "device_name": "till 1",
        });
        let (status, answer) = self.call(Method::POST, "/v1/enrol", None, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "enrol: {answer}");
        let enrolled: EnrolResponse = serde_json::from_value(answer).expect("enrol response");
        TestDevice {
            device_id: enrolled.device_id,
            epoch: enrolled.epoch,
            token: enrolled.session_token,
            user_id: enrolled.user_id,
            tenant_id: enrolled.tenant_id,
        }
    }

    /// One request through the router: status and JSON answer (Null if the
    /// answer is not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let bytes = body.map(|body| body.to_string().into_bytes());
        self.call_raw(method, path, token, Some("application/json"), bytes)
            .await
    }

    pub async fn call_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        if let (Some(content_type), Some(_)) = (content_type, &body) {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let request = request
            .body(body.map_or_else(Body::empty, Body::from))
            .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Pushes `ops` as `device`; the request itself must succeed.
    pub async fn push(&self, device: &TestDevice, ops: &[OpEnvelope]) -> PushResponse {
        let (status, answer) = self.push_status(device, ops).await;
        assert_eq!(status, StatusCode::OK, "push: {answer}");
        serde_json::from_value(answer).expect("push response")
    }

    pub async fn push_status(&self, device: &TestDevice, ops: &[OpEnvelope]) -> (StatusCode, Value) {
        self.push_json(device, ops.iter().map(|op| serde_json::to_value(op).unwrap()).collect())
            .await
    }

    /// Pushes ops given as JSON (to send what no typed op can).
    pub async fn push_json(&self, device: &TestDevice, ops: Vec<Value>) -> (StatusCode, Value) {
        let body = json!({
            "protocol_version": PROTOCOL_VERSION,
            "schema_version": SCHEMA_VERSION,
            "device_id": device.device_id,
            "epoch": device.epoch,
            "ops": ops,
        });
        self.call(Method::POST, "/v1/sync/push", Some(&device.token), Some(body))
            .await
    }

    /// One page of the feed; the request must succeed.
    pub async fn pull(&self, device: &TestDevice, since: &str, limit: u32) -> PullResponse {
        let (status, answer) = self.pull_status(device, since, limit).await;
        assert_eq!(status, StatusCode::OK, "pull: {answer}");
        serde_json::from_value(answer).expect("pull response")
    }

    pub async fn pull_status(&self, device: &TestDevice, since: &str, limit: u32) -> (StatusCode, Value) {
        let path = format!("/v1/sync/pull?since={since}&limit={limit}");
        self.call(Method::GET, &path, Some(&device.token), None).await
    }

    /// The whole feed, page by page.
    pub async fn pull_all(&self, device: &TestDevice, limit: u32) -> Vec<(u64, OpEnvelope)> {
        let mut changes = Vec::new();
        let mut since = String::new();
        loop {
            let page = self.pull(device, &since, limit).await;
            for entry in page.changes {
                match entry.change {
                    stockroom_protocol::sync::FeedChange::Op(op) => changes.push((entry.position, op)),
                    other => panic!("unexpected feed change {other:?}"),
                }
            }
            since = page.next;
            if !page.more {
                return changes;
            }
        }
    }

    /// Runs one statement straight on the database (to set up what no
    /// request can, such as a constraint the hub does not know).
    pub async fn execute(&self, sql: &str) {
        match &self.database {
            Database::Postgres { probe, .. } => sqlx::query(sql).execute(probe).await.map(drop),
            Database::Sqlite { probe, .. } => sqlx::query(sql).execute(probe).await.map(drop),
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// A sample of the hub's metrics, by its name and labels as exposed
    /// (`stockroom_hub_push_ops_total{outcome="applied"}`), if it is there.
    pub fn metric(&self, sample: &str) -> Option<f64> {
        self.state.metrics.render().lines().find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == sample).then(|| value.parse().ok()).flatten()
        })
    }

    /// A number read straight from the database (same SQL on both backends).
    pub async fn count(&self, sql: &str) -> i64 {
        match &self.database {
            Database::Postgres { probe, .. } => sqlx::query_scalar(sql).fetch_one(probe).await,
            Database::Sqlite { probe, .. } => sqlx::query_scalar(sql).fetch_one(probe).await,
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }
}

/// A hub served by `run` on a port-0 listener, until stopped or dropped.
pub struct Served {
    pub address: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), stockroom_server::HubError>>,
}

impl Served {
    /// Binds 127.0.0.1:0 and serves `state` there; connections are accepted
    /// as soon as this returns.
    pub async fn start(state: AppState) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let address = listener.local_addr().expect("local address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(stockroom_server::run(listener, state, async {
            stopped.await.ok();
        }));
        Served {
            address,
            stop: Some(stop),
            task,
        }
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn ws(&self, path: &str) -> String {
        format!("ws://{}{path}", self.address)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Database::Postgres { name, .. } = &self.database {
            let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            // Drop cannot await: drop the database from a thread of its own,
            // forcing out the connections still open.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let admin = PgPool::connect(&format!("{}/postgres", postgres_server_url())).await?;
                    sqlx::query(&statement).execute(&admin).await?;
                    admin.close().await;
                    Ok::<(), sqlx::Error>(())
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(()))) {
                eprintln!("could not drop test database {name}");
            }
        }
    }
}

impl TestDevice {
    /// An envelope for `op` at `seq`, stamped `hlc_ms` (a fresh op id).
    pub fn envelope_at(&self, seq: u64, hlc_ms: u64, op: Op) -> OpEnvelope {
        OpEnvelope {
            op_id: Uuid::now_v7(),
            device_id: self.device_id,
            epoch: self.epoch,
            seq,
            hlc: Hlc::new(hlc_ms, 0),
            user_id: self.user_id,
            type_version: 1,
            op,
        }
    }

    pub fn envelope(&self, seq: u64, op: Op) -> OpEnvelope {
        self.envelope_at(seq, START_MS - 60_000 + seq, op)
    }

    /// Payments (facts) with seqs `from..=to`.
    pub fn payments(&self, from: u64, to: u64) -> Vec<OpEnvelope> {
        (from..=to).map(|seq| self.envelope(seq, payment(seq as i64))).collect()
    }
}

/// A customer payment of `amount_minor` euro cents.
pub fn payment(amount_minor: i64) -> Op {
    Op::PaymentReceived(AccountEntry {
        id: Uuid::now_v7(),
        customer_id: Uuid::from_u128(77),
        kind: AccountEntryKind::Payment,
        amount_minor: -amount_minor,
        currency: "EUR".into(),
        ref_id: None,
        method: Some(PaymentMethod::Cash),
    })
}

/// A product name edit (a class-F record change, not a fact).
pub fn product_edit(name: &str) -> Op {
    let mut fields = serde_json::Map::new();
    fields.insert("name".into(), name.into());
    Op::FieldsSet(FieldsSet {
        entity: Entity::Product,
        row_id: Uuid::from_u128(500),
        fields,
    })
}

/// A completed one-line cash sale in `currency`.
pub fn sale(currency: &str) -> Op {
    let line = SaleLine {
        id: Uuid::now_v7(),
        line_no: 1,
        product_id: Uuid::from_u128(500),
        qty_milli: 1000,
        unit_price_minor: 250,
        discount_minor: 0,
        tax_rate_bp: 0,
        tax_minor: 0,
        total_minor: 250,
    };
    Op::SaleCompleted(SaleCompleted {
        id: Uuid::now_v7(),
        number: "D01-000001".into(),
        location_id: Uuid::from_u128(600),
        customer_id: None,
        currency: currency.into(),
        subtotal_minor: 250,
        discount_minor: 0,
        tax_minor: 0,
        total_minor: 250,
        change_minor: 0,
        lines: vec![line],
        payments: vec![],
        movements: vec![],
        account_entries: vec![],
    })
}
