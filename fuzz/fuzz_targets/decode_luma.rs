//! Fuzz target: any luminance buffer (the first two bytes choose the width)
//! through the decoders, with and without the confirmation passes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let width = u32::from(u16::from_le_bytes([data[0], data[1]]) % 512).max(1);
    let pixels = &data[2..];
    let height = (pixels.len() as u32 / width).max(1);
    let used = (width * height) as usize;
    if used > pixels.len() {
        return;
    }
    let pixels = &pixels[..used];
    let _ = stockroom_scan::decode_luma(width, height, pixels);
    let _ = stockroom_scan::decode_luma_with(width, height, pixels, stockroom_scan::Effort::Fast);
});
