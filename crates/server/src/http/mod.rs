//! The hub's HTTP API: [`router`] (what tests drive with `oneshot`) and
//! [`run`] (serving it on a listener the caller bound, until `shutdown`).

use std::any::Any;
use std::future::Future;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{middleware, Json, Router};
use stockroom_protocol::sync::ApiError;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::error::HubError;
use crate::state::AppState;

mod blobs;
mod enrol_codes;
pub mod error;
mod extract;
mod handlers;
mod live;
mod observe;
mod snapshot;

pub use error::AppError;

/// Every route of the hub, with its limits and logging.
pub fn router(state: AppState) -> Router {
    let max_body_bytes = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/v1/enrol", post(handlers::enrol))
        .route("/v1/sync/push", post(handlers::push))
        .route("/v1/sync/pull", get(handlers::pull))
        .route("/v1/sync/snapshot", get(snapshot::snapshot))
        .route("/v1/sync/live", get(live::live))
        .route("/v1/blobs/{sha256}", get(blobs::get_blob).put(blobs::put_blob))
        .route("/v1/enrol/codes", post(enrol_codes::create_code))
        .route("/v1/device/location", put(handlers::set_device_location))
        .route("/v1/openapi.json", get(observe::openapi_document))
        .route("/metrics", get(observe::metrics))
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), observe::track))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the hub on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HubError> {
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, backend = ?state.store.backend(), "hub listening");
    }
    // On PostgreSQL, pokes from every instance's pushes reach this one's
    // live sockets through the store's LISTEN task.
    let relay = crate::live::spawn_relay(state.store.clone(), state.live.clone());
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    if let Some(relay) = relay {
        relay.abort();
    }
    served?;
    Ok(())
}

fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    let body = ApiError {
        code: "internal".to_string(),
        message: "internal error".to_string(),
    };
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}
