//! What the hub tells about itself: `GET /metrics` (Prometheus text),
//! `GET /v1/openapi.json` (the API described), and the middleware that
//! counts every request by route and status and times pushes.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use crate::{metrics, openapi};

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(metrics::CONTENT_TYPE));
    response
}

/// `GET /v1/openapi.json`.
pub async fn openapi_document() -> Response {
    let mut response = openapi::DOCUMENT.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Counts the request under its declared route (never the raw path) and,
/// for a push, records how long the answer took.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let method = request.method().clone();
    let started = Instant::now();
    let response = next.run(request).await;
    if route == "/v1/sync/push" && method == Method::POST {
        state.metrics.push_answered(started.elapsed());
    }
    state
        .metrics
        .request(&route, method.as_str(), response.status().as_u16());
    response
}
