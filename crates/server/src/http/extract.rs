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

/// The device whose session token the request carries.
pub struct AuthDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
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
            Ok(Some(auth)) => Ok(AuthDevice(auth)),
            Ok(None) => Err(AppError::Unauthenticated),
            Err(error) => Err(AppError::Internal(error)),
        }
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
