//! The photo index in the device database: which files this device holds
//! (`photo_files`: size, whether the hub has them, when last used) and
//! which it wants from the hub (`photo_fetches`), plus eviction under the
//! cache limit. All the SQL of the photo store.

use uuid::Uuid;

use super::files::PhotoFiles;
use crate::error::Result;
use crate::store::{Store, WriteTx};

/// One indexed file.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct FileRow {
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded: bool,
}

/// A background fetch of a catalog thumbnail starts only while the cache
/// is below this share (per mille) of its limit, so the catalog's
/// thumbnails never evict one another in a loop.
const BACKGROUND_FILL_PERMILLE: u64 = 900;

/// First wait before asking the hub again for a blob it did not have yet
/// (its device has not uploaded it); doubles per attempt up to an hour.
const MISSING_RETRY_MS: u64 = 30_000;
const MISSING_RETRY_CAP_MS: u64 = 3_600_000;

impl WriteTx<'_> {
    /// Indexes a file made on this device: queued for upload unless the
    /// hub already has it.
    pub(crate) async fn index_own_photo(&mut self, sha256: &str, size_bytes: usize, now_ms: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO photo_files (sha256, size_bytes, uploaded, added_ms, last_used_ms) VALUES (?1, ?2, 0, ?3, ?3)
             ON CONFLICT (sha256) DO UPDATE SET last_used_ms = excluded.last_used_ms",
        )
        .bind(sha256)
        .bind(size_bytes as i64)
        .bind(now_ms as i64)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Store {
    pub(crate) async fn photo_file(&self, sha256: &str) -> Result<Option<FileRow>> {
        Ok(
            sqlx::query_as("SELECT sha256, size_bytes, uploaded FROM photo_files WHERE sha256 = ?")
                .bind(sha256)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    /// Runs one small device-only write (no op, no user).
    async fn photo_write(&self, sql: &str, binds: &[&str], numbers: &[i64]) -> Result<()> {
        let mut write = self.write_as(Uuid::nil()).await?;
        let mut query = sqlx::query(sql);
        for text in binds {
            query = query.bind(*text);
        }
        for number in numbers {
            query = query.bind(*number);
        }
        query.execute(write.conn()).await?;
        write.commit().await
    }

    pub(crate) async fn touch_photo(&self, sha256: &str, now_ms: u64) -> Result<()> {
        self.photo_write(
            "UPDATE photo_files SET last_used_ms = max(last_used_ms, ?2) WHERE sha256 = ?1",
            &[sha256],
            &[now_ms as i64],
        )
        .await
    }

    /// Drops the index row of a file found missing from the folder.
    pub(crate) async fn forget_photo(&self, sha256: &str) -> Result<()> {
        self.photo_write("DELETE FROM photo_files WHERE sha256 = ?1", &[sha256], &[])
            .await
    }

    /// The hub refused to take a file made here, for good (`code`, e.g.
    /// `blob_too_large`): it is no longer queued (so the files behind it
    /// go), never evicted (this is its only copy), counted as refused, and
    /// the refusal is listed in the sync inbox.
    pub(crate) async fn refuse_photo_upload(&self, sha256: &str, code: &str, now_ms: u64) -> Result<()> {
        let mut write = self.write_as(Uuid::nil()).await?;
        sqlx::query("UPDATE photo_files SET uploaded = 2 WHERE sha256 = ? AND uploaded = 0")
            .bind(sha256)
            .execute(write.conn())
            .await?;
        // One notice per file: its id is made of the file's name.
        let id = sha256
            .get(..32)
            .and_then(|hex| u128::from_str_radix(hex, 16).ok())
            .map(Uuid::from_u128)
            .unwrap_or_default();
        let detail = format!("photo {} was not taken by the hub", sha256.get(..12).unwrap_or(sha256));
        crate::sync::notice(&mut write, id, "photo.upload", "rejected", code, Some(detail), now_ms).await?;
        write.commit().await
    }

    pub(crate) async fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        self.photo_write("UPDATE photo_files SET uploaded = 1 WHERE sha256 = ?1", &[sha256], &[])
            .await
    }

    /// Indexes a file fetched from the hub (the hub has it) and ends its
    /// fetch.
    pub(crate) async fn index_fetched_photo(&self, sha256: &str, size_bytes: usize, now_ms: u64) -> Result<()> {
        let mut write = self.write_as(Uuid::nil()).await?;
        sqlx::query(
            "INSERT INTO photo_files (sha256, size_bytes, uploaded, added_ms, last_used_ms) VALUES (?1, ?2, 1, ?3, ?3)
             ON CONFLICT (sha256) DO UPDATE SET last_used_ms = excluded.last_used_ms",
        )
        .bind(sha256)
        .bind(size_bytes as i64)
        .bind(now_ms as i64)
        .execute(write.conn())
        .await?;
        sqlx::query("DELETE FROM photo_fetches WHERE sha256 = ?")
            .bind(sha256)
            .execute(write.conn())
            .await?;
        write.commit().await
    }

    /// Asks for `sha256` from the hub (a detail view opened it).
    pub(crate) async fn want_photo(&self, sha256: &str) -> Result<()> {
        self.photo_write(
            "INSERT INTO photo_fetches (sha256, wanted) VALUES (?1, 1)
             ON CONFLICT (sha256) DO UPDATE SET wanted = 1",
            &[sha256],
            &[],
        )
        .await
    }

    /// The hub does not have `sha256` yet: ask again later, less often each time.
    pub(crate) async fn photo_missing_on_hub(&self, sha256: &str, now_ms: u64) -> Result<()> {
        let attempts: i64 = sqlx::query_scalar("SELECT attempts FROM photo_fetches WHERE sha256 = ?")
            .bind(sha256)
            .fetch_optional(self.reader())
            .await?
            .unwrap_or(0);
        let wait = (MISSING_RETRY_MS << attempts.clamp(0, 20)).min(MISSING_RETRY_CAP_MS);
        self.photo_write(
            "INSERT INTO photo_fetches (sha256, wanted, attempts, retry_after_ms) VALUES (?1, 0, 1, ?2)
             ON CONFLICT (sha256) DO UPDATE SET attempts = attempts + 1, retry_after_ms = excluded.retry_after_ms",
            &[sha256],
            &[now_ms.saturating_add(wait) as i64],
        )
        .await
    }

    /// The hub gave bytes that do not hash to `sha256`: never asked again.
    pub(crate) async fn refuse_photo(&self, sha256: &str, reason: &str) -> Result<()> {
        self.photo_write(
            "INSERT INTO photo_fetches (sha256, wanted, attempts, refused) VALUES (?1, 0, 1, ?2)
             ON CONFLICT (sha256) DO UPDATE SET attempts = attempts + 1, refused = excluded.refused",
            &[sha256, reason],
            &[],
        )
        .await
    }

    /// The oldest file made here that the hub does not have yet.
    pub(crate) async fn next_photo_upload(&self) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT sha256 FROM photo_files WHERE uploaded = 0 ORDER BY added_ms, sha256 LIMIT 1")
                .fetch_optional(self.reader())
                .await?,
        )
    }

    /// The next blob to fetch: one asked for on a detail view, else (while
    /// the cache is below [`BACKGROUND_FILL_PERMILLE`] of `limit_bytes`) the
    /// 256 px thumbnail of an active product. Names that are not SHA-256,
    /// refused blobs, and blobs the hub lacked until their retry time are
    /// passed over.
    pub(crate) async fn next_photo_fetch(&self, now_ms: u64, limit_bytes: u64) -> Result<Option<String>> {
        let wanted: Option<String> = sqlx::query_scalar(
            "SELECT f.sha256 FROM photo_fetches f
             WHERE f.wanted = 1 AND f.refused IS NULL AND f.retry_after_ms <= ?1
               AND NOT EXISTS (SELECT 1 FROM photo_files h WHERE h.sha256 = f.sha256)
             ORDER BY f.attempts, f.sha256 LIMIT 1",
        )
        .bind(now_ms as i64)
        .fetch_optional(self.reader())
        .await?;
        if wanted.is_some() {
            return Ok(wanted);
        }
        if self.photo_cache_bytes().await? >= limit_bytes / 1000 * BACKGROUND_FILL_PERMILLE {
            return Ok(None);
        }
        Ok(sqlx::query_scalar(
            "SELECT p.photo_256 FROM products p
             WHERE p.active = 1 AND length(p.photo_256) = 64 AND p.photo_256 NOT GLOB '*[^0-9a-f]*'
               AND NOT EXISTS (SELECT 1 FROM photo_files h WHERE h.sha256 = p.photo_256)
               AND NOT EXISTS (SELECT 1 FROM photo_fetches f WHERE f.sha256 = p.photo_256
                               AND (f.refused IS NOT NULL OR f.retry_after_ms > ?1))
             ORDER BY p.name COLLATE NOCASE, p.id LIMIT 1",
        )
        .bind(now_ms as i64)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Bytes of every indexed file.
    pub(crate) async fn photo_cache_bytes(&self) -> Result<u64> {
        let total: i64 = sqlx::query_scalar("SELECT coalesce(sum(size_bytes), 0) FROM photo_files")
            .fetch_one(self.reader())
            .await?;
        Ok(total.max(0) as u64)
    }

    /// Counts for the sync status: files to upload, blobs waiting to be
    /// fetched (asked for, or catalog thumbnails missing), blobs refused
    /// (given wrong by the hub, or not taken by it).
    pub(crate) async fn photo_counts(&self) -> Result<(u64, u64, u64)> {
        let (to_upload, wanted, missing_thumbs, refused): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT
               (SELECT count(*) FROM photo_files WHERE uploaded = 0),
               (SELECT count(*) FROM photo_fetches f WHERE f.wanted = 1 AND f.refused IS NULL
                  AND NOT EXISTS (SELECT 1 FROM photo_files h WHERE h.sha256 = f.sha256)),
               (SELECT count(DISTINCT p.photo_256) FROM products p WHERE p.active = 1 AND p.photo_256 IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM photo_files h WHERE h.sha256 = p.photo_256)
                  AND NOT EXISTS (SELECT 1 FROM photo_fetches f WHERE f.sha256 = p.photo_256
                                  AND (f.wanted = 1 OR f.refused IS NOT NULL))),
               (SELECT count(*) FROM photo_fetches WHERE refused IS NOT NULL)
                 + (SELECT count(*) FROM photo_files WHERE uploaded = 2)",
        )
        .fetch_one(self.reader())
        .await?;
        Ok((to_upload as u64, (wanted + missing_thumbs) as u64, refused as u64))
    }

    /// Evicts the least recently used files the hub has until the index
    /// holds at most `limit_bytes`; a file not uploaded yet is never
    /// evicted. The rows go first (in one write), then the files, so a crash
    /// between leaves only an unindexed file, which is rewritten if needed.
    pub(crate) async fn evict_photos(&self, files: &PhotoFiles, limit_bytes: u64) -> Result<Vec<String>> {
        let mut total = self.photo_cache_bytes().await?;
        if total <= limit_bytes {
            return Ok(Vec::new());
        }
        let candidates: Vec<(String, i64)> = sqlx::query_as(
            "SELECT sha256, size_bytes FROM photo_files WHERE uploaded = 1 ORDER BY last_used_ms, sha256",
        )
        .fetch_all(self.reader())
        .await?;
        let mut evicted = Vec::new();
        for (sha256, size_bytes) in candidates {
            if total <= limit_bytes {
                break;
            }
            total = total.saturating_sub(size_bytes.max(0) as u64);
            evicted.push(sha256);
        }
        let mut write = self.write_as(Uuid::nil()).await?;
        for sha256 in &evicted {
            sqlx::query("DELETE FROM photo_files WHERE sha256 = ? AND uploaded = 1")
                .bind(sha256)
                .execute(write.conn())
                .await?;
        }
        write.commit().await?;
        for sha256 in &evicted {
            files.remove(sha256).await?;
        }
        Ok(evicted)
    }
}
