//! Tests of the atom module (being written).
