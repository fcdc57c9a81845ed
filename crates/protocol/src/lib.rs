//! Wire types shared by the device core and the sync hub: the op envelope,
//! op payloads, the hybrid logical clock, and the hub's HTTP API. Serde only,
//! no IO.

pub mod hlc;
pub mod ops;
pub mod roles;
pub mod snapshot;
pub mod sync;

pub use hlc::{Hlc, HlcStamp};
pub use ops::{Op, OpEnvelope, OpKind};

/// Version of the sync protocol spoken by this build.
pub const PROTOCOL_VERSION: u32 = 1;
