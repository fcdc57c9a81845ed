//! Fuzz target: any bytes as an image file must decode to codes or a clear
//! error, never a crash, hang or unbounded allocation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = stockroom_scan::decode_image_bytes(data);
});
