//! Integration tests of the photo pipeline on real files: orientation,
//! CMYK, sizes, limits, and a clear error for every kind of broken file.

use std::path::PathBuf;

use stockroom_photos::{make_thumbnail, make_thumbnails, DecodeLimits, PhotoError, ThumbFormat, ThumbSpec};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

fn spec(long_side: u32, format: ThumbFormat) -> ThumbSpec {
    ThumbSpec { long_side, format }
}

fn thumb(name: &str, long_side: u32) -> Result<stockroom_photos::Thumbnail, PhotoError> {
    make_thumbnail(
        &fixture(name),
        spec(long_side, ThumbFormat::Jpeg),
        &DecodeLimits::default(),
    )
}

/// Decodes a JPEG thumbnail back to RGB.
fn pixels(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
    let image = turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).expect("thumbnail decodes");
    (image.width, image.height, image.pixels)
}

/// Mean absolute difference per sample of two same-sized RGB images.
fn difference(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as f64).sum::<f64>() / a.len() as f64
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    for shape in ["Landscape", "Portrait"] {
        let upright = thumb(&format!("orientation/O_{shape}_1.jpg"), 48).unwrap();
        let (w, h, reference) = pixels(&upright.bytes);
        assert_eq!((w > h), shape == "Landscape", "{shape} reference is {w}x{h}");
        // The stored pixels of orientation 2..=8 differ from the upright
        // picture; only a correct transform brings them back.
        for orientation in 2..=8 {
            let name = format!("orientation/O_{shape}_{orientation}.jpg");
            let t = thumb(&name, 48).unwrap();
            assert_eq!((t.width, t.height), (upright.width, upright.height), "{name}");
            let (_, _, got) = pixels(&t.bytes);
            let diff = difference(&reference, &got);
            assert!(diff < 12.0, "{name} is not upright: mean difference {diff:.1}");
            // The same pixels without the transform are far off.
            let mirrored: Vec<u8> = got
                .chunks(w * 3)
                .flat_map(|row| row.chunks(3).rev().flatten().copied().collect::<Vec<_>>())
                .collect();
            assert!(
                difference(&reference, &mirrored) > 20.0,
                "{name}: the check cannot tell a mirror"
            );
        }
    }
    // Orientation 0 is not a valid value: the photo is shown as stored.
    let invalid = thumb("orientation/O_Landscape_0_invalid.jpg", 48).unwrap();
    assert!(invalid.width > invalid.height);
}

#[test]
fn orientation_six_turns_progressive_and_grey_jpegs() {
    let t = thumb("O_vips-rotation6_prog.jpg", 100).unwrap();
    assert_eq!((t.width, t.height), (75, 100), "308x231 stored, orientation 6");
    let t = thumb("O_gray-portrait_o6.jpg", 256).unwrap();
    assert_eq!((t.width, t.height), (256, 213), "700x840 stored, orientation 6");
}

#[test]
fn sizes_follow_the_long_side_and_never_enlarge() {
    let t = thumb("M16_nikon-e950_small.jpg", 256).unwrap();
    assert_eq!((t.width, t.height), (256, 192));
    assert_eq!(pixels(&t.bytes).0, 256);
    let t = thumb("M16_nikon-e950_small.jpg", 1024).unwrap();
    assert_eq!((t.width, t.height), (800, 600), "smaller than asked: kept as is");
    let t = thumb("F_vips-indexed.png", 256).unwrap();
    assert_eq!((t.width, t.height), (168, 256));
    let t = thumb("F_progressive-3.jpg", 256).unwrap();
    assert_eq!((t.width, t.height), (256, 185));
}

#[test]
fn one_decode_makes_both_sizes_in_both_formats() {
    let specs = [
        spec(256, ThumbFormat::Webp),
        spec(1024, ThumbFormat::Jpeg),
        spec(64, ThumbFormat::Jpeg),
    ];
    let thumbs = make_thumbnails(&fixture("F_vips-1.webp"), &specs, &DecodeLimits::default()).unwrap();
    let sizes: Vec<_> = thumbs.iter().map(|t| (t.width, t.height, t.format)).collect();
    assert_eq!(
        sizes,
        [
            (256, 171, ThumbFormat::Webp),
            (550, 368, ThumbFormat::Jpeg),
            (64, 43, ThumbFormat::Jpeg)
        ]
    );
    assert!(thumbs[0].bytes.starts_with(b"RIFF") && &thumbs[0].bytes[8..12] == b"WEBP");
    assert!(thumbs[1].bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
}

/// Mean RGB of a JPEG thumbnail.
fn mean_rgb(jpeg: &[u8]) -> [f64; 3] {
    let (_, _, px) = pixels(jpeg);
    let n = (px.len() / 3) as f64;
    let mut sum = [0f64; 3];
    for p in px.chunks(3) {
        for c in 0..3 {
            sum[c] += p[c] as f64;
        }
    }
    sum.map(|s| s / n)
}

#[test]
fn cmyk_jpegs_become_rgb_through_their_icc_profile() {
    // The sharp fixture: a colourful photo (warm, sky and grass) stored in
    // Adobe-inverted CMYK with a CMYK profile. Inverted or unconverted it
    // comes out as a dark negative.
    let t = thumb("F_cmyk_with-icc.jpg", 256).unwrap();
    assert_eq!((t.width, t.height), (256, 170));
    let [r, g, b] = mean_rgb(&t.bytes);
    let mean = (r + g + b) / 3.0;
    assert!(
        (60.0..200.0).contains(&mean),
        "mean level {mean:.0} ({r:.0},{g:.0},{b:.0})"
    );
    let t = thumb("F_pillow-cmyk.jpg", 64).unwrap();
    assert_eq!((t.width, t.height), (64, 64));
}

#[test]
fn pixel_bombs_are_refused_from_the_header() {
    // A real small JPEG whose frame header claims 20000x14000 (280 MP):
    // refused before any pixel buffer is allocated.
    let mut bomb = fixture("F_gray-concert.jpg");
    let sof = bomb
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame header");
    bomb[sof + 5..sof + 7].copy_from_slice(&14000u16.to_be_bytes());
    bomb[sof + 7..sof + 9].copy_from_slice(&20000u16.to_be_bytes());
    let err = make_thumbnail(&bomb, spec(256, ThumbFormat::Jpeg), &DecodeLimits::default()).unwrap_err();
    assert_eq!(
        err,
        PhotoError::TooManyPixels {
            width: 20000,
            height: 14000,
            max: 100_000_000
        }
    );
    // Tighter limits, pixels and bytes, on an ordinary photo.
    let limits = DecodeLimits {
        max_pixels: 100_000,
        ..DecodeLimits::default()
    };
    assert_eq!(
        thumb_with("M16_nikon-e950_small.jpg", &limits).unwrap_err().code(),
        "photo_too_many_pixels"
    );
    let png_limits = DecodeLimits {
        max_pixels: 1000,
        ..DecodeLimits::default()
    };
    assert_eq!(
        thumb_with("F_vips-indexed.png", &png_limits).unwrap_err().code(),
        "photo_too_many_pixels"
    );
    let limits = DecodeLimits {
        max_bytes: 1000,
        ..DecodeLimits::default()
    };
    assert_eq!(
        thumb_with("M16_nikon-e950_small.jpg", &limits).unwrap_err().code(),
        "photo_too_many_bytes"
    );
}

fn thumb_with(name: &str, limits: &DecodeLimits) -> Result<stockroom_photos::Thumbnail, PhotoError> {
    make_thumbnail(&fixture(name), spec(256, ThumbFormat::Jpeg), limits)
}

#[test]
fn every_broken_file_gives_its_error() {
    let cases = [
        ("B_zero-bytes.jpg", "photo_empty"),
        ("B_not-an-image.jpg", "photo_not_an_image"),
        ("B_truncated-10k_6mp.jpg", "photo_truncated"),
        ("B_truncated_prog.jpg", "photo_truncated"),
        ("B_truncated.png", "photo_truncated"),
        ("B_ultrahdr-stub_pixel6.jpg", "photo_truncated"),
        ("B_corrupt-header.jpg", "photo_truncated"),
        ("B_junk-before-soi.jpg", "photo_corrupt"),
        ("X_12bit.jpg", "photo_unsupported_format"),
        ("X_iphone-head.heic", "photo_unsupported_format"),
    ];
    for (name, code) in cases {
        let err = thumb(name, 256).expect_err(name);
        assert_eq!(err.code(), code, "{name}: {err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn corrupt_entropy_data_is_an_error() {
    let mut bytes = fixture("M16_nikon-e950_small.jpg");
    let sos = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
    // Overwrite the middle of the scan with restart markers out of order.
    let mid = sos + (bytes.len() - sos) / 2;
    for (i, b) in bytes[mid..mid + 64].iter_mut().enumerate() {
        *b = if i % 2 == 0 { 0xFF } else { 0xD3 };
    }
    let err = thumb_bytes(&bytes).unwrap_err();
    assert!(matches!(err.code(), "photo_corrupt" | "photo_truncated"), "{err}");
}

fn thumb_bytes(bytes: &[u8]) -> Result<stockroom_photos::Thumbnail, PhotoError> {
    make_thumbnail(bytes, spec(256, ThumbFormat::Jpeg), &DecodeLimits::default())
}

#[test]
fn odd_but_sound_files_decode() {
    // Unreadable EXIF: shown as stored.
    let t = thumb("B_invalid-exif.jpg", 256).unwrap();
    assert_eq!((t.width, t.height), (256, 72));
    // The format comes from the bytes, not the name.
    let t = thumb_bytes(&fixture("F_progressive-3.jpg")).unwrap();
    assert_eq!(t.width, 256);
    // Every prefix of a photo is refused cleanly or decoded, never a panic.
    let whole = fixture("O_vips-rotation6_prog.jpg");
    for len in (0..whole.len()).step_by(997) {
        let _ = thumb_bytes(&whole[..len]);
    }
}

#[test]
fn bad_sizes_are_refused() {
    for long_side in [0, 100_000] {
        let err = make_thumbnail(
            &fixture("F_gray-concert.jpg"),
            spec(long_side, ThumbFormat::Jpeg),
            &DecodeLimits::default(),
        )
        .unwrap_err();
        assert_eq!(err, PhotoError::InvalidSize { long_side });
    }
}
