//! The scan commands, which take raw bytes rather than JSON: `scan_frame`
//! (a camera frame's luminance, fast effort, confirmed across two frames by
//! the app's one `LiveScanner`) and `decode_image` (a photo file, every
//! pass). Each code read is resolved like `lookup_code`.

use serde::{Deserialize, Serialize};
use stockroom_scan::{Decoded, Effort, ScanError};
use ts_rs::TS;

use super::catalog::{lookup_code, CodeHit, LookupCodeArgs};
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// Frames larger than this are refused before decoding (a 4K frame is 8.3 MB).
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// The names of the commands that take raw bytes (the twin routes them
/// before the JSON commands).
pub const BINARY_COMMANDS: &[&str] = &["scan_frame", "decode_image"];

/// One code read, with the product it stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScannedCodeDto {
    /// The symbology: EAN_13, EAN_8, UPC_A, UPC_E, CODE_128, CODE_39, ITF,
    /// QR_CODE, DATA_MATRIX.
    pub format: String,
    /// The text as encoded.
    pub text: String,
    /// The text looked up (GTIN-13 for EAN-13, UPC-A and UPC-E).
    pub key: String,
    /// The product with this code, or null when none has it.
    pub hit: Option<CodeHit>,
}

/// The codes of a frame or a photo.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScanOut {
    /// For `scan_frame`: the codes confirmed by this frame (each reported
    /// once while it stays in view); for `decode_image`: every code read.
    pub codes: Vec<ScannedCodeDto>,
}

/// The frame size from the `x-width` and `x-height` header values (the
/// twin's HTTP headers, the Tauri request's headers).
pub fn frame_size(width: Option<&str>, height: Option<&str>) -> Result<(u32, u32), IpcError> {
    let parse = |name: &str, value: Option<&str>| {
        value
            .and_then(|value| value.trim().parse::<u32>().ok())
            .ok_or_else(|| IpcError::invalid(format!("the {name} header must be a whole number of pixels")))
    };
    Ok((parse("x-width", width)?, parse("x-height", height)?))
}

/// Decodes one camera frame (`width * height` luminance bytes, row-major)
/// and returns the codes this frame confirms.
pub async fn scan_frame(state: &AppState, width: u32, height: u32, luma: Vec<u8>) -> Result<ScanOut, IpcError> {
    let expected = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 || expected != luma.len() as u64 {
        return Err(IpcError::invalid(format!(
            "a {width}x{height} frame has {expected} luminance bytes, not {}",
            luma.len()
        )));
    }
    if luma.len() > MAX_FRAME_BYTES {
        return Err(IpcError::invalid(format!(
            "the frame has {} bytes, at most {MAX_FRAME_BYTES}",
            luma.len()
        )));
    }
    let read = blocking(move || stockroom_scan::decode_luma_with(width, height, &luma, Effort::Fast)).await?;
    let confirmed = state.live_scanner().accept(read);
    resolve(state, confirmed).await
}

/// Decodes a JPEG or PNG file with every pass and returns each code in it.
pub async fn decode_image(state: &AppState, bytes: Vec<u8>) -> Result<ScanOut, IpcError> {
    if bytes.is_empty() {
        return Err(IpcError::invalid("the image is empty"));
    }
    let read = blocking(move || stockroom_scan::decode_image_bytes(&bytes)).await?;
    resolve(state, read).await
}

async fn blocking(
    work: impl FnOnce() -> Result<Vec<Decoded>, ScanError> + Send + 'static,
) -> Result<Vec<Decoded>, IpcError> {
    let read = tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| IpcError::internal("the decoder task", &err))?;
    read.map_err(scan_error)
}

fn scan_error(err: ScanError) -> IpcError {
    let code = match err {
        ScanError::BufferSize { .. } | ScanError::TooLarge { .. } | ScanError::FileTooLarge { .. } => {
            ErrorCode::InvalidInput
        }
        _ => ErrorCode::DecodeFailed,
    };
    IpcError::new(code, err.to_string())
}

async fn resolve(state: &AppState, codes: Vec<Decoded>) -> Result<ScanOut, IpcError> {
    let mut out = Vec::with_capacity(codes.len());
    for code in codes {
        let key = code.lookup_key();
        let hit = match lookup_code(state, LookupCodeArgs { code: key.clone() }).await {
            Ok(hit) => Some(hit),
            Err(err) if err.code == ErrorCode::NotFound => None,
            Err(err) => return Err(err),
        };
        out.push(ScannedCodeDto {
            format: code.format.as_str().to_string(),
            text: code.text,
            key,
            hit,
        });
    }
    Ok(ScanOut { codes: out })
}
