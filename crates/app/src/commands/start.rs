//! Start and users: what mode the device is in, starting standalone (with
//! the demo shop) or enrolling against a hub, the PIN pad, signing out,
//! and the UI locale.

use serde::{Deserialize, Serialize};
use stockroom_core::demo::seed_demo;
use stockroom_core::protocol::sync::EnrolRequest;
use stockroom_core::protocol::PROTOCOL_VERSION;
use stockroom_core::sync::{FailureKind, HttpHub, LinkError};
use stockroom_core::Role;
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{NoArgs, UserDto};
use crate::error::{ErrorCode, IpcError};
use crate::state::{AppState, DEVICE_LOCATION_SETTING, LOCALE_SETTING, MODE_SETTING};

/// The demo shop's owner (`start_standalone {demo: true}`).
pub const DEMO_OWNER: (&str, &str, &str) = ("owner", "Olive Owner", "1234");

const STANDALONE: &str = "standalone";
const DEFAULT_LOCALE: &str = "en";

/// How this device works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AppMode {
    /// First start: choose standalone or enrol.
    Unset,
    /// On its own database, no hub.
    Standalone,
    /// Enrolled with a hub; syncs in the background.
    Enrolled,
}

/// What the start screen and the header need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub mode: AppMode,
    pub device_id: Uuid,
    /// Prefix of this device's document numbers (`D01` in `D01-000123`).
    pub doc_prefix: String,
    pub base_currency: String,
    /// The signed-in user, if any.
    pub user: Option<UserDto>,
    pub hub_url: Option<String>,
    /// The location the hub assigned this device to: the till sells there
    /// and the device receives that location's stock only.
    pub location_id: Option<Uuid>,
    /// BCP 47 tag: `en`, `ar`, ...
    pub locale: String,
    /// The app's version.
    pub version: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StartStandaloneArgs {
    /// Fill an empty database with the demo shop (owner `owner`, PIN 1234;
    /// staff with PINs 1111 to 4444).
    #[serde(default)]
    pub demo: bool,
    /// The first owner, for a database with no users and no demo.
    #[serde(default)]
    pub owner_username: Option<String>,
    #[serde(default)]
    pub owner_pin: Option<String>,
}

/// Enrol with a hub user's name and password, or with a one-time code a
/// manager made (then `username` may be left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnrolArgs {
    pub hub_url: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    /// The PIN this user will sign in with on this device (4 to 12 digits).
    pub pin: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignInArgs {
    pub user_id: Uuid,
    pub pin: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SignOutArgs {
    /// Sign out even though changes have not reached the hub yet.
    #[serde(default)]
    pub force: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetLocaleArgs {
    pub locale: String,
}

pub async fn mode(state: &AppState) -> Result<AppMode, IpcError> {
    if state.store().sync_position().await?.hub_url.is_some() {
        return Ok(AppMode::Enrolled);
    }
    match state.store().setting(MODE_SETTING).await?.as_deref() {
        Some(STANDALONE) => Ok(AppMode::Standalone),
        _ => Ok(AppMode::Unset),
    }
}

pub async fn app_info(state: &AppState, _args: NoArgs) -> Result<AppInfo, IpcError> {
    let store = state.store();
    let device = store.device_info().await?;
    let position = store.sync_position().await?;
    let user = match state.signed_in() {
        Some(session) => store
            .users()
            .await?
            .into_iter()
            .find(|user| user.id == session.user_id())
            .map(UserDto::from),
        None => None,
    };
    Ok(AppInfo {
        mode: mode(state).await?,
        device_id: device.device_id,
        doc_prefix: device.doc_prefix,
        base_currency: device.base_currency.to_string(),
        user,
        hub_url: position.hub_url,
        location_id: device_location(state).await?,
        locale: store
            .setting(LOCALE_SETTING)
            .await?
            .unwrap_or_else(|| DEFAULT_LOCALE.into()),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

pub async fn start_standalone(state: &AppState, args: StartStandaloneArgs) -> Result<AppInfo, IpcError> {
    if mode(state).await? == AppMode::Enrolled {
        return Err(IpcError::new(
            ErrorCode::WrongMode,
            "this device is enrolled with a hub",
        ));
    }
    let store = state.store();
    let no_users = store.users().await?.is_empty();
    let (username, display_name, pin) = DEMO_OWNER;
    if args.demo {
        let owner = match no_users {
            true => Some(store.create_first_owner(username, display_name, pin).await?),
            false => store.sign_in(username, pin).await.ok(),
        };
        match owner {
            Some(owner) => {
                seed_demo(store, &owner).await?;
            }
            None => tracing::info!("demo not added: the database has users but no demo owner"),
        }
    } else if no_users {
        let (Some(username), Some(pin)) = (args.owner_username.as_deref(), args.owner_pin.as_deref()) else {
            return Err(IpcError::invalid(
                "name the first owner and their PIN, or start with the demo",
            ));
        };
        store.create_first_owner(username, username.trim(), pin).await?;
    }
    store.set_setting(MODE_SETTING, STANDALONE).await?;
    app_info(state, NoArgs {}).await
}

/// The location the hub assigned this device to, if any.
pub(crate) async fn device_location(state: &AppState) -> Result<Option<Uuid>, IpcError> {
    let stored = state.store().setting(DEVICE_LOCATION_SETTING).await?;
    Ok(stored.and_then(|text| Uuid::parse_str(&text).ok()))
}

/// Records the hub's location assignment of this device.
pub(crate) async fn save_device_location(state: &AppState, location_id: Option<Uuid>) -> Result<(), IpcError> {
    let text = location_id.map(|id| id.to_string()).unwrap_or_default();
    Ok(state.store().set_setting(DEVICE_LOCATION_SETTING, &text).await?)
}

pub(crate) fn hub_error(err: LinkError) -> IpcError {
    tracing::info!(detail = err.detail, "hub request failed");
    match err.kind {
        FailureKind::Refused(_) => IpcError::new(ErrorCode::HubRefused, format!("the hub refused: {}", err.detail)),
        FailureKind::Network | FailureKind::Server { .. } => IpcError::new(
            ErrorCode::HubUnreachable,
            "the hub cannot be reached; check the address",
        ),
    }
}

pub async fn enrol(state: &AppState, args: EnrolArgs) -> Result<AppInfo, IpcError> {
    let store = state.store();
    let hub_url = args.hub_url.trim().trim_end_matches('/').to_string();
    if !(hub_url.starts_with("http://") || hub_url.starts_with("https://")) {
        return Err(IpcError::invalid("the hub address starts with http:// or https://"));
    }
    let code = args.code.as_deref().map(str::trim).filter(|code| !code.is_empty());
    let username = args.username.as_deref().map(str::trim).unwrap_or_default();
    if code.is_none() && (username.is_empty() || args.password.as_deref().unwrap_or_default().is_empty()) {
        return Err(IpcError::invalid("enter a username and password, or an enrolment code"));
    }
    // The PIN is checked before anything reaches the hub.
    if !(4..=12).contains(&args.pin.len()) || !args.pin.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(IpcError::invalid("the PIN must be 4 to 12 digits"));
    }
    let device = store.device_info().await?;
    let request = EnrolRequest {
        protocol_version: PROTOCOL_VERSION,
        username: username.to_string(),
        password: args.password.clone().unwrap_or_default(),
        enrolment_code: code.map(str::to_string),
        device_id: Some(device.device_id),
        device_name: None,
    };
    let enrolled = HttpHub::enrol_with(&hub_url, &request).await.map_err(hub_error)?;
    state.save_token(enrolled.device_id, &enrolled.session_token)?;
    let role = Role::parse(&enrolled.role).ok_or_else(|| IpcError::internal("hub role", &enrolled.role))?;
    // The hub names the user (a code names none); an older hub does not.
    let local_name = if !enrolled.username.trim().is_empty() {
        enrolled.username.trim().to_string()
    } else if !username.is_empty() {
        username.to_string()
    } else {
        format!("user-{}", &enrolled.user_id.simple().to_string()[..8])
    };
    store
        .adopt_hub_user(enrolled.user_id, &local_name, role, Some(&args.pin))
        .await?;
    store
        .record_enrolment(
            &hub_url,
            enrolled.tenant_id,
            enrolled.device_id,
            enrolled.epoch,
            enrolled.hub_time_ms,
        )
        .await?;
    save_device_location(state, enrolled.location_id).await?;
    state.set_session(Some(store.sign_in(&local_name, &args.pin).await?));
    // Enrolled again (the hub cut the device off, say): the engine running
    // with the old token stops, and one with the new token starts.
    state.stop_sync().await;
    state.start_sync().await?;
    app_info(state, NoArgs {}).await
}

pub async fn list_users(state: &AppState, _args: NoArgs) -> Result<Vec<UserDto>, IpcError> {
    Ok(state.store().users().await?.into_iter().map(UserDto::from).collect())
}

pub async fn sign_in(state: &AppState, args: SignInArgs) -> Result<UserDto, IpcError> {
    let store = state.store();
    let user = store
        .users()
        .await?
        .into_iter()
        .find(|user| user.id == args.user_id && user.active)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such user on this device"))?;
    let session = store.sign_in(&user.username, &args.pin).await?;
    state.set_session(Some(session));
    Ok(user.into())
}

pub async fn sign_out(state: &AppState, args: SignOutArgs) -> Result<(), IpcError> {
    if !args.force && mode(state).await? == AppMode::Enrolled {
        let unsent = state.store().outbox_len().await?;
        if unsent > 0 {
            return Err(IpcError::new(
                ErrorCode::UnsentData,
                format!("{unsent} changes have not reached the hub yet"),
            ));
        }
    }
    state.set_session(None);
    Ok(())
}

pub async fn set_locale(state: &AppState, args: SetLocaleArgs) -> Result<(), IpcError> {
    let locale = args.locale.trim();
    let well_formed = (2..=35).contains(&locale.len())
        && locale.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        && locale.as_bytes()[0].is_ascii_alphabetic();
    if !well_formed {
        return Err(IpcError::invalid(format!(
            "{locale:?} is not a language tag such as en or ar"
        )));
    }
    state.store().set_setting(LOCALE_SETTING, locale).await?;
    Ok(())
}
