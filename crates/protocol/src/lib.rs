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

/// Version of the sync protocol spoken by this build. Version 2: pulls and
/// snapshots hold only the device's scopes and carry a chain per scope.
/// Version 3: orders stand alone (a salesperson's snapshot holds their
/// orders but not the records of customers given to someone else).
pub const PROTOCOL_VERSION: u32 = 3;
