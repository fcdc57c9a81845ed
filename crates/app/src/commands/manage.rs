//! Manager commands: users and roles, and the dashboard (today's sales,
//! low stock, what waits in the inbox).

use serde::{Deserialize, Serialize};
use stockroom_core::{NewUser, Qty};
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{MoneyDto, RoleDto, UserDto};
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// Stock at or below this many units counts as low on the dashboard.
const LOW_STOCK_UNITS: i64 = 5;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserArgs {
    pub username: String,
    pub display_name: String,
    pub role: RoleDto,
    pub pin: String,
}

/// Fields left out stay as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserArgs {
    pub user_id: Uuid,
    /// A new username. A display name that was the username follows it;
    /// any other stays unless `display_name` is given too.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<RoleDto>,
    #[serde(default)]
    pub pin: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DashboardArgs {
    /// Start of "today" in ms since the epoch (the UI knows the time zone).
    pub since_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SalesTotalDto {
    pub n_sales: u64,
    pub total: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LowStockDto {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub location_id: Uuid,
    pub location_name: String,
    pub qty_milli: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DashboardDto {
    /// Per currency.
    pub sales: Vec<SalesTotalDto>,
    /// Stock at or below five units, lowest first.
    pub low_stock: Vec<LowStockDto>,
    /// Inbox items waiting (flags and sync notices).
    pub inbox_count: u32,
}

async fn user_dto(state: &AppState, user_id: Uuid) -> Result<UserDto, IpcError> {
    state
        .store()
        .users()
        .await?
        .into_iter()
        .find(|user| user.id == user_id)
        .map(UserDto::from)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such user"))
}

pub async fn create_user(state: &AppState, args: CreateUserArgs) -> Result<UserDto, IpcError> {
    let session = state.session()?;
    let new_user = NewUser {
        username: args.username,
        display_name: args.display_name,
        role: args.role.into(),
        pin: args.pin,
    };
    let id = state.store().create_user(&session, &new_user).await?;
    user_dto(state, id).await
}

pub async fn update_user(state: &AppState, args: UpdateUserArgs) -> Result<UserDto, IpcError> {
    let session = state.session()?;
    let store = state.store();
    if args.username.is_some() || args.display_name.is_some() {
        let current = user_dto(state, args.user_id).await?;
        let username = args.username.as_deref().unwrap_or(&current.username);
        let display_name = match args.display_name.as_deref() {
            Some(name) => name,
            // A blank display name is the username, the new one.
            None if current.display_name == current.username => "",
            None => &current.display_name,
        };
        store
            .rename_user(&session, args.user_id, username, display_name)
            .await?;
    }
    if let Some(role) = args.role {
        store.set_user_role(&session, args.user_id, role.into()).await?;
    }
    if let Some(pin) = &args.pin {
        store.set_pin(&session, args.user_id, pin).await?;
    }
    if let Some(active) = args.active {
        store.set_user_active(&session, args.user_id, active).await?;
    }
    user_dto(state, args.user_id).await
}

pub async fn dashboard(state: &AppState, args: DashboardArgs) -> Result<DashboardDto, IpcError> {
    let session = state.session()?;
    session.require(stockroom_core::Permission::ResolveFlags)?;
    let store = state.store();
    let sales = store.sales_since(args.since_ms).await?;
    let low = store.low_stock(Qty::units(LOW_STOCK_UNITS), 50).await?;
    Ok(DashboardDto {
        sales: sales
            .into_iter()
            .map(|total| SalesTotalDto {
                n_sales: total.n_sales,
                total: total.total.into(),
            })
            .collect(),
        low_stock: low
            .into_iter()
            .map(|line| LowStockDto {
                product_id: line.product_id,
                sku: line.sku,
                name: line.name,
                location_id: line.location_id,
                location_name: line.location_name,
                qty_milli: line.qty.milli(),
            })
            .collect(),
        inbox_count: store.inbox(1000).await?.len() as u32,
    })
}
