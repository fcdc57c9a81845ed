//! The decoding passes over rxing: limits, panic isolation, the confirmation
//! of 1-D reads on neighbouring rows, and the per-format sanity checks.

use std::collections::HashSet;
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rxing::common::HybridBinarizer;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8LuminanceSource, MultiFormatReader, RXingResult, Reader};

use crate::{code39, gtin, Decoded, Effort, Format, ScanError, MAX_DIMENSION, MAX_FILE_BYTES, MAX_PIXELS};

/// Rows on each side of the found row that the confirmation leaves out: the
/// code must read again at least this many rows + 1 away.
const CONFIRM_GAP_ROWS: i64 = 1;
/// Half the height of the band searched for the confirming read, as a
/// fraction of the code's length (a printed bar code is at least this tall).
const CONFIRM_BAND_FRACTION: f32 = 0.15;

/// Decodes the codes in an 8-bit luminance image (row-major, `width *
/// height` bytes), looking hard ([`Effort::Thorough`]).
pub fn decode_luma(width: u32, height: u32, luma: &[u8]) -> Result<Vec<Decoded>, ScanError> {
    decode_luma_with(width, height, luma, Effort::Thorough)
}

/// Decodes the codes in an 8-bit luminance image with the given effort.
pub fn decode_luma_with(width: u32, height: u32, luma: &[u8], effort: Effort) -> Result<Vec<Decoded>, ScanError> {
    check_dimensions(width, height)?;
    let expected = u64::from(width) * u64::from(height);
    if luma.len() as u64 != expected {
        return Err(ScanError::BufferSize {
            width,
            height,
            expected,
            actual: luma.len(),
        });
    }
    let passes: &[(bool, bool)] = match effort {
        // (try harder, inverted)
        Effort::Fast => &[(false, false)],
        Effort::Thorough => &[(false, false), (true, false), (true, true)],
    };
    let mut inverted: Option<Vec<u8>> = None;
    let mut failure = None;
    for &(try_harder, invert) in passes {
        let pixels: &[u8] = if invert {
            inverted.get_or_insert_with(|| luma.iter().map(|value| 255 - value).collect())
        } else {
            luma
        };
        match isolate_panics(|| read_once(pixels, width, height, try_harder, None)) {
            Ok(Some(result)) => {
                let found = accept(pixels, width, height, &result);
                if !found.is_empty() {
                    return Ok(found);
                }
            }
            Ok(None) => {}
            Err(error) => failure = Some(error),
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(Vec::new()),
    }
}

/// Decodes the codes in a JPEG or PNG file's bytes.
pub fn decode_image_bytes(bytes: &[u8]) -> Result<Vec<Decoded>, ScanError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ScanError::FileTooLarge {
            bytes: bytes.len() as u64,
        });
    }
    let (width, height) = limited_reader(bytes)?.into_dimensions().map_err(image_error)?;
    check_dimensions(width, height)?;
    let reader = limited_reader(bytes)?;
    let image = isolate_panics(|| reader.decode())?.map_err(image_error)?;
    let luma = image.into_luma8();
    let (width, height) = luma.dimensions();
    decode_luma(width, height, luma.as_raw())
}

fn image_error(error: image::ImageError) -> ScanError {
    ScanError::Image {
        reason: error.to_string(),
    }
}

/// A reader of `bytes` (format guessed from the content) that refuses
/// images beyond the size limits.
fn limited_reader(bytes: &[u8]) -> Result<image::ImageReader<Cursor<&[u8]>>, ScanError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| ScanError::Image {
            reason: error.to_string(),
        })?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    // The decoded image at the pixel limit, with room for the conversion.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    Ok(reader)
}

/// Decodes the codes in a JPEG or PNG file.
pub fn decode_path(path: &Path) -> Result<Vec<Decoded>, ScanError> {
    let io_error = |source| ScanError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(io_error)?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(ScanError::FileTooLarge { bytes });
    }
    let data = std::fs::read(path).map_err(io_error)?;
    decode_image_bytes(&data)
}

/// Runs `work`, turning a panic inside it (a decoder bug on a strange image)
/// into [`ScanError::DecoderPanic`].
pub fn isolate_panics<T>(work: impl FnOnce() -> T) -> Result<T, ScanError> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        ScanError::DecoderPanic { reason }
    })
}

fn check_dimensions(width: u32, height: u32) -> Result<(), ScanError> {
    if width == 0 || height == 0 {
        return Err(ScanError::Empty { width, height });
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ScanError::TooLarge { width, height });
    }
    Ok(())
}

fn rxing_format(format: Format) -> BarcodeFormat {
    match format {
        Format::Ean13 => BarcodeFormat::EAN_13,
        Format::Ean8 => BarcodeFormat::EAN_8,
        Format::UpcA => BarcodeFormat::UPC_A,
        Format::UpcE => BarcodeFormat::UPC_E,
        Format::Code128 => BarcodeFormat::CODE_128,
        Format::Code39 => BarcodeFormat::CODE_39,
        Format::Itf => BarcodeFormat::ITF,
        Format::QrCode => BarcodeFormat::QR_CODE,
        Format::DataMatrix => BarcodeFormat::DATA_MATRIX,
    }
}

fn our_format(format: &BarcodeFormat) -> Option<Format> {
    Format::ALL.into_iter().find(|ours| rxing_format(*ours) == *format)
}

/// One rxing read: the first code found, if any.
fn read_once(
    pixels: &[u8],
    width: u32,
    height: u32,
    try_harder: bool,
    only: Option<BarcodeFormat>,
) -> Option<RXingResult> {
    let possible_formats = match only {
        Some(format) => HashSet::from([format]),
        None => Format::ALL.into_iter().map(rxing_format).collect(),
    };
    let hints = DecodeHints {
        TryHarder: Some(try_harder),
        PossibleFormats: Some(possible_formats),
        ..DecodeHints::default()
    };
    let source = Luma8LuminanceSource::new(pixels.to_vec(), width, height).ok()?;
    let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
    MultiFormatReader::default().decode_with_hints(&mut bitmap, &hints).ok()
}

/// The checked codes of one rxing result (none when it fails a check).
fn accept(pixels: &[u8], width: u32, height: u32, result: &RXingResult) -> Vec<Decoded> {
    let Some(format) = our_format(result.getBarcodeFormat()) else {
        return Vec::new();
    };
    let raw = result.getText();
    if !plausible(format, raw) {
        return Vec::new();
    }
    if format.is_linear() && !confirmed(pixels, width, height, result) {
        return Vec::new();
    }
    let text = match format {
        Format::Code39 => code39::full_ascii(raw).unwrap_or_else(|| raw.to_string()),
        _ => raw.to_string(),
    };
    vec![Decoded { format, text }]
}

/// Length, character set and check digit of each format.
pub(crate) fn plausible(format: Format, text: &str) -> bool {
    let digits = !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    match format {
        Format::Ean13 => text.len() == 13 && gtin::is_valid_gtin(text),
        Format::Ean8 => text.len() == 8 && gtin::is_valid_gtin(text),
        Format::UpcA => text.len() == 12 && gtin::is_valid_gtin(text),
        Format::UpcE => text.len() == 8 && digits && gtin::upc_e_to_upc_a(text).is_some(),
        Format::Itf => digits && text.len() >= 6 && text.len() & 1 == 0,
        Format::Code39 => {
            text.len() >= 2
                && text
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || b" -.$/+%".contains(&byte))
        }
        Format::Code128 | Format::QrCode | Format::DataMatrix => !text.is_empty(),
    }
}

/// True when the 1-D code of `result` reads again, with the same text, from
/// rows beside the one it was found on (see the crate docs).
fn confirmed(pixels: &[u8], width: u32, height: u32, result: &RXingResult) -> bool {
    let points = result.getPoints();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return false;
    };
    let along_rows = (last.x - first.x).abs() >= (last.y - first.y).abs();
    // Work in coordinates where the code runs along rows.
    let transposed;
    let (pixels, width, height, start, end): (&[u8], u32, u32, _, _) = if along_rows {
        (pixels, width, height, (first.x, first.y), (last.x, last.y))
    } else {
        let (w, h) = (width as usize, height as usize);
        let mut columns = vec![0u8; pixels.len()];
        for y in 0..h {
            for x in 0..w {
                columns[x * h + y] = pixels[y * w + x];
            }
        }
        transposed = columns;
        (&transposed, height, width, (first.y, first.x), (last.y, last.x))
    };
    let length = (end.0 - start.0).abs().max(1.0);
    let centre = ((start.1 + end.1) / 2.0).round() as i64;
    let half_band = ((length * CONFIRM_BAND_FRACTION) as i64).clamp(CONFIRM_GAP_ROWS + 4, 200);
    let row_bytes = width as usize;
    let mut band = Vec::new();
    let mut rows = 0u32;
    for row in (centre - half_band)..=(centre + half_band) {
        if (row - centre).abs() <= CONFIRM_GAP_ROWS || row < 0 || row >= i64::from(height) {
            continue;
        }
        let offset = row as usize * row_bytes;
        band.extend_from_slice(&pixels[offset..offset + row_bytes]);
        rows += 1;
    }
    if rows < 2 {
        return false;
    }
    let format = *result.getBarcodeFormat();
    matches!(
        isolate_panics(|| read_once(&band, width, rows, true, Some(format))),
        Ok(Some(again)) if again.getText() == result.getText()
    )
}
