//! Benchmark (replaced by the module owner).
fn main() {}
