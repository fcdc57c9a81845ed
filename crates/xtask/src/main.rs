//! Stockroom's one entry point for checks: `cargo xtask ci` runs formatting,
//! clippy with warnings as errors, the source tidiness rules, and all tests,
//! then the web UI's lint, unit tests, build and end-to-end tests, and the
//! end-to-end test of the real Tauri app under Xvfb. `cargo xtask bench-app`
//! measures the app's start-up and memory against a bare Tauri window.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

mod bench_app;
mod tauri_e2e;

/// Longest source file allowed before it must be split by responsibility.
const MAX_LINES: usize = 800;

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = workspace_root();
    match task.as_str() {
        "ci" => {
            run(&root, "cargo", &["fmt", "--all", "--check"])?;
            run(
                &root,
                "cargo",
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--locked",
                    "--",
                    "-D",
                    "warnings",
                ],
            )?;
            tidy(&root)?;
            // The sync simulation covers this many seeds in CI (a plain
            // `cargo test` runs a couple of hundred), unless set already.
            if std::env::var_os("STOCKROOM_SIM_SEEDS").is_none() {
                std::env::set_var("STOCKROOM_SIM_SEEDS", CI_SIM_SEEDS);
            }
            // The hub binary the test build makes (for the hub's own tests)
            // serves the real-process test too: building it there on its
            // own would resolve other features and compile minutes more.
            std::env::set_var("STOCKROOM_HUB_BIN", target_dir(&root).join("debug/stockroom-server"));
            run(
                &root,
                "cargo",
                &["nextest", "run", "--workspace", "--locked", "--no-fail-fast"],
            )?;
            run(&root, "cargo", &["test", "--workspace", "--locked", "--doc"])?;
            android_check(&root)?;
            // The twin and the hub the test build made serve the browser
            // tests as they are (see `STOCKROOM_HUB_BIN`).
            std::env::set_var("STOCKROOM_E2E_SKIP_BUILD", "1");
            ui_checks(&root)?;
            tauri_e2e::tauri_e2e(&root, true)?;
            eprintln!("xtask: all checks passed");
            Ok(())
        }
        "tidy" => tidy(&root),
        "ui" => ui_checks(&root),
        "tauri-e2e" => tauri_e2e::tauri_e2e(&root, false),
        "bench-app" => bench_app::bench_app(&root, std::env::args().skip(2).collect()),
        _ => bail!("usage: cargo xtask <ci|tidy|ui|tauri-e2e|bench-app>"),
    }
}

/// The Android target of the mobile app (see ARCHITECTURE.md, mobile).
const ANDROID_TARGET: &str = "aarch64-linux-android";

/// Checks the library crates for Android where the target can be added.
/// The pure-Rust crates (the wire types, barcode decoding) need only the
/// target; the crates that build C
/// (SQLite) also need an Android C compiler (`ANDROID_NDK_HOME` or
/// `CC_aarch64_linux_android`). What cannot run here is skipped, saying so.
fn android_check(root: &Path) -> Result<()> {
    let added = Command::new("rustup")
        .args(["target", "add", ANDROID_TARGET])
        .current_dir(root)
        .status();
    if !matches!(added, Ok(status) if status.success()) {
        eprintln!("xtask: skipping the Android check: `rustup target add {ANDROID_TARGET}` failed here");
        return Ok(());
    }
    run(
        root,
        "cargo",
        &[
            "check",
            "--locked",
            "--target",
            ANDROID_TARGET,
            "-p",
            "stockroom-protocol",
            "-p",
            "stockroom-scan",
        ],
    )?;
    let has_c_compiler =
        std::env::var_os("ANDROID_NDK_HOME").is_some() || std::env::var_os("CC_aarch64_linux_android").is_some();
    if !has_c_compiler {
        eprintln!(
            "xtask: skipping the Android check of stockroom-core and stockroom-app: no Android C compiler \
             (set ANDROID_NDK_HOME where the NDK is installed)"
        );
        return Ok(());
    }
    run(
        root,
        "cargo",
        &[
            "check",
            "--locked",
            "--target",
            ANDROID_TARGET,
            "-p",
            "stockroom-core",
            "-p",
            "stockroom-app",
            "--no-default-features",
        ],
    )
}

/// Seeds of the sync simulation in a CI run (on the SQLite hub; the
/// PostgreSQL hub runs a tenth as many).
const CI_SIM_SEEDS: &str = "10000";

/// The web UI's checks: a clean `npm ci`, ESLint and svelte-check, the Vitest
/// unit tests, the production build with its size budget, and the Playwright
/// end-to-end tests in Debian's Chromium against the web twin and a real hub
/// (their set-up builds the twin and the hub with cargo, unless
/// `STOCKROOM_E2E_SKIP_BUILD` says they are built). Browsers are never
/// downloaded: Playwright drives `/usr/bin/chromium`.
fn ui_checks(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    std::env::set_var("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    run(&ui, "npm", &["ci", "--no-audit", "--no-fund"])?;
    run(&ui, "npm", &["run", "lint"])?;
    run(&ui, "npx", &["vitest", "run"])?;
    run(&ui, "npx", &["vite", "build"])?;
    run(&ui, "node", &["scripts/check-size.mjs"])?;
    run(&ui, "npx", &["playwright", "test"])?;
    eprintln!("xtask: ui ok");
    Ok(())
}

/// Where cargo builds: `CARGO_TARGET_DIR`, else `target/` in the workspace.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

pub(crate) fn run(root: &Path, program: &str, args: &[&str]) -> Result<()> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("starting {program}"))?;
    if !status.success() {
        bail!("{program} {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Every Rust file opens with a `//!` line saying what it owns, and none
/// grows past [`MAX_LINES`].
fn tidy(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for folder in ["crates", "src-tauri"] {
        collect_rust_files(&root.join(folder), &mut files)?;
    }
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let shown = file.strip_prefix(root).unwrap_or(file).display();
        if !text.starts_with("//!") {
            problems.push(format!("{shown}: does not open with a `//!` line"));
        }
        let n_lines = text.lines().count();
        if n_lines > MAX_LINES {
            problems.push(format!("{shown}: {n_lines} lines (limit {MAX_LINES})"));
        }
    }
    if !problems.is_empty() {
        bail!("tidy:\n  {}", problems.join("\n  "));
    }
    eprintln!("xtask: tidy ok ({} files)", files.len());
    Ok(())
}

fn collect_rust_files(folder: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    if !folder.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        if path.is_dir() {
            if name != "target" && name != "gen" {
                collect_rust_files(&path, files)?;
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    Ok(())
}
