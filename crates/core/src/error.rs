//! The core's one error type, with stable codes for the IPC boundary.

use crate::auth::{Permission, Role};
use crate::money::Money;

/// Everything a core command can fail with. `code()` is stable and is what
/// crosses IPC; the `Display` text is for logs and developers.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("role {role:?} may not {permission:?}")]
    Forbidden { permission: Permission, role: Role },
    #[error("wrong username or PIN")]
    BadCredentials,
    #[error("the signed-in user was switched off or given another role: sign in again")]
    SessionExpired,
    #[error("{entity} {key} not found")]
    NotFound { entity: &'static str, key: String },
    #[error("{entity} {key} already exists")]
    Conflict { entity: &'static str, key: String },
    #[error("invalid {field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("currency mismatch: {expected} expected, {found} given")]
    CurrencyMismatch { expected: String, found: String },
    /// The payments of a sale, converted into its currency, fall short: the
    /// clerk is shown what is missing.
    #[error("payments of {paid} do not cover the total of {total}: {missing} missing")]
    Underpaid { total: Money, paid: Money, missing: Money },
    #[error("amount out of range")]
    Overflow,
    #[error("import failed at line {line}: {problem}")]
    Import { line: u64, problem: String },
    /// A feed page's hash chain does not follow from what this device
    /// applied: a page was missed or the hub's log changed. Load a snapshot.
    #[error("the hub's feed does not match what this device applied")]
    FeedChainMismatch,
    /// The product's photo is not on this device yet: it has been asked of
    /// the hub; show a placeholder and ask again.
    #[error("photo {sha256} is not on this device yet")]
    PhotoNotHere { sha256: String },
    #[error("stored data is not readable: {what}")]
    Corrupt { what: String },
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

impl CoreError {
    /// The stable code a UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Forbidden { .. } => "forbidden",
            CoreError::BadCredentials => "bad_credentials",
            CoreError::SessionExpired => "session_expired",
            CoreError::NotFound { .. } => "not_found",
            CoreError::Conflict { .. } => "conflict",
            CoreError::Invalid { .. } | CoreError::Underpaid { .. } => "invalid_input",
            CoreError::CurrencyMismatch { .. } => "currency_mismatch",
            CoreError::Overflow => "overflow",
            CoreError::Import { .. } => "import_failed",
            CoreError::FeedChainMismatch => "feed_chain_mismatch",
            CoreError::PhotoNotHere { .. } => "photo_not_here",
            CoreError::Corrupt { .. } => "storage_corrupt",
            CoreError::Io(_) => "io",
            CoreError::Database(_) => "database",
            CoreError::Migration(_) => "database_migration",
        }
    }

    pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        CoreError::Invalid {
            field,
            problem: problem.into(),
        }
    }

    pub(crate) fn not_found(entity: &'static str, key: impl ToString) -> Self {
        CoreError::NotFound {
            entity,
            key: key.to_string(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        CoreError::Corrupt { what: what.into() }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
