//! Integration tests of papertide_search: one test binary, one submodule per area.
//!
//! Tests that need the all-MiniLM-L6-v2 weights find them through `PAPERTIDE_MODEL_DIR` or
//! at `<workspace>/models/all-MiniLM-L6-v2`, and fail (with install instructions) when they
//! are missing, unless `PAPERTIDE_SKIP_MODEL_TESTS=1`.

mod common;
mod compact;
mod embed;
mod engine;
mod eval;
mod keyword;
mod vector;
