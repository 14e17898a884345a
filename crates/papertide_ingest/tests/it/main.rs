//! Integration tests of papertide_ingest against the real data in `../shared/data`.

mod abs;
mod atom;
mod fuzz_regressions;
mod harvest;
mod input;
mod json;
mod listing;
mod oai;
mod support;
