//! The raw-byte commands through Tauri's IPC (the mock runtime): a
//! frame's luminance as the raw body with its size in headers, confirmed over
//! two frames and resolved to the product; a wrong size is `invalid_input`;
//! a product photo file in as the raw body (product in a header), its JPEG
//! out as a raw answer, a broken file refused with the photo crate's code.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use stockroom_app::commands::{self, CreateProductArgs, SignInArgs};
use stockroom_app::types::MoneyDto;
use stockroom_app::AppState;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::{InvokeRequest, WebviewWindow};

const CODE: &str = "8413000065504";

fn invoke(
    webview: &WebviewWindow<MockRuntime>,
    cmd: &str,
    body: Vec<u8>,
    size: Option<(u32, u32)>,
) -> Result<Value, Value> {
    let mut headers = tauri::http::HeaderMap::new();
    if let Some((width, height)) = size {
        headers.insert("x-width", width.into());
        headers.insert("x-height", height.into());
    }
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Raw(body),
        headers,
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request).map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
fn scan_frame_over_ipc_resolves_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let state: Arc<AppState> = tauri::async_runtime::block_on(async {
        let state = stockroom::open_state(dir.path(), true).await.unwrap();
        let users = commands::list_users(&state, Default::default()).await.unwrap();
        let max = users.iter().find(|user| user.username == "max").unwrap();
        let sign_in = SignInArgs {
            user_id: max.id,
            pin: "4444".into(),
        };
        commands::sign_in(&state, sign_in).await.unwrap();
        let product = CreateProductArgs {
            sku: "OLIVE-1".into(),
            name: "Olive oil 1 l".into(),
            brand: None,
            unit: None,
            category_id: None,
            price: MoneyDto {
                minor: 899,
                currency: "EUR".into(),
            },
            cost: None,
            tax_rate_bp: 0,
            barcode: Some(CODE.into()),
        };
        commands::create_product(&state, product).await.unwrap();
        state
    });
    let app = mock_builder()
        .manage(state)
        .invoke_handler(stockroom::invoke_handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();

    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/scan/tests/fixtures/ean13-1/1.jpg");
    let luma = image::open(photo).unwrap().to_luma8();
    let size = luma.dimensions();
    let first = invoke(&webview, "scan_frame", luma.as_raw().clone(), Some(size)).unwrap();
    assert_eq!(first["codes"], serde_json::json!([]));
    let second = invoke(&webview, "scan_frame", luma.as_raw().clone(), Some(size)).unwrap();
    assert_eq!(second["codes"][0]["key"], CODE, "{second}");
    assert_eq!(second["codes"][0]["hit"]["product"]["name"], "Olive oil 1 l");

    let short = invoke(&webview, "scan_frame", vec![0; 99], Some((10, 10))).unwrap_err();
    assert_eq!(short["code"], "invalid_input", "{short}");
    let no_size = invoke(&webview, "scan_frame", vec![0; 100], None).unwrap_err();
    assert_eq!(no_size["code"], "invalid_input", "{no_size}");
    let not_an_image = invoke(&webview, "decode_image", b"not an image".to_vec(), None).unwrap_err();
    assert_eq!(not_an_image["code"], "decode_failed", "{not_an_image}");
}

/// A raw-byte command with any headers, answered as Tauri answers it.
fn invoke_with(
    webview: &WebviewWindow<MockRuntime>,
    cmd: &str,
    body: Vec<u8>,
    headers: &[(&'static str, String)],
) -> Result<tauri::ipc::InvokeResponseBody, Value> {
    let mut map = tauri::http::HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Raw(body),
        headers: map,
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(webview, request)
}

#[test]
fn a_product_photo_goes_in_and_out_as_raw_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (state, product_id) = tauri::async_runtime::block_on(async {
        let state = stockroom::open_state(dir.path(), true).await.unwrap();
        let users = commands::list_users(&state, Default::default()).await.unwrap();
        let max = users.iter().find(|user| user.username == "max").unwrap();
        let sign_in = SignInArgs {
            user_id: max.id,
            pin: "4444".into(),
        };
        commands::sign_in(&state, sign_in).await.unwrap();
        let product = CreateProductArgs {
            sku: "PHOTO-1".into(),
            name: "Mint tea".into(),
            brand: None,
            unit: None,
            category_id: None,
            price: MoneyDto {
                minor: 350,
                currency: "EUR".into(),
            },
            cost: None,
            tax_rate_bp: 0,
            barcode: None,
        };
        let created = commands::create_product(&state, product).await.unwrap();
        (state, created.id)
    });
    let app = mock_builder()
        .manage(state)
        .invoke_handler(stockroom::invoke_handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let product = ("x-product-id", product_id.to_string());

    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates/photos/tests/fixtures/F_progressive-3.jpg");
    let set = invoke_with(
        &webview,
        "set_product_photo",
        std::fs::read(file).unwrap(),
        std::slice::from_ref(&product),
    )
    .unwrap()
    .deserialize::<Value>()
    .unwrap();
    assert!(set["photo256"].is_string(), "{set}");
    let thumb = invoke_with(
        &webview,
        "product_photo",
        Vec::new(),
        &[product.clone(), ("x-size", "256".into())],
    );
    match thumb {
        Ok(tauri::ipc::InvokeResponseBody::Raw(bytes)) => assert_eq!(&bytes[..2], [0xFF, 0xD8]),
        other => panic!("expected the JPEG's raw bytes, got {other:?}"),
    }

    let broken = invoke_with(
        &webview,
        "set_product_photo",
        b"not an image".to_vec(),
        std::slice::from_ref(&product),
    )
    .unwrap_err();
    assert_eq!(broken["code"], "photo_not_an_image", "{broken}");
    let bad_size = invoke_with(
        &webview,
        "product_photo",
        Vec::new(),
        &[product, ("x-size", "99".into())],
    )
    .unwrap_err();
    assert_eq!(bad_size["code"], "invalid_input", "{bad_size}");
}
