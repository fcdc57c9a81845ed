//! The hub library's one error type, with stable codes. HTTP answers are
//! made from it in `http::error`; internal causes are logged, never shown.

use uuid::Uuid;

/// Everything the hub's store, accounts and server can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {url:?}: give postgres://... or an SQLite file path")]
    UnsupportedDatabaseUrl { url: String },
    /// A sequence number the hub has recorded came back with another op id:
    /// the device's outbox no longer matches what it sent before.
    #[error("device {device_id} epoch {epoch}: seq {seq} was op {recorded_op_id}, now op {sent_op_id}")]
    DivergentOutbox {
        device_id: Uuid,
        epoch: u32,
        seq: u64,
        recorded_op_id: Uuid,
        sent_op_id: Uuid,
    },
    #[error("username {username:?} is taken")]
    UsernameTaken { username: String },
    #[error("device {device_id} belongs to another tenant")]
    DeviceOfOtherTenant { device_id: Uuid },
    #[error("invalid {field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("stored data is not readable: {what}")]
    Corrupt { what: String },
    #[error("password hashing failed: {0}")]
    PasswordHash(argon2::password_hash::Error),
    #[error("a blocking task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("serving HTTP failed: {0}")]
    Serve(#[from] std::io::Error),
}

impl HubError {
    /// The stable code an API answer or a log line carries.
    pub fn code(&self) -> &'static str {
        match self {
            HubError::Database(_) => "database",
            HubError::Migration(_) => "database_migration",
            HubError::UnsupportedDatabaseUrl { .. } => "unsupported_database_url",
            HubError::DivergentOutbox { .. } => "divergent_outbox",
            HubError::UsernameTaken { .. } => "username_taken",
            HubError::DeviceOfOtherTenant { .. } => "wrong_tenant",
            HubError::Invalid { .. } => "invalid_input",
            HubError::Corrupt { .. } => "storage_corrupt",
            HubError::PasswordHash(_) => "password_hash",
            HubError::Task(_) => "task_failed",
            HubError::Serve(_) => "serve",
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        HubError::Corrupt { what: what.into() }
    }
}
