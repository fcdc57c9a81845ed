//! The end-to-end test of the real Tauri app: builds the app (with the web
//! UI embedded) and the hub, then runs `ui/e2e-tauri/till.mjs` under Xvfb,
//! which drives the app through tauri-driver and WebKitWebDriver.

use std::path::Path;

use anyhow::{bail, Result};

use crate::run;

/// Runs the test. `after_tests`: the test suite was just built in this
/// target folder (`cargo xtask ci`), so the same `cargo test --no-run`
/// invocation rebuilds only the app (its embedded UI changed) and reuses the
/// rest; alone, the app and the hub are built one package at a time, as the
/// Playwright set-up builds the hub.
pub fn tauri_e2e(root: &Path, after_tests: bool) -> Result<()> {
    let ui = root.join("ui");
    if !after_tests {
        if !ui.join("node_modules").exists() {
            std::env::set_var("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            run(&ui, "npm", &["ci", "--no-audit", "--no-fund"])?;
        }
        run(&ui, "npx", &["vite", "build"])?;
    }
    if !ui.join("dist/index.html").exists() {
        bail!("the web UI is not built (ui/dist): the app would embed a placeholder");
    }
    if after_tests {
        run(root, "cargo", &["test", "--workspace", "--locked", "--no-run"])?;
    } else {
        run(
            root,
            "cargo",
            &["build", "--locked", "-p", "stockroom", "--bin", "stockroom"],
        )?;
        run(
            root,
            "cargo",
            &[
                "build",
                "--locked",
                "-p",
                "stockroom-server",
                "--bin",
                "stockroom-server",
            ],
        )?;
    }
    if !tauri_driver_installed() {
        bail!("tauri-driver is not installed: run scripts/setup (cargo install --locked tauri-driver)");
    }
    join_session_keyring()?;
    // A screen the size of the app's window, so the screenshot is the window.
    run(
        &ui,
        "xvfb-run",
        &["-a", "-s", "-screen 0 1200x800x24", "node", "e2e-tauri/till.mjs"],
    )?;
    eprintln!("xtask: tauri e2e ok");
    Ok(())
}

/// tauri-driver on the PATH or in cargo's bin folder (where `cargo install`
/// puts it; the test script looks there too).
fn tauri_driver_installed() -> bool {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join("tauri-driver").is_file()))
        .unwrap_or(false);
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    on_path || cargo_home.is_some_and(|home| home.join("bin/tauri-driver").is_file())
}

/// The app keeps its hub session in the OS keychain, on Linux the kernel
/// session keyring, which a desktop login provides but a CI shell may lack:
/// this process (and so the app it starts) joins a new one of its own.
#[cfg(target_os = "linux")]
fn join_session_keyring() -> Result<()> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(JOIN_SESSION_KEYRING, NULL) takes no pointers we own.
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if id < 0 {
        bail!("joining a session keyring failed: {}", std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn join_session_keyring() -> Result<()> {
    Ok(())
}
