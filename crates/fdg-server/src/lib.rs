//! # fdg-server — the HTTP edge and the application services
//!
//! [`router`] builds the whole axum application from an [`AppState`]; tests call it without a
//! socket, and [`serve`] runs it on a listener with a shutdown future.
//!
//! ## Layout
//! Folders are layers, and a module uses only modules of its own or a lower layer, never in a
//! circle (`tests/layout.rs` reads the source and fails on either):
//!
//! - `service` — what the registry does, with no HTTP in it:
//!   - `service::write`: the one write path every edge calls (web services, browser forms,
//!     citizen pages), with its audit and the audit word of each outcome.
//!   - `service::read`: the one audited, scoped person read (the web services and the person
//!     page), and the agreement's gate in front of it.
//!   - `service::scope`: an overview or event serialised as an organisation kind may see it.
//!   - `service::cpr_register`: where municipalities of residence come from.
//!   - `service::passwords`: what makes a password too weak.
//!   - `service::witness`: signed checkpoints of the audit chain.
//!   - `service::dated`: the registry's own round, recording consequences that fall due.
//!   - `service::worklist`: the caseworkers' worklist, scoped and audited.
//! - `report` — supervision reports as data and files, with no HTTP in it: the model
//!   (`report`), `report::csv`, `report::xlsx` (workbooks), `report::chart` (inline SVG charts).
//! - `edge` — HTTP in and out:
//!   - `edge::auth`: bearer-token (and client-certificate) authentication of connected systems.
//!   - `edge::session`: the browser's sessions, staff and citizen, and their cookies.
//!   - `edge::oidc`: the OpenID Connect login flow (MitID, MitID Erhverv).
//!   - `edge::error`: the one error type, answered as `application/problem+json`.
//!   - `edge::json`: strict JSON bodies.
//!   - `edge::conn`: serving connections within limits, for plain HTTP and TLS alike.
//!   - `edge::tls`: TLS, with client certificates.
//!   - `edge::headers`: security headers on every answer.
//!   - `edge::telemetry`: request metrics (route templates only: never a CPR number).
//!   - `edge::http`: the outbound HTTP client (identity provider, webhooks).
//! - `api` — the JSON web services under `/api/v1` (§ 7, stk. 2, nr. 2):
//!   - `api::records`: the record types as `POST`s.
//!   - `api::persons`: search, overview, history.
//!   - `api::feed`: the event feed, cursors, long polls and the stream.
//!   - `api::subscriptions`: an agreement subscribing itself to event types.
//!   - `api::webhook`: pushing the feed to subscribers.
//!   - `api::supervision`: supervision reports for the supervision authority's systems.
//!   - `api::reference`: code lists and rules.
//!   - `api::citizen`: the citizen's access log.
//!   - `api::worklist`: the caseworkers' worklist.
//!   - `api::openapi`: the OpenAPI 3.1 document generated from the same types.
//! - `web` — the browser (§ 7, stk. 2, nr. 1):
//!   - `web::i18n`: every page's words in Danish and English.
//!   - `web::login`: logging in and out.
//!   - `web::pages`: the layout, finding a person, the person page, the password page.
//!   - `web::timeline`: the person page's timeline as inline SVG.
//!   - `web::forms`: the record forms.
//!   - `web::admin`: administration of organisations, users and agreements.
//!   - `web::citizen`: the citizen's own pages (Jobnet self-service).
//!   - `web::supervision`: the supervisor's pages.
//!   - `web::worklist`: the caseworkers' worklist page.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use fdg_domain::CodeLists;
use fdg_store::audit::AuditLog;
use fdg_store::{Store, TimeSource};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

mod api;
mod edge;
mod report;
mod service;
mod web;

pub use api::{openapi, webhook};
pub use edge::error::{ApiError, PROBLEM_TYPES, ProblemType};
pub use edge::json::unknown_field;
pub use edge::{conn, headers, oidc, tls};
pub use report::Report;
pub use service::{cpr_register, dated, witness};

/// Everything a request handler needs, passed in (no globals).
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The audit log.
    pub audit: Arc<dyn AuditLog>,
    /// Code lists in force.
    pub codes: Arc<CodeLists>,
    /// The clock.
    pub clock: Arc<dyn TimeSource>,
    /// Settings of the HTTP edge.
    pub config: ServerConfig,
    /// Where municipalities of residence come from ([`cpr_register::NoRegister`] unless set
    /// with [`AppState::with_cpr_register`]).
    pub cpr_register: Arc<dyn service::cpr_register::CprRegister>,
    /// The sandbox: a store of synthetic persons only, where agreements in their test before
    /// use (§ 10) write and read. Without it, their writes are dry runs decided as for a
    /// person the registry does not know, and their reads are refused (`docs/sandbox.md`).
    pub sandbox: Option<Arc<dyn Store>>,
    /// The identity provider's metadata and keys, cached (`edge::oidc`).
    pub oidc_cache: Arc<edge::oidc::ProviderCache>,
}

/// Settings of the HTTP edge, typed and passed in.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Mark session cookies `Secure` (set when serving over TLS).
    pub secure_cookies: bool,
    /// Accept citizen logins by CPR number alone (`/borger/dev-login`): development and
    /// demonstrations only.
    pub citizen_dev_login: bool,
    /// The identity provider citizens log in with (`/borger/login`), if configured.
    pub oidc: Option<edge::oidc::OidcConfig>,
    /// The identity provider staff log in with (`/login/mitid`, MitID Erhverv), if configured;
    /// local passwords stay for operators and development.
    pub staff_oidc: Option<edge::oidc::OidcConfig>,
}

impl AppState {
    /// State with default settings.
    pub fn new(
        store: Arc<dyn Store>,
        audit: Arc<dyn AuditLog>,
        codes: Arc<CodeLists>,
        clock: Arc<dyn TimeSource>,
        config: ServerConfig,
    ) -> Self {
        AppState {
            store,
            audit,
            codes,
            clock,
            config,
            cpr_register: Arc::new(service::cpr_register::NoRegister),
            sandbox: None,
            oidc_cache: Arc::default(),
        }
    }

    /// The same state, with `sandbox` for agreements in their test before use.
    pub fn with_sandbox(mut self, sandbox: Arc<dyn Store>) -> Self {
        self.sandbox = Some(sandbox);
        self
    }

    /// The same state, looking municipalities of residence up in `register`.
    pub fn with_cpr_register(
        mut self,
        register: Arc<dyn service::cpr_register::CprRegister>,
    ) -> Self {
        self.cpr_register = register;
        self
    }
}

/// The real clock: now, and today's date in Denmark (Europe/Copenhagen).
#[derive(Debug, Clone)]
pub struct DanishClock {
    tz: TimeZone,
}

impl DanishClock {
    /// A clock in Europe/Copenhagen (the time zone database is compiled in).
    pub fn new() -> Self {
        DanishClock {
            tz: TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC),
        }
    }
}

impl Default for DanishClock {
    fn default() -> Self {
        Self::new()
    }
}

// The one clock that reads real time; everything else reads it through `TimeSource`.
#[allow(clippy::disallowed_methods)]
impl TimeSource for DanishClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
    fn today(&self) -> Date {
        self.tz.to_datetime(Timestamp::now()).date()
    }
}

/// Builds the application.
pub fn router(state: AppState) -> Router {
    edge::telemetry::install();
    Router::new()
        .nest(
            "/api/v1",
            api::routes()
                .merge(api::feed::routes())
                .merge(api::supervision::api_routes()),
        )
        .merge(edge::telemetry::routes())
        .merge(web::routes())
        .layer(axum::middleware::from_fn(edge::telemetry::track))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::headers::add,
        ))
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` completes, then drains requests,
/// within the default [`edge::conn::Limits`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, edge::conn::Limits::default(), shutdown).await
}

/// [`serve`] within given limits on connections, header and request times.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: edge::conn::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    edge::telemetry::spawn_upkeep();
    edge::conn::serve(listener, router(state), limits, shutdown, |tcp| {
        Box::pin(async move { Some((tcp, None)) })
    })
    .await
}
