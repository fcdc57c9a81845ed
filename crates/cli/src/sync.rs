//! `stockroom-cli enrol` and `stockroom-cli sync`: sign the device in to a
//! hub, then run the core's sync executor once (until nothing is left to
//! send or fetch) or for as long as the process lives.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use stockroom_core::sync::{next_step, on_poke, run_step, secrets, BlockReason, HttpHub, Step, SyncConfig};
use stockroom_core::{Role, Store};

/// Enrols this device and stores the session token in the OS keychain.
pub async fn enrol(
    store: &Store,
    hub: &str,
    username: &str,
    password: &str,
    user_pin: Option<&str>,
    name: Option<&str>,
) -> Result<String> {
    let device = store.device_info().await?;
    let enrolled = HttpHub::enrol(hub, username, password, device.device_id, name)
        .await
        .map_err(|err| anyhow::anyhow!("enrolment refused: {}", err.detail))?;
    secrets::save_token(enrolled.device_id, &enrolled.session_token)
        .context("keeping the hub session in the OS keychain")?;
    let role = Role::parse(&enrolled.role).with_context(|| format!("hub role {:?}", enrolled.role))?;
    store.adopt_hub_user(enrolled.user_id, username, role, user_pin).await?;
    store
        .record_enrolment(
            hub,
            enrolled.tenant_id,
            enrolled.device_id,
            enrolled.epoch,
            enrolled.hub_time_ms,
        )
        .await?;
    Ok(format!(
        "device {} enrolled with {hub} (epoch {}) as {username}",
        enrolled.device_id, enrolled.epoch
    ))
}

/// Syncs until nothing is left to do (or, watching, until killed).
pub async fn sync(store: &Store, watch: bool, every: Duration) -> Result<String> {
    let position = store.sync_position().await?;
    let Some(hub) = position.hub_url else {
        bail!("this device is not enrolled: run `stockroom-cli enrol` first");
    };
    let device = store.device_info().await?;
    let token = secrets::load_token(device.device_id).context("reading the hub session from the OS keychain")?;
    let link = HttpHub::new(&hub, &token).map_err(|err| anyhow::anyhow!("{}", err.detail))?;
    let config = SyncConfig {
        jitter_seed: device.device_id.as_u128() as u64,
        backoff_cap_ms: if watch {
            10_000
        } else {
            SyncConfig::default().backoff_cap_ms
        },
        ..SyncConfig::default()
    };
    let mut state = on_poke(store.sync_state().await?);
    let mut steps = 0u64;
    loop {
        let (next, step) = run_step(store, &link, state, &config).await?;
        state = next;
        steps += 1;
        match step {
            // A snapshot was taken: the hub asked, or one is due to rebuild.
            Step::Push { .. }
            | Step::Pull { .. }
            | Step::Blocked {
                reason: BlockReason::SnapshotNeeded,
            } => continue,
            Step::Blocked { reason } => bail!("sync stopped: {reason:?} (the outbox is kept)"),
            Step::Wait { until_ms } if !watch => {
                bail!(
                    "the hub cannot be reached ({} failures); next try in {} ms; {} ops wait",
                    state.failures,
                    until_ms,
                    state.pending_ops()
                )
            }
            Step::Wait { .. } | Step::Idle if watch => {
                tokio::time::sleep(every).await;
                state = on_poke(state);
            }
            Step::Wait { .. } | Step::Idle => {
                if matches!(next_step(&state, 0, &config), Step::Idle) {
                    return Ok(format!("in sync after {steps} steps; {} ops wait", state.pending_ops()));
                }
            }
        }
    }
}
