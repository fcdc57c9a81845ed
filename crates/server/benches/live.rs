//! Live-poke propagation benchmark (written below).
fn main() {}
