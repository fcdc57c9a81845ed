//! Blobs: content-addressed per tenant, size-limited while streaming,
//! idempotent PUT, cacheable GET, and a code for every refusal.

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, ETAG, IF_NONE_MATCH};
use axum::http::{Method, Request, Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use stockroom_server::policy::Role;
use tower::ServiceExt;

use crate::support::{on_both_backends, TestDevice, TestHub};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn send(hub: &TestHub, request: Request<Body>) -> (Response<Body>, Vec<u8>) {
    let response = hub.app.clone().oneshot(request).await.expect("router answers");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body").to_vec();
    (Response::from_parts(parts, Body::empty()), bytes)
}

async fn put(hub: &TestHub, device: &TestDevice, name: &str, content: &[u8]) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/v1/blobs/{name}"))
        .header(AUTHORIZATION, format!("Bearer {}", device.token))
        .header(CONTENT_LENGTH, content.len())
        .body(Body::from(content.to_vec()))
        .unwrap();
    let (response, bytes) = send(hub, request).await;
    (response.status(), serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn get(hub: &TestHub, device: &TestDevice, name: &str, if_none_match: Option<&str>) -> (Response<Body>, Vec<u8>) {
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(format!("/v1/blobs/{name}"))
        .header(AUTHORIZATION, format!("Bearer {}", device.token));
    if let Some(tag) = if_none_match {
        request = request.header(IF_NONE_MATCH, tag);
    }
    send(hub, request.body(Body::empty()).unwrap()).await
}

fn code_of(bytes: &[u8]) -> String {
    let body: Value = serde_json::from_slice(bytes).expect("an ApiError body");
    body["code"].as_str().expect("a code").to_string()
}

on_both_backends!(
    a_blob_round_trips_and_a_second_put_is_idempotent,
    a_body_whose_hash_differs_from_its_name_is_refused,
    a_bad_name_is_refused_before_anything_is_read,
    an_oversized_blob_is_refused_declared_or_streamed,
    another_tenants_blob_is_not_found,
    blobs_need_a_session,
);

async fn a_blob_round_trips_and_a_second_put_is_idempotent(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let device = hub.enrol("sam").await;
    let photo: Vec<u8> = (0..50_000u32).map(|index| (index % 251) as u8).collect();
    let name = sha256_hex(&photo);

    let (status, answer) = put(&hub, &device, &name, &photo).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["sha256"], name.as_str());
    assert_eq!(answer["size_bytes"], photo.len());
    let (status, _) = put(&hub, &device, &name, &photo).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hub.count("SELECT count(*) FROM blobs").await, 1);

    let (response, bytes) = get(&hub, &device, &name, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(bytes, photo);
    let etag = response.headers()[ETAG].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{name}\""));
    let cache = response.headers()[CACHE_CONTROL].to_str().unwrap();
    assert!(
        cache.contains("immutable") && cache.contains("max-age=31536000"),
        "{cache}"
    );

    let (response, bytes) = get(&hub, &device, &name, Some(&etag)).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(bytes.is_empty());
    assert_eq!(response.headers()[ETAG].to_str().unwrap(), etag);

    // An empty blob is a blob too.
    let (status, _) = put(&hub, &device, &sha256_hex(b""), b"").await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn a_body_whose_hash_differs_from_its_name_is_refused(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let device = hub.enrol("sam").await;
    let (status, answer) = put(&hub, &device, &sha256_hex(b"one photo"), b"another photo").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["code"], "blob_hash_mismatch");
    assert_eq!(hub.count("SELECT count(*) FROM blobs").await, 0);
}

async fn a_bad_name_is_refused_before_anything_is_read(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let device = hub.enrol("sam").await;
    let upper = sha256_hex(b"x").to_uppercase();
    let short = "abc".to_string();
    let not_hex = "g".repeat(64);
    let encoded = "%FF".repeat(22);
    for name in [upper, short, not_hex, encoded] {
        let (status, answer) = put(&hub, &device, &name, b"x").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {answer}");
        assert_eq!(answer["code"], "bad_blob_hash", "{name}");
        let (response, bytes) = get(&hub, &device, &name, None).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(code_of(&bytes), "bad_blob_hash");
    }
}

async fn an_oversized_blob_is_refused_declared_or_streamed(mut hub: TestHub) {
    hub.reconfigure(|config| config.max_blob_bytes = 1024);
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    let device = hub.enrol("sam").await;
    let big = vec![7u8; 1025];
    let name = sha256_hex(&big);

    // Declared too big: refused on the header.
    let (status, answer) = put(&hub, &device, &name, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["code"], "blob_too_large");

    // Streamed without a length: refused once the limit is passed, without
    // reading on (the stream would go on for ever).
    let endless = futures_util::stream::repeat_with(|| Ok::<_, std::io::Error>(vec![7u8; 100]));
    let request = Request::builder()
        .method(Method::PUT)
        .uri(format!("/v1/blobs/{name}"))
        .header(AUTHORIZATION, format!("Bearer {}", device.token))
        .body(Body::from_stream(endless))
        .unwrap();
    let (response, bytes) = send(&hub, request).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code_of(&bytes), "blob_too_large");

    // Exactly at the limit is fine.
    let fits = vec![7u8; 1024];
    let (status, _) = put(&hub, &device, &sha256_hex(&fits), &fits).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(hub.count("SELECT count(*) FROM blobs").await, 1);
}

async fn another_tenants_blob_is_not_found(hub: TestHub) {
    hub.add_user("Corner Shop", "sam", Role::Salesperson).await;
    hub.add_user("Other Shop", "olga", Role::Salesperson).await;
    let sam = hub.enrol("sam").await;
    let olga = hub.enrol("olga").await;
    let photo = b"sam's photo".to_vec();
    let name = sha256_hex(&photo);
    assert_eq!(put(&hub, &sam, &name, &photo).await.0, StatusCode::CREATED);

    let (response, bytes) = get(&hub, &olga, &name, None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(code_of(&bytes), "blob_not_found");
    // Olga may store the same bytes for her tenant: a new blob for her.
    assert_eq!(put(&hub, &olga, &name, &photo).await.0, StatusCode::CREATED);
    let (response, _) = get(&hub, &sam, &sha256_hex(b"never stored"), None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn blobs_need_a_session(hub: TestHub) {
    let name = sha256_hex(b"x");
    let stranger = TestDevice {
        device_id: uuid::Uuid::nil(),
        epoch: 1,
        token: "not-a-token".into(),
        user_id: uuid::Uuid::nil(),
        tenant_id: uuid::Uuid::nil(),
    };
    let (status, answer) = put(&hub, &stranger, &name, b"x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer["code"], "unauthenticated");
    let (response, bytes) = get(&hub, &stranger, &name, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(code_of(&bytes), "unauthenticated");
}
