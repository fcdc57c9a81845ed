//! The photo folder: files named by the SHA-256 of their bytes
//! (`<dir>/<first two hex digits>/<sha256>`), written atomically (a temp
//! file in `<dir>/tmp`, synced, then renamed into place), so a crash leaves
//! either the whole file or none. Blocking IO, run off the async threads.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};

/// The SHA-256 of `bytes` as 64 lower-case hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether `text` is a SHA-256 name: exactly 64 lower-case hex digits. Every
/// name is checked before it becomes a path (names also arrive by sync).
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

pub(crate) fn check_sha256(text: &str) -> Result<()> {
    if is_sha256(text) {
        Ok(())
    } else {
        Err(CoreError::invalid("photo", "not a SHA-256 name"))
    }
}

/// The folder of content-addressed files.
#[derive(Clone, Debug)]
pub(crate) struct PhotoFiles {
    dir: PathBuf,
}

impl PhotoFiles {
    /// Opens (creating) the folder and clears temp files a crash left.
    pub(crate) fn open(dir: &Path) -> Result<PhotoFiles> {
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp)?;
        for entry in fs::read_dir(&tmp)? {
            let path = entry?.path();
            if let Err(err) = fs::remove_file(&path) {
                tracing::warn!(%err, path = %path.display(), "leftover photo temp file not removed");
            }
        }
        Ok(PhotoFiles { dir: dir.to_path_buf() })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file named `sha256` lives (the name is checked first).
    pub(crate) fn path_of(&self, sha256: &str) -> Result<PathBuf> {
        check_sha256(sha256)?;
        Ok(self.dir.join(&sha256[..2]).join(sha256))
    }

    /// Writes `bytes` under their own hash and returns it: temp file, sync,
    /// rename over any file of that name (same name, same bytes), sync the
    /// folder.
    pub(crate) async fn write(&self, bytes: Vec<u8>) -> Result<String> {
        let files = self.clone();
        blocking(move || {
            let sha256 = sha256_hex(&bytes);
            files.write_named(&sha256, &bytes)?;
            Ok(sha256)
        })
        .await
    }

    /// Writes `bytes` as `sha256` after checking that they hash to it.
    /// Returns `false` (and writes nothing) when they do not.
    pub(crate) async fn write_checked(&self, sha256: &str, bytes: Vec<u8>) -> Result<bool> {
        let files = self.clone();
        let sha256 = sha256.to_string();
        blocking(move || {
            if sha256_hex(&bytes) != sha256 {
                return Ok(false);
            }
            files.write_named(&sha256, &bytes)?;
            Ok(true)
        })
        .await
    }

    fn write_named(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        let target = self.path_of(sha256)?;
        let folder = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.clone());
        fs::create_dir_all(&folder)?;
        let suffix: u64 = rand::thread_rng().gen();
        let temp = self.dir.join("tmp").join(format!("{sha256}.{suffix:016x}"));
        let written = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &target)?;
            sync_folder(&folder)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        Ok(written?)
    }

    /// The file's bytes, or `None` when it is not there.
    pub(crate) async fn read(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(sha256)?;
        blocking(move || match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err.into()),
        })
        .await
    }

    /// Removes the file; one already gone is fine.
    pub(crate) async fn remove(&self, sha256: &str) -> Result<()> {
        let path = self.path_of(sha256)?;
        blocking(move || match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err.into()),
        })
        .await
    }
}

/// Makes a rename durable: the folder's entry is synced (Unix; elsewhere
/// the rename is as durable as the file system makes it).
fn sync_folder(folder: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(folder)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = folder;
    Ok(())
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| CoreError::Io(std::io::Error::other(err.to_string())))?
}
