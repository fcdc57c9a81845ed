//! The Stockroom app shell: where the device database lives and how the app
//! opens it at start. The Tauri window and commands build on this (app
//! milestone); the shell converts and delegates, the core does the work.

use std::path::PathBuf;

use stockroom_core::{Store, StoreOptions};

/// File name of the device database inside the app-data folder.
pub const DATABASE_FILE: &str = "stockroom.db";

/// The OS app-data folder for Stockroom: `STOCKROOM_DATA_DIR` when set, else
/// `$XDG_DATA_HOME/stockroom`, else `~/.local/share/stockroom` (Linux),
/// `~/Library/Application Support/Stockroom` (macOS), `%APPDATA%\Stockroom`
/// (Windows).
pub fn app_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STOCKROOM_DATA_DIR") {
        return PathBuf::from(dir);
    }
    if cfg!(target_os = "windows") {
        if let Some(app_data) = std::env::var_os("APPDATA") {
            return PathBuf::from(app_data).join("Stockroom");
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    if cfg!(target_os = "macos") {
        return home.join("Library/Application Support/Stockroom");
    }
    match std::env::var_os("XDG_DATA_HOME") {
        Some(data_home) => PathBuf::from(data_home).join("stockroom"),
        None => home.join(".local/share/stockroom"),
    }
}

/// Opens (creating on first start) the device database in `dir`.
pub async fn open_device_store(dir: &std::path::Path) -> Result<Store, AppStartError> {
    std::fs::create_dir_all(dir).map_err(|source| AppStartError::DataDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    Ok(Store::open(&dir.join(DATABASE_FILE), StoreOptions::default()).await?)
}

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum AppStartError {
    #[error("cannot create the data folder {dir}: {source}")]
    DataDir { dir: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] stockroom_core::CoreError),
}
