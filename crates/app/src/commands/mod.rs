//! One plain async function per command, grouped by screen. Each converts
//! its arguments, calls the core, and converts back.

pub mod catalog;
pub mod enrol_codes;
pub mod manage;
pub mod orders;
pub mod photos;
pub mod scan;
pub mod start;
pub mod stock;
pub mod sync;
pub mod till;

pub use catalog::*;
pub use enrol_codes::*;
pub use manage::*;
pub use orders::*;
pub use photos::remove_product_photo;
pub use scan::{ScanOut, ScannedCodeDto};
pub use start::*;
pub use stock::*;
pub use sync::*;
pub use till::*;
