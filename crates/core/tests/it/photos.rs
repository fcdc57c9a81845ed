//! The device's photo store on a real SQLite file and a real temp folder:
//! content-addressed atomic files, the product's class-F photo fields, the
//! upload queue across a restart, a file the hub will not take (too large)
//! set aside without holding up the rest, LRU eviction under the cache
//! limit (never of a file the hub does not have), and fetched blobs checked
//! by hash. The
//! hub's blob endpoints are stood in for by an in-memory map here; the app's
//! tests run the same engine against the real hub.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use stockroom_core::photos::{run_photo_step, sha256_hex, BlobLink, PhotoStep, PhotoSyncState};
use stockroom_core::sync::{FailureKind, LinkError, Refusal, SyncConfig};
use stockroom_core::{CoreError, PhotoSize, PhotoStore, PhotoVersions, Store};
use uuid::Uuid;

use crate::support::TestStore;

/// The hub's blob endpoints in memory; `lie` makes GET answer other bytes.
#[derive(Default)]
struct MemoryBlobs {
    blobs: Mutex<HashMap<String, Vec<u8>>>,
    lie: Mutex<bool>,
    down: Mutex<bool>,
    /// Larger blobs are refused as the hub refuses them (413).
    max_bytes: Mutex<Option<usize>>,
}

fn network_down() -> LinkError {
    LinkError {
        kind: stockroom_core::sync::FailureKind::Network,
        detail: "down".into(),
    }
}

impl BlobLink for MemoryBlobs {
    async fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), LinkError> {
        if *self.down.lock().unwrap() {
            return Err(network_down());
        }
        assert_eq!(sha256_hex(&bytes), sha256, "a blob is uploaded under its own hash");
        if self.max_bytes.lock().unwrap().is_some_and(|max| bytes.len() > max) {
            return Err(LinkError {
                kind: FailureKind::Refused(Refusal::BlobTooLarge),
                detail: "hub answered 413 blob_too_large".into(),
            });
        }
        self.blobs.lock().unwrap().insert(sha256.to_string(), bytes);
        Ok(())
    }

    async fn get_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, LinkError> {
        if *self.down.lock().unwrap() {
            return Err(network_down());
        }
        let found = self.blobs.lock().unwrap().get(sha256).cloned();
        if *self.lie.lock().unwrap() {
            return Ok(found.map(|mut bytes| {
                bytes.push(0);
                bytes
            }));
        }
        Ok(found)
    }
}

fn photo_dir(test: &TestStore) -> PathBuf {
    test.path.parent().unwrap().join("photos")
}

/// Versions of `size` bytes each, distinct per `seed`.
fn versions(seed: u8, size: usize) -> PhotoVersions {
    PhotoVersions {
        large_1024: vec![seed; size],
        thumb_256: vec![seed.wrapping_add(100); size / 4 + 1],
    }
}

fn file_of(dir: &std::path::Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// Runs photo steps until nothing waits; returns the steps taken.
async fn drain(store: &Store, photos: &PhotoStore, link: &MemoryBlobs) -> Vec<PhotoStep> {
    let mut state = PhotoSyncState::default();
    let mut steps = Vec::new();
    for _ in 0..100 {
        let (next, step) = run_photo_step(store, photos, link, state, &SyncConfig::default())
            .await
            .unwrap();
        state = next;
        if matches!(step, PhotoStep::Idle | PhotoStep::Wait { .. }) {
            steps.push(step);
            return steps;
        }
        steps.push(step);
    }
    panic!("photo transfers never settled: {steps:?}");
}

#[tokio::test]
async fn a_photo_is_stored_by_hash_set_on_the_product_and_sent_as_fields() {
    let test = TestStore::new().await;
    let photos = PhotoStore::open(&photo_dir(&test)).unwrap();
    let product = test.product("TEA", 350).await;
    let ops_before = test.store.outbox_len().await.unwrap();

    let set = versions(7, 10_000);
    let updated = photos
        .set_product_photo(&test.store, &test.owner, product, set.clone())
        .await
        .unwrap();
    let large = sha256_hex(&set.large_1024);
    let thumb = sha256_hex(&set.thumb_256);
    assert_eq!(updated.photo_1024.as_deref(), Some(large.as_str()));
    assert_eq!(updated.photo_256.as_deref(), Some(thumb.as_str()));
    assert_eq!(
        std::fs::read(file_of(&photo_dir(&test), &large)).unwrap(),
        set.large_1024
    );
    assert_eq!(
        std::fs::read(file_of(&photo_dir(&test), &thumb)).unwrap(),
        set.thumb_256
    );
    assert_eq!(
        std::fs::read_dir(photo_dir(&test).join("tmp")).unwrap().count(),
        0,
        "no temp file is left"
    );

    // One fields.set op carrying both hashes.
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before + 1);
    let op = test.store.outbox_pending(100).await.unwrap().pop().unwrap();
    let wire = serde_json::to_value(&op).unwrap().to_string();
    assert!(
        wire.contains(&large) && wire.contains(&thumb) && wire.contains("photo_256"),
        "{wire}"
    );

    let thumb_bytes = photos
        .product_photo(&test.store, product, PhotoSize::Thumb256)
        .await
        .unwrap();
    assert_eq!(thumb_bytes, set.thumb_256);
    let status = photos.status(&test.store).await.unwrap();
    assert_eq!((status.to_upload, status.to_fetch, status.refused), (2, 0, 0));

    // The same photo again changes nothing; removing it clears both fields.
    photos
        .set_product_photo(&test.store, &test.owner, product, set)
        .await
        .unwrap();
    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before + 1);
    let removed = photos
        .remove_product_photo(&test.store, &test.owner, product)
        .await
        .unwrap();
    assert_eq!((removed.photo_1024, removed.photo_256), (None, None));
    let gone = photos
        .product_photo(&test.store, product, PhotoSize::Large1024)
        .await
        .unwrap_err();
    assert_eq!(gone.code(), "not_found");
}

#[tokio::test]
async fn refused_writes_leave_no_file_and_no_change() {
    let test = TestStore::new().await;
    let photos = PhotoStore::open(&photo_dir(&test)).unwrap();
    let product = test.product("TEA", 350).await;
    let clerk = test.user("clerk", stockroom_core::Role::Cashier).await;
    let ops_before = test.store.outbox_len().await.unwrap();

    let forbidden = photos
        .set_product_photo(&test.store, &clerk, product, versions(1, 100))
        .await
        .unwrap_err();
    assert_eq!(forbidden.code(), "forbidden");
    let missing = photos
        .set_product_photo(&test.store, &test.owner, Uuid::nil(), versions(2, 100))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "not_found");
    let empty = photos
        .set_product_photo(
            &test.store,
            &test.owner,
            product,
            PhotoVersions {
                large_1024: Vec::new(),
                thumb_256: vec![1],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(empty.code(), "invalid_input");

    assert_eq!(test.store.outbox_len().await.unwrap(), ops_before);
    assert_eq!(test.count("SELECT count(*) FROM photo_files").await, 0);
    let files: Vec<_> = walk(&photo_dir(&test));
    assert!(files.is_empty(), "{files:?}");
    let product = test.store.product(product).await.unwrap();
    assert_eq!(product.photo_256, None);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn the_upload_queue_survives_a_restart_and_a_dead_network() {
    let test = TestStore::new().await;
    let dir = photo_dir(&test);
    let product = test.product("TEA", 350).await;
    let set = versions(3, 5_000);
    {
        let photos = PhotoStore::open(&dir).unwrap();
        photos
            .set_product_photo(&test.store, &test.owner, product, set.clone())
            .await
            .unwrap();
    }
    // A crash mid-write left a temp file: opening clears it.
    std::fs::write(dir.join("tmp").join("leftover.tmp"), b"half").unwrap();
    let test = test.reopen().await;
    let photos = PhotoStore::open(&dir).unwrap();
    assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
    assert_eq!(photos.status(&test.store).await.unwrap().to_upload, 2);

    let link = MemoryBlobs::default();
    *link.down.lock().unwrap() = true;
    let (state, step) = run_photo_step(
        &test.store,
        &photos,
        &link,
        PhotoSyncState::default(),
        &SyncConfig::default(),
    )
    .await
    .unwrap();
    assert!(matches!(step, PhotoStep::Upload { .. }), "{step:?}");
    assert_eq!(state.failures, 1);
    // Backing off: nothing is tried before the wait is over.
    let (state, step) = run_photo_step(&test.store, &photos, &link, state, &SyncConfig::default())
        .await
        .unwrap();
    assert!(matches!(step, PhotoStep::Wait { .. }), "{step:?}");
    assert_eq!(photos.status(&test.store).await.unwrap().to_upload, 2, "nothing lost");

    *link.down.lock().unwrap() = false;
    test.clock.advance(10 * 60 * 1000);
    let (state, _) = run_photo_step(&test.store, &photos, &link, state, &SyncConfig::default())
        .await
        .unwrap();
    assert_eq!(state.failures, 0);
    drain(&test.store, &photos, &link).await;
    assert_eq!(photos.status(&test.store).await.unwrap().to_upload, 0);
    let blobs = link.blobs.lock().unwrap().clone();
    assert_eq!(blobs.get(&sha256_hex(&set.large_1024)), Some(&set.large_1024));
    assert_eq!(blobs.get(&sha256_hex(&set.thumb_256)), Some(&set.thumb_256));
}

#[tokio::test]
async fn a_photo_the_hub_will_not_take_is_set_aside_and_the_rest_still_go() {
    let test = TestStore::new().await;
    let dir = photo_dir(&test);
    let photos = PhotoStore::open(&dir).unwrap();
    let link = MemoryBlobs::default();
    *link.max_bytes.lock().unwrap() = Some(8_000);
    // The first product's large photo is over the hub's limit; every other
    // file, queued after it, is not.
    let (tea, coffee) = (test.product("TEA", 350).await, test.product("COF", 450).await);
    let (big, small) = (versions(1, 20_000), versions(2, 6_000));
    for (product, set) in [(tea, &big), (coffee, &small)] {
        photos
            .set_product_photo(&test.store, &test.owner, product, set.clone())
            .await
            .unwrap();
    }
    let steps = drain(&test.store, &photos, &link).await;
    assert_eq!(steps.last(), Some(&PhotoStep::Idle), "{steps:?}");
    let blobs = link.blobs.lock().unwrap().clone();
    let sent: Vec<&Vec<u8>> = [&big.thumb_256, &small.large_1024, &small.thumb_256]
        .into_iter()
        .filter(|bytes| blobs.get(&sha256_hex(bytes)) == Some(*bytes))
        .collect();
    assert_eq!(sent.len(), 3, "the files behind the refused one went");
    assert!(!blobs.contains_key(&sha256_hex(&big.large_1024)));
    let status = photos.status(&test.store).await.unwrap();
    assert_eq!((status.to_upload, status.refused), (0, 1));
    // Kept here (its only copy) and still shown; the refusal is in the inbox.
    assert_eq!(
        std::fs::read(file_of(&dir, &sha256_hex(&big.large_1024))).unwrap(),
        big.large_1024
    );
    let notices = test.store.sync_notices(10).await.unwrap();
    let codes: Vec<(&str, &str)> = notices
        .iter()
        .map(|notice| (notice.op_type.as_str(), notice.code.as_str()))
        .collect();
    assert_eq!(codes, [("photo.upload", "blob_too_large")]);
    // Not tried again.
    assert_eq!(drain(&test.store, &photos, &link).await, [PhotoStep::Idle]);
}

#[tokio::test]
async fn eviction_takes_the_least_recently_used_and_never_an_unsent_photo() {
    let test = TestStore::new().await;
    let photos = PhotoStore::open(&photo_dir(&test)).unwrap();
    photos.set_cache_limit_mb(&test.store, 1).await.unwrap();
    let link = MemoryBlobs::default();
    // Five products with 300 KB photos (plus 75 KB thumbnails): 1.9 MB, all
    // unsent, so none may go although the limit is 1 MB.
    let mut products = Vec::new();
    for seed in 0..5u8 {
        let product = test.product(&format!("P{seed}"), 100).await;
        test.clock.advance(1_000);
        photos
            .set_product_photo(&test.store, &test.owner, product, versions(seed, 300_000))
            .await
            .unwrap();
        products.push(product);
    }
    let status = photos.status(&test.store).await.unwrap();
    assert_eq!(status.to_upload, 10);
    assert!(status.cached_bytes > status.limit_bytes, "{status:?}");
    assert_eq!(walk(&photo_dir(&test)).len(), 10);

    // Once uploaded they may go: the oldest used first. Product 0 is read
    // now, so it is the most recently used.
    drain(&test.store, &photos, &link).await;
    test.clock.advance(1_000);
    photos
        .product_photo(&test.store, products[0], PhotoSize::Large1024)
        .await
        .unwrap();
    photos.set_cache_limit_mb(&test.store, 1).await.unwrap();
    let status = photos.status(&test.store).await.unwrap();
    assert!(status.cached_bytes <= status.limit_bytes, "{status:?}");
    let here = |seed: u8| file_of(&photo_dir(&test), &sha256_hex(&versions(seed, 300_000).large_1024)).exists();
    assert!(here(0), "the most recently used stays");
    assert!(!here(1), "the least recently used went first");
    assert!(!here(2));
    assert!(here(4));
    assert_eq!(
        walk(&photo_dir(&test)).len() as i64,
        test.count("SELECT count(*) FROM photo_files").await,
        "every file left is indexed"
    );

    // An evicted photo asked for on a detail view comes back from the hub.
    let not_here = photos
        .product_photo(&test.store, products[1], PhotoSize::Large1024)
        .await
        .unwrap_err();
    assert!(matches!(not_here, CoreError::PhotoNotHere { .. }), "{not_here:?}");
    assert_eq!(not_here.code(), "photo_not_here");
    test.clock.advance(1_000);
    let steps = drain(&test.store, &photos, &link).await;
    assert!(
        steps.iter().any(|step| matches!(step, PhotoStep::Fetch { .. })),
        "{steps:?}"
    );
    assert_eq!(
        photos
            .product_photo(&test.store, products[1], PhotoSize::Large1024)
            .await
            .unwrap(),
        versions(1, 300_000).large_1024
    );
}

#[tokio::test]
async fn a_blob_that_does_not_match_its_hash_is_refused_and_reported() {
    let test = TestStore::new().await;
    let photos = PhotoStore::open(&photo_dir(&test)).unwrap();
    let link = MemoryBlobs::default();
    let product = test.product("TEA", 350).await;
    let set = versions(9, 2_000);
    photos
        .set_product_photo(&test.store, &test.owner, product, set.clone())
        .await
        .unwrap();
    drain(&test.store, &photos, &link).await;
    // The cache drops the 1024 px version; the hub now answers wrong bytes.
    std::fs::remove_file(file_of(&photo_dir(&test), &sha256_hex(&set.large_1024))).unwrap();
    *link.lie.lock().unwrap() = true;
    let first = photos
        .product_photo(&test.store, product, PhotoSize::Large1024)
        .await
        .unwrap_err();
    assert_eq!(first.code(), "photo_not_here");
    let steps = drain(&test.store, &photos, &link).await;
    assert_eq!(steps.len(), 2, "fetched once, then nothing: {steps:?}");

    let status = photos.status(&test.store).await.unwrap();
    assert_eq!(status.refused, 1);
    assert!(!file_of(&photo_dir(&test), &sha256_hex(&set.large_1024)).exists());
    let again = photos
        .product_photo(&test.store, product, PhotoSize::Large1024)
        .await
        .unwrap_err();
    assert_eq!(again.code(), "photo_not_here");
    // The 256 px version is untouched.
    assert_eq!(
        photos
            .product_photo(&test.store, product, PhotoSize::Thumb256)
            .await
            .unwrap(),
        set.thumb_256
    );
}
