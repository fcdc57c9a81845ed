//! Format sniffing and a JPEG marker walk: frame size and precision, EXIF,
//! ICC profile chunks and the Adobe marker, read before any pixel is decoded.

use crate::PhotoError;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Jpeg,
    Png,
    Webp,
}

/// Recognises the formats we decode and names the ones we refuse.
pub(crate) fn sniff(bytes: &[u8]) -> Result<Sniffed, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Sniffed::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Sniffed::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Sniffed::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        let format = match brand {
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => "HEIC/HEIF",
            b"avif" | b"avis" => "AVIF",
            _ => "ISO media",
        };
        return Err(PhotoError::Unsupported { format: format.into() });
    }
    for (magic, format) in [
        (&b"GIF8"[..], "GIF"),
        (&b"BM"[..], "BMP"),
        (&b"II*\0"[..], "TIFF"),
        (&b"MM\0*"[..], "TIFF"),
    ] {
        if bytes.starts_with(magic) {
            return Err(PhotoError::Unsupported { format: format.into() });
        }
    }
    // A JPEG start marker a little way in: something was written before it.
    let head = &bytes[..bytes.len().min(4096)];
    if let Some(at) = head.windows(3).position(|w| w == [0xFF, 0xD8, 0xFF]) {
        return Err(PhotoError::Corrupt {
            detail: format!("{at} bytes of junk before the JPEG start marker"),
        });
    }
    Err(PhotoError::NotAnImage)
}

/// What the JPEG's markers before the first scan say.
#[derive(Debug, Default)]
pub(crate) struct JpegInfo {
    pub width: u32,
    pub height: u32,
    pub precision: u8,
    pub components: u8,
    pub exif: Option<Vec<u8>>,
    pub icc: Option<Vec<u8>>,
    /// An Adobe APP14 marker: CMYK samples are stored inverted.
    pub adobe: bool,
}

/// Walks the markers up to the first scan (start of scan or end of data).
pub(crate) fn jpeg_info(bytes: &[u8]) -> Result<JpegInfo, PhotoError> {
    let mut info = JpegInfo::default();
    let mut icc_chunks: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut at = 2;
    let mut frame = false;
    loop {
        // Fill bytes: any number of 0xFF before the marker code.
        while at < bytes.len() && bytes[at] == 0xFF && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if at + 1 >= bytes.len() {
            return Err(PhotoError::Truncated {
                detail: "the file ends inside the JPEG header".into(),
            });
        }
        if bytes[at] != 0xFF {
            return Err(PhotoError::Corrupt {
                detail: format!("no JPEG marker at byte {at}"),
            });
        }
        let marker = bytes[at + 1];
        at += 2;
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        if marker == 0xD9 {
            return Err(PhotoError::Corrupt {
                detail: "the JPEG ends before any image data".into(),
            });
        }
        if at + 2 > bytes.len() {
            return Err(PhotoError::Truncated {
                detail: "the file ends inside the JPEG header".into(),
            });
        }
        let len = u16::from_be_bytes([bytes[at], bytes[at + 1]]) as usize;
        if len < 2 {
            return Err(PhotoError::Corrupt {
                detail: format!("JPEG marker 0x{marker:02X} has length {len}"),
            });
        }
        let Some(body) = bytes.get(at + 2..at + len) else {
            return Err(PhotoError::Truncated {
                detail: "the file ends inside the JPEG header".into(),
            });
        };
        match marker {
            0xE1 if body.starts_with(b"Exif\0\0") && info.exif.is_none() => info.exif = Some(body[6..].to_vec()),
            0xE2 if body.starts_with(b"ICC_PROFILE\0") && body.len() > 14 => {
                icc_chunks.push((body[12], body[14..].to_vec()));
            }
            0xEE if body.starts_with(b"Adobe") => info.adobe = true,
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                if body.len() < 6 {
                    return Err(PhotoError::Corrupt {
                        detail: "JPEG frame header too short".into(),
                    });
                }
                info.precision = body[0];
                info.height = u16::from_be_bytes([body[1], body[2]]) as u32;
                info.width = u16::from_be_bytes([body[3], body[4]]) as u32;
                info.components = body[5];
                frame = true;
            }
            0xDA => break,
            _ => {}
        }
        at += len;
    }
    if !frame {
        return Err(PhotoError::Corrupt {
            detail: "the JPEG has no frame header before its image data".into(),
        });
    }
    if info.width == 0 || info.height == 0 {
        return Err(PhotoError::Corrupt {
            detail: format!("JPEG frame size {}x{}", info.width, info.height),
        });
    }
    if !icc_chunks.is_empty() {
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        info.icc = Some(icc_chunks.into_iter().flat_map(|(_, chunk)| chunk).collect());
    }
    Ok(info)
}

/// The EXIF orientation (1..=8) in a raw EXIF (TIFF) block; 1 when absent or unreadable.
pub(crate) fn exif_orientation(exif: &[u8]) -> u8 {
    let Ok(parsed) = exif::Reader::new().read_raw(exif.to_vec()) else {
        return 1;
    };
    parsed
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|field| field.value.get_uint(0))
        .filter(|value| (1..=8).contains(value))
        .map_or(1, |value| value as u8)
}
