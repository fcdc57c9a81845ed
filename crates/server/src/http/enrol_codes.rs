//! One-time enrolment codes. `POST /v1/enrol/codes`: a manager or owner (the
//! user who enrolled the calling device) makes a short code for a user of
//! their tenant; `POST /v1/enrol` then takes it in place of that user's
//! password, once, before it expires. Only the code's SHA-256 is stored.
//!
//! A code is 10 characters of an alphabet without look-alikes (no 0/O,
//! 1/I): 50 random bits, typed in a minute, useless after 15 minutes or one
//! enrolment. Only an owner may make a code for an owner. A code may assign
//! the device it enrols to a location (a till's shop, a salesperson's van).

use axum::extract::State;
use axum::http::StatusCode;
use rand::Rng;
use sha2::{Digest, Sha256};
use stockroom_protocol::sync::{EnrolCodeRequest, EnrolCodeResponse};
use uuid::Uuid;

use super::error::AppError;
use super::extract::{AppJson, AuthDevice};
use crate::policy::{Permission, Role};
use crate::state::AppState;
use crate::store::{NewEnrolCode, TakeEnrolCode, TakenCode};

/// What a code is made of: digits and capitals without 0, 1, I and O.
const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Characters in a code.
const CODE_CHARS: usize = 10;
/// How long a code lives unless the caller asks otherwise.
pub const DEFAULT_TTL_SECS: u32 = 15 * 60;
/// The range a caller may ask for.
const MIN_TTL_SECS: u32 = 60;
const MAX_TTL_SECS: u32 = 7 * 24 * 60 * 60;

/// The user a device enrols as.
pub(super) struct EnrollingUser {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub username: String,
    pub role: Role,
    /// The location an enrolment code assigns the device to.
    pub location_id: Option<Uuid>,
}

/// `POST /v1/enrol/codes`.
pub async fn create_code(
    State(state): State<AppState>,
    AuthDevice(auth): AuthDevice,
    AppJson(request): AppJson<EnrolCodeRequest>,
) -> Result<(StatusCode, AppJson<EnrolCodeResponse>), AppError> {
    if !auth.enrolled_by_role.allows(Permission::ManageUsers) {
        return Err(AppError::RoleNotAllowed);
    }
    let ttl_secs = request.ttl_secs.unwrap_or(DEFAULT_TTL_SECS);
    if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&ttl_secs) {
        return Err(AppError::Invalid {
            field: "ttl_secs",
            problem: format!("must be between {MIN_TTL_SECS} and {MAX_TTL_SECS}"),
        });
    }
    let user = if request.username.trim().is_empty() || request.username.chars().count() > 100 {
        None
    } else {
        state.store.user_for_login(&request.username).await?
    };
    // Another tenant's user is no user at all, as far as this caller knows.
    let user = user
        .filter(|user| user.tenant_id == auth.tenant_id)
        .ok_or(AppError::UnknownUser)?;
    if !user.active {
        return Err(AppError::UserInactive);
    }
    if user.role == Role::Owner && auth.enrolled_by_role != Role::Owner {
        return Err(AppError::RoleNotAllowed);
    }
    let code = new_code();
    let now_ms = state.clock.now_ms();
    let expires_ms = now_ms + u64::from(ttl_secs) * 1000;
    state
        .store
        .create_enrol_code(&NewEnrolCode {
            code_hash: code_hash(&code),
            tenant_id: auth.tenant_id,
            user_id: user.id,
            created_by: auth.enrolled_by,
            created_device: auth.device_id,
            created_ms: now_ms,
            expires_ms,
            location_id: request.location_id,
        })
        .await?;
    tracing::info!(user_id = %user.id, created_by = %auth.enrolled_by, expires_ms, "enrolment code made");
    Ok((
        StatusCode::CREATED,
        AppJson(EnrolCodeResponse {
            code,
            user_id: user.id,
            username: request.username,
            expires_ms,
        }),
    ))
}

/// Takes `code` for the enrolment of `device_id` (as `username`, if given).
pub(super) async fn take(
    state: &AppState,
    code: &str,
    username: &str,
    device_id: Uuid,
) -> Result<EnrollingUser, AppError> {
    let Some(code) = normalise(code) else {
        return Err(AppError::EnrolCodeUnknown);
    };
    let username = username.trim();
    let take = TakeEnrolCode {
        code_hash: code_hash(&code),
        username: (!username.is_empty()).then(|| username.to_string()),
        device_id,
        now_ms: state.clock.now_ms(),
    };
    match state.store.take_enrol_code(&take).await? {
        TakenCode::Taken {
            tenant_id,
            user_id,
            username,
            role,
            location_id,
        } => Ok(EnrollingUser {
            id: user_id,
            tenant_id,
            username,
            role,
            location_id,
        }),
        TakenCode::Unknown => Err(AppError::EnrolCodeUnknown),
        TakenCode::Used => Err(AppError::EnrolCodeUsed),
        TakenCode::Expired => Err(AppError::EnrolCodeExpired),
        TakenCode::UserInactive => Err(AppError::UserInactive),
    }
}

fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..CODE_CHARS)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// The code as made, from what a person typed: case, spaces and dashes do
/// not matter. `None` if it cannot be a code.
fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == CODE_CHARS && code.bytes().all(|byte| ALPHABET.contains(&byte));
    valid.then_some(code)
}

fn code_hash(code: &str) -> [u8; 32] {
    Sha256::digest(code.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_made_of_the_alphabet_and_read_back_however_typed() {
        let code = new_code();
        assert_eq!(code.len(), CODE_CHARS);
        assert!(code.bytes().all(|byte| ALPHABET.contains(&byte)));
        assert_ne!(code, new_code());
        let typed = format!(" {}-{} ", code[..5].to_lowercase(), &code[5..]);
        assert_eq!(normalise(&typed), Some(code));
    }

    #[test]
    fn what_cannot_be_a_code_is_refused() {
        assert_eq!(normalise(""), None);
        assert_eq!(normalise("ABCDEFGHJ"), None);
        assert_eq!(normalise("ABCDEFGHJKL"), None);
        // 0, 1, I and O are never in a code.
        assert_eq!(normalise("ABCDEFGHJ0"), None);
        assert_eq!(normalise("ABCDEFGHJI"), None);
        assert_eq!(normalise("ÄBCDEFGHJK"), None);
    }
}
