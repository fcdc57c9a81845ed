//! Sync commands: the badge's status (also streamed as `sync-status`), a
//! nudge to sync now, the inbox of refusals and flags, and this device's
//! location assignment on the hub.

use serde::{Deserialize, Serialize};
use stockroom_core::sync::{InboxItem, InboxSource};
use ts_rs::TS;
use uuid::Uuid;

use stockroom_core::sync::HttpHub;
use stockroom_core::Permission;

use crate::commands::start::{app_info, hub_error, save_device_location, AppInfo};
use crate::dto::{NoArgs, SyncStatusDto};
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// Most inbox items listed.
const INBOX_LIMIT: u32 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InboxSourceDto {
    /// The hub refused or flagged an op of this device, or a change could
    /// not be applied here.
    Notice,
    /// A rule breach raised on this device (negative stock, ...).
    Flag,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxItemDto {
    pub id: String,
    pub source: InboxSourceDto,
    /// `rejected`, `flagged`, `not_applied` or `flag`.
    pub kind: String,
    /// Stable code: `negative_stock`, `credit_limit`, a hub rejection code.
    pub code: String,
    pub op_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub detail: Option<String>,
    pub created_ms: u64,
}

impl From<InboxItem> for InboxItemDto {
    fn from(item: InboxItem) -> InboxItemDto {
        InboxItemDto {
            id: item.id,
            source: match item.source {
                InboxSource::Notice => InboxSourceDto::Notice,
                InboxSource::Flag => InboxSourceDto::Flag,
            },
            kind: item.kind,
            code: item.code,
            op_type: item.op_type,
            entity_id: item.entity_id,
            detail: item.detail,
            created_ms: item.created_ms,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DismissInboxItemArgs {
    pub id: String,
}

pub async fn sync_status(state: &AppState, _args: NoArgs) -> Result<SyncStatusDto, IpcError> {
    state.current_sync_status().await
}

/// Wakes the engine (a pull, and a push of what waits). Standalone devices
/// get `wrong_mode`.
/// The hub this device is enrolled with: its address, and a link that
/// signs requests with the device's session. Standalone devices get
/// `wrong_mode`.
pub(crate) async fn hub_link(state: &AppState) -> Result<(String, HttpHub), IpcError> {
    let store = state.store();
    let Some(hub_url) = store.sync_position().await?.hub_url else {
        return Err(IpcError::new(
            ErrorCode::WrongMode,
            "this device is not enrolled with a hub",
        ));
    };
    let device = store.device_info().await?;
    let token = state.load_token(device.device_id)?;
    let link = HttpHub::new(&hub_url, &token).map_err(hub_error)?;
    Ok((hub_url, link))
}

pub async fn sync_now(state: &AppState, _args: NoArgs) -> Result<SyncStatusDto, IpcError> {
    if state.store().sync_position().await?.hub_url.is_none() {
        return Err(IpcError::new(
            ErrorCode::WrongMode,
            "this device is not enrolled with a hub",
        ));
    }
    if !state.poke_sync().await {
        state.start_sync().await?;
    }
    state.current_sync_status().await
}

pub async fn inbox(state: &AppState, _args: NoArgs) -> Result<Vec<InboxItemDto>, IpcError> {
    let items = state.store().inbox(INBOX_LIMIT).await?;
    Ok(items.into_iter().map(InboxItemDto::from).collect())
}

pub async fn dismiss_inbox_item(state: &AppState, args: DismissInboxItemArgs) -> Result<(), IpcError> {
    let session = state.session()?;
    Ok(state.store().dismiss_inbox_item(&session, &args.id).await?)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetDeviceLocationArgs {
    /// The location this device works at; `None` for every location.
    pub location_id: Option<Uuid>,
}

/// Assigns this device to a location on the hub (an owner or a manager
/// signed in): its till sells there, and it receives that location's stock
/// only. The engine then takes a new snapshot of the device's scopes.
pub async fn set_device_location(state: &AppState, args: SetDeviceLocationArgs) -> Result<AppInfo, IpcError> {
    let session = state.session()?;
    session.require(Permission::ManageUsers)?;
    let store = state.store();
    let (_, link) = hub_link(state).await?;
    if let Some(location_id) = args.location_id {
        let known = store
            .locations()
            .await?
            .iter()
            .any(|location| location.id == location_id);
        if !known {
            return Err(IpcError::new(ErrorCode::NotFound, "no such location"));
        }
    }
    link.set_device_location(args.location_id).await.map_err(hub_error)?;
    save_device_location(state, args.location_id).await?;
    state.poke_sync().await;
    app_info(state, NoArgs {}).await
}
