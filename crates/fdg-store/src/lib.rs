//! # fdg-store — the event store
//!
//! The [`Store`] interface that the server uses, on two backends: the embedded SQLite files
//! ([`sqlite::SqliteStore`], the default) and PostgreSQL for several nodes on one database
//! ([`postgres::PostgresStore`]). The backend is chosen once at start from a [`Database`]
//! ([`open`]); callers hold `Arc<dyn Store>` and never name a backend. The event log is the
//! source of truth; the `persons` projection and the supervision sums are updated in the same
//! transaction as the append and can be rebuilt from the log ([`Store::rebuild`]).
//!
//! What does not depend on the database — the write pipeline, the queries, credentials,
//! secrets — is written once ([`Registry`]); a backend adds its connections and its dialect of
//! the few SQL calls the queries need.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use fdg_domain::agreement::{AgreementAction, AgreementState};
use fdg_domain::{Actor, CodeLists, Command, Cpr, OrgKind, PersonScope, Role, Violation};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub mod audit;
mod config;
pub mod copy;
mod migrate;
mod ops;
mod pipeline;
mod pool;
pub mod postgres;
mod registry;
mod secrets;
mod sql;
pub mod sqlite;
pub mod supervision;
pub mod testing;
pub mod worklist;
mod writer;

pub use writer::DEFAULT_WRITE_QUEUE;

pub use config::{Database, StoreConfig, migrate, open, open_audit};
pub use registry::Registry;
pub use secrets::{SecretsKey, hex, unhex};
pub use supervision::{SupervisionInput, SupervisionQuery};

/// A boxed future, so the [`Store`] trait can be used as `dyn Store`.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The source of "now" and "today" (Danish time), passed in so tests can fix it.
pub trait TimeSource: Send + Sync + 'static {
    /// The current instant (transaction time).
    fn now(&self) -> Timestamp;
    /// Today's date in Denmark (valid time).
    fn today(&self) -> Date;
}

/// A fixed clock, for tests and reproducible demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock {
    /// The instant returned by `now`.
    pub now: Timestamp,
    /// The date returned by `today`.
    pub today: Date,
}

impl TimeSource for FixedClock {
    fn now(&self) -> Timestamp {
        self.now
    }
    fn today(&self) -> Date {
        self.today
    }
}

/// A write to perform.
#[derive(Debug, Clone)]
pub struct WriteRequest {
    /// The command.
    pub command: Command,
    /// Who acts.
    pub actor: Actor,
    /// The person, for commands that name a fact instead of a CPR number.
    pub person_id: Option<fdg_domain::PersonId>,
    /// If-Match: the person's stream version the caller last saw.
    pub expected_version: Option<u64>,
    /// Idempotency key and the hash of the request it came with.
    pub idempotency: Option<Idempotency>,
    /// Validate fully and answer as if stored, but store nothing (§ 10 test before use).
    pub dry_run: bool,
    /// Who acted, beyond the organisation: recorded with every event.
    pub context: WriteContext,
    /// The person's municipality of residence according to the CPR register, looked up by
    /// the caller of the store before the write (never sent by the client). `None` when the
    /// register does not know the person or none is configured.
    pub residence: Option<String>,
    /// The record's original recording time, for a record taken over from the incumbent
    /// registry (`fdg import`): it is decided as of that day and stored with that time instead
    /// of the clock's. `None` for everything else — the web services never set it.
    pub recorded: Option<Recorded>,
}

/// When a record taken over from the incumbent was originally recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The recording time (transaction time).
    pub at: Timestamp,
    /// The business day in Denmark at that time (the rules' "today").
    pub day: jiff::civil::Date,
}

/// The context recorded with every event: the agreement used, the person acting inside the
/// calling system, and the organisation acted for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteContext {
    /// The connection agreement whose credentials were used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<i64>,
    /// The caseworker (id and name) acting inside the calling system, as sent in headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_person: Option<String>,
    /// The organisation acted for (`kind:code`), e.g. the municipality an other actor works for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

/// An idempotency key, scoped to the caller.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// Scope (the calling organisation or agreement).
    pub scope: String,
    /// The client's key.
    pub key: fdg_domain::IdempotencyKey,
    /// SHA-256 of the request (method, path and body).
    pub request_hash: [u8; 32],
}

/// One appended event as reported to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(Default))]
pub struct Appended {
    /// Global position in the log.
    pub position: u64,
    /// Number in the person's stream; with the person id it forms the fact id.
    pub version: u64,
    /// Event type.
    pub r#type: String,
}

/// A warning attached to an accepted write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remark {
    /// Rule id.
    pub rule: String,
    /// Field.
    pub field: Option<String>,
}

/// A write that was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// The person.
    pub person_id: String,
    /// The person's stream version after the write.
    pub version: u64,
    /// The events appended (empty on a dry run).
    pub events: Vec<Appended>,
    /// Warnings.
    pub warnings: Vec<Remark>,
    /// Nothing was stored (test agreement, § 10).
    pub dry_run: bool,
}

/// What happened to a write.
#[derive(Debug, Clone)]
pub enum WriteOutcome {
    /// Stored (or, on a dry run, would have been).
    Accepted(Accepted),
    /// A retry with the same idempotency key and the same request: the first answer.
    Replayed(Accepted),
    /// Refused by the rules.
    Rejected(Vec<Violation>),
    /// If-Match did not match the person's current version.
    Conflict {
        /// The current version.
        current: u64,
    },
    /// The person named by id does not exist.
    PersonNotFound,
    /// The idempotency key was used before with a different request.
    IdempotencyMismatch,
}

/// A person as read from the projection.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    /// Opaque id.
    pub person_id: String,
    /// Stream version.
    pub version: u64,
    /// The overview, built from the stored state when read.
    pub overview: fdg_domain::view::PersonOverview,
    /// What decides who may see the person.
    pub scope: PersonScope,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Global position.
    pub position: u64,
    /// Person.
    pub person_id: String,
    /// Number in the person's stream.
    pub version: u64,
    /// Type name.
    pub r#type: String,
    /// The event as JSON (`fdg_domain::Event`).
    pub data_json: String,
    /// Transaction time.
    pub recorded_at: Timestamp,
    /// Acting organisation `kind:code`.
    pub org: String,
    /// The person's access scope as of this event (in the feed), or now (in a person's
    /// history).
    pub scope: PersonScope,
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Org {
    /// Internal id.
    pub id: i64,
    /// Kind.
    pub kind: OrgKind,
    /// Code.
    pub code: String,
    pub name: String,
}

/// A connection agreement (tilslutningsaftale, § 10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    pub id: i64,
    /// The data-responsible consumer (§ 10, stk. 2).
    pub org: Org,
    /// State.
    pub state: AgreementState,
    /// Data processors (vendors) named in the agreement.
    pub processors: Vec<String>,
    /// Record types (command kinds) it may write; `*` for all the organisation may record.
    pub may_write: Vec<String>,
    /// What it may read (`persons`, `events`); `*` for all the organisation may see.
    pub may_read: Vec<String>,
    /// First day of validity.
    pub valid_from: Option<Date>,
    /// Last day of validity.
    pub valid_to: Option<Date>,
    /// Every write must name the acting caseworker (`X-Caseworker-Id` or
    /// `X-Caseworker-Name`).
    pub requires_acting_person: bool,
}

impl Agreement {
    /// Whether the agreement lets its holder write records of this kind.
    pub fn may_write(&self, kind: &str) -> bool {
        self.may_write.iter().any(|k| k == "*" || k == kind)
    }

    /// Whether the agreement lets its holder read this (`persons`, `events`).
    pub fn may_read(&self, what: &str) -> bool {
        self.may_read.iter().any(|k| k == "*" || k == what)
    }

    /// Whether `day` is within the agreement's validity.
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }
}

/// One change of an agreement's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreementChange {
    /// Previous state (none at creation).
    pub from: Option<AgreementState>,
    /// New state.
    pub to: AgreementState,
    pub reason: String,
    /// Who.
    pub changed_by: String,
    pub changed_at: Timestamp,
}

/// An agreement and every change of its state.
pub type AgreementHistory = (Agreement, Vec<AgreementChange>);

/// What to create an agreement with.
#[derive(Debug, Clone)]
pub struct NewAgreement {
    /// The organisation's code.
    pub org_code: String,
    /// Its kind, when several kinds share the code.
    pub org_kind: Option<OrgKind>,
    /// Initial state: `test` (default) or `active`.
    pub state: AgreementState,
    /// Data processors (vendors).
    pub processors: Vec<String>,
    /// Record types it may write (`*` = all).
    pub may_write: Vec<String>,
    /// What it may read (`*` = all).
    pub may_read: Vec<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// Every write must name the acting caseworker.
    pub requires_acting_person: bool,
    /// Why it is created (recorded as the first change).
    pub reason: String,
}

/// A user of the browser tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    /// Their organisation.
    pub org: Org,
    /// Login name.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Must choose a new password (after a one-time password).
    pub must_change_password: bool,
}

/// A server-side session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose.
    pub user: User,
    /// The token forms must carry (CSRF).
    pub csrf: String,
    /// When it began.
    pub created_at: Timestamp,
    /// When it ends unless used again (the idle deadline, see [`Store::extend_session`]).
    pub expires_at: Timestamp,
}

/// A webhook: the feed of one agreement pushed to a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    /// The agreement whose feed is pushed.
    pub agreement_id: i64,
    /// Where.
    pub url: String,
    /// The HMAC-SHA256 key (shown once when set).
    #[serde(skip)]
    pub secret: String,
    /// Last position delivered or parked.
    pub position: u64,
    /// Failed attempts of the current batch.
    pub attempts: u32,
    /// Not before this time (back-off).
    pub next_attempt: Option<Timestamp>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The event types delivered (`None`: every type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
}

/// A batch that failed every retry and was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParkedBatch {
    pub id: i64,
    /// The agreement.
    pub agreement_id: i64,
    /// First position in the batch.
    pub from_position: u64,
    /// Last position in the batch.
    pub to_position: u64,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub last_error: String,
    /// When it was parked.
    pub parked_at: Timestamp,
    /// When an operator replayed it, if so.
    pub replayed_at: Option<Timestamp>,
}

/// What happened to one delivery attempt.
#[derive(Debug, Clone)]
pub enum DeliveryResult {
    /// Delivered up to this position.
    Delivered(u64),
    /// Failed; retry after `retry_at`.
    Failed {
        error: String,
        /// When to try again.
        retry_at: Timestamp,
    },
    /// Failed for the last time: park positions `from..=to` and move on.
    Parked {
        error: String,
        /// First position.
        from: u64,
        /// Last position.
        to: u64,
    },
}

/// What a bearer token authenticates as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The organisation.
    pub org: Org,
    /// The token's id.
    pub token_id: i64,
    /// The agreement the token belongs to.
    pub agreement: Agreement,
}

/// Store failures. Never caused by bad input: those are [`WriteOutcome::Rejected`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed; the backend's own error is kept as the cause (for the log,
    /// never for a caller).
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A migration already applied has been changed, or the database is newer than the binary.
    #[error("migration problem: {0}")]
    Migration(String),
    /// The writer has stopped.
    #[error("the writer task has stopped")]
    WriterGone,
    /// An organisation with this kind and code exists already.
    #[error("organisation {0} exists already")]
    OrgExists(String),
    /// No such organisation.
    #[error("no organisation with code {0}")]
    NoSuchOrg(String),
    /// No such agreement.
    #[error("no agreement with id {0}")]
    NoSuchAgreement(i64),
    /// A user cannot be created like this.
    #[error("{0}")]
    InvalidUser(String),
    /// The agreement cannot make this move.
    #[error("{0}")]
    InvalidTransition(String),
    /// A copy between databases cannot go on.
    #[error("copy: {0}")]
    Copy(String),
    /// File system problem.
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    /// The registry cannot take the request just now; nothing of it was written, and the
    /// same request may be sent again later.
    #[error("unavailable: {0}")]
    Unavailable(Unavailable),
}

/// Why the store cannot take a request just now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// More writes are waiting than the writer's queue holds.
    Overloaded,
    /// The disk holding the database is full.
    DiskFull,
    /// The database takes no writes (a read-only disk, or a standby that is not yet the
    /// primary).
    ReadOnly,
    /// The connection to the database was lost (the server restarted, failed over, or ended
    /// the connection); the next request is served on a new one. A write lost with its
    /// connection while it was being committed may or may not have been recorded.
    Disconnected,
}

impl Unavailable {
    /// Seconds a client should wait before sending the request again.
    pub fn retry_after(self) -> u64 {
        match self {
            Unavailable::Overloaded | Unavailable::Disconnected => 1,
            Unavailable::DiskFull | Unavailable::ReadOnly => 30,
        }
    }
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unavailable::Overloaded => "the writer's queue is full",
            Unavailable::DiskFull => "the database's disk is full",
            Unavailable::ReadOnly => "the database takes no writes",
            Unavailable::Disconnected => "the connection to the database was lost",
        })
    }
}

impl StoreError {
    /// The same error for another waiting caller: an unavailability stays one (so each
    /// caller is told to retry), anything else is reported as the batch's failure.
    pub(crate) fn for_each_caller(&self, what: &str) -> StoreError {
        match self {
            StoreError::Unavailable(u) => StoreError::Unavailable(*u),
            other => StoreError::Corrupt(format!("{what}: {other}")),
        }
    }
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage interface. Every implementation passes the conformance suite in `tests/`.
pub trait Store: Send + Sync + 'static {
    /// Decides and appends a command (or replays an idempotent retry).
    fn execute(&self, req: WriteRequest) -> BoxFut<'_, Result<WriteOutcome>>;
    /// Decides and appends commands in the order given, as fast as the writer takes them
    /// (many in one commit): one outcome per request, in order. The queue's bound makes this
    /// wait rather than refuse. For bulk loads (`fdg import`).
    fn execute_in_order(
        &self,
        reqs: Vec<WriteRequest>,
    ) -> BoxFut<'_, Result<Vec<Result<WriteOutcome>>>>;
    /// Reads a person by CPR number.
    fn person_by_cpr<'a>(&'a self, cpr: &'a Cpr) -> BoxFut<'a, Result<Option<PersonRecord>>>;
    /// Reads a person by opaque id.
    fn person<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Option<PersonRecord>>>;
    /// Persons in person-id order after `after` (exclusive; `""` from the start), at most
    /// `limit`: a page of a scan of every person, for an export.
    fn persons_after<'a>(
        &'a self,
        after: &'a str,
        limit: u32,
    ) -> BoxFut<'a, Result<Vec<PersonRecord>>>;
    /// Events after `position`, in position order, at most `limit`.
    fn events_after(&self, after: u64, limit: u32) -> BoxFut<'_, Result<Vec<StoredEvent>>>;
    /// The newest committed position, updated after every commit (for long polling).
    fn watch_head(&self) -> tokio::sync::watch::Receiver<u64>;
    /// The last position recorded before `at` (replay "from a recorded time" starts after it).
    fn position_before(&self, at: Timestamp) -> BoxFut<'_, Result<u64>>;
    /// The request hash stored under an idempotency key, if the key has been used: whether a
    /// write was already recorded under it (a resumed `fdg import` skips such lines).
    fn idempotency_hash<'a>(
        &'a self,
        scope: &'a str,
        key: &'a fdg_domain::IdempotencyKey,
    ) -> BoxFut<'a, Result<Option<Vec<u8>>>>;
    /// One person's events, in stream order (for history and as-of reads).
    fn person_events<'a>(&'a self, person_id: &'a str) -> BoxFut<'a, Result<Vec<StoredEvent>>>;
    /// An agreement's acknowledged feed position (0 when none).
    fn cursor(&self, agreement_id: i64) -> BoxFut<'_, Result<u64>>;
    /// Acknowledges a feed position for an agreement.
    fn set_cursor(&self, agreement_id: i64, position: u64) -> BoxFut<'_, Result<()>>;
    /// Sets (or replaces) an agreement's webhook, starting after `from_position`; returns the
    /// signing secret, shown once.
    fn set_webhook<'a>(
        &'a self,
        agreement_id: i64,
        url: &'a str,
        from_position: u64,
    ) -> BoxFut<'a, Result<String>>;
    /// Subscribes an agreement to its own feed at `url`, for `types` (every type when
    /// `None`), from after `from_position` if it has no subscription yet. Idempotent: the same
    /// URL again keeps its secret and position and returns `None`; another URL gets a new
    /// secret (returned, shown once) and keeps the position, so nothing is skipped or sent
    /// twice.
    fn subscribe<'a>(
        &'a self,
        agreement_id: i64,
        url: &'a str,
        types: Option<Vec<String>>,
        from_position: u64,
    ) -> BoxFut<'a, Result<Option<String>>>;
    /// Ends an agreement's subscription (its webhook); whether it had one.
    fn unsubscribe(&self, agreement_id: i64) -> BoxFut<'_, Result<bool>>;
    /// Every webhook.
    fn webhooks(&self) -> BoxFut<'_, Result<Vec<Webhook>>>;
    /// One agreement's webhook, if it has one.
    fn webhook(&self, agreement_id: i64) -> BoxFut<'_, Result<Option<Webhook>>>;
    /// Records the result of a delivery attempt.
    fn record_delivery(&self, agreement_id: i64, result: DeliveryResult) -> BoxFut<'_, Result<()>>;
    /// Claims (or renews) an agreement's webhook for delivery by `holder` until `until`,
    /// unless another holder's lease is still running at `now` (wall-clock times); whether
    /// `holder` has it. One node delivers a webhook at a time; when it dies, its lease runs out
    /// and another node carries on from the last recorded position.
    fn lease_webhook<'a>(
        &'a self,
        agreement_id: i64,
        holder: &'a str,
        now: Timestamp,
        until: Timestamp,
    ) -> BoxFut<'a, Result<bool>>;
    /// Parked batches (all, or one agreement's).
    fn parked(&self, agreement_id: Option<i64>) -> BoxFut<'_, Result<Vec<ParkedBatch>>>;
    /// Takes a parked batch back for delivery; returns it.
    fn take_parked(&self, id: i64) -> BoxFut<'_, Result<Option<ParkedBatch>>>;
    /// Creates an organisation.
    fn create_org<'a>(
        &'a self,
        kind: OrgKind,
        code: &'a str,
        name: &'a str,
    ) -> BoxFut<'a, Result<Org>>;
    /// Lists organisations.
    fn orgs(&self) -> BoxFut<'_, Result<Vec<Org>>>;
    /// Shortcut: an active agreement for an organisation (found by code, and kind when given)
    /// with one token; returns the token, which is shown once and stored only hashed.
    fn create_token<'a>(
        &'a self,
        code: &'a str,
        kind: Option<OrgKind>,
    ) -> BoxFut<'a, Result<String>>;
    /// Creates a connection agreement and its first token (shown once).
    fn create_agreement<'a>(
        &'a self,
        new: NewAgreement,
        by: &'a str,
    ) -> BoxFut<'a, Result<(Agreement, String)>>;
    /// Moves an agreement to another state; the change is recorded with who and why.
    fn change_agreement<'a>(
        &'a self,
        id: i64,
        action: AgreementAction,
        reason: &'a str,
        by: &'a str,
    ) -> BoxFut<'a, Result<Agreement>>;
    /// An agreement and its history of changes.
    fn agreement(&self, id: i64) -> BoxFut<'_, Result<Option<AgreementHistory>>>;
    /// Every agreement.
    fn agreements(&self) -> BoxFut<'_, Result<Vec<Agreement>>>;
    /// Issues another token for an agreement (several may be valid at once, for rotation).
    fn issue_token(&self, agreement_id: i64) -> BoxFut<'_, Result<String>>;
    /// Revokes one token by its id; returns whether it was valid.
    fn revoke_token(&self, token_id: i64) -> BoxFut<'_, Result<bool>>;
    /// Binds a TLS client certificate (SHA-256 of its DER, hex) to an agreement.
    fn add_certificate<'a>(
        &'a self,
        agreement_id: i64,
        fingerprint: &'a str,
        subject: &'a str,
    ) -> BoxFut<'a, Result<()>>;
    /// Resolves a TLS client certificate by fingerprint.
    fn authenticate_certificate<'a>(
        &'a self,
        fingerprint: &'a str,
    ) -> BoxFut<'a, Result<Option<Principal>>>;
    /// Resolves a bearer token.
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFut<'a, Result<Option<Principal>>>;
    /// Creates a user with a one-time password (returned once, stored as an argon2id hash).
    fn create_user<'a>(
        &'a self,
        org_code: &'a str,
        org_kind: Option<OrgKind>,
        role: Role,
        name: &'a str,
        username: Option<&'a str>,
    ) -> BoxFut<'a, Result<(User, String)>>;
    /// Checks a username and password; `None` when either is wrong or the user is disabled.
    fn login<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFut<'a, Result<Option<User>>>;
    /// Sets a user's password (and clears must-change).
    fn set_password<'a>(&'a self, user_id: i64, password: &'a str) -> BoxFut<'a, Result<()>>;
    /// Counts a login attempt for `username` at `now` (wall clock) before its password is
    /// checked, so parallel guesses count too. When the username has had `max` attempts
    /// within `window` it is locked: nothing is counted and the answer is when it may try
    /// again. Shared by every process and node on the database. A username over 256 bytes is
    /// answered as locked and nothing is stored.
    fn login_attempt<'a>(
        &'a self,
        username: &'a str,
        now: Timestamp,
        window: jiff::SignedDuration,
        max: u32,
    ) -> BoxFut<'a, Result<Option<Timestamp>>>;
    /// Forgets a username's counted attempts (after a successful login).
    fn login_succeeded<'a>(&'a self, username: &'a str) -> BoxFut<'a, Result<()>>;
    /// Starts a session; returns its id (for the cookie, stored only hashed).
    fn create_session(&self, user_id: i64, expires_at: Timestamp) -> BoxFut<'_, Result<String>>;
    /// The session with this id, if it exists and has not expired at `now`.
    fn session<'a>(&'a self, id: &'a str, now: Timestamp) -> BoxFut<'a, Result<Option<Session>>>;
    /// Ends a session.
    fn end_session<'a>(&'a self, id: &'a str) -> BoxFut<'a, Result<()>>;
    /// Links the user to the identity provider's identifier of them (`None` unlinks). A linked
    /// user logs in only through the provider: their local password is removed.
    fn link_user<'a>(
        &'a self,
        username: &'a str,
        external_id: Option<&'a str>,
    ) -> BoxFut<'a, Result<User>>;
    /// The user linked to the provider's identifier, unless disabled.
    fn user_by_external_id<'a>(&'a self, external_id: &'a str) -> BoxFut<'a, Result<Option<User>>>;
    /// Moves a session's end to `until` if that is later (a user active again before the idle
    /// deadline).
    fn extend_session<'a>(&'a self, id: &'a str, until: Timestamp) -> BoxFut<'a, Result<()>>;
    /// Ends every session of the user except the one with id `keep` (after a password
    /// change); returns how many ended.
    fn end_other_sessions<'a>(&'a self, user_id: i64, keep: &'a str) -> BoxFut<'a, Result<u64>>;
    /// Starts a citizen's session (self-service); returns its id.
    fn create_citizen_session<'a>(
        &'a self,
        cpr: &'a Cpr,
        expires_at: Timestamp,
    ) -> BoxFut<'a, Result<String>>;
    /// Ends a citizen's session (logging out).
    fn end_citizen_session<'a>(&'a self, id: &'a str) -> BoxFut<'a, Result<()>>;
    /// The citizen of a live session.
    fn citizen_session<'a>(
        &'a self,
        id: &'a str,
        now: Timestamp,
    ) -> BoxFut<'a, Result<Option<Cpr>>>;
    /// Rebuilds every projection from the event log; returns the number of events replayed.
    fn rebuild(&self) -> BoxFut<'_, Result<u64>>;
    /// Checks the database answers (for health checks).
    fn ping(&self) -> BoxFut<'_, Result<()>>;

    /// The supervision figures a report needs, with their cut-off and input hash.
    fn supervision<'a>(
        &'a self,
        query: &'a SupervisionQuery,
    ) -> BoxFut<'a, Result<SupervisionInput>>;

    /// One list of the caseworkers' worklist: persons whose day on it falls in the query's
    /// window, in day order, each with their scope (the caller decides who may see whom).
    fn worklist(
        &self,
        query: worklist::WorklistQuery,
    ) -> BoxFut<'_, Result<Vec<worklist::WorkRow>>>;

    /// The persons (ids) for whom a consequence the registry records by itself has fallen due
    /// by `today` (`Command::TakeEffect`), the longest due first, at most `limit`.
    fn consequences_due(&self, today: Date, limit: u32) -> BoxFut<'_, Result<Vec<String>>>;

    /// The same as [`Store::supervision`] would have answered when `position` was the newest
    /// event: the log replayed up to it. Slow (it reads the whole log); for reproducing and
    /// contesting a report.
    fn supervision_replay<'a>(
        &'a self,
        position: u64,
        query: &'a SupervisionQuery,
    ) -> BoxFut<'a, Result<SupervisionInput>>;
}

/// Shared handles every backend needs.
#[derive(Clone)]
pub struct StoreContext {
    /// Code lists in force.
    pub codes: Arc<CodeLists>,
    /// The clock.
    pub clock: Arc<dyn TimeSource>,
}
