//! Tests of the input module (being written).
