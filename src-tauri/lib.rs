//! The Stockroom app shell: where the device database lives, and the Tauri
//! app around crates/app: one `#[tauri::command]` per command (generated
//! from the one command list, each a single call; the raw-byte scan and
//! photo commands by hand), the sync engine started
//! in the background with its status emitted as `sync-status` events, and
//! `ui_ready`, which the UI calls once its first screen is usable.

use std::path::PathBuf;
use std::sync::Arc;

use stockroom_app::{AppState, TokenVault};
use stockroom_core::{Store, StoreOptions};
use tauri::{Emitter, Manager};

pub use stockroom_app::DATABASE_FILE;

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
    #[error("{0}")]
    App(#[from] stockroom_app::IpcError),
    #[error(transparent)]
    Window(#[from] tauri::Error),
}

/// One Tauri command per app command: `invoke(name, { args })` from the
/// UI, answered by the same function the web twin calls.
macro_rules! tauri_commands {
    ($($name:ident($args:ty) -> $out:ty;)*) => {
        mod ipc {
            #[allow(unused_imports)]
            use stockroom_app::types::*;
            use stockroom_app::{AppState, IpcError};
            $(
                #[tauri::command]
                pub async fn $name(
                    state: tauri::State<'_, std::sync::Arc<AppState>>,
                    args: $args,
                ) -> Result<$out, IpcError> {
                    stockroom_app::commands::$name(&state, args).await
                }
            )*
        }

        /// Every command, for `tauri::Builder::invoke_handler`.
        pub fn invoke_handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![
                $(ipc::$name,)*
                scan::scan_frame,
                scan::decode_image,
                scan::set_product_photo,
                scan::product_photo,
                shell::ui_ready
            ]
        }
    };
}

stockroom_app::with_commands!(tauri_commands);

/// The commands that take raw bytes: `invoke(name, bytes, { headers })`,
/// the body as an `InvokeBody::Raw`, the frame size in `x-width`/`x-height`;
/// and the product photo's two raw-byte commands.
mod scan {
    use std::sync::Arc;

    use stockroom_app::commands::photos;
    use stockroom_app::commands::scan::{self, ScanOut};
    use stockroom_app::dto::ProductDto;
    use stockroom_app::{AppState, IpcError};
    use tauri::ipc::{InvokeBody, Request, Response};

    fn raw_body(request: &Request<'_>) -> Result<Vec<u8>, IpcError> {
        match request.body() {
            InvokeBody::Raw(bytes) => Ok(bytes.clone()),
            InvokeBody::Json(_) => Err(IpcError::invalid("send the bytes as the raw body, not JSON")),
        }
    }

    #[tauri::command]
    pub async fn scan_frame(state: tauri::State<'_, Arc<AppState>>, request: Request<'_>) -> Result<ScanOut, IpcError> {
        let header = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok());
        let (width, height) = scan::frame_size(header("x-width"), header("x-height"))?;
        scan::scan_frame(&state, width, height, raw_body(&request)?).await
    }

    #[tauri::command]
    pub async fn decode_image(
        state: tauri::State<'_, Arc<AppState>>,
        request: Request<'_>,
    ) -> Result<ScanOut, IpcError> {
        let bytes = raw_body(&request)?;
        scan::decode_image(&state, bytes).await
    }

    /// The image file as the raw body, the product in `x-product-id`.
    #[tauri::command]
    pub async fn set_product_photo(
        state: tauri::State<'_, Arc<AppState>>,
        request: Request<'_>,
    ) -> Result<ProductDto, IpcError> {
        let header = request
            .headers()
            .get("x-product-id")
            .and_then(|value| value.to_str().ok());
        let product_id = photos::product_id_header(header)?;
        photos::set_product_photo(&state, product_id, raw_body(&request)?).await
    }

    /// The photo's JPEG bytes as a raw answer (an `ArrayBuffer` in the UI);
    /// `x-product-id` and `x-size` (256 or 1024) as headers.
    #[tauri::command]
    pub async fn product_photo(
        state: tauri::State<'_, Arc<AppState>>,
        request: Request<'_>,
    ) -> Result<Response, IpcError> {
        let header = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok());
        let product_id = photos::product_id_header(header("x-product-id"))?;
        let size = photos::size_header(header("x-size"))?;
        Ok(Response::new(photos::product_photo(&state, product_id, size).await?))
    }
}

/// Commands of the shell itself, not of the shop.
mod shell {
    use std::sync::OnceLock;
    use std::time::Instant;

    /// When [`super::run`] began.
    pub static STARTED: OnceLock<Instant> = OnceLock::new();

    /// The UI drew its first screen and it takes input: logged at info level
    /// (the mark the start-up benchmark waits for, `RUST_LOG=stockroom=info`).
    #[tauri::command]
    pub fn ui_ready() {
        let elapsed_ms = STARTED
            .get()
            .map(|started| started.elapsed().as_millis())
            .unwrap_or_default();
        tracing::info!(elapsed_ms, "first screen ready");
    }
}

/// Opens the device state in `data_dir`, adding the demo shop on a first
/// start when `demo` is set.
pub async fn open_state(data_dir: &std::path::Path, demo: bool) -> Result<Arc<AppState>, AppStartError> {
    let state = AppState::open(data_dir, TokenVault::Keychain).await?;
    if demo && stockroom_app::commands::mode(&state).await? == stockroom_app::commands::AppMode::Unset {
        let args = stockroom_app::commands::StartStandaloneArgs {
            demo: true,
            ..Default::default()
        };
        stockroom_app::commands::start_standalone(&state, args).await?;
    }
    Ok(Arc::new(state))
}

/// The entry point on Android and iOS, where there is no `main`: the app
/// without the demo shop (see ARCHITECTURE.md, mobile). On the desktop the
/// binary calls [`run`].
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run_mobile() {
    if let Err(err) = run(false) {
        tracing::error!(%err, "the app could not start");
    }
}

/// Runs the app with its window until it is closed.
pub fn run(demo: bool) -> Result<(), AppStartError> {
    shell::STARTED.get_or_init(std::time::Instant::now);
    let data_dir = app_data_dir();
    let state = tauri::async_runtime::block_on(open_state(&data_dir, demo))?;
    tauri::Builder::default()
        .manage(state.clone())
        .invoke_handler(invoke_handler())
        .setup(move |app| {
            let handle = app.handle().clone();
            let state = app.state::<Arc<AppState>>().inner().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(err) = state.start_sync().await {
                    tracing::warn!(%err, "background sync not started");
                }
                let mut status = state.subscribe_sync();
                loop {
                    let current = status.borrow_and_update().clone();
                    if let Err(err) = handle.emit("sync-status", current) {
                        tracing::warn!(%err, "sync-status not emitted");
                    }
                    if status.changed().await.is_err() {
                        break;
                    }
                }
            });
            Ok(())
        })
        .run(tauri::generate_context!("tauri.conf.json"))?;
    tauri::async_runtime::block_on(state.stop_sync());
    Ok(())
}
