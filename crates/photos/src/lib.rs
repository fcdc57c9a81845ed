//! Product photo thumbnails: decode with limits, apply EXIF orientation,
//! convert CMYK, shrink on load, resize and encode as JPEG or WebP.
//!
//! [`make_thumbnail`] makes one thumbnail; [`make_thumbnails`] makes several
//! sizes (the catalog's 256 px and the detail view's 1024 px) from one decode.
//! Nothing here depends on the UI; the device and `stockroom-cli thumb` call it.
//!
//! # Pipeline
//! 1. Sniff the format from the bytes (never the file name): JPEG, PNG and
//!    WebP are decoded; HEIC/AVIF, GIF, BMP and TIFF are refused by name.
//! 2. Check [`DecodeLimits`]: the byte count first, then the pixel count read
//!    from the header (JPEG frame header, PNG/WebP header) before any pixel
//!    buffer is allocated. A 280 MP decompression bomb in a 1 MB file stops here.
//! 3. Decode. JPEG goes through libjpeg-turbo with DCT scaling
//!    (shrink-on-load by 1/2, 1/4 or 1/8, the largest that keeps the long side
//!    at or above the biggest thumbnail asked for). Progressive JPEGs are
//!    limited to 500 scans. 12-bit JPEGs are refused. CMYK/YCCK JPEGs are
//!    converted to sRGB through their embedded ICC profile (`moxcms`), or by the
//!    naive formula without one; Adobe-inverted samples are handled. PNG and
//!    WebP go through `image` with an allocation limit; alpha is composited
//!    over white.
//! 4. Resize to the long side with Lanczos3 (`fast_image_resize`, SIMD);
//!    images smaller than asked are never enlarged.
//! 5. Apply the EXIF orientation (all 8) to the small image, then encode.
//!
//! Every call runs under `catch_unwind`: a panic in a decoder becomes
//! [`PhotoError::DecoderPanic`]. libjpeg-turbo reports corrupt data through
//! its own error handler (no abort); its warnings (premature end of data,
//! corrupt entropy data) are errors here, so a truncated photo is refused
//! rather than stored half grey.
//!
//! # Why these libraries (measured on the eval set, see BENCHMARKS.md)
//! - **libjpeg-turbo 3 via `turbojpeg`** (built from source, static, SIMD via
//!   nasm): the fastest JPEG decoder measured, and it scales in the DCT at
//!   1/2, 1/4 and 1/8. Decoding the 49 JPEGs of the eval set for a 256 px
//!   thumbnail, one thread, images per CPU-second (`cargo bench -p
//!   stockroom-photos --bench thumbs`, 2026-12-01): libjpeg-turbo with DCT
//!   scaling 75.0, `jpeg-decoder` 0.3 with DCT scaling 56.2, `zune-jpeg` 0.5
//!   42.3 (it has no DCT scaling, so a 24 MP photo is decoded in full).
//!   Pure Rust would have been preferred; it is 25-45 % slower here.
//! - **`fast_image_resize`**: SIMD (AVX2/SSE4.1/NEON) convolution resizer; after
//!   shrink-on-load the remaining resize is small.
//! - **`moxcms`**: pure-Rust ICC colour management with LUT-based CMYK
//!   profiles; avoids building LittleCMS from C. Its speed was not compared
//!   with `lcms2` (CMYK photos are rare and the transform runs on the
//!   shrunk image); the CMYK fixture's thumbnail matches `vipsthumbnail`'s
//!   (LittleCMS) by eye. RGB photos' own ICC profiles are not applied yet
//!   (treated as sRGB).
//! - **`kamadak-exif`**: pure-Rust EXIF reader; an unreadable EXIF block
//!   means orientation 1, not an error.
//! - **WebP output through `webp` (libwebp, lossy, quality 80)**: `image`'s
//!   own WebP encoder is lossless only, which makes photo thumbnails several
//!   times bigger.
//! - **`image`** (png and webp features only) decodes PNG and WebP input.

use std::panic::{catch_unwind, AssertUnwindSafe};

mod cmyk;
mod decode;
mod encode;
mod markers;
mod transform;

pub use encode::{JPEG_QUALITY, WEBP_QUALITY};

/// Output format of a thumbnail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThumbFormat {
    Jpeg,
    Webp,
}

impl ThumbFormat {
    /// The file extension: `jpg` or `webp`.
    pub fn extension(self) -> &'static str {
        match self {
            ThumbFormat::Jpeg => "jpg",
            ThumbFormat::Webp => "webp",
        }
    }

    /// Parses `jpeg`, `jpg` or `webp`.
    pub fn parse(text: &str) -> Option<ThumbFormat> {
        match text.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Some(ThumbFormat::Jpeg),
            "webp" => Some(ThumbFormat::Webp),
            _ => None,
        }
    }
}

/// What thumbnail to make: the long side in pixels and the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ThumbSpec {
    pub long_side: u32,
    pub format: ThumbFormat,
}

/// Largest long side a thumbnail may ask for.
pub const MAX_LONG_SIDE: u32 = 8192;

/// Limits checked before decoding, against decompression bombs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Most pixels (width x height of the stored image) decoded.
    pub max_pixels: u64,
    /// Largest input file in bytes.
    pub max_bytes: u64,
}

impl Default for DecodeLimits {
    /// 100 MP (a 24 MP camera photo is well inside) and 50 MB.
    fn default() -> Self {
        DecodeLimits {
            max_pixels: 100_000_000,
            max_bytes: 50 * 1024 * 1024,
        }
    }
}

/// An encoded thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// Upright size (orientation applied).
    pub width: u32,
    pub height: u32,
    pub format: ThumbFormat,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

/// Why a photo could not be made into a thumbnail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    #[error("the file is empty")]
    Empty,
    #[error("not an image file (no JPEG, PNG or WebP signature)")]
    NotAnImage,
    #[error("unsupported image format: {format}")]
    Unsupported { format: String },
    #[error("the image is truncated: {detail}")]
    Truncated { detail: String },
    #[error("the image is corrupt: {detail}")]
    Corrupt { detail: String },
    #[error("the file has {bytes} bytes, over the limit of {max}")]
    TooManyBytes { bytes: u64, max: u64 },
    #[error("the image is {width}x{height} pixels, over the limit of {max} pixels")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("thumbnail size {long_side} px is outside 1..={MAX_LONG_SIDE}")]
    InvalidSize { long_side: u32 },
    #[error("the image decoder failed unexpectedly: {detail}")]
    DecoderPanic { detail: String },
    #[error("encoding the thumbnail failed: {detail}")]
    Encode { detail: String },
    #[error("internal error: {detail}")]
    Internal { detail: String },
}

impl PhotoError {
    /// Stable machine-readable code (IPC, HTTP, CLI).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Empty => "photo_empty",
            PhotoError::NotAnImage => "photo_not_an_image",
            PhotoError::Unsupported { .. } => "photo_unsupported_format",
            PhotoError::Truncated { .. } => "photo_truncated",
            PhotoError::Corrupt { .. } => "photo_corrupt",
            PhotoError::TooManyBytes { .. } => "photo_too_many_bytes",
            PhotoError::TooManyPixels { .. } => "photo_too_many_pixels",
            PhotoError::InvalidSize { .. } => "photo_invalid_size",
            PhotoError::DecoderPanic { .. } => "photo_decoder_panic",
            PhotoError::Encode { .. } => "photo_encode_failed",
            PhotoError::Internal { .. } => "photo_internal",
        }
    }
}

/// Makes one thumbnail of the photo in `bytes`.
pub fn make_thumbnail(bytes: &[u8], spec: ThumbSpec, limits: &DecodeLimits) -> Result<Thumbnail, PhotoError> {
    let mut thumbs = make_thumbnails(bytes, &[spec], limits)?;
    Ok(thumbs.remove(0))
}

/// Makes one thumbnail per spec, in order, from one decode of `bytes`
/// (shrunk on load for the largest spec).
pub fn make_thumbnails(bytes: &[u8], specs: &[ThumbSpec], limits: &DecodeLimits) -> Result<Vec<Thumbnail>, PhotoError> {
    if let Some(bad) = specs.iter().find(|s| s.long_side == 0 || s.long_side > MAX_LONG_SIDE) {
        return Err(PhotoError::InvalidSize {
            long_side: bad.long_side,
        });
    }
    let Some(largest) = specs.iter().map(|s| s.long_side).max() else {
        return Ok(Vec::new());
    };
    match catch_unwind(AssertUnwindSafe(|| thumbnails(bytes, specs, largest, limits))) {
        Ok(result) => result,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(PhotoError::DecoderPanic { detail })
        }
    }
}

fn thumbnails(
    bytes: &[u8],
    specs: &[ThumbSpec],
    largest: u32,
    limits: &DecodeLimits,
) -> Result<Vec<Thumbnail>, PhotoError> {
    let decoded = decode::decode(bytes, largest, limits)?;
    let (source_w, source_h) = decoded.source;
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        // Sized from the stored image so shrink-on-load rounding does not
        // change the thumbnail's size.
        let to = transform::fit(source_w, source_h, spec.long_side);
        let to = (to.0.min(decoded.width).max(1), to.1.min(decoded.height).max(1));
        let small = transform::resize(&decoded.pixels, decoded.width, decoded.height, to)?;
        let (upright, width, height) = transform::orient(small, to.0, to.1, decoded.orientation);
        let bytes = encode::encode(&upright, width, height, spec.format)?;
        out.push(Thumbnail {
            width,
            height,
            format: spec.format,
            bytes,
        });
    }
    Ok(out)
}
