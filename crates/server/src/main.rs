//! `stockroom-server`: the sync hub's binary. Serves the hub (the default
//! command) or adds a hub user; configuration from flags or environment.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use stockroom_server::accounts::{self, NewUser};
use stockroom_server::policy::Role;
use stockroom_server::{AppState, Clock, HubConfig, HubStore, SystemClock};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "stockroom-server", version, about = "The Stockroom sync hub")]
struct Cli {
    /// `postgres://user@host/db`, or an SQLite file (created if missing).
    #[arg(
        long,
        env = "STOCKROOM_DATABASE_URL",
        default_value = "stockroom-hub.db",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the hub (the default).
    Serve,
    /// Add a hub user (and their tenant, if new). The password is read from
    /// STOCKROOM_PASSWORD.
    AddUser(AddUserArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "STOCKROOM_LISTEN", default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "STOCKROOM_MAX_BODY_BYTES", default_value_t = HubConfig::default().max_body_bytes)]
    max_body_bytes: usize,
    /// A tenant's cached snapshot is rebuilt only when it is older than this
    /// (milliseconds) and the feed has moved since.
    #[arg(long, env = "STOCKROOM_SNAPSHOT_MAX_AGE_MS", default_value_t = HubConfig::default().snapshot_max_age_ms)]
    snapshot_max_age_ms: u64,
    /// Most bytes of snapshots kept cached, over every shop and scope set.
    #[arg(long, env = "STOCKROOM_SNAPSHOT_CACHE_BYTES", default_value_t = HubConfig::default().snapshot_cache_bytes)]
    snapshot_cache_bytes: usize,
    /// Largest blob (photo, thumbnail) accepted, in bytes.
    #[arg(long, env = "STOCKROOM_MAX_BLOB_BYTES", default_value_t = HubConfig::default().max_blob_bytes)]
    max_blob_bytes: usize,
    /// On first run: the owner to create if this username does not exist yet,
    /// with the password from STOCKROOM_BOOTSTRAP_PASSWORD.
    #[arg(long, env = "STOCKROOM_BOOTSTRAP_USERNAME")]
    bootstrap_username: Option<String>,
    /// The tenant (shop) the bootstrap owner belongs to.
    #[arg(long, env = "STOCKROOM_BOOTSTRAP_TENANT", default_value = "Shop")]
    bootstrap_tenant: String,
}

#[derive(Args)]
struct AddUserArgs {
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    username: String,
    /// One of owner, manager, cashier, salesperson, warehouse.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Shown in the audit trail; the username if not given.
    #[arg(long)]
    display_name: Option<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    let store = stockroom_server::open(&cli.database_url)
        .await
        .with_context(|| format!("opening the hub database {}", shown_url(&cli.database_url)))?;
    let outcome = match cli.command {
        Some(Command::AddUser(args)) => add_user(&*store, args).await,
        Some(Command::Serve) | None => serve(store.clone(), cli.serve).await,
    };
    store.close().await?;
    outcome
}

async fn serve(store: Arc<dyn HubStore>, args: ServeArgs) -> Result<()> {
    if let Some(username) = args.bootstrap_username {
        bootstrap_owner(&*store, &args.bootstrap_tenant, &username).await?;
    }
    let fed = accounts::feed_new_accounts(&*store, None, SystemClock.now_ms()).await?;
    if !fed.is_empty() {
        tracing::info!(tenants = fed.len(), "accounts made on the hub were fed to devices");
    }
    let state = AppState {
        config: HubConfig {
            max_body_bytes: args.max_body_bytes,
            snapshot_max_age_ms: args.snapshot_max_age_ms,
            snapshot_cache_bytes: args.snapshot_cache_bytes,
            max_blob_bytes: args.max_blob_bytes,
            ..HubConfig::default()
        },
        ..AppState::new(store)
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    stockroom_server::run(listener, state, shutdown_signal()).await?;
    tracing::info!("hub stopped");
    Ok(())
}

/// Creates the first owner unless the username already exists.
async fn bootstrap_owner(store: &dyn HubStore, tenant: &str, username: &str) -> Result<()> {
    if store.user_for_login(username).await?.is_some() {
        return Ok(());
    }
    let password = std::env::var("STOCKROOM_BOOTSTRAP_PASSWORD")
        .context("STOCKROOM_BOOTSTRAP_PASSWORD must hold the bootstrap owner's password")?;
    let user = NewUser {
        tenant_name: tenant.to_string(),
        username: username.to_string(),
        display_name: username.to_string(),
        role: Role::Owner,
        password,
    };
    let added = accounts::add_user(store, user, SystemClock.now_ms()).await?;
    tracing::info!(username, tenant, tenant_id = %added.tenant_id, "bootstrap owner created");
    Ok(())
}

async fn add_user(store: &dyn HubStore, args: AddUserArgs) -> Result<()> {
    let password =
        std::env::var("STOCKROOM_PASSWORD").context("STOCKROOM_PASSWORD must hold the new user's password")?;
    let user = NewUser {
        tenant_name: args.tenant.clone(),
        display_name: args.display_name.unwrap_or_else(|| args.username.clone()),
        username: args.username.clone(),
        role: args.role,
        password,
    };
    let added = accounts::add_user(store, user, SystemClock.now_ms()).await?;
    tracing::info!(username = args.username, tenant = args.tenant, user_id = %added.user_id, "user added");
    Ok(())
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| "must be one of owner, manager, cashier, salesperson, warehouse".to_string())
}

/// The URL without its password, for messages.
fn shown_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://…{}", &url[..scheme_end], &url[at..]),
        _ => url.to_string(),
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
