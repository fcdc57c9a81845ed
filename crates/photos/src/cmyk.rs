//! CMYK to sRGB: through the embedded ICC profile with `moxcms` when there is
//! one, by the naive formula otherwise.

use std::sync::OnceLock;

use moxcms::{ColorProfile, Layout, TransformOptions};

/// Converts packed CMYK (4 bytes a pixel, as libjpeg returns them) to packed RGB.
/// `adobe`: the samples are stored inverted (Adobe APP14), as Photoshop writes them.
pub(crate) fn to_rgb(cmyk: &[u8], icc: Option<&[u8]>, adobe: bool) -> Vec<u8> {
    let mut ink: Vec<u8> = cmyk.to_vec();
    if adobe {
        ink.iter_mut().for_each(|v| *v = 255 - *v);
    }
    if let Some(rgb) = icc.and_then(|icc| with_profile(&ink, icc)) {
        return rgb;
    }
    let mut rgb = Vec::with_capacity(ink.len() / 4 * 3);
    for px in ink.chunks_exact(4) {
        let k = 255 - px[3] as u32;
        for c in &px[..3] {
            rgb.push(((255 - *c as u32) * k / 255) as u8);
        }
    }
    rgb
}

fn srgb() -> &'static ColorProfile {
    static SRGB: OnceLock<ColorProfile> = OnceLock::new();
    SRGB.get_or_init(ColorProfile::new_srgb)
}

/// `None` when the profile is unreadable or not a CMYK profile.
fn with_profile(ink: &[u8], icc: &[u8]) -> Option<Vec<u8>> {
    let profile = ColorProfile::new_from_slice(icc).ok()?;
    if profile.color_space != moxcms::DataColorSpace::Cmyk {
        return None;
    }
    let transform = profile
        .create_transform_8bit(Layout::Rgba, srgb(), Layout::Rgb, TransformOptions::default())
        .ok()?;
    let mut rgb = vec![0u8; ink.len() / 4 * 3];
    transform.transform(ink, &mut rgb).ok()?;
    Some(rgb)
}
