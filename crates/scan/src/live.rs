//! Continuous camera scanning: a code is reported once it has been read in
//! two frames close together, and not again while it stays in view.

use std::collections::HashMap;

use crate::Decoded;

/// Frames within which a second read confirms a code.
const CONFIRM_WITHIN_FRAMES: u64 = 5;
/// Frames without a read after which a reported code counts as gone (and is
/// reported again when it comes back).
const GONE_AFTER_FRAMES: u64 = 15;

#[derive(Clone, Copy, Debug)]
struct Sighting {
    last_frame: u64,
    reported: bool,
}

/// Turns the codes read from each camera frame into the codes to announce
/// (beep, add to the list). A read in one frame alone is never reported:
/// the same code must be read again within a few frames. A reported code is
/// not reported again until it has been out of view for a while.
#[derive(Debug, Default)]
pub struct LiveScanner {
    frame: u64,
    seen: HashMap<Decoded, Sighting>,
}

impl LiveScanner {
    pub fn new() -> LiveScanner {
        LiveScanner::default()
    }

    /// Takes the codes of the next frame (as decoded, possibly none) and
    /// returns the ones newly confirmed, in the frame's order.
    pub fn accept(&mut self, frame: Vec<Decoded>) -> Vec<Decoded> {
        self.frame += 1;
        let now = self.frame;
        let mut confirmed = Vec::new();
        for code in frame {
            match self.seen.get_mut(&code) {
                Some(sighting) if sighting.last_frame == now => {}
                Some(sighting) => {
                    // Entries older than the windows were dropped below, so
                    // this read is within the window of the last one.
                    sighting.last_frame = now;
                    if !sighting.reported {
                        sighting.reported = true;
                        confirmed.push(code);
                    }
                }
                None => {
                    self.seen.insert(
                        code,
                        Sighting {
                            last_frame: now,
                            reported: false,
                        },
                    );
                }
            }
        }
        // A reported code stays (silenced) while in view; an unconfirmed one
        // only for the confirmation window.
        self.seen.retain(|_, sighting| {
            let window = if sighting.reported {
                GONE_AFTER_FRAMES
            } else {
                CONFIRM_WITHIN_FRAMES
            };
            now - sighting.last_frame < window
        });
        confirmed
    }

    /// Forgets every code (a new scanning session).
    pub fn reset(&mut self) {
        self.seen.clear();
    }
}
