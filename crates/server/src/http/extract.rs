//! Request extractors whose failures are `AppError`s: JSON bodies, query
//! strings, the device behind a bearer session token, and the client's
//! address.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use crate::accounts::token_hash;
use crate::state::AppState;
use crate::store::DeviceAuth;

/// A JSON body (or answer); a bad body is a 4xx `AppError`.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string; a bad one is 400 `bad_query`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

/// The device whose session token the request carries, enrolled by a user
/// who is still active. A device whose user a manager switched off gets
/// nothing more from the hub (`403 user_inactive`) until it is enrolled
/// again by an active user; it may still send what it holds
/// ([`SendingDevice`]).
pub struct AuthDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let auth = authenticate(parts, state).await?;
        if !auth.user_active {
            return Err(AppError::DeviceUserInactive);
        }
        Ok(AuthDevice(auth))
    }
}

/// The device whose session token the request carries, for the routes that
/// take the device's own writes (its pushes and photos), which are taken
/// even when its enrolling user was switched off: nothing written on a
/// device is lost. Its ops are judged by their own author: a switched-off
/// author's requests are rejected and their facts flagged
/// (`crate::policy`).
pub struct SendingDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for SendingDevice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(SendingDevice(authenticate(parts, state).await?))
    }
}

/// The device behind the request's bearer token, whatever its user's state.
async fn authenticate(parts: &Parts, state: &AppState) -> Result<DeviceAuth, AppError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or(AppError::Unauthenticated)?;
    let (scheme, token) = header.trim().split_once(' ').ok_or(AppError::Unauthenticated)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AppError::Unauthenticated);
    }
    match state.store.authenticate(token_hash(token)).await {
        Ok(Some(auth)) => Ok(auth),
        Ok(None) => Err(AppError::Unauthenticated),
        Err(error) => Err(AppError::Internal(error)),
    }
}

/// The client's IP address, when the hub was served with it ([`super::run`]
/// does; a router driven in-process has none).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(ClientAddress(address))
    }
}
