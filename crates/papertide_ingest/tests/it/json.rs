//! Tests of the json module (being written).
