//! Encoding thumbnails: JPEG with libjpeg-turbo, WebP (lossy) with libwebp.

use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

use crate::{PhotoError, ThumbFormat};

/// JPEG quality of thumbnails (libvips' default is 75).
pub const JPEG_QUALITY: i32 = 80;
/// WebP quality of thumbnails (libwebp's scale, lossy).
pub const WEBP_QUALITY: f32 = 80.0;

pub(crate) fn encode(pixels: &[u8], width: u32, height: u32, format: ThumbFormat) -> Result<Vec<u8>, PhotoError> {
    let failed = |detail: String| PhotoError::Encode { detail };
    match format {
        ThumbFormat::Jpeg => {
            let mut compressor = Compressor::new().map_err(|e| failed(e.to_string()))?;
            compressor
                .set_quality(JPEG_QUALITY)
                .map_err(|e| failed(e.to_string()))?;
            compressor
                .set_subsamp(Subsamp::Sub2x2)
                .map_err(|e| failed(e.to_string()))?;
            compressor
                .compress_to_vec(Image {
                    pixels,
                    width: width as usize,
                    pitch: width as usize * 3,
                    height: height as usize,
                    format: PixelFormat::RGB,
                })
                .map_err(|e| failed(e.to_string()))
        }
        ThumbFormat::Webp => {
            if width > 16383 || height > 16383 {
                return Err(failed(format!("{width}x{height} is over WebP's 16383 px limit")));
            }
            let encoded = webp::Encoder::from_rgb(pixels, width, height).encode(WEBP_QUALITY);
            if encoded.is_empty() {
                return Err(failed("libwebp returned no data".into()));
            }
            Ok(encoded.to_vec())
        }
    }
}
