//! A bare Tauri 2 window showing a static page: the memory and start-up
//! anchor the Stockroom app is measured against (`cargo xtask bench-app`).
//! The page calls `ready` after its first frame; that logs the same
//! "first screen ready" mark the Stockroom app logs.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The page is drawn: the mark the benchmark waits for, on stderr.
#[tauri::command]
fn ready() {
    eprintln!("first screen ready");
}

fn main() -> Result<(), tauri::Error> {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
}
