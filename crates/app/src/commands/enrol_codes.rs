//! Enrolling another device for a user of the shop. On an enrolled device
//! an owner or a manager asks the hub for a one-time code for a user (any
//! user made in the app is a hub account once it has synced), and shows it
//! as text and as a QR code. The QR holds an enrolment link,
//! `stockroom://enrol?hub=<address>&code=<code>`: the new device's start
//! screen reads it with the camera (or takes it pasted) and fills in both
//! the hub's address and the code.

use qrcode::render::svg;
use qrcode::QrCode;
use serde::{Deserialize, Serialize};
use stockroom_core::protocol::sync::EnrolCodeRequest;
use stockroom_core::Permission;
use ts_rs::TS;
use uuid::Uuid;

use crate::commands::start::hub_error;
use crate::commands::sync::hub_link;
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// What every enrolment link starts with.
pub const ENROL_LINK_PREFIX: &str = "stockroom://enrol?";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MakeEnrolCodeArgs {
    /// The user the new device enrols as.
    pub user_id: Uuid,
    /// The location the new device is to work at (a till's shop, a
    /// salesperson's van); none for every location its role sees.
    #[serde(default)]
    pub location_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EnrolCodeDto {
    /// The code as a person reads it out: `ABCDE-FGHJK`.
    pub code: String,
    pub username: String,
    /// When the code stops working (hub time, ms since the epoch).
    #[ts(type = "number")]
    pub expires_ms: u64,
    /// The enrolment link the QR code holds.
    pub link: String,
    /// The QR code of `link`, as an SVG document.
    pub qr_svg: String,
}

/// Makes a one-time enrolment code for a user of this device's shop.
pub async fn make_enrol_code(state: &AppState, args: MakeEnrolCodeArgs) -> Result<EnrolCodeDto, IpcError> {
    let session = state.session()?;
    session.require(Permission::ManageUsers)?;
    let store = state.store();
    let user = store
        .users()
        .await?
        .into_iter()
        .find(|user| user.id == args.user_id)
        .ok_or_else(|| IpcError::new(ErrorCode::NotFound, "no such user on this device"))?;
    if !user.active {
        return Err(IpcError::invalid(format!("{} is switched off", user.username)));
    }
    if store.user_unsent(user.id).await? {
        return Err(IpcError::new(
            ErrorCode::UnsentData,
            format!("{} has not reached the hub yet: sync, then try again", user.username),
        ));
    }
    let (hub_url, link) = hub_link(state).await?;
    let request = EnrolCodeRequest {
        username: user.username.clone(),
        ttl_secs: None,
        location_id: args.location_id,
    };
    let made = link.create_enrol_code(&request).await.map_err(hub_error)?;
    let link = enrol_link(&hub_url, &made.code);
    Ok(EnrolCodeDto {
        code: readable(&made.code),
        username: user.username,
        expires_ms: made.expires_ms,
        qr_svg: qr_svg(&link)?,
        link,
    })
}

/// The enrolment link for `code` at the hub `hub_url`.
pub fn enrol_link(hub_url: &str, code: &str) -> String {
    format!("{ENROL_LINK_PREFIX}hub={}&code={code}", query_escaped(hub_url))
}

/// `text` with everything but unreserved URL characters percent-encoded.
fn query_escaped(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(byte).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A code in two halves, easier to read out: `ABCDE-FGHJK`.
fn readable(code: &str) -> String {
    let middle = code.len() / 2;
    match (code.get(..middle), code.get(middle..)) {
        (Some(first), Some(second)) if !first.is_empty() => format!("{first}-{second}"),
        _ => code.to_string(),
    }
}

/// The QR code of `text` as an SVG document, black on white with its
/// quiet zone, at least 240 px square.
fn qr_svg(text: &str) -> Result<String, IpcError> {
    let code = QrCode::new(text.as_bytes()).map_err(|err| IpcError::internal("the enrolment QR code", &err))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stockroom_scan::Effort;

    /// The QR code as a camera would see it: `scale` pixels a module, with
    /// a four-module quiet zone.
    fn luma_of(code: &QrCode, scale: usize) -> (u32, Vec<u8>) {
        let modules = code.width();
        let side = (modules + 8) * scale;
        let colors = code.to_colors();
        let mut luma = vec![255u8; side * side];
        for (index, color) in colors.iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let (row, column) = (index / modules + 4, index % modules + 4);
                for y in row * scale..(row + 1) * scale {
                    luma[y * side + column * scale..y * side + (column + 1) * scale].fill(0);
                }
            }
        }
        (side as u32, luma)
    }

    #[test]
    fn the_link_carries_the_hub_and_the_code_and_our_decoder_reads_its_qr() {
        let link = enrol_link("https://hub.example.com:8443/shop one", "ABCDEFGHJK");
        assert_eq!(
            link,
            "stockroom://enrol?hub=https%3A%2F%2Fhub.example.com%3A8443%2Fshop%20one&code=ABCDEFGHJK"
        );
        let code = QrCode::new(link.as_bytes()).unwrap();
        let (side, luma) = luma_of(&code, 4);
        let read = stockroom_scan::decode_luma_with(side, side, &luma, Effort::Fast).unwrap();
        let texts: Vec<&str> = read.iter().map(|decoded| decoded.text.as_str()).collect();
        assert_eq!(texts, [link.as_str()]);
        let svg = qr_svg(&link).unwrap();
        assert!(
            svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("#000000"),
            "{svg}"
        );
    }

    #[test]
    fn codes_read_in_two_halves() {
        assert_eq!(readable("ABCDEFGHJK"), "ABCDE-FGHJK");
        assert_eq!(readable(""), "");
    }
}
