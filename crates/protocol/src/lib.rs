//! Wire types shared by the device core and the sync hub: the op envelope,
//! op payloads, and the hybrid logical clock. Serde only, no IO.

pub mod hlc;
pub mod ops;

pub use hlc::{Hlc, HlcStamp};
pub use ops::{Op, OpEnvelope, OpKind};

/// Version of the sync protocol spoken by this build.
pub const PROTOCOL_VERSION: u32 = 1;
