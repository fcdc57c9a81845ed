//! The web twin: the app's commands over HTTP for the web build and browser
//! tests (dev/test only). `POST /api/cmd/{name}` runs a command with a JSON
//! body (`scan_frame`, `decode_image`, `set_product_photo` and
//! `product_photo` take or give raw bytes instead), `GET /api/events` streams the app's events as Server-Sent Events,
//! and everything else is the built UI (`ui/dist`).

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::IpcError;
use crate::{commands, dispatch, AppState};

impl IntoResponse for IpcError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

/// The twin's routes; with `ui_dir`, the UI is served from it (unknown
/// paths get its `index.html`, for client-side routes).
pub fn router(state: Arc<AppState>, ui_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route(
            "/api/cmd/scan_frame",
            post(scan_frame).layer(DefaultBodyLimit::max(commands::scan::MAX_FRAME_BYTES)),
        )
        .route(
            "/api/cmd/decode_image",
            post(decode_image).layer(DefaultBodyLimit::max(stockroom_scan::MAX_FILE_BYTES as usize)),
        )
        .route(
            "/api/cmd/set_product_photo",
            post(set_product_photo).layer(DefaultBodyLimit::max(commands::photos::MAX_PHOTO_FILE_BYTES)),
        )
        .route("/api/cmd/product_photo", post(product_photo))
        .route("/api/cmd/{name}", post(command))
        .route("/api/events", get(events))
        .with_state(state);
    match ui_dir {
        Some(dir) => {
            let index = ServeFile::new(dir.join("index.html"));
            api.fallback_service(ServeDir::new(dir).fallback(index))
        }
        None => api,
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}

async fn command(State(state): State<Arc<AppState>>, Path(name): Path<String>, body: Bytes) -> Response {
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(args) => args,
            Err(err) => return IpcError::invalid(format!("the body is not JSON: {err}")).into_response(),
        }
    };
    answer(dispatch(&state, &name, args).await)
}

/// A camera frame: the body is its luminance, `x-width` and `x-height` its size.
async fn scan_frame(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (width, height) = match commands::scan::frame_size(header("x-width"), header("x-height")) {
        Ok(size) => size,
        Err(err) => return err.into_response(),
    };
    answer(commands::scan::scan_frame(&state, width, height, body.to_vec()).await)
}

/// A photo file (JPEG or PNG) as the body.
async fn decode_image(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    answer(commands::scan::decode_image(&state, body.to_vec()).await)
}

/// An image file as the body, the product in `x-product-id`.
async fn set_product_photo(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = headers.get("x-product-id").and_then(|value| value.to_str().ok());
    let product_id = match commands::photos::product_id_header(header) {
        Ok(id) => id,
        Err(err) => return err.into_response(),
    };
    answer(commands::photos::set_product_photo(&state, product_id, body.to_vec()).await)
}

/// The photo's JPEG bytes (`x-product-id`, `x-size`: 256 or 1024).
async fn product_photo(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let asked = commands::photos::product_id_header(header("x-product-id"))
        .and_then(|id| Ok((id, commands::photos::size_header(header("x-size"))?)));
    let (product_id, size) = match asked {
        Ok(asked) => asked,
        Err(err) => return err.into_response(),
    };
    match commands::photos::product_photo(&state, product_id, size).await {
        Ok(bytes) => ([(axum::http::header::CONTENT_TYPE, "image/jpeg")], bytes).into_response(),
        Err(err) => err.into_response(),
    }
}

fn answer<T: serde::Serialize>(out: Result<T, IpcError>) -> Response {
    match out {
        Ok(out) => Json(out).into_response(),
        Err(err) => err.into_response(),
    }
}

/// `sync-status` now, then at every change.
async fn events(State(state): State<Arc<AppState>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.subscribe_sync();
    let stream = futures_util::stream::unfold((receiver, true), |(mut receiver, first)| async move {
        if !first && receiver.changed().await.is_err() {
            return None;
        }
        let status = receiver.borrow_and_update().clone();
        let event = Event::default()
            .event("sync-status")
            .json_data(&status)
            .unwrap_or_else(|_| Event::default().comment("unserialisable status"));
        Some((Ok(event), (receiver, false)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
