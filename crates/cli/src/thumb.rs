//! `stockroom-cli thumb`: product photo thumbnails for files on disk, one
//! output per input, an error line per unreadable input, never stopping early.

use std::io::Write;
use std::path::{Path, PathBuf};

use stockroom_photos::{make_thumbnail, DecodeLimits, ThumbFormat, ThumbSpec};

/// Name of the thumbnail of `input`: `<stem>.<size>.<jpg|webp>`.
pub fn output_name(input: &Path, size: u32, format: ThumbFormat) -> String {
    let stem = input
        .file_stem()
        .map_or_else(|| "image".into(), |s| s.to_string_lossy());
    format!("{stem}.{size}.{}", format.extension())
}

/// Writes one thumbnail per input into `out`; prints `INPUT<TAB>OUTPUT<TAB>WxH`
/// per thumbnail on stdout and `INPUT: error: CODE: MESSAGE` per failure on
/// stderr. Returns how many inputs failed.
pub fn run(size: u32, format: &str, out: &Path, inputs: &[PathBuf]) -> anyhow::Result<usize> {
    let Some(format) = ThumbFormat::parse(format) else {
        anyhow::bail!("--format must be jpeg or webp, not {format:?}");
    };
    std::fs::create_dir_all(out).map_err(|err| anyhow::anyhow!("creating {}: {err}", out.display()))?;
    let spec = ThumbSpec {
        long_side: size,
        format,
    };
    let limits = DecodeLimits::default();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut failed = 0;
    for input in inputs {
        match thumb_one(input, spec, &limits, out) {
            Ok((path, width, height)) => {
                writeln!(stdout, "{}\t{}\t{width}x{height}", input.display(), path.display())?;
            }
            Err(message) => {
                failed += 1;
                writeln!(stderr, "{}: error: {message}", input.display())?;
            }
        }
    }
    Ok(failed)
}

fn thumb_one(input: &Path, spec: ThumbSpec, limits: &DecodeLimits, out: &Path) -> Result<(PathBuf, u32, u32), String> {
    let meta = std::fs::metadata(input).map_err(|err| format!("io: {err}"))?;
    if !meta.is_file() {
        return Err("io: not a regular file".into());
    }
    if meta.len() > limits.max_bytes {
        let err = stockroom_photos::PhotoError::TooManyBytes {
            bytes: meta.len(),
            max: limits.max_bytes,
        };
        return Err(format!("{}: {err}", err.code()));
    }
    let bytes = std::fs::read(input).map_err(|err| format!("io: {err}"))?;
    let thumb = make_thumbnail(&bytes, spec, limits).map_err(|err| format!("{}: {err}", err.code()))?;
    let path = out.join(output_name(input, spec.long_side, spec.format));
    std::fs::write(&path, &thumb.bytes).map_err(|err| format!("io: writing {}: {err}", path.display()))?;
    Ok((path, thumb.width, thumb.height))
}
