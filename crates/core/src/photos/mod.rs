//! Product photos on the device. A product's photo is two class-F fields,
//! `photo_1024` and `photo_256`, holding the SHA-256 of each version; they
//! are written through `WriteTx::update_fields` like any product field,
//! so they sync and merge like one. The files themselves live
//! content-addressed in the photo folder ([`files`]), indexed in the
//! database (`index`), uploaded to and fetched from the hub's blob
//! endpoints by the sync engine ([`transfer`], planned by [`plan`]).
//!
//! The core never decodes images: the app makes the two versions (with
//! `stockroom-photos`, which keeps the C image libraries out of the core)
//! and hands the encoded bytes here.
//!
//! Cache rules: the folder holds at most the device's limit
//! ([`CACHE_LIMIT_SETTING`], default [`DEFAULT_CACHE_LIMIT_MB`]); past it
//! the least recently used files the hub has are evicted; a file made here
//! and not uploaded yet is never evicted. Catalog thumbnails are fetched in
//! the background only while the cache is below 90 % of the limit; a
//! detail view's 1024 px is fetched on demand and may evict.

pub mod files;
mod index;
pub mod plan;
pub mod transfer;

use std::path::Path;

use stockroom_protocol::ops::Entity;
use tokio::sync::watch;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::catalog::Product;
use crate::error::{CoreError, Result};
use crate::records::FieldValue;
use crate::store::Store;
use files::PhotoFiles;

pub use files::{is_sha256, sha256_hex};
pub use plan::{next_photo_step, on_photo_answer, on_photo_failure, PhotoStep, PhotoSyncState, PhotoWork};
pub use transfer::{run_photo_step, BlobLink};

/// The device setting holding the photo cache limit in megabytes.
pub const CACHE_LIMIT_SETTING: &str = "photos.cache_limit_mb";
/// The cache limit when the setting is absent.
pub const DEFAULT_CACHE_LIMIT_MB: u64 = 200;
/// Largest version accepted (the hub's blob limit is 8 MB; a 1024 px
/// thumbnail is a few hundred KB).
pub const MAX_VERSION_BYTES: usize = 4 * 1024 * 1024;

/// The two sizes a product photo comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhotoSize {
    /// 256 px on the long side: lists and search results.
    Thumb256,
    /// 1024 px: the product's detail.
    Large1024,
}

impl PhotoSize {
    /// From the long side in pixels (256 or 1024).
    pub fn from_pixels(pixels: u32) -> Option<PhotoSize> {
        match pixels {
            256 => Some(PhotoSize::Thumb256),
            1024 => Some(PhotoSize::Large1024),
            _ => None,
        }
    }

    pub fn pixels(self) -> u32 {
        match self {
            PhotoSize::Thumb256 => 256,
            PhotoSize::Large1024 => 1024,
        }
    }

    fn hash_of(self, product: &Product) -> Option<&str> {
        match self {
            PhotoSize::Thumb256 => product.photo_256.as_deref(),
            PhotoSize::Large1024 => product.photo_1024.as_deref(),
        }
    }
}

/// A photo's two encoded versions, as the app made them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoVersions {
    pub large_1024: Vec<u8>,
    pub thumb_256: Vec<u8>,
}

/// Photo sync figures for the status line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhotoStatus {
    /// Files made here that the hub does not have yet.
    pub to_upload: u64,
    /// Blobs waiting to come from the hub.
    pub to_fetch: u64,
    /// Blobs the hub gave wrong (refused, never stored), and files made
    /// here the hub would not take (too large; kept here).
    pub refused: u64,
    /// Bytes in the photo folder's index.
    pub cached_bytes: u64,
    pub limit_bytes: u64,
}

/// The device's photo folder and its wake-up channel for the engine.
pub struct PhotoStore {
    files: PhotoFiles,
    wake: watch::Sender<u64>,
}

impl PhotoStore {
    /// Opens (creating) the photo folder `dir`, typically `photos/` in the
    /// app's data folder.
    pub fn open(dir: &Path) -> Result<PhotoStore> {
        Ok(PhotoStore {
            files: PhotoFiles::open(dir)?,
            wake: watch::Sender::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        self.files.dir()
    }

    /// Changes whenever there is new transfer work (a photo added here, a
    /// blob asked for), for the engine to wake on.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    fn wake(&self) {
        self.wake.send_modify(|count| *count = count.wrapping_add(1));
    }

    pub(crate) fn files(&self) -> &PhotoFiles {
        &self.files
    }

    /// The cache limit in bytes, from the device setting.
    pub async fn cache_limit_bytes(&self, store: &Store) -> Result<u64> {
        let megabytes = store
            .setting(CACHE_LIMIT_SETTING)
            .await?
            .and_then(|text| text.trim().parse::<u64>().ok())
            .unwrap_or(DEFAULT_CACHE_LIMIT_MB);
        Ok(megabytes.saturating_mul(1024 * 1024))
    }

    /// Sets the cache limit (at least 1 MB) and evicts down to it.
    pub async fn set_cache_limit_mb(&self, store: &Store, megabytes: u64) -> Result<()> {
        if megabytes == 0 {
            return Err(CoreError::invalid("photo cache limit", "must be at least 1 MB"));
        }
        store.set_setting(CACHE_LIMIT_SETTING, &megabytes.to_string()).await?;
        let limit = self.cache_limit_bytes(store).await?;
        store.evict_photos(&self.files, limit).await?;
        Ok(())
    }

    /// Gives product `product_id` the photo `versions`: both files are
    /// stored under their hashes (atomically), indexed for upload, and the
    /// product's `photo_1024`/`photo_256` fields set in one write with its
    /// `fields.set` op. Returns the product as it now is.
    pub async fn set_product_photo(
        &self,
        store: &Store,
        session: &Session,
        product_id: Uuid,
        versions: PhotoVersions,
    ) -> Result<Product> {
        session.require(Permission::ManageCatalog)?;
        for version in [&versions.large_1024, &versions.thumb_256] {
            if version.is_empty() || version.len() > MAX_VERSION_BYTES {
                return Err(CoreError::invalid(
                    "photo",
                    format!("each version must be 1 to {MAX_VERSION_BYTES} bytes"),
                ));
            }
        }
        // Checked before any file is written.
        store.product(product_id).await?;
        let sizes = [versions.large_1024.len(), versions.thumb_256.len()];
        let large = self.files.write(versions.large_1024).await?;
        let thumb = self.files.write(versions.thumb_256).await?;
        let written = self
            .index_and_set(store, session, product_id, [&large, &thumb], sizes)
            .await;
        match written {
            Ok(product) => {
                let limit = self.cache_limit_bytes(store).await?;
                store.evict_photos(&self.files, limit).await?;
                self.wake();
                Ok(product)
            }
            Err(err) => {
                // Files no row names are removed again; nothing else changed.
                for sha256 in [&large, &thumb] {
                    if store.photo_file(sha256).await?.is_none() {
                        self.files.remove(sha256).await?;
                    }
                }
                Err(err)
            }
        }
    }

    async fn index_and_set(
        &self,
        store: &Store,
        session: &Session,
        product_id: Uuid,
        [large, thumb]: [&String; 2],
        [large_bytes, thumb_bytes]: [usize; 2],
    ) -> Result<Product> {
        let now_ms = store.device_clock_ms();
        let mut write = store.write(session).await?;
        let current = write.product_in_write(product_id).await?;
        write.index_own_photo(large, large_bytes, now_ms).await?;
        write.index_own_photo(thumb, thumb_bytes, now_ms).await?;
        let mut fields = Vec::new();
        if current.photo_1024.as_deref() != Some(large.as_str()) {
            fields.push(("photo_1024", FieldValue::Text(Some(large.clone()))));
        }
        if current.photo_256.as_deref() != Some(thumb.as_str()) {
            fields.push(("photo_256", FieldValue::Text(Some(thumb.clone()))));
        }
        if !fields.is_empty() {
            write.update_fields(Entity::Product, product_id, &fields).await?;
        }
        let product = write.product_in_write(product_id).await?;
        write.commit().await?;
        Ok(product)
    }

    /// Takes the photo off product `product_id` (both fields cleared, one
    /// op). The files stay in the cache (another device may still show the
    /// old photo, so an unsent one is still uploaded) until evicted.
    pub async fn remove_product_photo(&self, store: &Store, session: &Session, product_id: Uuid) -> Result<Product> {
        session.require(Permission::ManageCatalog)?;
        let mut write = store.write(session).await?;
        let current = write.product_in_write(product_id).await?;
        let mut fields = Vec::new();
        if current.photo_1024.is_some() {
            fields.push(("photo_1024", FieldValue::Text(None)));
        }
        if current.photo_256.is_some() {
            fields.push(("photo_256", FieldValue::Text(None)));
        }
        if fields.is_empty() {
            return Ok(current);
        }
        write.update_fields(Entity::Product, product_id, &fields).await?;
        let product = write.product_in_write(product_id).await?;
        write.commit().await?;
        Ok(product)
    }

    /// The bytes of product `product_id`'s photo in `size`. A product with
    /// no photo is `not_found`; a photo not on this device yet is
    /// [`CoreError::PhotoNotHere`], and it is asked of the hub (show a
    /// placeholder, ask again later).
    pub async fn product_photo(&self, store: &Store, product_id: Uuid, size: PhotoSize) -> Result<Vec<u8>> {
        let product = store.product(product_id).await?;
        let Some(sha256) = size.hash_of(&product) else {
            return Err(CoreError::not_found("product photo", product_id));
        };
        if !is_sha256(sha256) {
            return Err(CoreError::not_found("product photo", product_id));
        }
        if store.photo_file(sha256).await?.is_some() {
            if let Some(bytes) = self.files.read(sha256).await? {
                store.touch_photo(sha256, store.device_clock_ms()).await?;
                return Ok(bytes);
            }
            tracing::warn!(sha256, "an indexed photo file is missing; fetching it again");
            store.forget_photo(sha256).await?;
        }
        store.want_photo(sha256).await?;
        self.wake();
        Err(CoreError::PhotoNotHere {
            sha256: sha256.to_string(),
        })
    }

    /// Photo sync figures for the status line.
    pub async fn status(&self, store: &Store) -> Result<PhotoStatus> {
        let (to_upload, to_fetch, refused) = store.photo_counts().await?;
        Ok(PhotoStatus {
            to_upload,
            to_fetch,
            refused,
            cached_bytes: store.photo_cache_bytes().await?,
            limit_bytes: self.cache_limit_bytes(store).await?,
        })
    }
}
