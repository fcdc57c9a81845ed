//! One plain async function per command, grouped by screen. Each converts
//! its arguments, calls the core, and converts back.

pub mod catalog;
pub mod start;
pub mod sync;

pub use catalog::*;
pub use start::*;
pub use sync::*;
