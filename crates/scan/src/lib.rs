//! Barcode decoding for Stockroom: photos and camera frames in, checked
//! codes out (EAN-13, EAN-8, UPC-A, UPC-E, Code 128, Code 39, ITF, QR Code,
//! Data Matrix), with GS1 normalisation for product lookup.
//!
//! # Entry points
//! - [`decode_luma`]: an 8-bit luminance buffer (row-major), e.g. a camera
//!   frame's region of interest; [`decode_luma_with`] takes an [`Effort`].
//! - [`decode_image_bytes`] / [`decode_path`]: a JPEG or PNG file.
//! - [`LiveScanner`]: continuous scanning; reports a code once it has been
//!   seen in two frames, and not again while it stays in view.
//! - [`gtin`]: check digits, UPC-E expansion and the GTIN-13 lookup key
//!   (also the only module built without the `decode` feature).
//!
//! # Why this decoder
//! The decoder is rxing (a Rust port of ZXing), called in passes, each
//! isolated from panics with `catch_unwind`, stopping at the first pass that
//! yields a confirmed code:
//! 1. default effort (fast: a few rows for 1-D codes);
//! 2. try-harder (every row, and the image turned 90° for 1-D codes);
//! 3. try-harder on the inverted image (light-on-dark codes, including
//!    white-on-black Data Matrix).
//!
//! Every 1-D read (EAN/UPC, Code 128, Code 39, ITF) must be **confirmed**:
//! the same text is read again from the rows beside the one it was found on
//! (a band across the code, the found row and its neighbours left out). A
//! printed bar code is tall, so a real code reads on other rows too; texture
//! that happens to decode (the classic false positive of try-harder) does
//! not. The check also drops misreads of real codes (a wrong digit that still
//! passes the check digit on one blurred row). On top of that: GS1 check
//! digits are validated again, lengths and character sets are checked per
//! format, and full-ASCII Code 39 sequences are expanded when they are valid.
//!
//! Measured on the ZXing blackbox development set (397 images, rotation 0,
//! one pinned core, decode time only; EAN-13/UPC-A/UPC-E compared as one
//! GTIN-13; the full table and command are in BENCHMARKS.md, "Barcode
//! decoding"):
//!
//! | strategy | correct | false positives (22 photos) | misreads |
//! |---|---|---|---|
//! | rxing default only | 308/375 | 0 | - |
//! | rxing try-harder only | 321/375 | 2 | - |
//! | default, then try-harder, then inverted (unconfirmed) | 328/375 | 3 | some |
//! | the same, 1-D reads confirmed (chosen) | 323/375 | 0 | 0 |
//! | the same plus a global-histogram pass | 323/375 | 0 | 0 |
//!
//! The chosen passes read 323/375 at 0.16 ms median; zxing-cpp 3.1.1 reads
//! 323/375 at 1.12 ms median in the same run, zbar 281/375 at 2.42 ms. rqrr
//! is not used: rxing already reads every QR Code of the set, and rqrr
//! reads fewer (55/81) and panics on some images.

pub mod gtin;

#[cfg(feature = "decode")]
mod code39;
#[cfg(feature = "decode")]
mod decode;
#[cfg(feature = "decode")]
mod live;

#[cfg(feature = "decode")]
pub use decode::{decode_image_bytes, decode_luma, decode_luma_with, decode_path, isolate_panics};
#[cfg(feature = "decode")]
pub use live::LiveScanner;

/// Images wider or taller than this are refused.
pub const MAX_DIMENSION: u32 = 16_384;
/// Images with more pixels than this are refused (a decompression bomb, or a
/// photo far beyond any camera a shop uses).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Image files larger than this are refused before decoding.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A barcode symbology this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Ean13,
    Ean8,
    UpcA,
    UpcE,
    Code128,
    Code39,
    Itf,
    QrCode,
    DataMatrix,
}

impl Format {
    /// Every format, in the order of [`Format::as_str`]'s documentation.
    pub const ALL: [Format; 9] = [
        Format::Ean13,
        Format::Ean8,
        Format::UpcA,
        Format::UpcE,
        Format::Code128,
        Format::Code39,
        Format::Itf,
        Format::QrCode,
        Format::DataMatrix,
    ];

    /// The stable name: EAN_13 EAN_8 UPC_A UPC_E CODE_128 CODE_39 ITF
    /// QR_CODE DATA_MATRIX.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ean13 => "EAN_13",
            Format::Ean8 => "EAN_8",
            Format::UpcA => "UPC_A",
            Format::UpcE => "UPC_E",
            Format::Code128 => "CODE_128",
            Format::Code39 => "CODE_39",
            Format::Itf => "ITF",
            Format::QrCode => "QR_CODE",
            Format::DataMatrix => "DATA_MATRIX",
        }
    }

    /// The format of a stable name (the inverse of [`Format::as_str`]).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.as_str() == name)
    }

    /// True for the linear (1-D) symbologies.
    pub fn is_linear(self) -> bool {
        !matches!(self, Format::QrCode | Format::DataMatrix)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One code read from an image.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decoded {
    pub format: Format,
    /// The text as encoded (UPC-A: 12 digits; UPC-E: 8 digits).
    pub text: String,
}

impl Decoded {
    /// The key to look the product up by: GTIN-13 for EAN-13, UPC-A and
    /// UPC-E (UPC-E expanded), the 8 digits of an EAN-8, the text of any
    /// other format.
    pub fn lookup_key(&self) -> String {
        match self.format {
            Format::UpcE => gtin::normalise_upc_e(&self.text).lookup_text().to_string(),
            Format::Ean13 | Format::UpcA | Format::Ean8 => gtin::normalise(&self.text).lookup_text().to_string(),
            _ => self.text.clone(),
        }
    }

    /// The GTIN-13 of an EAN-13, UPC-A or UPC-E with a valid check digit.
    pub fn gtin13(&self) -> Option<String> {
        let key = match self.format {
            Format::UpcE => gtin::normalise_upc_e(&self.text),
            Format::Ean13 | Format::UpcA => gtin::normalise(&self.text),
            _ => return None,
        };
        match key {
            gtin::BarcodeKey::Gtin(code) if code.len() == 13 => Some(code),
            _ => None,
        }
    }
}

/// Why an image could not be decoded. (An image without a code is not an
/// error: it decodes to an empty list.)
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("the luminance buffer has {actual} bytes, {width}x{height} needs {expected}")]
    BufferSize {
        width: u32,
        height: u32,
        expected: u64,
        actual: usize,
    },
    #[error(
        "the image is {width}x{height}: too large to decode (at most {MAX_DIMENSION} px a side, {MAX_PIXELS} pixels)"
    )]
    TooLarge { width: u32, height: u32 },
    #[error("the file has {bytes} bytes: too large to decode (at most {MAX_FILE_BYTES})")]
    FileTooLarge { bytes: u64 },
    #[error("the image is empty ({width}x{height})")]
    Empty { width: u32, height: u32 },
    #[error("not a readable JPEG or PNG image: {reason}")]
    Image { reason: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the decoder failed on this image ({reason})")]
    DecoderPanic { reason: String },
}

impl ScanError {
    /// A stable code for IPC and logs.
    pub fn code(&self) -> &'static str {
        match self {
            ScanError::BufferSize { .. } => "scan.buffer_size",
            ScanError::TooLarge { .. } => "scan.too_large",
            ScanError::FileTooLarge { .. } => "scan.file_too_large",
            ScanError::Empty { .. } => "scan.empty",
            ScanError::Image { .. } => "scan.image",
            ScanError::Io { .. } => "scan.io",
            ScanError::DecoderPanic { .. } => "scan.decoder_failed",
        }
    }
}

/// How hard to look for a code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Effort {
    /// One quick pass (no inverted retry): for live camera frames, where
    /// the next frame is a few milliseconds away. A whole 1280x720 frame
    /// costs 2.4-2.6 ms p95 with a code, 3.5-3.9 ms without (one core,
    /// BENCHMARKS.md); the scanner view sends the centred 80% of each side
    /// (1024x576 of such a frame), which costs less.
    Fast,
    /// Every pass (see the crate docs): for photos and files.
    #[default]
    Thorough,
}
