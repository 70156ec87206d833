//! Dashboard benchmarks: frame time, frames under an event flood, idle redraws, memory per
//! message and startup time.

use super::{BenchOpts, Row};

pub fn rows(_opts: BenchOpts) -> Vec<Row> {
    Vec::new()
}
