//! Engine benchmarks: parallel efficiency, CPU per LLM call and peak memory, through the real
//! HTTP client against a local mock LLM server.

use super::{BenchOpts, Row};

pub fn rows(_opts: BenchOpts) -> Vec<Row> {
    Vec::new()
}
