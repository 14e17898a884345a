//! Tests of the harvest module (being written).
