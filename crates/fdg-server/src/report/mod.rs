//! Reports.

pub mod xlsx;
