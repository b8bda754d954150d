//! Security headers on every answer: pages, web services and assets alike.
//!
//! - `Content-Security-Policy`: everything from this origin only, no inline script (the pages
//!   have none and work without JavaScript), no plugins, no `<base>`, and no framing
//!   (`frame-ancestors 'none'`, with `X-Frame-Options: DENY` for older browsers).
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (a person's id in a
//!   path never leaves in a `Referer`).
//! - `Cache-Control: no-store` unless the answer says otherwise (only the static assets do):
//!   pages and answers carry personal data, sessions, CSRF tokens or one-time secrets.
//! - `Strict-Transport-Security` when served over TLS.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The content security policy of every answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Adds the security headers to an answer.
pub async fn add(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}
