//! Product photo commands. `set_product_photo` takes the image file as raw
//! bytes (a picked file or a camera capture), makes the 1024 px and 256 px
//! JPEG versions here with `stockroom-photos` (the core stores bytes and
//! never decodes), and hands them to the core's photo store.
//! `product_photo` answers raw bytes too, or `photo_not_here` while the
//! photo is still on its way from the hub. `remove_product_photo` is a JSON
//! command in the list.

use stockroom_core::PhotoSize;
use stockroom_photos::{make_thumbnails, DecodeLimits, PhotoError, ThumbFormat, ThumbSpec};
use uuid::Uuid;

use super::catalog::IdArgs;
use crate::dto::ProductDto;
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// The raw-byte photo commands (the twin routes them before the JSON ones).
pub const BINARY_PHOTO_COMMANDS: &[&str] = &["set_product_photo", "product_photo"];

/// Largest image file taken (the photo crate's own limit).
pub const MAX_PHOTO_FILE_BYTES: usize = 50 * 1024 * 1024;

/// The product id from the `x-product-id` header value.
pub fn product_id_header(value: Option<&str>) -> Result<Uuid, IpcError> {
    value
        .and_then(|value| Uuid::parse_str(value.trim()).ok())
        .ok_or_else(|| IpcError::invalid("the x-product-id header must be a product id"))
}

/// The size from the `x-size` header value: 256 or 1024.
pub fn size_header(value: Option<&str>) -> Result<PhotoSize, IpcError> {
    value
        .and_then(|value| value.trim().parse::<u32>().ok())
        .and_then(PhotoSize::from_pixels)
        .ok_or_else(|| IpcError::invalid("the x-size header must be 256 or 1024"))
}

/// Makes the photo's two versions from the image file `bytes` and sets
/// them on the product. A file that is not a usable image fails with the
/// photo crate's code (`photo_not_an_image`, `photo_truncated`, ...) and
/// changes nothing.
pub async fn set_product_photo(state: &AppState, product_id: Uuid, bytes: Vec<u8>) -> Result<ProductDto, IpcError> {
    let session = state.session()?;
    if bytes.len() > MAX_PHOTO_FILE_BYTES {
        return Err(photo_error(PhotoError::TooManyBytes {
            bytes: bytes.len() as u64,
            max: MAX_PHOTO_FILE_BYTES as u64,
        }));
    }
    let specs = [1024, 256].map(|long_side| ThumbSpec {
        long_side,
        format: ThumbFormat::Jpeg,
    });
    let made = tokio::task::spawn_blocking(move || make_thumbnails(&bytes, &specs, &DecodeLimits::default()))
        .await
        .map_err(|err| IpcError::internal("the thumbnail task", &err))?
        .map_err(photo_error)?;
    let mut made = made.into_iter();
    let (Some(large), Some(thumb)) = (made.next(), made.next()) else {
        return Err(IpcError::internal("making thumbnails", &"fewer versions than asked"));
    };
    let versions = stockroom_core::PhotoVersions {
        large_1024: large.bytes,
        thumb_256: thumb.bytes,
    };
    let product = state
        .photos()
        .set_product_photo(state.store(), &session, product_id, versions)
        .await?;
    Ok(product.into())
}

/// Takes the photo off a product.
pub async fn remove_product_photo(state: &AppState, args: IdArgs) -> Result<ProductDto, IpcError> {
    let session = state.session()?;
    let product = state
        .photos()
        .remove_product_photo(state.store(), &session, args.id)
        .await?;
    Ok(product.into())
}

/// The JPEG bytes of a product's photo in `size`; `photo_not_here` while it
/// is on its way from the hub (asked for now: show a placeholder and ask
/// again), `not_found` when the product has no photo.
pub async fn product_photo(state: &AppState, product_id: Uuid, size: PhotoSize) -> Result<Vec<u8>, IpcError> {
    state.session()?;
    Ok(state.photos().product_photo(state.store(), product_id, size).await?)
}

/// A photo crate error as it crosses IPC: the crate's own stable code when
/// the file is at fault; a failure of this device is logged as `internal`.
pub fn photo_error(err: PhotoError) -> IpcError {
    let code = match &err {
        PhotoError::Empty => ErrorCode::PhotoEmpty,
        PhotoError::NotAnImage => ErrorCode::PhotoNotAnImage,
        PhotoError::Unsupported { .. } => ErrorCode::PhotoUnsupportedFormat,
        PhotoError::Truncated { .. } => ErrorCode::PhotoTruncated,
        PhotoError::Corrupt { .. } => ErrorCode::PhotoCorrupt,
        PhotoError::TooManyBytes { .. } => ErrorCode::PhotoTooManyBytes,
        PhotoError::TooManyPixels { .. } => ErrorCode::PhotoTooManyPixels,
        PhotoError::DecoderPanic { .. } => ErrorCode::PhotoDecoderPanic,
        PhotoError::InvalidSize { .. } | PhotoError::Encode { .. } | PhotoError::Internal { .. } => {
            return IpcError::internal(err.code(), &err)
        }
    };
    debug_assert_eq!(code.as_str(), err.code());
    IpcError::new(code, err.to_string())
}
