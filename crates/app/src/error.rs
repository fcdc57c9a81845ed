//! The one error that crosses IPC: `{"code": "...", "message": "..."}` with a
//! stable snake_case code the UI switches on. Internal failures are logged
//! here and reach the UI only as `internal` with a safe message.

use serde::{Deserialize, Serialize};
use stockroom_core::CoreError;
use ts_rs::TS;

/// Stable error codes; the UI switches on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The arguments or the data entered are refused; `message` says why.
    InvalidInput,
    NotFound,
    /// The signed-in user's role may not do this.
    Forbidden,
    /// The command needs a signed-in user.
    NotSignedIn,
    /// The user was switched off or given another role: sign in again.
    SessionExpired,
    WrongPin,
    /// Signing out would leave ops unsent (`message` has the count).
    UnsentData,
    Conflict,
    /// The device has no mode yet (start standalone or enrol first), or
    /// already has one.
    WrongMode,
    /// The hub did not answer.
    HubUnreachable,
    /// The hub refused (wrong password, expired code, ...).
    HubRefused,
    /// The OS keychain could not keep or give the hub session.
    KeychainUnavailable,
    DecodeFailed,
    /// The product's photo is not on this device yet; it has been asked of
    /// the hub: show a placeholder and ask again.
    PhotoNotHere,
    /// The photo file is empty.
    PhotoEmpty,
    /// The file is not a JPEG, PNG or WebP image.
    PhotoNotAnImage,
    /// HEIC/AVIF, GIF, BMP, TIFF: not taken.
    PhotoUnsupportedFormat,
    PhotoTruncated,
    PhotoCorrupt,
    PhotoTooManyBytes,
    PhotoTooManyPixels,
    /// The image decoder gave up on this file.
    PhotoDecoderPanic,
    /// The command name is not one the app knows.
    UnknownCommand,
    /// Something failed on this device; details are in its log.
    Internal,
}

impl ErrorCode {
    /// The code as it is written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotSignedIn => "not_signed_in",
            ErrorCode::SessionExpired => "session_expired",
            ErrorCode::WrongPin => "wrong_pin",
            ErrorCode::UnsentData => "unsent_data",
            ErrorCode::Conflict => "conflict",
            ErrorCode::WrongMode => "wrong_mode",
            ErrorCode::HubUnreachable => "hub_unreachable",
            ErrorCode::HubRefused => "hub_refused",
            ErrorCode::KeychainUnavailable => "keychain_unavailable",
            ErrorCode::DecodeFailed => "decode_failed",
            ErrorCode::PhotoNotHere => "photo_not_here",
            ErrorCode::PhotoEmpty => "photo_empty",
            ErrorCode::PhotoNotAnImage => "photo_not_an_image",
            ErrorCode::PhotoUnsupportedFormat => "photo_unsupported_format",
            ErrorCode::PhotoTruncated => "photo_truncated",
            ErrorCode::PhotoCorrupt => "photo_corrupt",
            ErrorCode::PhotoTooManyBytes => "photo_too_many_bytes",
            ErrorCode::PhotoTooManyPixels => "photo_too_many_pixels",
            ErrorCode::PhotoDecoderPanic => "photo_decoder_panic",
            ErrorCode::UnknownCommand => "unknown_command",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status the web twin answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::InvalidInput
            | ErrorCode::DecodeFailed
            | ErrorCode::PhotoEmpty
            | ErrorCode::PhotoNotAnImage
            | ErrorCode::PhotoUnsupportedFormat
            | ErrorCode::PhotoTruncated
            | ErrorCode::PhotoCorrupt
            | ErrorCode::PhotoTooManyBytes
            | ErrorCode::PhotoTooManyPixels
            | ErrorCode::PhotoDecoderPanic => 400,
            ErrorCode::PhotoNotHere => 404,
            ErrorCode::NotSignedIn | ErrorCode::SessionExpired | ErrorCode::WrongPin => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound | ErrorCode::UnknownCommand => 404,
            ErrorCode::Conflict | ErrorCode::UnsentData | ErrorCode::WrongMode => 409,
            ErrorCode::HubUnreachable | ErrorCode::HubRefused => 502,
            ErrorCode::KeychainUnavailable | ErrorCode::Internal => 500,
        }
    }
}

/// A failed command as the UI receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct IpcError {
    pub code: ErrorCode,
    /// For people: shown by the UI as it is.
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> IpcError {
        IpcError::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_signed_in() -> IpcError {
        IpcError::new(ErrorCode::NotSignedIn, "sign in first")
    }

    /// A failure of this device: logged in full, shown as `internal`.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> IpcError {
        tracing::error!(%cause, "{context}");
        IpcError::new(
            ErrorCode::Internal,
            "something went wrong on this device; the details are in its log",
        )
    }
}

impl From<CoreError> for IpcError {
    fn from(err: CoreError) -> IpcError {
        let code = match &err {
            CoreError::Forbidden { .. } => ErrorCode::Forbidden,
            CoreError::BadCredentials => ErrorCode::WrongPin,
            CoreError::SessionExpired => ErrorCode::SessionExpired,
            CoreError::NotFound { .. } => ErrorCode::NotFound,
            CoreError::PhotoNotHere { .. } => ErrorCode::PhotoNotHere,
            CoreError::Conflict { .. } => ErrorCode::Conflict,
            CoreError::Invalid { .. }
            | CoreError::Underpaid { .. }
            | CoreError::CurrencyMismatch { .. }
            | CoreError::Overflow
            | CoreError::Import { .. } => ErrorCode::InvalidInput,
            CoreError::FeedChainMismatch
            | CoreError::Corrupt { .. }
            | CoreError::Io(_)
            | CoreError::Database(_)
            | CoreError::Migration(_) => return IpcError::internal(err.code(), &err),
        };
        IpcError::new(code, err.to_string())
    }
}

impl From<stockroom_core::sync::secrets::VaultError> for IpcError {
    fn from(err: stockroom_core::sync::secrets::VaultError) -> IpcError {
        use stockroom_core::sync::secrets::VaultError;
        match err {
            VaultError::Missing => IpcError::new(ErrorCode::WrongMode, err.to_string()),
            VaultError::Unavailable(_) => {
                tracing::error!(%err, "keychain");
                IpcError::new(
                    ErrorCode::KeychainUnavailable,
                    "the system keychain is not available to keep the hub session",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_stable_codes_and_hide_internals() {
        let check = |err: CoreError, code: &str| assert_eq!(IpcError::from(err).code.as_str(), code);
        check(CoreError::BadCredentials, "wrong_pin");
        check(CoreError::SessionExpired, "session_expired");
        check(
            CoreError::NotFound {
                entity: "product",
                key: "x".into(),
            },
            "not_found",
        );
        check(CoreError::Overflow, "invalid_input");
        let internal = IpcError::from(CoreError::Corrupt {
            what: "secret table layout".into(),
        });
        assert_eq!(internal.code, ErrorCode::Internal);
        assert!(!internal.message.contains("secret"), "{}", internal.message);
    }

    #[test]
    fn errors_serialise_as_code_and_message() {
        let json = serde_json::to_string(&IpcError::new(ErrorCode::NotFound, "no such product")).unwrap();
        assert_eq!(json, r#"{"code":"not_found","message":"no such product"}"#);
        for code in [ErrorCode::UnsentData, ErrorCode::HubUnreachable, ErrorCode::WrongPin] {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire, serde_json::Value::String(code.as_str().into()));
        }
    }
}
