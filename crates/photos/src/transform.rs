//! Resizing with `fast_image_resize` (SIMD convolution) and applying the
//! EXIF orientation to packed RGB.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::PhotoError;

/// Size of the thumbnail of a `width` x `height` image with `long_side` on
/// its long side, never enlarged.
pub(crate) fn fit(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width, height);
    }
    let scale = |side: u32| ((side as u64 * long_side as u64 + long as u64 / 2) / long as u64).max(1) as u32;
    (scale(width), scale(height))
}

/// Resizes packed RGB to exactly `to` (Lanczos3, like libvips' default).
pub(crate) fn resize(pixels: &[u8], width: u32, height: u32, to: (u32, u32)) -> Result<Vec<u8>, PhotoError> {
    if (width, height) == to {
        return Ok(pixels.to_vec());
    }
    let src = ImageRef::new(width, height, pixels, PixelType::U8x3).map_err(|err| PhotoError::Internal {
        detail: format!("resize source: {err}"),
    })?;
    let mut dst = Image::new(to.0, to.1, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|err| PhotoError::Internal {
            detail: format!("resize: {err}"),
        })?;
    Ok(dst.into_vec())
}

/// Applies EXIF orientation `orientation` (1..=8): returns the upright
/// pixels and their size.
pub(crate) fn orient(pixels: Vec<u8>, width: u32, height: u32, orientation: u8) -> (Vec<u8>, u32, u32) {
    if !(2..=8).contains(&orientation) {
        return (pixels, width, height);
    }
    let (w, h) = (width as usize, height as usize);
    let swap = orientation >= 5;
    let (ow, oh) = if swap { (h, w) } else { (w, h) };
    let mut out = vec![0u8; pixels.len()];
    for y in 0..oh {
        for x in 0..ow {
            // The source pixel shown at (x, y) of the upright image.
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x),
            };
            let from = (sy * w + sx) * 3;
            let to = (y * ow + x) * 3;
            out[to..to + 3].copy_from_slice(&pixels[from..from + 3]);
        }
    }
    (out, ow as u32, oh as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 image whose pixels are numbered 0..6 in the red channel.
    fn numbered() -> Vec<u8> {
        (0..6u8).flat_map(|i| [i, 0, 0]).collect()
    }

    fn reds(pixels: &[u8]) -> Vec<u8> {
        pixels.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn every_orientation_maps_pixels_as_exif_says() {
        // Stored:  0 1 2 / 3 4 5
        let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (orientation, size, expected) in cases {
            let (out, w, h) = orient(numbered(), 3, 2, orientation);
            assert_eq!((w, h), size, "orientation {orientation}");
            assert_eq!(reds(&out), expected, "orientation {orientation}");
        }
    }

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit(6000, 4000, 256), (256, 171));
        assert_eq!(fit(3000, 4000, 1024), (768, 1024));
        assert_eq!(fit(200, 100, 256), (200, 100));
        assert_eq!(fit(10000, 1, 256), (256, 1));
    }
}
