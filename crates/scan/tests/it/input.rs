//! Bad input: wrong buffer sizes, absurd dimensions, empty, truncated and
//! non-image files, a PNG that claims to be huge, and panics in a decoder.

use stockroom_scan::{decode_image_bytes, decode_luma, decode_path, isolate_panics, ScanError};

use crate::fixtures::expected;

#[test]
fn luma_buffers_are_checked_before_decoding() {
    assert!(matches!(
        decode_luma(4, 4, &[0; 15]),
        Err(ScanError::BufferSize {
            expected: 16,
            actual: 15,
            ..
        })
    ));
    assert!(matches!(decode_luma(0, 10, &[]), Err(ScanError::Empty { .. })));
    // Refused on the dimensions alone, without looking at (or allocating) pixels.
    assert!(matches!(decode_luma(100_000, 10, &[]), Err(ScanError::TooLarge { .. })));
    assert!(matches!(
        decode_luma(10_000, 10_000, &[]),
        Err(ScanError::TooLarge { .. })
    ));
    let blank = vec![255u8; 64 * 48];
    assert_eq!(decode_luma(64, 48, &blank).unwrap(), Vec::new());
}

#[test]
fn broken_files_give_clear_errors() {
    assert!(matches!(decode_image_bytes(&[]), Err(ScanError::Image { .. })));
    assert!(matches!(
        decode_image_bytes(b"not an image at all\n"),
        Err(ScanError::Image { .. })
    ));
    let photo = expected()
        .into_iter()
        .find(|case| case.path.ends_with("ean13-1/1.jpg"))
        .unwrap();
    let bytes = std::fs::read(&photo.path).unwrap();
    // A JPEG cut short decodes to what survives or errors; never a panic.
    for cut in [10, 200, bytes.len() / 2] {
        match decode_image_bytes(&bytes[..cut]) {
            Ok(_) | Err(ScanError::Image { .. }) => {}
            Err(other) => panic!("cut at {cut}: {other}"),
        }
    }
    // Flipped bytes in the middle of the data.
    let mut corrupt = bytes.clone();
    for index in (bytes.len() / 3..bytes.len() / 2).step_by(97) {
        corrupt[index] ^= 0x5a;
    }
    assert!(matches!(
        decode_image_bytes(&corrupt),
        Ok(_) | Err(ScanError::Image { .. })
    ));
    let missing = std::path::Path::new("/nonexistent/stockroom/scan.png");
    let error = decode_path(missing).unwrap_err();
    assert!(matches!(error, ScanError::Io { .. }), "{error}");
    assert_eq!(error.code(), "scan.io");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width` x `height` pixels (and holds none).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = b"IHDR".to_vec();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&header);
    png.extend_from_slice(&crc32(&header).to_be_bytes());
    for chunk in [b"IDAT", b"IEND"] {
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(chunk);
        png.extend_from_slice(&crc32(chunk).to_be_bytes());
    }
    png
}

#[test]
fn images_claiming_absurd_sizes_are_refused_before_decoding() {
    for (width, height) in [(60_000, 60_000), (10_000, 10_000), (1, 16_385)] {
        let error = decode_image_bytes(&png_claiming(width, height)).unwrap_err();
        assert!(
            matches!(error, ScanError::TooLarge { .. } | ScanError::Image { .. }),
            "{width}x{height}: {error}"
        );
    }
    let error = decode_image_bytes(&png_claiming(10_000, 10_000)).unwrap_err();
    assert!(matches!(error, ScanError::TooLarge { width: 10_000, .. }), "{error}");
}

#[test]
fn a_panic_in_a_decoder_becomes_an_error() {
    let error = isolate_panics(|| -> u32 { panic!("decoder bug") }).unwrap_err();
    assert!(
        matches!(&error, ScanError::DecoderPanic { reason } if reason == "decoder bug"),
        "{error}"
    );
    assert_eq!(error.code(), "scan.decoder_failed");
    assert_eq!(isolate_panics(|| 7).unwrap(), 7);
}
