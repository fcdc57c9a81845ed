//! Rebuilds the hub when a hub migration is added or changed, so the
//! embedded migrations are never stale.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations/hub");
}
