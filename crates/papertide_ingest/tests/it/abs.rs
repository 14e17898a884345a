//! Tests of the abs module (being written).
