//! The browser tool.

pub mod admin;
pub mod citizen;
pub mod forms;
pub mod pages;
pub mod supervision;
