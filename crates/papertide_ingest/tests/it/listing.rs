//! Tests of the listing module (being written).
