//! Product photos end to end against a real hub (the server's router on
//! SQLite, port 0): a manager's device makes the versions from a JPEG file
//! sent as raw bytes, its engine uploads them; a second device fetches the
//! 256 px thumbnail in the background and the 1024 px when asked; broken
//! files are refused with the photo crate's codes and change nothing; a blob
//! the hub gives wrong is refused.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::hub::{start_hub, synced, PASSWORD};
use crate::support::{Answer, Twin};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../photos/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

async fn set_photo(twin: &Twin, product_id: &Value, bytes: Vec<u8>) -> Answer {
    let answer = twin
        .client
        .post(format!("{}/api/cmd/set_product_photo", twin.base))
        .header("content-type", "application/octet-stream")
        .header("x-product-id", product_id.as_str().unwrap())
        .body(bytes)
        .send()
        .await
        .expect("request");
    let status = answer.status().as_u16();
    Answer {
        status,
        body: answer.json().await.expect("JSON body"),
    }
}

/// The photo's bytes, or the error's code.
async fn photo(twin: &Twin, product_id: &Value, size: u32) -> Result<Vec<u8>, String> {
    let answer = twin
        .client
        .post(format!("{}/api/cmd/product_photo", twin.base))
        .header("x-product-id", product_id.as_str().unwrap())
        .header("x-size", size.to_string())
        .send()
        .await
        .expect("request");
    if answer.status().is_success() {
        assert_eq!(answer.headers()["content-type"], "image/jpeg");
        return Ok(answer.bytes().await.expect("body").to_vec());
    }
    let body: Value = answer.json().await.expect("JSON error");
    Err(body["code"].as_str().unwrap_or_default().to_string())
}

async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn enrolled(hub_url: &str, pin: &str) -> Twin {
    let twin = Twin::start().await;
    twin.call(
        "enrol",
        json!({"hubUrl": hub_url, "username": "olive", "password": PASSWORD, "pin": pin}),
    )
    .await
    .ok();
    twin
}

async fn create(twin: &Twin, sku: &str, name: &str) -> Value {
    twin.call(
        "create_product",
        json!({"sku": sku, "name": name, "price": {"minor": 350, "currency": "EUR"}}),
    )
    .await
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_goes_up_from_one_device_and_down_to_another() {
    let hub = start_hub().await;
    let office = enrolled(&hub.url, "2468").await;
    let tea = create(&office, "TEA-1", "Mint tea").await;
    let jam = create(&office, "JAM-1", "Plum jam").await;

    // Broken files: the photo crate's code, and nothing changes.
    for (file, code) in [
        ("B_not-an-image.jpg", "photo_not_an_image"),
        ("B_zero-bytes.jpg", "photo_empty"),
        ("B_truncated.png", "photo_truncated"),
        ("X_iphone-head.heic", "photo_unsupported_format"),
    ] {
        let refused = set_photo(&office, &tea["id"], fixture(file)).await;
        assert_eq!(refused.code(), code, "{file}: {}", refused.body);
        assert!(!refused.body["message"].as_str().unwrap_or_default().is_empty());
    }
    let unchanged = office.call("get_product", json!({"id": tea["id"]})).await.ok();
    assert!(unchanged["product"]["photo256"].is_null(), "{unchanged}");
    let status = office.call("sync_status", json!({})).await.ok();
    assert_eq!(status["photosToUpload"], 0);
    let photo_dir = office.state.data_dir().join(stockroom_app::PHOTOS_FOLDER);
    let stored: Vec<_> = std::fs::read_dir(&photo_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(stored, ["tmp"], "no photo file was written");
    assert_eq!(photo(&office, &tea["id"], 256).await.unwrap_err(), "not_found");

    // A real photo: both versions made, stored, shown here at once.
    let set = set_photo(&office, &tea["id"], fixture("M16_nikon-e950_small.jpg"))
        .await
        .ok();
    let thumb_hash = set["photo256"].as_str().unwrap().to_string();
    let large_hash = set["photo1024"].as_str().unwrap().to_string();
    assert_ne!(thumb_hash, large_hash);
    let thumb = photo(&office, &tea["id"], 256).await.unwrap();
    let large = photo(&office, &tea["id"], 1024).await.unwrap();
    assert_eq!(&thumb[..2], [0xFF, 0xD8], "a JPEG");
    assert!(thumb.len() < large.len());
    set_photo(&office, &jam["id"], fixture("F_progressive-3.jpg"))
        .await
        .ok();

    // Uploaded in the background, with the op.
    synced(&office).await;
    until("the uploads", async || {
        let status = office.call("sync_status", json!({})).await.ok();
        (status["photosToUpload"] == 0).then_some(())
    })
    .await;
    let hub_db = sqlx::SqlitePool::connect(&format!("sqlite:{}", hub.db.display()))
        .await
        .unwrap();
    let on_hub: Vec<String> = sqlx::query_scalar("SELECT lower(hex(sha256)) FROM blobs")
        .fetch_all(&hub_db)
        .await
        .unwrap();
    assert!(
        on_hub.contains(&thumb_hash) && on_hub.contains(&large_hash),
        "{on_hub:?}"
    );
    assert_eq!(on_hub.len(), 4);

    // The jam's large version goes wrong on the hub.
    let jam_large = office.call("get_product", json!({"id": jam["id"]})).await.ok()["product"]["photo1024"]
        .as_str()
        .unwrap()
        .to_string();
    sqlx::query("UPDATE blobs SET content = X'FFD8FFD9' WHERE lower(hex(sha256)) = ?")
        .bind(&jam_large)
        .execute(&hub_db)
        .await
        .unwrap();

    // A second device: the catalog's thumbnails come in the background.
    let till = enrolled(&hub.url, "1357").await;
    let fetched = until("the thumbnail on the second device", async || {
        photo(&till, &tea["id"], 256).await.ok()
    })
    .await;
    assert_eq!(fetched, thumb);
    // The large one only when asked: not here yet, then here.
    assert_eq!(photo(&till, &tea["id"], 1024).await.unwrap_err(), "photo_not_here");
    let fetched = until("the large photo on the second device", async || {
        photo(&till, &tea["id"], 1024).await.ok()
    })
    .await;
    assert_eq!(fetched, large);

    // The wrong blob is refused, reported, and never shown.
    assert_eq!(photo(&till, &jam["id"], 1024).await.unwrap_err(), "photo_not_here");
    until("the refusal", async || {
        let status = till.call("sync_status", json!({})).await.ok();
        (status["photosRefused"] == 1).then_some(())
    })
    .await;
    assert_eq!(photo(&till, &jam["id"], 1024).await.unwrap_err(), "photo_not_here");
    until("the jam's thumbnail, which is right", async || {
        photo(&till, &jam["id"], 256).await.ok()
    })
    .await;

    // Taking the photo off syncs like any field.
    office.call("remove_product_photo", json!({"id": tea["id"]})).await.ok();
    until("the removal on the second device", async || {
        let detail = till.call("get_product", json!({"id": tea["id"]})).await.ok();
        detail["product"]["photo256"].is_null().then_some(())
    })
    .await;
    assert_eq!(photo(&till, &tea["id"], 256).await.unwrap_err(), "not_found");
    office.state.stop_sync().await;
    till.state.stop_sync().await;
}
