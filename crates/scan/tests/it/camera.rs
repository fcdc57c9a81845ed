//! Live camera frames ([`Effort::Fast`]): the fixture photos placed in a
//! 1280x720 frame, as the scanner view sends them.

use stockroom_scan::{decode_luma_with, Effort};

use crate::fixtures::{expected, found, luma_of};
use crate::frame::{frame_around, HEIGHT, WIDTH};

#[test]
fn camera_frames_read_codes_of_every_kind_and_nothing_wrong() {
    let mut read = Vec::new();
    let mut wrong = Vec::new();
    for case in expected() {
        let (width, height, luma) = luma_of(&case.path);
        let codes = decode_luma_with(
            WIDTH as u32,
            HEIGHT as u32,
            &frame_around(width, height, &luma, &mut 0x2545_f491_4f6c_dd1d),
            Effort::Fast,
        )
        .unwrap();
        let name = case
            .path
            .strip_prefix(case.path.parent().unwrap().parent().unwrap())
            .unwrap();
        let name = name.to_string_lossy().replace('\\', "/");
        match case.format {
            Some(format) if found(&codes, format, &case.text) => read.push(name),
            // The quick pass may miss a hard photo, but never reads a wrong code.
            _ if codes.is_empty() => {}
            _ => wrong.push(format!("{name}: got {codes:?}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // One of each kind that the quick pass reads today: a regression guard
    // for any change that makes the camera path cheaper.
    let must_read = [
        "ean13-1/1.jpg",
        "ean8-1/1.png",
        "upce-1/1.png",
        "code39-1/2.jpg",
        "itf-1/1.png",
        "qrcode-1/1.jpg",
        "qrcode-3/13.jpg",
        "datamatrix-1/abcd-18x8.png",
        "datamatrix-3/abcd-48x8.png",
    ];
    let missed: Vec<&str> = must_read
        .into_iter()
        .filter(|pick| !read.iter().any(|name| name == pick))
        .collect();
    assert!(
        missed.is_empty(),
        "not read in a camera frame: {missed:?} (read: {read:?})"
    );
}
