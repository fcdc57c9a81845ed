//! The hub session token, kept in the OS keychain (never in the database
//! or a plain file): one entry per device database, named by the device id.

use uuid::Uuid;

/// Keychain service name of Stockroom's entries.
pub const KEYCHAIN_SERVICE: &str = "stockroom-hub-session";

/// Why the keychain could not keep or give the token.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no hub session is stored for this device: enrol it")]
    Missing,
    #[error("the OS keychain is not available: {0}")]
    Unavailable(String),
}

impl VaultError {
    /// Stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Missing => "not_enrolled",
            VaultError::Unavailable(_) => "keychain_unavailable",
        }
    }
}

fn entry(device_id: Uuid) -> Result<keyring::Entry, VaultError> {
    keyring::Entry::new(KEYCHAIN_SERVICE, &device_id.to_string()).map_err(|err| VaultError::Unavailable(err.to_string()))
}

/// Stores the session token of `device_id`, replacing an older one.
pub fn save_token(device_id: Uuid, token: &str) -> Result<(), VaultError> {
    entry(device_id)?
        .set_password(token)
        .map_err(|err| VaultError::Unavailable(err.to_string()))
}

/// The session token of `device_id`.
pub fn load_token(device_id: Uuid) -> Result<String, VaultError> {
    match entry(device_id)?.get_password() {
        Ok(token) => Ok(token),
        Err(keyring::Error::NoEntry) => Err(VaultError::Missing),
        Err(err) => Err(VaultError::Unavailable(err.to_string())),
    }
}

/// Forgets the session token of `device_id` (signing the device out).
pub fn forget_token(device_id: Uuid) -> Result<(), VaultError> {
    match entry(device_id)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(VaultError::Unavailable(err.to_string())),
    }
}
