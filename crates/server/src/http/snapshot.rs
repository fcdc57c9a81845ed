//! `GET /v1/sync/snapshot`: the tenant's latest snapshot for the device's
//! scopes (see `crate::snapshot`), gzip NDJSON streamed in pieces, with an
//! ETag so a device that already holds it gets a 304.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use stockroom_protocol::snapshot::SNAPSHOT_CONTENT_TYPE;

use super::error::AppError;
use super::extract::AuthDevice;
use super::handlers::check_version_header;
use crate::snapshot::CacheRules;
use crate::state::AppState;

/// The body goes out in pieces of this size, each a slice of the shared
/// cached bytes.
const PIECE_BYTES: usize = 64 * 1024;

pub async fn snapshot(
    State(state): State<AppState>,
    AuthDevice(auth): AuthDevice,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    check_version_header(&headers)?;
    let snapshot = state
        .snapshots
        .latest(
            &*state.store,
            auth.tenant_id,
            auth.grant(),
            state.clock.now_ms(),
            CacheRules {
                max_age_ms: state.config.snapshot_max_age_ms,
                max_bytes: state.config.snapshot_cache_bytes,
            },
        )
        .await?;
    let etag = snapshot.etag();
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| AppError::Internal(crate::HubError::corrupt("etag")))?;
    if headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|tags| matches_etag(tags, &etag))
    {
        return Ok((StatusCode::NOT_MODIFIED, [(ETAG, etag_value)]).into_response());
    }
    let body = snapshot.body.clone();
    let pieces = (0..body.len())
        .step_by(PIECE_BYTES)
        .map(move |start| Ok::<_, Infallible>(body.slice(start..(start + PIECE_BYTES).min(body.len()))));
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, HeaderValue::from_static(SNAPSHOT_CONTENT_TYPE)),
            (CONTENT_ENCODING, HeaderValue::from_static("gzip")),
            (CACHE_CONTROL, HeaderValue::from_static("private, no-cache")),
            (ETAG, etag_value),
        ],
        Body::from_stream(futures_util::stream::iter(pieces)),
    )
        .into_response())
}

/// Whether an `If-None-Match` list names `etag` (weak comparison, as GET
/// allows), or is `*`.
fn matches_etag(tags: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    tags.split(',').any(|tag| tag.trim() == "*" || bare(tag) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::matches_etag;

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = "W/\"7-00ff\"";
        assert!(matches_etag("W/\"7-00ff\"", etag));
        assert!(matches_etag("\"7-00ff\"", etag));
        assert!(matches_etag("\"1-aa\", W/\"7-00ff\"", etag));
        assert!(matches_etag("*", etag));
        assert!(!matches_etag("W/\"8-00ff\"", etag));
        assert!(!matches_etag("", etag));
    }
}
