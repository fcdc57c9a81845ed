//! Decoding to 8-bit RGB: JPEG through libjpeg-turbo with DCT scaling
//! (shrink-on-load) and CMYK conversion, PNG and WebP through `image`,
//! all behind the size limits.

use std::io::Cursor;

use image::ImageDecoder;
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

use crate::markers::{exif_orientation, jpeg_info, sniff, Sniffed};
use crate::{DecodeLimits, PhotoError};

/// Decoded pixels, not yet oriented.
pub(crate) struct Rgb {
    pub width: u32,
    pub height: u32,
    /// Tightly packed RGB, 3 bytes a pixel.
    pub pixels: Vec<u8>,
    /// EXIF orientation 1..=8 still to apply.
    pub orientation: u8,
    /// Size of the stored image before any shrink-on-load.
    pub source: (u32, u32),
}

/// Most progressive scans libjpeg-turbo reads before giving up: real
/// encoders write about 10; thousands of empty scans are a CPU bomb.
const MAX_SCANS: u32 = 500;

/// Decodes `bytes`, shrinking on load (JPEG) to no less than `min_long_side`
/// on the long side where the stored image is larger.
pub(crate) fn decode(bytes: &[u8], min_long_side: u32, limits: &DecodeLimits) -> Result<Rgb, PhotoError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(PhotoError::TooManyBytes {
            bytes: bytes.len() as u64,
            max: limits.max_bytes,
        });
    }
    match sniff(bytes)? {
        Sniffed::Jpeg => decode_jpeg(bytes, min_long_side, limits),
        Sniffed::Png => decode_with_image(bytes, image::ImageFormat::Png, limits),
        Sniffed::Webp => decode_with_image(bytes, image::ImageFormat::WebP, limits),
    }
}

fn check_pixels(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), PhotoError> {
    if width as u64 * height as u64 > limits.max_pixels {
        return Err(PhotoError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    Ok(())
}

/// The largest DCT shrink (1, 2, 4 or 8) that keeps the long side at or
/// above `min_long_side`. These four have SIMD inverse DCTs in libjpeg-turbo.
fn jpeg_shrink(long_side: u32, min_long_side: u32) -> usize {
    [8, 4, 2]
        .into_iter()
        .find(|&shrink| long_side.div_ceil(shrink) >= min_long_side)
        .unwrap_or(1) as usize
}

fn turbo(err: turbojpeg::Error) -> PhotoError {
    let detail = err.to_string();
    let detail = detail.strip_prefix("TurboJPEG error: ").unwrap_or(&detail).to_string();
    if detail.contains("Premature end") || detail.contains("ends prematurely") {
        PhotoError::Truncated { detail }
    } else {
        PhotoError::Corrupt { detail }
    }
}

fn decode_jpeg(bytes: &[u8], min_long_side: u32, limits: &DecodeLimits) -> Result<Rgb, PhotoError> {
    let info = jpeg_info(bytes)?;
    if info.precision != 8 {
        return Err(PhotoError::Unsupported {
            format: format!("{}-bit JPEG", info.precision),
        });
    }
    check_pixels(info.width, info.height, limits)?;
    let mut decompressor = Decompressor::new().map_err(turbo)?;
    decompressor.set_scan_limit(MAX_SCANS).map_err(turbo)?;
    let header = decompressor.read_header(bytes).map_err(turbo)?;
    check_pixels(header.width as u32, header.height as u32, limits)?;
    let shrink = if header.is_lossless {
        1
    } else {
        jpeg_shrink(info.width.max(info.height), min_long_side)
    };
    let factor = ScalingFactor::new(1, shrink);
    decompressor.set_scaling_factor(factor).map_err(turbo)?;
    let scaled = header.scaled(factor);
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let format = if cmyk { PixelFormat::CMYK } else { PixelFormat::RGB };
    let channels = format.size();
    let mut pixels = vec![0u8; scaled.width * scaled.height * channels];
    decompressor
        .decompress(
            bytes,
            Image {
                pixels: pixels.as_mut_slice(),
                width: scaled.width,
                pitch: scaled.width * channels,
                height: scaled.height,
                format,
            },
        )
        .map_err(turbo)?;
    if cmyk {
        pixels = crate::cmyk::to_rgb(&pixels, info.icc.as_deref(), info.adobe);
    }
    Ok(Rgb {
        width: scaled.width as u32,
        height: scaled.height as u32,
        pixels,
        orientation: info.exif.as_deref().map_or(1, exif_orientation),
        source: (info.width, info.height),
    })
}

fn image_err(err: image::ImageError) -> PhotoError {
    match err {
        image::ImageError::Limits(limit) => PhotoError::Corrupt {
            detail: format!("over the decoder's memory limit: {limit}"),
        },
        image::ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoError::Truncated { detail: io.to_string() }
        }
        image::ImageError::Unsupported(unsupported) => PhotoError::Unsupported {
            format: unsupported.to_string(),
        },
        other => {
            let detail = other.to_string();
            if detail.contains("EOF") || detail.contains("end of file") || detail.contains("fill whole buffer") {
                PhotoError::Truncated { detail }
            } else {
                PhotoError::Corrupt { detail }
            }
        }
    }
}

fn decode_with_image(bytes: &[u8], format: image::ImageFormat, limits: &DecodeLimits) -> Result<Rgb, PhotoError> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder_limits = image::Limits::default();
    // RGBA16 is the widest buffer these decoders fill: 8 bytes a pixel.
    decoder_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(1 << 20));
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(image_err)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    let orientation = decoder.orientation().map_or(1, orientation_code);
    let image = image::DynamicImage::from_decoder(decoder).map_err(image_err)?;
    let pixels = if image.color().has_alpha() {
        over_white(&image.into_rgba8())
    } else {
        image.into_rgb8().into_raw()
    };
    Ok(Rgb {
        width,
        height,
        pixels,
        orientation,
        source: (width, height),
    })
}

fn orientation_code(orientation: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match orientation {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// Composites RGBA over white: thumbnails carry no alpha.
fn over_white(rgba: &image::RgbaImage) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.width() as usize * rgba.height() as usize * 3);
    for px in rgba.pixels() {
        let [r, g, b, a] = px.0;
        let a = a as u32;
        for c in [r, g, b] {
            out.push(((c as u32 * a + 255 * (255 - a) + 127) / 255) as u8);
        }
    }
    out
}
