//! Tenants, hub users and device credentials: adding users (argon2 password
//! hashes) and feeding them to devices, checking a password, and making
//! session tokens of which the hub keeps only the SHA-256.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::HubError;
use crate::policy::Role;
use crate::store::{HubStore, LoginUser, NewHubUser};

/// Longest username or display name accepted.
const MAX_NAME_CHARS: usize = 100;
/// Shortest password accepted for a new user.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A user to add, with the tenant (by name) they belong to. The tenant is
/// created if it does not exist.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub tenant_name: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

/// The ids of an added user and their tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddedUser {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
}

/// Adds a hub user (and their tenant if new) and feeds the account to the
/// tenant's devices: the way `stockroom-server add-user` and the bootstrap
/// owner are made.
pub async fn add_user(store: &dyn HubStore, user: NewUser, now_ms: u64) -> Result<AddedUser, HubError> {
    let added = create_account(store, user, now_ms).await?;
    feed_new_accounts(store, Some(added.tenant_id), now_ms).await?;
    Ok(added)
}

/// Feeds every account made on the hub that devices have not been told of
/// (an account made just before a crash, or by a build that did not feed
/// accounts), and tells the hub instances on the database of the new
/// heads: every tenant's, or `only` that one's. The hub runs it for every
/// tenant when it starts. Returns the tenants fed.
pub async fn feed_new_accounts(store: &dyn HubStore, only: Option<Uuid>, now_ms: u64) -> Result<Vec<Uuid>, HubError> {
    let tenants = store.feed_new_accounts(only, now_ms).await?;
    for tenant_id in &tenants {
        store.publish_feed_head(*tenant_id).await?;
    }
    Ok(tenants)
}

/// Makes a hub user (and their tenant if new) without feeding the account
/// yet: [`add_user`] does both; tests that count feed positions from an
/// empty feed make their users with this alone.
pub async fn create_account(store: &dyn HubStore, user: NewUser, now_ms: u64) -> Result<AddedUser, HubError> {
    check_name("tenant", &user.tenant_name)?;
    check_name("username", &user.username)?;
    check_name("display name", &user.display_name)?;
    if user.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(HubError::Invalid {
            field: "password",
            problem: format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    let password = user.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    let tenant_id = store.ensure_tenant(&user.tenant_name, Uuid::now_v7(), now_ms).await?;
    let user_id = Uuid::now_v7();
    store
        .create_user(&NewHubUser {
            id: user_id,
            tenant_id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            password_hash,
            created_ms: now_ms,
        })
        .await?;
    Ok(AddedUser { tenant_id, user_id })
}

/// Fails unless `name` is one a hub account may hold: not blank, at most
/// [`MAX_NAME_CHARS`] characters, no control characters.
pub(crate) fn check_name(field: &'static str, name: &str) -> Result<(), HubError> {
    let problem = if name.trim().is_empty() {
        "is empty"
    } else if name.chars().count() > MAX_NAME_CHARS {
        "is too long"
    } else if name.chars().any(char::is_control) {
        "has control characters"
    } else {
        return Ok(());
    };
    Err(HubError::Invalid {
        field,
        problem: problem.to_string(),
    })
}

/// The active user with this username and password, if the pair is right.
/// Takes as long for an unknown username as for a wrong password.
pub async fn sign_in(store: &dyn HubStore, username: &str, password: &str) -> Result<Option<LoginUser>, HubError> {
    let user = if check_name("username", username).is_ok() {
        store.user_for_login(username).await?
    } else {
        None
    };
    let stored_hash = match &user {
        Some(user) => user.password_hash.clone(),
        None => unknown_user_hash()?.to_string(),
    };
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored_hash)).await?;
    Ok(user.filter(|user| matches && user.active))
}

fn hash_password(password: &str) -> Result<String, HubError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(HubError::PasswordHash)
}

fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// A hash to check unknown usernames against, so they cost the same time.
fn unknown_user_hash() -> Result<&'static str, HubError> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash);
    }
    let hash = hash_password("no such user")?;
    Ok(HASH.get_or_init(|| hash))
}

/// A new session token (32 random bytes, hex) and the SHA-256 the hub keeps.
pub fn new_session_token() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let hash = token_hash(&token);
    (token, hash)
}

/// The SHA-256 of a session token as presented.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_matches() {
        let (token, hash) = new_session_token();
        let (other, other_hash) = new_session_token();
        assert_eq!(token.len(), 64);
        assert_ne!(token, other);
        assert_ne!(hash, other_hash);
        assert_eq!(token_hash(&token), hash);
    }

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("username", "ana").is_ok());
        assert!(check_name("username", " ").is_err());
        assert!(check_name("username", "a\0b").is_err());
        assert!(check_name("username", &"a".repeat(101)).is_err());
    }
}
