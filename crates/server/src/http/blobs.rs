//! `PUT /v1/blobs/{sha256}` and `GET /v1/blobs/{sha256}`: photos and
//! thumbnails, content-addressed per tenant. A PUT streams its body through
//! SHA-256 and stops reading as soon as it passes the size limit; the hash
//! must be the one in the path. A blob never changes, so a GET may be cached
//! for good.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::AppError;
use super::extract::{AppJson, AuthDevice, SendingDevice};
use crate::state::AppState;
use crate::store::NewBlob;

/// A blob is immutable: cache it for a year, privately (it is the tenant's).
const CACHE_FOREVER: &str = "private, max-age=31536000, immutable";

/// The answer to a PUT.
#[derive(Debug, Serialize)]
pub struct BlobStored {
    sha256: String,
    size_bytes: usize,
}

/// Stores the body as the tenant's blob: 201 if new, 200 if the tenant had
/// it already (the body is still checked).
pub async fn put_blob(
    State(state): State<AppState>,
    SendingDevice(auth): SendingDevice,
    name: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let sha256 = parse_name(name)?;
    let max_bytes = state.config.max_blob_bytes;
    let too_large = AppError::BlobTooLarge { max_bytes };
    let declared = match headers.get(CONTENT_LENGTH) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or(AppError::UnreadableBody)?,
        ),
        None => None,
    };
    if declared.is_some_and(|length| length > max_bytes as u64) {
        return Err(too_large);
    }
    let mut content = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    let mut hasher = Sha256::new();
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| AppError::UnreadableBody)?;
        if content.len() + chunk.len() > max_bytes {
            return Err(too_large);
        }
        hasher.update(&chunk);
        content.extend_from_slice(&chunk);
    }
    let actual: [u8; 32] = hasher.finalize().into();
    if actual != sha256 {
        return Err(AppError::BlobHashMismatch);
    }
    let size_bytes = content.len();
    let blob = NewBlob {
        tenant_id: auth.tenant_id,
        sha256,
        content,
        now_ms: state.clock.now_ms(),
    };
    let created = state.store.put_blob(&blob).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let answer = BlobStored {
        sha256: hex(&sha256),
        size_bytes,
    };
    Ok((status, AppJson(answer)).into_response())
}

/// The tenant's blob, with an ETag (its hash) and immutable caching; 304
/// when the device's `If-None-Match` names it.
pub async fn get_blob(
    State(state): State<AppState>,
    AuthDevice(auth): AuthDevice,
    name: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let sha256 = parse_name(name)?;
    let content = state
        .store
        .blob(auth.tenant_id, sha256)
        .await?
        .ok_or(AppError::BlobNotFound)?;
    let etag = format!("\"{}\"", hex(&sha256));
    let cached = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag.as_str()));
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Body::from(content).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        response
    };
    let answer_headers = response.headers_mut();
    answer_headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_FOREVER));
    answer_headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        answer_headers.insert(ETAG, value);
    }
    Ok(response)
}

/// The path's name as a SHA-256: exactly 64 lower-case hex digits.
fn parse_name(name: Result<Path<String>, PathRejection>) -> Result<[u8; 32], AppError> {
    let Path(name) = name.map_err(|_| AppError::BadBlobHash)?;
    let lower_hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
    if name.len() != 64 || !name.bytes().all(lower_hex) {
        return Err(AppError::BadBlobHash);
    }
    let mut sha256 = [0u8; 32];
    for (index, byte) in sha256.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&name[index * 2..index * 2 + 2], 16).map_err(|_| AppError::BadBlobHash)?;
    }
    Ok(sha256)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
