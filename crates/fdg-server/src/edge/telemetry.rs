//! Request metrics and the Prometheus endpoint.
//!
//! Labels are the matched route template (`/api/v1/persons/{person_id}`), the method and the
//! status: never a path value, so no personal data reaches a label.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// The process-wide Prometheus recorder (the `metrics` facade is process-wide by design).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| PrometheusBuilder::new().install_recorder().ok())
        .as_ref()
}

/// Installs the recorder (once per process) so requests are counted from the first one.
pub fn install() {
    let _ = handle();
}

/// Keeps histograms bounded; runs every few seconds while serving.
pub fn spawn_upkeep() {
    if let Some(h) = handle() {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                tick.tick().await;
                h.run_upkeep();
            }
        });
    }
}

/// Records count and latency of every request.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let elapsed = start.elapsed().as_secs_f64();
    metrics::counter!("fdg_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status.clone()).increment(1);
    metrics::histogram!("fdg_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone()).record(elapsed);
    tracing::debug!(%method, %route, %status, elapsed_ms = elapsed * 1000.0, "request");
    res
}

async fn metrics() -> Response {
    let body = handle().map(|h| h.render()).unwrap_or_default();
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    res
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ok".into_response(),
        // Unreachable or refusing (a connection just ended, a full disk): 503, so a load
        // balancer takes the node out until it answers again; anything else is a 500.
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}

/// `/healthz` and `/metrics` (outside `/api/v1`, no authentication).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}
