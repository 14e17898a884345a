//! Tests of the oai module (being written).
