//! The scan crate as its callers use it: every format on real photos and
//! renders (tests/fixtures), rotations, photos without a code, broken and
//! oversized input, GTIN normalisation, live scanning and panic isolation.

mod camera;
mod fixtures;
mod frame;
mod input;
mod live;
