//! The HTTP edge.

pub mod auth;
pub mod conn;
pub mod error;
pub mod headers;
pub mod http;
pub mod json;
pub mod oidc;
pub mod session;
pub mod telemetry;
pub mod tls;
