//! `stockroom-twin`: the app's commands over HTTP beside the built UI, for
//! the web build and browser tests (dev/test only; the app is the Tauri
//! shell). Prints `listening on http://127.0.0.1:PORT` once it accepts.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use stockroom_app::commands::StartStandaloneArgs;
use stockroom_app::{commands, twin, AppState, TokenVault};

#[derive(Parser)]
#[command(about = "The Stockroom app's commands over HTTP, for the web build and browser tests")]
struct Args {
    /// Folder of the device database (created if missing).
    #[arg(long)]
    data_dir: PathBuf,
    /// Port on 127.0.0.1; 0 takes a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The built UI to serve.
    #[arg(long)]
    ui_dir: Option<PathBuf>,
    /// Start standalone with the demo shop when the device has no mode yet.
    #[arg(long)]
    demo: bool,
    /// Keep the hub session in the OS keychain (default: in memory, lost at
    /// exit).
    #[arg(long)]
    keychain: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let vault = if args.keychain {
        TokenVault::Keychain
    } else {
        TokenVault::Memory
    };
    let state = Arc::new(AppState::open(&args.data_dir, vault).await?);
    if args.demo && commands::start::mode(&state).await? == commands::AppMode::Unset {
        let demo = StartStandaloneArgs {
            demo: true,
            ..StartStandaloneArgs::default()
        };
        commands::start_standalone(&state, demo).await?;
    }
    if let Err(err) = state.start_sync().await {
        tracing::warn!(%err, "background sync not started");
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .context("binding the port")?;
    let address = listener.local_addr()?;
    println!("listening on http://{address}");
    std::io::stdout().flush()?;
    let router = twin::router(state.clone(), args.ui_dir);
    twin::run(listener, router, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    state.stop_sync().await;
    Ok(())
}
