//! Decoding the fixture images (ZXing blackbox samples): each format, the
//! false-positive photos, and rotated copies.

use std::path::{Path, PathBuf};

use stockroom_scan::{decode_luma, decode_path, Decoded, Format};

pub struct Expected {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub text: String,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn unescape(text: &str) -> String {
    let mut plain = String::new();
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        match (character, character == '\\') {
            (_, true) => match characters.next() {
                Some('n') => plain.push('\n'),
                Some('r') => plain.push('\r'),
                Some('t') => plain.push('\t'),
                Some(other) => plain.push(other),
                None => {}
            },
            (other, false) => plain.push(other),
        }
    }
    plain
}

pub fn expected() -> Vec<Expected> {
    let listing = std::fs::read_to_string(fixture_dir().join("expected.tsv")).unwrap();
    listing
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Expected {
                path: fixture_dir().join(fields[0]),
                format: Format::from_name(fields[1]),
                text: unescape(fields.get(2).copied().unwrap_or("")),
            }
        })
        .collect()
}

/// True when `codes` holds the expected code; EAN-13, UPC-A and UPC-E are
/// compared as the same GTIN-13.
pub fn found(codes: &[Decoded], format: Format, text: &str) -> bool {
    let wanted = Decoded {
        format,
        text: text.to_string(),
    };
    codes.iter().any(|code| match (code.gtin13(), wanted.gtin13()) {
        (Some(got), Some(want)) => got == want,
        _ => *code == wanted,
    })
}

#[test]
fn every_format_is_read_and_photos_without_a_code_read_nothing() {
    let mut misses = Vec::new();
    let mut formats = std::collections::BTreeSet::new();
    for case in expected() {
        let codes = decode_path(&case.path).unwrap();
        match case.format {
            Some(format) => {
                formats.insert(format);
                if !found(&codes, format, &case.text) {
                    misses.push(format!(
                        "{}: want {format} {:?}, got {codes:?}",
                        case.path.display(),
                        case.text
                    ));
                }
            }
            None if !codes.is_empty() => misses.push(format!("{}: false positive {codes:?}", case.path.display())),
            None => {}
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
    assert_eq!(formats.len(), Format::ALL.len(), "the fixtures cover every format");
}

#[test]
fn full_ascii_and_control_characters_come_through() {
    let case = expected().into_iter().find(|case| case.text.contains("\r\n")).unwrap();
    let codes = decode_path(&case.path).unwrap();
    assert_eq!(codes[0].text, case.text);
}

pub fn luma_of(path: &Path) -> (u32, u32, Vec<u8>) {
    let image = image::open(path).unwrap().into_luma8();
    let (width, height) = image.dimensions();
    (width, height, image.into_raw())
}

/// The image turned a quarter turn clockwise `turns` times.
fn rotate(width: u32, height: u32, luma: &[u8], turns: u32) -> (u32, u32, Vec<u8>) {
    let (mut width, mut height, mut pixels) = (width as usize, height as usize, luma.to_vec());
    for _ in 0..turns % 4 {
        let mut turned = vec![0u8; pixels.len()];
        for y in 0..height {
            for x in 0..width {
                // (x, y) goes to (height - 1 - y, x) in the turned image (width `height`).
                turned[x * height + (height - 1 - y)] = pixels[y * width + x];
            }
        }
        (width, height, pixels) = (height, width, turned);
    }
    (width as u32, height as u32, pixels)
}

#[test]
fn rotated_codes_are_read() {
    let picks = [
        "ean13-3/41.jpg",
        "upca-3/03.jpg",
        "code128-1/5.png",
        "itf-1/1.png",
        "qrcode-3/13.jpg",
        "datamatrix-1/abcd-18x8.png",
    ];
    let mut misses = Vec::new();
    for case in expected()
        .into_iter()
        .filter(|case| picks.iter().any(|pick| case.path.ends_with(pick)))
    {
        let (width, height, luma) = luma_of(&case.path);
        for turns in 1..4 {
            let (turned_width, turned_height, turned) = rotate(width, height, &luma, turns);
            let codes = decode_luma(turned_width, turned_height, &turned).unwrap();
            if !found(&codes, case.format.unwrap(), &case.text) {
                misses.push(format!("{} turned {}°: got {codes:?}", case.path.display(), turns * 90));
            }
        }
    }
    assert!(misses.is_empty(), "{misses:#?}");
}

#[test]
fn gtin13_normalises_upc_a_and_upc_e() {
    let code = |format, text: &str| Decoded {
        format,
        text: text.to_string(),
    };
    assert_eq!(
        code(Format::UpcA, "036000291452").gtin13().as_deref(),
        Some("0036000291452")
    );
    assert_eq!(
        code(Format::UpcE, "04252614").gtin13().as_deref(),
        Some("0042100005264")
    );
    assert_eq!(
        code(Format::Ean13, "4006381333931").gtin13().as_deref(),
        Some("4006381333931")
    );
    assert_eq!(code(Format::Ean13, "4006381333932").gtin13(), None);
    assert_eq!(code(Format::Code128, "4006381333931").gtin13(), None);
    assert_eq!(code(Format::UpcE, "04252614").lookup_key(), "0042100005264");
    assert_eq!(code(Format::Ean8, "96385074").lookup_key(), "96385074");
    assert_eq!(code(Format::QrCode, "hello").lookup_key(), "hello");
}

#[test]
fn format_names_are_stable() {
    let names: Vec<&str> = Format::ALL.iter().map(|format| format.as_str()).collect();
    assert_eq!(
        names,
        [
            "EAN_13",
            "EAN_8",
            "UPC_A",
            "UPC_E",
            "CODE_128",
            "CODE_39",
            "ITF",
            "QR_CODE",
            "DATA_MATRIX"
        ]
    );
    for format in Format::ALL {
        assert_eq!(Format::from_name(format.as_str()), Some(format));
    }
    assert_eq!(Format::from_name("PDF_417"), None);
}
