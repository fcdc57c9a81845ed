//! The photo transfer executor: performs the step [`next_photo_step`]
//! chooses through a [`BlobLink`] (the hub's `PUT`/`GET /v1/blobs/{sha256}`)
//! and records the answer in the index. A fetched blob is stored only when
//! its bytes hash to its name; a wrong one is refused and reported.

use std::future::Future;

use super::plan::{next_photo_step, on_photo_answer, on_photo_failure, PhotoStep, PhotoSyncState, PhotoWork};
use super::PhotoStore;
use crate::error::Result;
use crate::store::Store;
use crate::sync::{FailureKind, LinkError, Refusal, SyncConfig};

/// The hub's blob endpoints as the executor needs them. A PUT of a blob the
/// hub has already is a success (the endpoint is idempotent).
pub trait BlobLink: Send + Sync {
    fn put_blob(&self, sha256: &str, bytes: Vec<u8>)
        -> impl Future<Output = std::result::Result<(), LinkError>> + Send;

    /// The blob's bytes as the hub sent them (unchecked), or `None` when the
    /// hub does not have it (yet).
    fn get_blob(&self, sha256: &str) -> impl Future<Output = std::result::Result<Option<Vec<u8>>, LinkError>> + Send;
}

/// Reads what waits, performs the transfer the planner chooses now (none
/// while it backs off) and returns the next state with the step taken.
pub async fn run_photo_step<L: BlobLink>(
    store: &Store,
    photos: &PhotoStore,
    link: &L,
    state: PhotoSyncState,
    config: &SyncConfig,
) -> Result<(PhotoSyncState, PhotoStep)> {
    let now_ms = store.device_clock_ms();
    let limit = photos.cache_limit_bytes(store).await?;
    let work = PhotoWork {
        next_upload: store.next_photo_upload().await?,
        next_fetch: store.next_photo_fetch(now_ms, limit).await?,
    };
    let step = next_photo_step(&state, &work, now_ms, config);
    let next = match &step {
        PhotoStep::Upload { sha256 } => match photos.files().read(sha256).await? {
            None => {
                tracing::warn!(sha256, "a photo waiting for upload is missing from the photo folder");
                store.forget_photo(sha256).await?;
                state
            }
            Some(bytes) => match link.put_blob(sha256, bytes).await {
                Ok(()) => {
                    store.mark_photo_uploaded(sha256).await?;
                    on_photo_answer(state, now_ms)
                }
                Err(LinkError {
                    kind: FailureKind::Refused(Refusal::BlobTooLarge),
                    detail,
                }) => {
                    tracing::warn!(sha256, detail, "the hub refused a photo as too large");
                    store.refuse_photo_upload(sha256, "blob_too_large", now_ms).await?;
                    on_photo_answer(state, now_ms)
                }
                Err(err) => {
                    tracing::debug!(detail = err.detail, "photo upload failed");
                    on_photo_failure(state, now_ms)
                }
            },
        },
        PhotoStep::Fetch { sha256 } => match link.get_blob(sha256).await {
            Ok(Some(bytes)) => {
                let size_bytes = bytes.len();
                if photos.files().write_checked(sha256, bytes).await? {
                    store.index_fetched_photo(sha256, size_bytes, now_ms).await?;
                    store.evict_photos(photos.files(), limit).await?;
                } else {
                    tracing::warn!(
                        sha256,
                        size_bytes,
                        "the hub gave a photo whose bytes do not match its hash; refused"
                    );
                    store.refuse_photo(sha256, "hash_mismatch").await?;
                }
                on_photo_answer(state, now_ms)
            }
            Ok(None) => {
                store.photo_missing_on_hub(sha256, now_ms).await?;
                on_photo_answer(state, now_ms)
            }
            Err(err) => {
                tracing::debug!(detail = err.detail, "photo fetch failed");
                on_photo_failure(state, now_ms)
            }
        },
        PhotoStep::Wait { .. } | PhotoStep::Idle => state,
    };
    Ok((next, step))
}
