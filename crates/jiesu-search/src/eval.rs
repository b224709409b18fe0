//! Evaluation placeholder.
