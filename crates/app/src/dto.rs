//! DTOs shared by several commands (money, products, users, sync status),
//! with their conversions from the core's types. camelCase on the wire;
//! TypeScript declarations are generated from these by ts-rs.

use serde::{Deserialize, Serialize};
use stockroom_core::sync::{BlockReason, SyncStatus};
use stockroom_core::{Currency, Money, PaymentMethod, Product, ProductQty, Qty, Role, User};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::IpcError;

/// Arguments of a command that takes none: `{}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NoArgs {}

/// An amount in a currency's minor unit (cents): `{minor: 449, currency: "EUR"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MoneyDto {
    pub minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Money> for MoneyDto {
    fn from(money: Money) -> MoneyDto {
        MoneyDto {
            minor: money.minor,
            currency: money.currency.to_string(),
        }
    }
}

impl MoneyDto {
    pub fn to_money(&self) -> Result<Money, IpcError> {
        let currency: Currency = self.currency.parse()?;
        Ok(Money::new(self.minor, currency))
    }
}

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    Owner,
    Manager,
    Cashier,
    Salesperson,
    Warehouse,
}

impl From<Role> for RoleDto {
    fn from(role: Role) -> RoleDto {
        match role {
            Role::Owner => RoleDto::Owner,
            Role::Manager => RoleDto::Manager,
            Role::Cashier => RoleDto::Cashier,
            Role::Salesperson => RoleDto::Salesperson,
            Role::Warehouse => RoleDto::Warehouse,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(role: RoleDto) -> Role {
        match role {
            RoleDto::Owner => Role::Owner,
            RoleDto::Manager => Role::Manager,
            RoleDto::Cashier => Role::Cashier,
            RoleDto::Salesperson => Role::Salesperson,
            RoleDto::Warehouse => Role::Warehouse,
        }
    }
}

/// A user of this device (never with the PIN).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: RoleDto,
    pub active: bool,
}

impl From<User> for UserDto {
    fn from(user: User) -> UserDto {
        UserDto {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role.into(),
            active: user.active,
        }
    }
}

/// A product as lists and the till show it. Prices exclude tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductDto {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    /// `pc`, `kg`, `l`, ...
    pub unit: String,
    pub category_id: Option<Uuid>,
    pub cost: MoneyDto,
    pub price: MoneyDto,
    /// Basis points: 2000 = 20 %.
    pub tax_rate_bp: u32,
    pub active: bool,
    /// The photo's 256 px version (SHA-256), or null when it has no photo;
    /// its bytes come from `product_photo`.
    pub photo256: Option<String>,
    /// The photo's 1024 px version (SHA-256).
    pub photo1024: Option<String>,
}

impl From<Product> for ProductDto {
    fn from(product: Product) -> ProductDto {
        ProductDto {
            id: product.id,
            sku: product.sku,
            name: product.name,
            brand: product.brand,
            unit: product.unit,
            category_id: product.category_id,
            cost: product.cost.into(),
            price: product.price.into(),
            tax_rate_bp: product.tax_rate_bp,
            active: product.active,
            photo256: product.photo_256,
            photo1024: product.photo_1024,
        }
    }
}

/// What the sync badge shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Not enrolled: nothing is sent anywhere.
    #[default]
    Standalone,
    /// Enrolled, working (first sync, snapshot, pushes).
    Syncing,
    /// The hub answered the last attempt; nothing is waiting on it.
    Idle,
    /// The hub did not answer; retrying on a timer.
    Offline,
    /// Stopped until someone acts (`lastErrorCode` says why).
    Blocked,
}

/// The sync status, also streamed as the `sync-status` event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatusDto {
    pub phase: SyncPhase,
    /// The hub answered the last attempt.
    pub online: bool,
    /// Ops written here and not yet acknowledged by the hub.
    pub unsent_count: u64,
    /// When the hub last answered (hub time, ms since the epoch).
    pub last_sync_ms: Option<u64>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// Feed pages applied since the app started.
    pub pages_applied: u64,
    /// Why sync is blocked: `app_too_old`, `hub_too_old`,
    /// `divergent_outbox`, `stale_epoch`, `signed_out`, `user_inactive`,
    /// `hub_missing_ops`, `snapshot_needed`.
    pub last_error_code: Option<String>,
    /// Photo files made here that the hub does not have yet.
    pub photos_to_upload: u64,
    /// Photo blobs waiting to come from the hub.
    pub photos_to_fetch: u64,
    /// Photo blobs the hub gave wrong (refused, never shown).
    pub photos_refused: u64,
}

fn block_code(reason: &BlockReason) -> &'static str {
    match reason {
        BlockReason::AppTooOld => "app_too_old",
        BlockReason::HubTooOld => "hub_too_old",
        BlockReason::DivergentOutbox => "divergent_outbox",
        BlockReason::StaleEpoch => "stale_epoch",
        BlockReason::SignedOut => "signed_out",
        BlockReason::UserInactive => "user_inactive",
        BlockReason::HubMissingOps { .. } => "hub_missing_ops",
        BlockReason::SnapshotNeeded => "snapshot_needed",
    }
}

impl SyncStatusDto {
    /// The engine's report, with the outbox count read from the store.
    pub fn from_engine(status: &SyncStatus, unsent_count: u64) -> SyncStatusDto {
        let phase = match (&status.blocked, status.failures) {
            (Some(_), _) => SyncPhase::Blocked,
            (None, 0) if unsent_count == 0 && status.last_sync_ms.is_some() => SyncPhase::Idle,
            (None, 0) => SyncPhase::Syncing,
            (None, _) => SyncPhase::Offline,
        };
        SyncStatusDto {
            phase,
            online: status.failures == 0 && status.last_sync_ms.is_some(),
            unsent_count,
            last_sync_ms: status.last_sync_ms,
            failures: status.failures,
            pages_applied: status.pages_applied,
            last_error_code: status.blocked.as_ref().map(|reason| block_code(reason).to_string()),
            photos_to_upload: status.photos_to_upload,
            photos_to_fetch: status.photos_to_fetch,
            photos_refused: status.photos_refused,
        }
    }
}

/// How money is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodDto {
    Cash,
    Card,
    Wallet,
    /// Charged to the customer's account.
    Account,
}

impl From<PaymentMethodDto> for PaymentMethod {
    fn from(method: PaymentMethodDto) -> PaymentMethod {
        match method {
            PaymentMethodDto::Cash => PaymentMethod::Cash,
            PaymentMethodDto::Card => PaymentMethod::Card,
            PaymentMethodDto::Wallet => PaymentMethod::Wallet,
            PaymentMethodDto::Account => PaymentMethod::Account,
        }
    }
}

impl From<PaymentMethod> for PaymentMethodDto {
    fn from(method: PaymentMethod) -> PaymentMethodDto {
        match method {
            PaymentMethod::Cash => PaymentMethodDto::Cash,
            PaymentMethod::Card => PaymentMethodDto::Card,
            PaymentMethod::Wallet => PaymentMethodDto::Wallet,
            PaymentMethod::Account => PaymentMethodDto::Account,
        }
    }
}

/// A quantity of a product, in thousandths (1000 = one piece or one kg).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QtyLine {
    pub product_id: Uuid,
    pub qty_milli: i64,
}

impl QtyLine {
    pub fn qty(&self) -> Qty {
        Qty(self.qty_milli)
    }

    pub fn to_core(self) -> ProductQty {
        ProductQty::new(self.product_id, self.qty())
    }
}
