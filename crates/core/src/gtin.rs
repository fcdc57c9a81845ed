//! GS1 barcodes: re-exported from `stockroom-scan` (its `gtin` module), so
//! the scanner and the catalog normalise codes with one implementation.

pub use stockroom_scan::gtin::*;
