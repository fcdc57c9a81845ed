//! Synthetic camera frames: a photo centred on a noisy mid-grey 1280x720
//! frame (shared by the camera-frame test and the decoders bench).

pub const WIDTH: usize = 1280;
pub const HEIGHT: usize = 720;

/// The photo (cropped to fit) centred on a mid-grey frame with a little
/// noise, drawn from the xorshift state `seed`.
pub fn frame_around(width: u32, height: u32, luma: &[u8], seed: &mut u64) -> Vec<u8> {
    let mut frame: Vec<u8> = (0..WIDTH * HEIGHT)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            120 + (*seed % 16) as u8
        })
        .collect();
    let (width, height) = (width as usize, height as usize);
    let (copy_width, copy_height) = (width.min(WIDTH), height.min(HEIGHT));
    let (source_x, source_y) = ((width - copy_width) / 2, (height - copy_height) / 2);
    let (target_x, target_y) = ((WIDTH - copy_width) / 2, (HEIGHT - copy_height) / 2);
    for row in 0..copy_height {
        let from = (source_y + row) * width + source_x;
        let to = (target_y + row) * WIDTH + target_x;
        frame[to..to + copy_width].copy_from_slice(&luma[from..from + copy_width]);
    }
    frame
}
