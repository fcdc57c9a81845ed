//! Test set-up: a fresh database file in a temporary folder, a manual clock,
//! seeded ids, and a signed-in owner.

use std::path::PathBuf;
use std::sync::Arc;

use stockroom_core::{ManualClock, Money, NewProduct, SeededIds, Session, Store, StoreOptions};
use uuid::Uuid;

/// 2026-11-23 09:00 UTC: tests start here.
pub const START_MS: u64 = 1_795_424_400_000;

pub struct TestStore {
    pub store: Store,
    pub clock: Arc<ManualClock>,
    pub owner: Session,
    pub path: PathBuf,
    // Keeps the folder alive for the test's duration.
    _dir: tempfile::TempDir,
}

impl TestStore {
    pub async fn new() -> TestStore {
        TestStore::with_options(StoreOptions::default()).await
    }

    pub async fn with_options(options: StoreOptions) -> TestStore {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("device.db");
        let clock = Arc::new(ManualClock::new(START_MS));
        let store = Store::open_with(&path, options, clock.clone(), Arc::new(SeededIds::new(42)))
            .await
            .expect("open store");
        let owner = store
            .create_first_owner("owner", "Olive Owner", "1234")
            .await
            .expect("first owner");
        TestStore {
            store,
            clock,
            owner,
            path,
            _dir: dir,
        }
    }

    /// Reopens the same file, as after an app restart.
    pub async fn reopen(self) -> TestStore {
        let TestStore {
            store,
            clock,
            owner,
            path,
            _dir,
        } = self;
        store.close().await;
        let store = Store::open_with(
            &path,
            StoreOptions::default(),
            clock.clone(),
            Arc::new(SeededIds::new(43)),
        )
        .await
        .expect("reopen store");
        TestStore {
            store,
            clock,
            owner,
            path,
            _dir,
        }
    }

    /// Adds a user of `role` with PIN 4321 and signs them in.
    pub async fn user(&self, username: &str, role: stockroom_core::Role) -> Session {
        self.store
            .create_user(
                &self.owner,
                &stockroom_core::NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    role,
                    pin: "4321".into(),
                },
            )
            .await
            .expect("create user");
        self.store.sign_in(username, "4321").await.expect("sign in")
    }

    /// Adds a product priced `price_minor` EUR.
    pub async fn product(&self, sku: &str, price_minor: i64) -> Uuid {
        self.store
            .create_product(
                &self.owner,
                &NewProduct::simple(sku, &format!("Product {sku}"), eur(price_minor)),
            )
            .await
            .expect("create product")
    }

    /// Raw SQL count, for checking what a write left behind.
    pub async fn count(&self, sql: &str) -> i64 {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.path)
            .read_only(true);
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect_with(&options)
            .await
            .expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.expect("count query")
    }
}

pub fn eur(minor: i64) -> Money {
    Money::new(minor, "EUR".parse().unwrap())
}

/// Gives this test process its own kernel session keyring (the OS keychain
/// on Linux), as a desktop login does; a headless container starts without
/// one. Processes it starts inherit it.
#[cfg(target_os = "linux")]
pub fn join_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(JOIN_SESSION_KEYRING, NULL) takes no pointers we own.
    let id = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, std::ptr::null::<libc::c_char>()) };
    assert!(id >= 0, "joining a session keyring failed: {}", std::io::Error::last_os_error());
}

#[cfg(not(target_os = "linux"))]
pub fn join_session_keyring() {}
