//! Fuzz target: any bytes through decoding and thumbnailing must give a
//! thumbnail or a `PhotoError`, never a crash, hang or runaway allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stockroom_photos::{make_thumbnails, DecodeLimits, ThumbFormat, ThumbSpec};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each run fast; the checks are the same as in use.
    let limits = DecodeLimits {
        max_pixels: 4_000_000,
        max_bytes: 1 << 20,
    };
    let specs = [
        ThumbSpec {
            long_side: 64,
            format: ThumbFormat::Jpeg,
        },
        ThumbSpec {
            long_side: 32,
            format: ThumbFormat::Webp,
        },
    ];
    if let Ok(thumbs) = make_thumbnails(data, &specs, &limits) {
        for thumb in thumbs {
            assert!(thumb.width >= 1 && thumb.height >= 1 && thumb.width.max(thumb.height) <= 64);
            assert!(!thumb.bytes.is_empty());
        }
    }
});
