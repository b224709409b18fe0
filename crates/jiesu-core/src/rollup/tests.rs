//! Tests of the rollups.
