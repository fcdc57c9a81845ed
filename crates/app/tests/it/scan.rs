//! Camera frames and photo files through the twin: raw luminance bytes with
//! their size in headers, a code counted once it is read in two frames, each
//! code resolved to the shop's product; wrong sizes and unreadable files get
//! error codes.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::support::{Answer, Twin};

/// An EAN-13 photo of the decoder's fixtures, and the code it holds.
const EAN13_PHOTO: &str = "ean13-1/1.jpg";
const EAN13_CODE: &str = "8413000065504";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scan/tests/fixtures")
        .join(name)
}

/// The photo as a camera frame: its luminance, width and height.
fn frame_of(name: &str) -> (Vec<u8>, u32, u32) {
    let luma = image::open(fixture(name)).expect("fixture image").to_luma8();
    let (width, height) = luma.dimensions();
    (luma.into_raw(), width, height)
}

async fn send(twin: &Twin, route: &str, body: Vec<u8>, size: Option<(&str, &str)>) -> Answer {
    let mut request = twin
        .client
        .post(format!("{}/api/cmd/{route}", twin.base))
        .header("content-type", "application/octet-stream")
        .body(body);
    if let Some((width, height)) = size {
        request = request.header("x-width", width).header("x-height", height);
    }
    let answer = request.send().await.expect("request");
    let status = answer.status().as_u16();
    let body = answer.json().await.expect("JSON body");
    Answer { status, body }
}

async fn scan(twin: &Twin, frame: &(Vec<u8>, u32, u32)) -> Value {
    let (luma, width, height) = frame;
    let size = (width.to_string(), height.to_string());
    send(twin, "scan_frame", luma.clone(), Some((&size.0, &size.1)))
        .await
        .ok()
}

async fn create_product_with_the_code(twin: &Twin) -> Value {
    twin.call(
        "create_product",
        json!({"sku": "OLIVE-1", "name": "Olive oil 1 l", "price": {"minor": 899, "currency": "EUR"},
               "barcode": EAN13_CODE}),
    )
    .await
    .ok()
}

#[tokio::test]
async fn a_code_seen_in_two_frames_resolves_to_the_product_once() {
    let twin = Twin::demo_signed_in("max", "4444").await;
    let product = create_product_with_the_code(&twin).await;
    let frame = frame_of(EAN13_PHOTO);

    let first = scan(&twin, &frame).await;
    assert_eq!(first["codes"], json!([]), "one frame alone confirms nothing");
    let second = scan(&twin, &frame).await;
    let codes = second["codes"].as_array().expect("codes");
    assert_eq!(codes.len(), 1, "{second}");
    assert_eq!(codes[0]["format"], "EAN_13");
    assert_eq!(codes[0]["key"], EAN13_CODE);
    assert_eq!(codes[0]["hit"]["product"]["id"], product["id"]);
    assert_eq!(codes[0]["hit"]["product"]["name"], "Olive oil 1 l");
    assert_eq!(codes[0]["hit"]["product"]["price"]["minor"], 899);
    let third = scan(&twin, &frame).await;
    assert_eq!(third["codes"], json!([]), "a code in view is reported once");
}

#[tokio::test]
async fn a_frame_of_the_wrong_size_gets_an_error_code() {
    let twin = Twin::demo_signed_in("max", "4444").await;
    let short = send(&twin, "scan_frame", vec![0; 99], Some(("10", "10"))).await;
    assert_eq!((short.status, short.code()), (400, "invalid_input"));
    assert!(
        short.body["message"].as_str().unwrap().contains("100"),
        "{}",
        short.body
    );
    let no_size = send(&twin, "scan_frame", vec![0; 100], None).await;
    assert_eq!((no_size.status, no_size.code()), (400, "invalid_input"));
    let empty = send(&twin, "scan_frame", Vec::new(), Some(("0", "0"))).await;
    assert_eq!(empty.code(), "invalid_input");
    // A blank frame of the right size is no error, just no code.
    let blank = send(&twin, "scan_frame", vec![255; 100], Some(("10", "10"))).await.ok();
    assert_eq!(blank["codes"], json!([]));
}

#[tokio::test]
async fn a_photo_file_resolves_known_and_unknown_codes() {
    let twin = Twin::demo_signed_in("max", "4444").await;
    let product = create_product_with_the_code(&twin).await;
    let photo = std::fs::read(fixture(EAN13_PHOTO)).unwrap();
    let found = send(&twin, "decode_image", photo, None).await.ok();
    assert_eq!(found["codes"][0]["hit"]["product"]["id"], product["id"], "{found}");

    let other = std::fs::read(fixture("ean8-1/1.png")).unwrap();
    let unknown = send(&twin, "decode_image", other, None).await.ok();
    assert_eq!(unknown["codes"][0]["text"], "48512343", "{unknown}");
    assert_eq!(unknown["codes"][0]["hit"], Value::Null);

    let not_an_image = send(&twin, "decode_image", b"GIF89a not really".to_vec(), None).await;
    assert_eq!((not_an_image.status, not_an_image.code()), (400, "decode_failed"));
}
