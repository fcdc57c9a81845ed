//! `AppError`: every way a request can fail, as a status and a stable code
//! in an [`ApiError`] body. Bad input is always a 4xx; internal failures are
//! logged with their cause and answered with a generic message.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use stockroom_protocol::sync::ApiError;
use uuid::Uuid;

use crate::error::HubError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the body is not valid JSON: {detail}")]
    MalformedJson { detail: String },
    #[error("the body does not have the expected fields: {detail}")]
    InvalidBody { detail: String },
    #[error("the body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the body is larger than the hub accepts")]
    BodyTooLarge,
    #[error("the body could not be read")]
    UnreadableBody,
    #[error("bad query parameters: {detail}")]
    BadQuery { detail: String },
    #[error("the cursor is not one this hub issued")]
    BadCursor,
    #[error("the cursor is ahead of this hub's feed: take a new snapshot")]
    CursorAhead,
    #[error("the device's scopes changed since this cursor: take a new snapshot")]
    ScopesChanged,
    #[error("{count} ops in one push; at most {max} are accepted")]
    BatchTooLarge { count: usize, max: usize },
    #[error("op seq {seq} does not belong to this device and epoch, or has seq 0")]
    EnvelopeMismatch { seq: u64 },
    #[error("a valid session token is required (Authorization: Bearer ...)")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("the request names another device than the session token's")]
    DeviceMismatch,
    #[error("device {device_id} belongs to another tenant")]
    WrongTenant { device_id: Uuid },
    #[error("epoch {sent} is not the device's current epoch {current}: enrol again")]
    StaleEpoch { sent: u32, current: u32 },
    #[error("seq {seq} was op {recorded_op_id} and is now op {sent_op_id}: the outbox diverged")]
    DivergentOutbox {
        seq: u64,
        recorded_op_id: Uuid,
        sent_op_id: Uuid,
    },
    #[error("this app speaks protocol {protocol}, schema {schema}; the hub needs at least {min_protocol}, {min_schema}: update the app")]
    AppTooOld {
        protocol: u32,
        schema: u32,
        min_protocol: u32,
        min_schema: u32,
    },
    #[error("this app speaks protocol {protocol}; the hub speaks up to {max_protocol}: update the hub")]
    HubTooOld { protocol: u32, max_protocol: u32 },
    #[error("invalid {field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error("the blob's name must be its SHA-256 as 64 lower-case hex digits")]
    BadBlobHash,
    #[error("the body's SHA-256 is not the one in the path")]
    BlobHashMismatch,
    #[error("the blob is larger than {max_bytes} bytes")]
    BlobTooLarge { max_bytes: usize },
    #[error("no such blob")]
    BlobNotFound,
    #[error("this route is a WebSocket: send an upgrade request")]
    WebSocketRequired,
    #[error("the enrolling user's role may not do this")]
    RoleNotAllowed,
    #[error("no such user in this tenant")]
    UnknownUser,
    #[error("the user is deactivated")]
    UserInactive,
    #[error("the user who enrolled this device was switched off: enrol it again as an active user")]
    DeviceUserInactive,
    #[error("no such enrolment code: ask for a new one")]
    EnrolCodeUnknown,
    #[error("the enrolment code was used already: ask for a new one")]
    EnrolCodeUsed,
    #[error("the enrolment code expired: ask for a new one")]
    EnrolCodeExpired,
    #[error("too many failed enrolments: try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("no such route")]
    NotFound,
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("the database is not reachable")]
    Unavailable(#[source] HubError),
    #[error("internal error")]
    Internal(#[source] HubError),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::MalformedJson { .. }
            | AppError::UnreadableBody
            | AppError::BadQuery { .. }
            | AppError::BadCursor
            | AppError::HubTooOld { .. }
            | AppError::BadBlobHash
            | AppError::BlobHashMismatch
            | AppError::WebSocketRequired => StatusCode::BAD_REQUEST,
            AppError::InvalidBody { .. }
            | AppError::BatchTooLarge { .. }
            | AppError::EnvelopeMismatch { .. }
            | AppError::Invalid { .. }
            | AppError::UserInactive => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::BodyTooLarge | AppError::BlobTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unauthenticated
            | AppError::BadCredentials
            | AppError::EnrolCodeUnknown
            | AppError::EnrolCodeUsed
            | AppError::EnrolCodeExpired => StatusCode::UNAUTHORIZED,
            AppError::DeviceMismatch
            | AppError::WrongTenant { .. }
            | AppError::RoleNotAllowed
            | AppError::DeviceUserInactive => StatusCode::FORBIDDEN,
            AppError::NotFound | AppError::BlobNotFound | AppError::UnknownUser => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::CursorAhead
            | AppError::ScopesChanged
            | AppError::StaleEpoch { .. }
            | AppError::DivergentOutbox { .. } => StatusCode::CONFLICT,
            AppError::AppTooOld { .. } => StatusCode::UPGRADE_REQUIRED,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::MalformedJson { .. } => "malformed_json",
            AppError::InvalidBody { .. } => "invalid_body",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::BodyTooLarge => "body_too_large",
            AppError::UnreadableBody => "unreadable_body",
            AppError::BadQuery { .. } => "bad_query",
            AppError::BadCursor => "bad_cursor",
            AppError::CursorAhead => "cursor_ahead",
            AppError::ScopesChanged => "scopes_changed",
            AppError::BatchTooLarge { .. } => "batch_too_large",
            AppError::EnvelopeMismatch { .. } => "envelope_mismatch",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::DeviceMismatch => "device_mismatch",
            AppError::WrongTenant { .. } => "wrong_tenant",
            AppError::StaleEpoch { .. } => "stale_epoch",
            AppError::DivergentOutbox { .. } => "divergent_outbox",
            AppError::AppTooOld { .. } => "app_too_old",
            AppError::HubTooOld { .. } => "hub_too_old",
            AppError::Invalid { .. } => "invalid_input",
            AppError::BadBlobHash => "bad_blob_hash",
            AppError::BlobHashMismatch => "blob_hash_mismatch",
            AppError::BlobTooLarge { .. } => "blob_too_large",
            AppError::BlobNotFound => "blob_not_found",
            AppError::WebSocketRequired => "websocket_required",
            AppError::RoleNotAllowed => "role_not_allowed",
            AppError::UnknownUser => "unknown_user",
            AppError::UserInactive | AppError::DeviceUserInactive => "user_inactive",
            AppError::EnrolCodeUnknown => "enrolment_code_unknown",
            AppError::EnrolCodeUsed => "enrolment_code_used",
            AppError::EnrolCodeExpired => "enrolment_code_expired",
            AppError::TooManyAttempts { .. } => "too_many_attempts",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<HubError> for AppError {
    fn from(error: HubError) -> Self {
        match error {
            HubError::DivergentOutbox {
                seq,
                recorded_op_id,
                sent_op_id,
                ..
            } => AppError::DivergentOutbox {
                seq,
                recorded_op_id,
                sent_op_id,
            },
            HubError::DeviceOfOtherTenant { device_id } => AppError::WrongTenant { device_id },
            HubError::Invalid { field, problem } => AppError::Invalid { field, problem },
            other => AppError::Internal(other),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(error) => AppError::InvalidBody {
                detail: error.body_text(),
            },
            JsonRejection::JsonSyntaxError(error) => AppError::MalformedJson {
                detail: error.body_text(),
            },
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::BodyTooLarge
            }
            _ => AppError::UnreadableBody,
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadQuery {
            detail: rejection.body_text(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Internal(cause) => {
                tracing::error!(code = cause.code(), error = %cause, "request failed");
                self.to_string()
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database not reachable");
                self.to_string()
            }
            AppError::DivergentOutbox { .. } => {
                tracing::error!(error = %self, "divergent outbox");
                self.to_string()
            }
            _ => self.to_string(),
        };
        let body = ApiError {
            code: self.code().to_string(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        if let AppError::TooManyAttempts { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
        }
        response
    }
}
