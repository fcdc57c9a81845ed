//! `AppState`: the open device store, the signed-in user, and the
//! background sync engine with its status on a watch channel (the web twin
//! streams it as SSE, the Tauri shell as events).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use stockroom_core::sync::{self, secrets, HttpHub, Signal, SyncConfig, SyncStatus};
use stockroom_core::{PhotoStore, Session, Store, StoreOptions};
use stockroom_scan::LiveScanner;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::dto::{SyncPhase, SyncStatusDto};
use crate::error::{ErrorCode, IpcError};

/// File name of the device database inside the data folder.
pub const DATABASE_FILE: &str = "stockroom.db";
/// The photo folder inside the data folder (files named by their SHA-256).
pub const PHOTOS_FOLDER: &str = "photos";
/// How long stopping sync waits for the engine to finish its step.
const ENGINE_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Setting keys kept in the device database.
pub(crate) const MODE_SETTING: &str = "app.mode";
pub(crate) const LOCALE_SETTING: &str = "app.locale";
/// The location the hub assigned this device to (a UUID), if any.
pub(crate) const DEVICE_LOCATION_SETTING: &str = "device.location";

/// Where the session token is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenVault {
    /// The OS keychain (the app).
    Keychain,
    /// This process's memory only (tests and the web twin's throwaway
    /// databases); lost at exit.
    Memory,
}

/// The running sync engine.
struct SyncRunner {
    signals: mpsc::Sender<Signal>,
    tasks: Vec<JoinHandle<()>>,
}

/// Everything the commands share.
pub struct AppState {
    data_dir: PathBuf,
    store: Arc<Store>,
    photos: Arc<PhotoStore>,
    session: Mutex<Option<Session>>,
    vault: TokenVault,
    memory_token: Mutex<Option<String>>,
    sync: Mutex<Option<SyncRunner>>,
    status: watch::Sender<SyncStatusDto>,
    live_scanner: Mutex<LiveScanner>,
}

impl AppState {
    /// Opens (creating on first start) the device database in `data_dir`.
    pub async fn open(data_dir: &Path, vault: TokenVault) -> Result<AppState, IpcError> {
        std::fs::create_dir_all(data_dir).map_err(|err| IpcError::internal("creating the data folder", &err))?;
        let store = Store::open(&data_dir.join(DATABASE_FILE), StoreOptions::default()).await?;
        let photos = PhotoStore::open(&data_dir.join(PHOTOS_FOLDER))?;
        let state = AppState {
            data_dir: data_dir.to_path_buf(),
            store: Arc::new(store),
            photos: Arc::new(photos),
            session: Mutex::new(None),
            vault,
            memory_token: Mutex::new(None),
            sync: Mutex::new(None),
            status: watch::Sender::new(SyncStatusDto::default()),
            live_scanner: Mutex::new(LiveScanner::new()),
        };
        let status = state.current_sync_status().await?;
        state.status.send_replace(status);
        Ok(state)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The device's product photos (content-addressed files and their index).
    pub fn photos(&self) -> &PhotoStore {
        &self.photos
    }

    /// The signed-in user, or `not_signed_in`.
    pub fn session(&self) -> Result<Session, IpcError> {
        self.session_lock().clone().ok_or_else(IpcError::not_signed_in)
    }

    pub(crate) fn signed_in(&self) -> Option<Session> {
        self.session_lock().clone()
    }

    pub(crate) fn set_session(&self, session: Option<Session>) {
        *self.session_lock() = session;
    }

    /// The camera's continuous scanner (one per app: frames arrive one at a
    /// time from the one scan screen).
    pub(crate) fn live_scanner(&self) -> std::sync::MutexGuard<'_, LiveScanner> {
        self.live_scanner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn session_lock(&self) -> std::sync::MutexGuard<'_, Option<Session>> {
        self.session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sync status updates, for the `sync-status` event stream.
    pub fn subscribe_sync(&self) -> watch::Receiver<SyncStatusDto> {
        self.status.subscribe()
    }

    pub(crate) fn save_token(&self, device_id: uuid::Uuid, token: &str) -> Result<(), IpcError> {
        match self.vault {
            TokenVault::Keychain => Ok(secrets::save_token(device_id, token)?),
            TokenVault::Memory => {
                *self.memory_token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.to_string());
                Ok(())
            }
        }
    }

    pub(crate) fn load_token(&self, device_id: uuid::Uuid) -> Result<String, IpcError> {
        match self.vault {
            TokenVault::Keychain => Ok(secrets::load_token(device_id)?),
            TokenVault::Memory => self
                .memory_token
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .ok_or_else(|| IpcError::new(ErrorCode::WrongMode, "no hub session is kept for this device")),
        }
    }

    /// The status as the store has it now (unsent count fresh), merged
    /// with what the engine last reported.
    pub async fn current_sync_status(&self) -> Result<SyncStatusDto, IpcError> {
        let position = self.store.sync_position().await?;
        let mut status = self.status.borrow().clone();
        if position.hub_url.is_none() {
            return Ok(SyncStatusDto {
                phase: SyncPhase::Standalone,
                ..SyncStatusDto::default()
            });
        }
        status.unsent_count = self.store.outbox_len().await?;
        status.last_sync_ms = position.last_sync_ms;
        let photos = self.photos.status(&self.store).await?;
        status.photos_to_upload = photos.to_upload;
        status.photos_to_fetch = photos.to_fetch;
        status.photos_refused = photos.refused;
        Ok(status)
    }

    /// Starts the sync engine and the hub's live channel in the background
    /// when this device is enrolled; does nothing otherwise or when already
    /// running. Needs a Tokio runtime.
    pub async fn start_sync(&self) -> Result<(), IpcError> {
        let position = self.store.sync_position().await?;
        let Some(hub_url) = position.hub_url else {
            return Ok(());
        };
        if self.sync.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
            return Ok(());
        }
        let device = self.store.device_info().await?;
        let token = self.load_token(device.device_id)?;
        let link = HttpHub::new(&hub_url, &token).map_err(|err| IpcError::invalid(err.detail))?;
        let config = SyncConfig {
            jitter_seed: device.device_id.as_u128() as u64,
            backoff_cap_ms: 30_000,
            ..SyncConfig::default()
        };
        let (signals, signal_rx) = mpsc::channel(16);
        let (core_tx, mut core_rx) = watch::channel(SyncStatus::default());
        let store = self.store.clone();
        let photos = Some(self.photos.clone());
        let engine = tokio::spawn(async move {
            if let Err(err) = sync::run(store, link, photos, config, signal_rx, core_tx).await {
                tracing::error!(%err, "sync engine stopped");
            }
        });
        let live_signals = signals.clone();
        let live = tokio::spawn(async move { sync::live::listen(&hub_url, &token, live_signals).await });
        let status = self.status.clone();
        let store = self.store.clone();
        // The engine's reports, and local writes (counted as unsent even
        // while the engine is blocked and reports nothing).
        let mut writes = store.subscribe_writes();
        let forward = tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = core_rx.changed() => if changed.is_err() { break },
                    changed = writes.changed() => if changed.is_err() { break },
                }
                let core = core_rx.borrow_and_update().clone();
                let unsent = store.outbox_len().await.unwrap_or(core.pending_ops);
                status.send_replace(SyncStatusDto::from_engine(&core, unsent));
            }
        });
        *self.sync.lock().unwrap_or_else(|p| p.into_inner()) = Some(SyncRunner {
            signals,
            tasks: vec![engine, live, forward],
        });
        status_syncing(&self.status);
        Ok(())
    }

    /// Asks the running engine to try now (a pull, and a push of what waits).
    pub(crate) async fn poke_sync(&self) -> bool {
        let signals = self
            .sync
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|runner| runner.signals.clone());
        match signals {
            Some(signals) => signals.send(Signal::Unblock).await.is_ok(),
            None => false,
        }
    }

    /// Stops the background sync (at exit, and before enrolling again).
    /// The engine stops between steps, never inside a store write (a task
    /// cut off there could hand its connection back mid-transaction): it is
    /// waited for up to [`ENGINE_STOP_WAIT`] (a step may be waiting on the
    /// network), and cut off only past that. The live socket and the status
    /// forwarder are ended at once.
    pub async fn stop_sync(&self) {
        let runner = self.sync.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(runner) = runner {
            let _ = runner.signals.send(Signal::Stop).await;
            let mut tasks = runner.tasks.into_iter();
            if let Some(engine) = tasks.next() {
                let cut_off = engine.abort_handle();
                if tokio::time::timeout(ENGINE_STOP_WAIT, engine).await.is_err() {
                    tracing::warn!("the sync engine did not stop in time; cut off");
                    cut_off.abort();
                }
            }
            for task in tasks {
                task.abort();
            }
        }
    }
}

fn status_syncing(status: &watch::Sender<SyncStatusDto>) {
    status.send_modify(|status| status.phase = SyncPhase::Syncing);
}
