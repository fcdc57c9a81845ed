//! A deterministic simulation of one tenant: several devices (real device
//! stores on SQLite files) and a hub (its real router on a real SQLite file
//! or PostgreSQL), virtual time, a network that loses, repeats and delays
//! requests, devices that crash and restart, enrol again (a new epoch) and
//! run clocks up to a year off. After the faults stop and everyone syncs,
//! the run checks the invariants: every device holds the same synced tables
//! as a new device started from the hub's snapshot (and, every eighth run,
//! as one that replayed the whole feed), every op written reaches the feed
//! exactly once, and stock levels equal the ledger formula.
//!
//! One seed gives one run: the same seed replays the same run.

mod link;
mod world;

pub use link::{Faults, Network, SimLink};
pub use world::{cash_sale, run_seed, HubKind, Outcome, SimConfig, Template};
