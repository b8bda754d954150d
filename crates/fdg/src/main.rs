//! `fdg`: the command line of Det Fælles Datagrundlag.
//!
//! Every subcommand that touches data takes `--data-dir` (or `FDG_DATA_DIR`); the SQLite database
//! is created there, with its migrations, on first use.

// The command line answers on standard output.
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};

mod demo;
mod export;
mod import;
mod population;
use clap::{Parser, Subcommand};
use fdg_domain::agreement::{AgreementAction, AgreementState};
use fdg_domain::{CodeLists, ListName, OrgKind, rules};
use fdg_server::{AppState, DanishClock};
use fdg_store::audit::AuditLog;
use fdg_store::{Database, StoreConfig};
use fdg_store::{NewAgreement, Store, StoreContext, TimeSource};

#[derive(Parser)]
#[command(
    name = "fdg",
    version,
    about = "Det Fælles Datagrundlag — the common data foundation for job-seeker registration and contact courses"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Args, Clone)]
struct DataArgs {
    /// Directory holding the SQLite database (created on first use); used when --database is
    /// not given.
    #[arg(long, env = "FDG_DATA_DIR", default_value = "./fdg-data")]
    data_dir: PathBuf,
    /// The database, as a URL: `sqlite://PATH` (PATH a data directory) or
    /// `postgres://user@host/db` (several nodes may share it; see docs/deploy.md). Chosen once
    /// at start; without it, the SQLite database in --data-dir.
    #[arg(long, env = "FDG_DATABASE_URL", value_name = "URL", value_parser = Database::parse)]
    database: Option<Database>,
    /// Replace a shipped code list with a CSV file (`code,label_da,label_en,valid_from,valid_to`),
    /// e.g. `--code-list occupation=disco08.csv`. May be repeated.
    #[arg(long = "code-list", value_name = "NAME=FILE")]
    code_lists: Vec<String>,
    /// Supervision: a person in a contact course is overdue when more than this many months
    /// have passed since their last contact interview. Changing it recomputes the figures at
    /// the next start.
    #[arg(long, env = "FDG_SUPERVISION_INTERVAL_MONTHS", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=24))]
    supervision_interval_months: u8,
    /// Keep webhook signing secrets encrypted (AES-256-GCM) under the key in this file: 64 hex
    /// characters, e.g. from `openssl rand -hex 32`. Every command and node on the database
    /// needs the same file. Without it the secrets are stored as they are.
    #[arg(long, env = "FDG_SECRETS_KEY_FILE", value_name = "FILE", value_parser = secrets_key)]
    secrets_key: Option<fdg_store::SecretsKey>,
    /// Write requests that may wait for this process's writer. Beyond them a write is refused
    /// at once with 503 and `Retry-After` instead of waiting ever longer.
    #[arg(long, env = "FDG_WRITE_QUEUE", default_value_t = fdg_store::DEFAULT_WRITE_QUEUE, value_parser = write_queue)]
    write_queue: usize,
}

/// A write queue's length for clap: 1 to 1,000,000.
fn write_queue(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err("a number from 1 to 1000000".into()),
    }
}

/// Where an export goes: a new owner-only file, or standard output.
fn export_sink(out: Option<&std::path::Path>) -> anyhow::Result<Box<dyn std::io::Write>> {
    Ok(match out {
        // It holds personal data: readable by its owner only.
        Some(path) => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            owner_only(path).with_context(|| format!("writing {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::io::stdout().lock(),
        )),
    })
}

/// A new file only its owner may read and write (an export holds personal data).
fn owner_only(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A source system's name for clap: 1–64 letters, digits, `-` or `_`.
fn system_name(text: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| text.to_owned())
        .ok_or_else(|| "1 to 64 letters, digits, - or _".into())
}

/// Reads a secrets key file for clap.
fn secrets_key(path: &str) -> Result<fdg_store::SecretsKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    fdg_store::SecretsKey::from_hex(&text).map_err(|e| format!("{path}: {e}"))
}

impl DataArgs {
    /// Where the data is and how to count: the store's configuration.
    fn store(&self) -> StoreConfig {
        StoreConfig {
            database: self
                .database
                .clone()
                .unwrap_or_else(|| Database::in_dir(&self.data_dir)),
            // The match meaning is the code lists' (the store sets it when it opens).
            supervision: fdg_domain::supervision::Params {
                interval_months: self.supervision_interval_months,
                ..Default::default()
            },
            secrets_key: self.secrets_key.clone(),
            write_queue: self.write_queue,
        }
    }

    /// Where the data is, for messages.
    fn describe(&self) -> String {
        self.store().database.describe()
    }

    /// The audit log kept with the store.
    fn audit(&self) -> anyhow::Result<Arc<dyn AuditLog>> {
        fdg_store::open_audit(&self.store())
            .with_context(|| format!("opening the audit log ({})", self.describe()))
    }
}

#[derive(Subcommand)]
// Parsed once at start; the size of `Serve`'s options does not matter.
#[allow(clippy::large_enum_variant)]
enum Cmd {
    /// Run the web services.
    Serve {
        #[command(flatten)]
        data: DataArgs,
        /// Address to listen on.
        #[arg(long, env = "FDG_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Keep audit entries this many days; older ones are pruned daily (the chain stays
        /// verifiable). Without it, entries are kept.
        #[arg(long, env = "FDG_AUDIT_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
        audit_retention_days: Option<u32>,
        /// Let citizens log in by CPR number alone at /borger/dev-login. Development and
        /// demonstrations only: it proves nothing about who they are.
        #[arg(long)]
        citizen_dev_login: bool,
        /// Push webhooks to plain http:// URLs too. Development only: in production a
        /// receiver is https://.
        #[arg(long, env = "FDG_WEBHOOK_ALLOW_HTTP")]
        webhook_allow_http: bool,
        /// Push webhooks to addresses inside this network (loopback, private, link-local).
        /// Development, or an operator's own relay: otherwise a webhook could reach the
        /// registry's own network.
        #[arg(long, env = "FDG_WEBHOOK_ALLOW_PRIVATE")]
        webhook_allow_private: bool,
        /// Citizens log in at /borger/login with this OpenID Connect provider (its issuer URL;
        /// MitID through NemLog-in in production). Needs the --oidc-* options below.
        #[arg(long, env = "FDG_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret", "oidc_redirect_url"])]
        oidc_issuer: Option<String>,
        /// This service's client id at the provider.
        #[arg(long, env = "FDG_OIDC_CLIENT_ID")]
        oidc_client_id: Option<String>,
        /// This service's client secret at the provider (prefer the environment variable).
        #[arg(long, env = "FDG_OIDC_CLIENT_SECRET", hide_env_values = true)]
        oidc_client_secret: Option<String>,
        /// Where the provider sends citizens back: this service's /borger/callback URL.
        #[arg(long, env = "FDG_OIDC_REDIRECT_URL")]
        oidc_redirect_url: Option<String>,
        /// The ID-token claim that holds the CPR number.
        #[arg(
            long,
            env = "FDG_OIDC_CPR_CLAIM",
            default_value = "dk:gov:saml:attribute:CprNumberIdentifier"
        )]
        oidc_cpr_claim: String,
        /// Trusted roots (PEM) for the provider's certificate.
        #[arg(
            long,
            env = "FDG_OIDC_CA",
            default_value = "/etc/ssl/certs/ca-certificates.crt"
        )]
        oidc_ca: PathBuf,
        /// Accept only these assurance levels (the ID token's `acr`), and ask for them; may be
        /// repeated. With MitID through NemLog-in:
        /// `https://data.gov.dk/concept/core/nsis/loa/Substantial` (or `…/High`).
        #[arg(long = "oidc-acr", env = "FDG_OIDC_ACR", value_delimiter = ',')]
        oidc_acr: Vec<String>,
        /// Staff log in at /login/mitid with this OpenID Connect provider (MitID Erhverv in
        /// production); the operator links each user to their identity with `fdg user link`.
        /// Local passwords stay for operators and development. Uses --oidc-ca.
        #[arg(long, env = "FDG_STAFF_OIDC_ISSUER", requires_all = ["staff_oidc_client_id", "staff_oidc_client_secret", "staff_oidc_redirect_url"])]
        staff_oidc_issuer: Option<String>,
        /// This service's client id at the staff provider.
        #[arg(long, env = "FDG_STAFF_OIDC_CLIENT_ID")]
        staff_oidc_client_id: Option<String>,
        /// Its client secret (prefer the environment variable).
        #[arg(long, env = "FDG_STAFF_OIDC_CLIENT_SECRET", hide_env_values = true)]
        staff_oidc_client_secret: Option<String>,
        /// Where the provider sends staff back: this service's /login/callback URL.
        #[arg(long, env = "FDG_STAFF_OIDC_REDIRECT_URL")]
        staff_oidc_redirect_url: Option<String>,
        /// The ID-token claim naming the person, as linked with `fdg user link`.
        #[arg(long, env = "FDG_STAFF_OIDC_SUBJECT_CLAIM", default_value = "sub")]
        staff_oidc_subject_claim: String,
        /// Accepted assurance levels for staff (`acr`); may be repeated.
        #[arg(
            long = "staff-oidc-acr",
            env = "FDG_STAFF_OIDC_ACR",
            value_delimiter = ','
        )]
        staff_oidc_acr: Vec<String>,
        /// On an empty data directory, also load a small synthetic population (a few
        /// organisations, a user for each role, a few dozen persons with history).
        #[arg(long)]
        demo: bool,
        /// Serve HTTPS with this certificate chain (PEM).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Ask for TLS client certificates chaining to this CA (PEM); a certificate bound to an
        /// agreement (`fdg agreement certificate`) authenticates like its token.
        #[arg(long, requires = "tls_cert")]
        client_ca: Option<PathBuf>,
        /// Municipalities of residence from this CPR register file (`CPR;kommunekode` per
        /// line, read at start). A person's responsible municipality follows it; without it,
        /// a person keeps the municipality their first record named. See docs/cpr-register.md.
        #[arg(long, env = "FDG_CPR_REGISTER")]
        cpr_register: Option<PathBuf>,
        /// Where agreements in their test before use (§ 10) work: a database of synthetic
        /// persons only (`sqlite://DIR` or `postgres://…`, never the production database),
        /// filled with the documented synthetic persons on first start. Default with the
        /// embedded database: `sandbox/` in the data directory. On PostgreSQL without it,
        /// test agreements' writes are dry runs and their reads are refused. See
        /// docs/sandbox.md.
        #[arg(long, env = "FDG_SANDBOX_DATABASE_URL", value_name = "URL", value_parser = Database::parse)]
        sandbox_database: Option<Database>,
        /// Sign the audit log's head with this key (`fdg audit keygen`) every
        /// --audit-checkpoint-every seconds and append it to --audit-witness.
        #[arg(long, env = "FDG_AUDIT_CHECKPOINT_KEY", requires = "audit_witness")]
        audit_checkpoint_key: Option<PathBuf>,
        /// The witness file signed checkpoints are appended to; keep it outside the
        /// registry's reach (another machine, write-once storage).
        #[arg(long, env = "FDG_AUDIT_WITNESS", requires = "audit_checkpoint_key")]
        audit_witness: Option<PathBuf>,
        /// Seconds between signed checkpoints.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=86_400))]
        audit_checkpoint_every: u64,
    },
    /// Create the database and apply migrations, then exit.
    Migrate {
        #[command(flatten)]
        data: DataArgs,
    },
    /// The database as a whole: moving a registry to another database.
    Store {
        #[command(subcommand)]
        command: StoreCmd,
    },
    /// Organisations.
    Org {
        #[command(subcommand)]
        command: OrgCmd,
    },
    /// API tokens for connected systems.
    Token {
        #[command(subcommand)]
        command: TokenCmd,
    },
    /// Users of the browser tool.
    User {
        #[command(subcommand)]
        command: UserCmd,
    },
    /// Connection agreements (§ 10–§ 13).
    Agreement {
        #[command(subcommand)]
        command: AgreementCmd,
    },
    /// Webhooks: an agreement's feed pushed as signed POSTs.
    Webhook {
        #[command(subcommand)]
        command: WebhookCmd,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Print the legal baseline (which rule set decides records of which dates) and every rule
    /// with its provision.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: RulesFormat,
        /// Message language for the table.
        #[arg(long, value_enum, default_value = "en")]
        lang: Lang,
    },
    /// Rebuild every projection from the event log.
    Rebuild {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Export data for statisticians and archives (streamed, memory flat).
    Export {
        #[command(subcommand)]
        what: ExportCmd,
    },
    /// Import records from the incumbent registry: NDJSON, one command per line, through the
    /// same rules as the web services, at their original recording times (docs/import.md).
    /// Refused lines go to the reject file; running it again skips what was imported.
    Import {
        #[command(flatten)]
        data: DataArgs,
        /// The NDJSON file, or `-` for standard input.
        file: String,
        /// Where refused lines are written (NDJSON); default `FILE.rejects.ndjson`, or
        /// `rejects.ndjson` when reading standard input.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// The system the file comes from: line ids are unique within it (two systems' files
        /// may use the same ids). 1–64 letters, digits, `-` or `_`.
        #[arg(long, default_value = "incumbent", value_parser = system_name)]
        system: String,
        /// Read CSV of this one record type instead of NDJSON (docs/import.md, "CSV"), e.g.
        /// `--csv jobseeker_registration`.
        #[arg(long, value_name = "TYPE", value_parser = clap::builder::PossibleValuesParser::new(import::TYPES))]
        csv: Option<String>,
    },
    /// Write a deterministic synthetic national population into an empty data directory,
    /// day by day through the rules (see docs/supervision.md).
    Demo {
        #[command(flatten)]
        data: DataArgs,
        /// Number of persons.
        #[arg(long, default_value_t = 10_000)]
        persons: u64,
        /// Seed: the same seed gives the same population and the same figures.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Years of history, ending today.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=40))]
        years: u16,
    },
    /// Supervision reports from the command line.
    Supervision {
        #[command(subcommand)]
        command: SupervisionCmd,
    },
}

#[derive(Subcommand)]
enum SupervisionCmd {
    /// Print the indicator definitions as a Markdown table (docs/supervision.md has it).
    Indicators,
    /// Reproduce a report's input from the event log as it stood at the report's cut-off, and
    /// print its input hash and figures (JSON), to compare with a report or contest a figure.
    Reproduce {
        #[command(flatten)]
        data: DataArgs,
        /// The cut-off position stated on the report.
        #[arg(long)]
        position: u64,
        /// The report's scope: a kommunekode, or DK for the country.
        #[arg(long)]
        scope: String,
        /// The report's as-of day, YYYY-MM-DD.
        #[arg(long)]
        as_of: jiff::civil::Date,
        /// The report's first month, YYYY-MM.
        #[arg(long)]
        from: String,
    },
}

#[derive(Subcommand)]
enum OrgCmd {
    /// Create an organisation.
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// state-jobcenter, municipal-jobcenter, other-actor, benefit-center,
        /// unemployment-fund, operator or supervisor.
        #[arg(long)]
        kind: OrgKind,
        /// Code: kommunekode for a municipality, CVR for another actor, a-kasse number, …
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List organisations.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue a bearer token for an organisation; prints the token alone on stdout.
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// The organisation's kind, when several kinds share the code.
        #[arg(long)]
        kind: Option<OrgKind>,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Create a user; prints the username and a one-time password (to be changed at first login).
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// The organisation's kind, when several kinds share the code.
        #[arg(long)]
        kind: Option<OrgKind>,
        /// caseworker, org-admin, operator (operator organisation only) or supervisor
        /// (supervision authority only).
        #[arg(long)]
        role: fdg_domain::Role,
        /// Full name.
        #[arg(long)]
        name: String,
        /// Login name (default: from the name, e.g. anne.berg).
        #[arg(long)]
        username: Option<String>,
    },
    /// Link a user to their identity at the staff identity provider (MitID Erhverv): they then
    /// log in at /login/mitid only; their local password is removed and their sessions end.
    Link {
        #[command(flatten)]
        data: DataArgs,
        /// The user's login name.
        #[arg(long)]
        username: String,
        /// Their identifier at the provider (the value of the subject claim).
        #[arg(long)]
        external_id: String,
    },
}

#[derive(Subcommand)]
enum AgreementCmd {
    /// Create an agreement for an organisation; prints the agreement id, then its first token.
    Create {
        #[command(flatten)]
        data: DataArgs,
        /// The organisation's code.
        #[arg(long)]
        org: String,
        /// The organisation's kind, when several kinds share the code.
        #[arg(long)]
        kind: Option<OrgKind>,
        /// Initial state: test (the § 10 test before use: nothing is stored) or active.
        #[arg(long, default_value = "test")]
        state: AgreementState,
        /// A data processor (vendor) named in the agreement. May be repeated.
        #[arg(long = "processor")]
        processors: Vec<String>,
        /// A record type it may write (e.g. jobseeker_registration, contact_interview); default all.
        #[arg(long = "may-write")]
        may_write: Vec<String>,
        /// What it may read (persons, events); default all.
        #[arg(long = "may-read")]
        may_read: Vec<String>,
        /// First day of validity (YYYY-MM-DD).
        #[arg(long)]
        valid_from: Option<jiff::civil::Date>,
        /// Last day of validity (YYYY-MM-DD).
        #[arg(long)]
        valid_to: Option<jiff::civil::Date>,
        /// Every write must name the acting caseworker (`X-Caseworker-Id` or
        /// `X-Caseworker-Name`); writes without are refused.
        #[arg(long)]
        require_acting_person: bool,
        /// Why (recorded).
        #[arg(long, default_value = "connection agreement signed")]
        reason: String,
    },
    /// test → active, after the test before use (§ 10).
    Activate(ChangeArgs),
    /// active → suspended: close web-service access (§ 13).
    Suspend(ChangeArgs),
    /// suspended → active.
    Reinstate(ChangeArgs),
    /// End the agreement for good.
    Terminate(ChangeArgs),
    /// Issue another token for the agreement (for rotation); prints the token alone.
    Token {
        #[command(flatten)]
        data: DataArgs,
        /// Agreement id.
        id: i64,
    },
    /// Bind a TLS client certificate (PEM) to the agreement as an alternative credential.
    Certificate {
        #[command(flatten)]
        data: DataArgs,
        /// Agreement id.
        id: i64,
        /// The client certificate (PEM; the first certificate in the file is used).
        #[arg(long)]
        file: PathBuf,
        /// A description, e.g. the certificate's subject.
        #[arg(long)]
        subject: Option<String>,
    },
    /// Show an agreement and every change of its state.
    Show {
        #[command(flatten)]
        data: DataArgs,
        /// Agreement id.
        id: i64,
    },
    /// List agreements.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(clap::Args)]
struct ChangeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Agreement id.
    id: i64,
    /// Why (recorded with the change).
    #[arg(long)]
    reason: String,
}

#[derive(Subcommand)]
enum WebhookCmd {
    /// Push an agreement's feed to a URL; prints the signing secret (shown once).
    Set {
        #[command(flatten)]
        data: DataArgs,
        /// Agreement id.
        agreement: i64,
        /// Where to POST (https:// in production).
        #[arg(long)]
        url: String,
        /// Start after this feed position (default: from now on).
        #[arg(long)]
        from_position: Option<u64>,
    },
    /// List webhooks and their state.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// List batches that failed every retry.
    Parked {
        #[command(flatten)]
        data: DataArgs,
        /// Only this agreement's.
        #[arg(long)]
        agreement: Option<i64>,
    },
    /// Send a parked batch again.
    Replay {
        #[command(flatten)]
        data: DataArgs,
        /// The parked batch's id.
        id: i64,
        /// As `fdg serve --webhook-allow-http` (development only).
        #[arg(long)]
        allow_http: bool,
        /// As `fdg serve --webhook-allow-private`.
        #[arg(long)]
        allow_private: bool,
    },
}

#[derive(Subcommand)]
enum StoreCmd {
    /// Copy the whole registry into an empty database (e.g. from the embedded SQLite files to
    /// PostgreSQL): the event log, the audit log and everything recorded, with their ids and
    /// positions; projections are rebuilt, counts compared and the audit chain verified. The
    /// source is read in one snapshot, so this may run while the service writes: an online
    /// backup (`--to sqlite:///backups/DATE`), and a restore is the copy back into an empty
    /// database.
    Copy {
        /// The registry to copy (`sqlite://DIR` or `postgres://…`).
        #[arg(long, value_name = "URL", value_parser = Database::parse)]
        from: Database,
        /// The empty database to fill (`postgres://…` or `sqlite://DIR`).
        #[arg(long, value_name = "URL", value_parser = Database::parse)]
        to: Database,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Check the hash chain; exits non-zero and names each altered, removed, inserted or
    /// reordered entry.
    Verify {
        #[command(flatten)]
        data: DataArgs,
        /// Also check the log against this witness file of signed checkpoints: detects
        /// entries cut off the end and a recomputed chain.
        #[arg(long, requires = "public_key")]
        witness: Option<PathBuf>,
        /// The checkpoint key's public half (hex, as `fdg audit keygen` printed it).
        #[arg(long, requires = "witness")]
        public_key: Option<String>,
    },
    /// Make an Ed25519 key for signing audit checkpoints; prints its public half.
    Keygen {
        /// Where to write the private key (PKCS#8); refused if the file exists.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign the log's current head and append it to the witness file.
    Checkpoint {
        #[command(flatten)]
        data: DataArgs,
        /// The private key (from `fdg audit keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The witness file, kept outside the registry's reach.
        #[arg(long)]
        witness: PathBuf,
    },
    /// Remove entries older than a number of days, keeping the chain verifiable.
    Prune {
        #[command(flatten)]
        data: DataArgs,
        /// Keep this many days.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=36_500))]
        keep_days: u32,
    },
}

#[derive(Subcommand)]
enum ExportCmd {
    /// The event log, or a window of it, as NDJSON: one event per line with its position,
    /// person, type, recording time, organisation and data. It holds CPR numbers: handle it
    /// as the registry itself. Audited as one entry.
    Events {
        #[command(flatten)]
        data: DataArgs,
        /// Only events after this position.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Only events recorded at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<jiff::Timestamp>,
        /// Only events recorded before this time (RFC 3339).
        #[arg(long)]
        until: Option<jiff::Timestamp>,
        /// The file to write; standard output when left out.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Every person's current situation as CSV, by person id only (no CPR number, no name):
    /// municipality, registered and since when, benefit category, degree, a-kasse, match
    /// category, cash benefit since. Audited as one entry.
    Persons {
        #[command(flatten)]
        data: DataArgs,
        /// The file to write; standard output when left out.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RulesFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Lang {
    En,
    Da,
}

fn code_lists(args: &DataArgs) -> anyhow::Result<CodeLists> {
    let mut codes = CodeLists::shipped();
    for spec in &args.code_lists {
        let (name, file) = spec
            .split_once('=')
            .context("--code-list takes NAME=FILE")?;
        let list = ListName::from_name(name).with_context(|| {
            let names: Vec<&str> = ListName::ALL.iter().map(|l| l.as_str()).collect();
            format!("unknown code list {name:?}; one of {}", names.join(", "))
        })?;
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        let n = codes
            .replace_from_csv(list, &text)
            .with_context(|| file.to_owned())?;
        eprintln!("code list {name}: {n} codes from {file}");
    }
    Ok(codes)
}

/// The store, the code lists it decides with and the clock it runs on.
type Opened = (Arc<dyn Store>, Arc<CodeLists>, Arc<dyn TimeSource>);

/// The store with the shipped (or replaced) code lists and the real clock.
fn open(args: &DataArgs) -> anyhow::Result<Opened> {
    let codes = Arc::new(code_lists(args)?);
    let clock: Arc<dyn TimeSource> = Arc::new(DanishClock::new());
    let store = fdg_store::open(
        &args.store(),
        StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        },
    )
    .with_context(|| format!("opening the database ({})", args.describe()))?;
    Ok((store, codes, clock))
}

/// Opens the sandbox for agreements in their test before use, filling it with the synthetic
/// persons on first start. `None` on PostgreSQL unless a sandbox database is named.
async fn sandbox(
    data: &DataArgs,
    named: Option<Database>,
    state: &AppState,
) -> anyhow::Result<Option<Arc<dyn Store>>> {
    let production = data.store().database;
    let database = match (named, &production) {
        (Some(db), _) => db,
        (None, Database::Sqlite { dir }) => Database::in_dir(dir.join("sandbox")),
        (None, _) => {
            eprintln!(
                "  Sandbox: none (--sandbox-database not given); test agreements' writes are dry runs"
            );
            return Ok(None);
        }
    };
    if database == production {
        anyhow::bail!("the sandbox must be another database than the production one");
    }
    let config = StoreConfig {
        database,
        ..data.store()
    };
    let store = fdg_store::open(
        &config,
        StoreContext {
            codes: state.codes.clone(),
            clock: state.clock.clone(),
        },
    )
    .with_context(|| format!("opening the sandbox ({})", config.database.describe()))?;
    if store.events_after(0, 1).await?.is_empty() {
        let made = demo::persons(store.as_ref(), state.clock.as_ref()).await?;
        eprintln!(
            "  Sandbox: {made} synthetic persons ({})",
            config.database.describe()
        );
    } else {
        eprintln!("  Sandbox: {}", config.database.describe());
    }
    Ok(Some(store))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Cmd::Serve {
            data,
            listen,
            audit_retention_days,
            citizen_dev_login,
            webhook_allow_http,
            webhook_allow_private,
            oidc_issuer,
            oidc_client_id,
            oidc_client_secret,
            oidc_redirect_url,
            oidc_cpr_claim,
            oidc_ca,
            oidc_acr,
            staff_oidc_issuer,
            staff_oidc_client_id,
            staff_oidc_client_secret,
            staff_oidc_redirect_url,
            staff_oidc_subject_claim,
            staff_oidc_acr,
            demo,
            tls_cert,
            tls_key,
            client_ca,
            cpr_register,
            sandbox_database,
            audit_checkpoint_key,
            audit_witness,
            audit_checkpoint_every,
        } => {
            let tls = match (&tls_cert, &tls_key) {
                (Some(cert), Some(key)) => Some(fdg_server::tls::server_config(
                    cert,
                    key,
                    client_ca.as_deref(),
                )?),
                _ => None,
            };
            let (store, codes, clock) = open(&data)?;
            let audit = data.audit()?;
            if data.secrets_key.is_none() {
                eprintln!(
                    "  Webhook signing secrets are stored unencrypted: give --secrets-key FILE in production."
                );
            }
            if let Some(days) = audit_retention_days {
                let (audit, clock) = (audit.clone(), clock.clone());
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(std::time::Duration::from_secs(86_400));
                    loop {
                        tick.tick().await;
                        let before =
                            clock.now() - jiff::SignedDuration::from_hours(24 * i64::from(days));
                        match audit.prune(before).await {
                            Ok(n) => tracing::info!(pruned = n, "audit retention"),
                            Err(e) => tracing::error!(error = %e, "audit pruning failed"),
                        }
                    }
                });
            }
            if let (Some(key), Some(witness)) = (audit_checkpoint_key, audit_witness) {
                let key =
                    fdg_server::witness::SigningKey::load(&key).map_err(anyhow::Error::msg)?;
                eprintln!(
                    "  Audit checkpoints: every {audit_checkpoint_every} s to {} (key {})",
                    witness.display(),
                    key.public_hex()
                );
                let (audit, clock) = (audit.clone(), clock.clone());
                tokio::spawn(async move {
                    let every = std::time::Duration::from_secs(audit_checkpoint_every);
                    let mut tick = tokio::time::interval(every);
                    let mut last = 0;
                    loop {
                        tick.tick().await;
                        match audit.head().await {
                            Ok((seq, _)) if seq == last => continue,
                            Ok(_) => {}
                            Err(e) => {
                                tracing::error!(error = %e, "audit head unreadable");
                                continue;
                            }
                        }
                        match fdg_server::witness::checkpoint(
                            audit.as_ref(),
                            &key,
                            &witness,
                            clock.now(),
                        )
                        .await
                        {
                            Ok(Some(c)) => last = c.seq,
                            Ok(None) => {}
                            Err(e) => tracing::error!(error = %e, "audit checkpoint failed"),
                        }
                    }
                });
            }
            let orgs = store.orgs().await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            let addr = listener.local_addr()?;
            let scheme = if tls.is_some() { "https" } else { "http" };
            eprintln!("fdg serving on {scheme}://{addr} ({})", data.describe());
            eprintln!(
                "  Browser tool: {scheme}://{addr}/   OpenAPI: {scheme}://{addr}/api/v1/openapi.json   health: {scheme}://{addr}/healthz"
            );
            if orgs.is_empty() {
                // First start: the operator's account, so someone can log in and administer.
                let (user, password) = first_start(store.as_ref()).await?;
                eprintln!(
                    "  First start: operator account created. Log in at {scheme}://{addr}/login as\n    {user}  /  {password}\n  (shown once; change it at first login).",
                );
                if demo {
                    demo::load(store.as_ref(), clock.as_ref(), scheme, addr).await?;
                } else {
                    eprintln!(
                        "  To register job seekers, create an organisation and a user or token:\n    fdg org create --kind state-jobcenter --code STAT --name \"Staten i jobcenteret\"\n    fdg user create --org STAT --role caseworker --name \"Your Name\"\n  or start with --demo for a small synthetic population."
                    );
                }
            }
            let state = AppState::new(
                store,
                audit,
                codes,
                clock,
                fdg_server::ServerConfig {
                    secure_cookies: tls.is_some(),
                    citizen_dev_login,
                    oidc: match (
                        oidc_issuer,
                        oidc_client_id,
                        oidc_client_secret,
                        oidc_redirect_url,
                    ) {
                        (
                            Some(issuer),
                            Some(client_id),
                            Some(client_secret),
                            Some(redirect_url),
                        ) => Some(fdg_server::oidc::OidcConfig {
                            issuer,
                            client_id,
                            client_secret,
                            redirect_url,
                            subject_claim: oidc_cpr_claim,
                            ca_file: oidc_ca.clone(),
                            acr_values: oidc_acr,
                        }),
                        _ => None,
                    },
                    staff_oidc: match (
                        staff_oidc_issuer,
                        staff_oidc_client_id,
                        staff_oidc_client_secret,
                        staff_oidc_redirect_url,
                    ) {
                        (
                            Some(issuer),
                            Some(client_id),
                            Some(client_secret),
                            Some(redirect_url),
                        ) => Some(fdg_server::oidc::OidcConfig {
                            issuer,
                            client_id,
                            client_secret,
                            redirect_url,
                            subject_claim: staff_oidc_subject_claim,
                            ca_file: oidc_ca,
                            acr_values: staff_oidc_acr,
                        }),
                        _ => None,
                    },
                },
            );
            let state = match cpr_register {
                Some(path) => {
                    let register = fdg_server::cpr_register::FileRegister::load(&path)
                        .map_err(anyhow::Error::msg)?;
                    eprintln!(
                        "  CPR register: {} persons from {}",
                        register.len(),
                        path.display()
                    );
                    state.with_cpr_register(Arc::new(register))
                }
                None => state,
            };
            let state = match sandbox(&data, sandbox_database, &state).await? {
                Some(sandbox) => state.with_sandbox(sandbox),
                None => state,
            };
            fdg_server::webhook::spawn(
                state.clone(),
                fdg_server::webhook::WebhookConfig {
                    allow_http: webhook_allow_http,
                    allow_private: webhook_allow_private,
                    ..Default::default()
                },
            );
            fdg_server::dated::spawn(state.clone());
            match tls {
                Some(tls) => {
                    fdg_server::tls::serve_tls(listener, state, tls, shutdown_signal()).await?;
                }
                None => fdg_server::serve(listener, state, shutdown_signal()).await?,
            }
        }
        Cmd::Store {
            command: StoreCmd::Copy { from, to },
        } => {
            eprintln!("copying {} into {}", from.describe(), to.describe());
            let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let report = fdg_store::copy::copy(
                &StoreConfig::new(from),
                &StoreConfig::new(to),
                move |table, done, total| {
                    let pct = (done * 100).checked_div(total).unwrap_or(100);
                    if terminal {
                        eprint!("\r  {table}: {done}/{total} ({pct} %)\x1b[K");
                        if done >= total {
                            eprintln!();
                        }
                    } else if done >= total || done % 100_000 == 0 {
                        eprintln!("  {table}: {done}/{total} ({pct} %)");
                    }
                },
            )
            .await?;
            eprintln!(
                "copied: {} rows in {} tables; projections rebuilt from {} events; audit chain of {} entries verifies",
                report.tables.iter().map(|(_, n)| n).sum::<u64>(),
                report.tables.len(),
                report.rebuilt_events,
                report.audit_entries
            );
        }
        Cmd::Migrate { data } => {
            let n = fdg_store::migrate(&data.store())?;
            eprintln!("{n} migration(s) applied ({})", data.describe());
        }
        Cmd::Org { command } => match command {
            OrgCmd::Create {
                data,
                kind,
                code,
                name,
            } => {
                let (store, codes, clock) = open(&data)?;
                if kind == OrgKind::MunicipalJobcenter
                    && !codes.is_valid(ListName::Municipality, &code, clock.today())
                {
                    bail!("{code:?} is not a municipality code (kommunekode) in force today");
                }
                let org = store.create_org(kind, &code, &name).await?;
                println!("{}:{}\t{}", org.kind, org.code, org.name);
            }
            OrgCmd::List { data } => {
                let (store, _, _) = open(&data)?;
                for org in store.orgs().await? {
                    println!("{}:{}\t{}", org.kind, org.code, org.name);
                }
            }
        },
        Cmd::Token { command } => match command {
            TokenCmd::Create { data, org, kind } => {
                let (store, _, _) = open(&data)?;
                let token = store.create_token(&org, kind).await?;
                println!("{token}");
                eprintln!("Store this token now: it is shown once and kept only as a hash.");
            }
        },
        Cmd::Agreement { command } => agreement(command).await?,
        Cmd::User { command } => match command {
            UserCmd::Create {
                data,
                org,
                kind,
                role,
                name,
                username,
            } => {
                let (store, _, _) = open(&data)?;
                let (user, password) = store
                    .create_user(&org, kind, role, &name, username.as_deref())
                    .await?;
                println!("{}\t{password}", user.username);
                eprintln!(
                    "{} ({}) of {}:{}: one-time password shown once; it must be changed at first login.",
                    user.name, user.role, user.org.kind, user.org.code
                );
            }
            UserCmd::Link {
                data,
                username,
                external_id,
            } => {
                let (store, _, _) = open(&data)?;
                let user = store.link_user(&username, Some(&external_id)).await?;
                eprintln!(
                    "{}: logs in through the identity provider only; local password removed, sessions ended.",
                    user.username
                );
            }
        },
        Cmd::Webhook { command } => webhook(command).await?,
        Cmd::Audit { command } => match command {
            AuditCmd::Verify {
                data,
                witness,
                public_key,
            } => {
                let audit = data.audit()?;
                let report = audit.verify().await?;
                if let (Some(witness), Some(public_key)) = (witness, public_key) {
                    let text = std::fs::read_to_string(&witness)
                        .with_context(|| format!("reading {}", witness.display()))?;
                    let w = fdg_server::witness::verify(
                        audit.as_ref(),
                        &text,
                        &public_key,
                        report.from_checkpoint,
                    )
                    .await
                    .map_err(anyhow::Error::msg)?;
                    for p in &w.problems {
                        println!("{}", serde_json::to_string(p)?);
                    }
                    if !w.problems.is_empty() {
                        bail!(
                            "audit log does not match its witness: {} problem(s)",
                            w.problems.len()
                        );
                    }
                    eprintln!(
                        "witness: {} signed checkpoints match (newest at {}), {} pruned away",
                        w.checked,
                        w.newest.unwrap_or(0),
                        w.pruned
                    );
                }
                if report.problems.is_empty() {
                    eprintln!(
                        "audit log intact: {} entries{}",
                        report.entries,
                        report
                            .from_checkpoint
                            .map(|s| format!(" after the checkpoint at {s}"))
                            .unwrap_or_default()
                    );
                } else {
                    for p in &report.problems {
                        println!("{}", serde_json::to_string(p)?);
                    }
                    bail!(
                        "audit log damaged: {} problem(s) in {} entries",
                        report.problems.len(),
                        report.entries
                    );
                }
            }
            AuditCmd::Keygen { out } => {
                let (secret, public) =
                    fdg_server::witness::generate_key().map_err(anyhow::Error::msg)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut f = options
                    .open(&out)
                    .with_context(|| format!("creating {}", out.display()))?;
                std::io::Write::write_all(&mut f, &secret)?;
                eprintln!("private key written to {} (keep it secret)", out.display());
                println!("{public}");
            }
            AuditCmd::Checkpoint { data, key, witness } => {
                let audit = data.audit()?;
                let key =
                    fdg_server::witness::SigningKey::load(&key).map_err(anyhow::Error::msg)?;
                match fdg_server::witness::checkpoint(
                    audit.as_ref(),
                    &key,
                    &witness,
                    DanishClock::new().now(),
                )
                .await
                .map_err(anyhow::Error::msg)?
                {
                    Some(c) => {
                        eprintln!("checkpoint at {} appended to {}", c.seq, witness.display());
                    }
                    None => eprintln!("the audit log is empty: nothing to sign"),
                }
            }
            AuditCmd::Prune { data, keep_days } => {
                let audit = data.audit()?;
                let before = DanishClock::new().now()
                    - jiff::SignedDuration::from_hours(24 * i64::from(keep_days));
                let n = audit.prune(before).await?;
                eprintln!("pruned {n} audit entries recorded before {before}");
            }
        },
        Cmd::Rules { format, lang } => match format {
            RulesFormat::Json => println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "rule_sets": fdg_domain::ruleset::SHIPPED,
                    "rules": rules::ALL,
                }))?
            ),
            RulesFormat::Table => {
                for set in fdg_domain::ruleset::SHIPPED {
                    let to = set.valid_to.map_or_else(String::new, |d| d.to_string());
                    println!(
                        "# {} ({}): records dated {} – {to}",
                        set.name, set.id, set.valid_from
                    );
                }
                for r in rules::ALL {
                    let msg = match lang {
                        Lang::En => r.message_en,
                        Lang::Da => r.message_da,
                    };
                    let kind = serde_json::to_value(r.kind)?;
                    println!(
                        "{:<52} {:<44} {:<11} {}",
                        r.id,
                        r.provision,
                        kind.as_str().unwrap_or_default(),
                        msg
                    );
                }
            }
        },
        Cmd::Rebuild { data } => {
            let (store, _, _) = open(&data)?;
            let n = store.rebuild().await?;
            eprintln!("rebuilt projections from {n} events");
        }
        Cmd::Demo {
            data,
            persons,
            seed,
            years,
        } => demo_population(&data, persons, seed, years).await?,
        Cmd::Import {
            data,
            file,
            rejects,
            system,
            csv,
        } => import_file(&data, &file, rejects, &system, csv.as_deref()).await?,
        Cmd::Export {
            what: ExportCmd::Persons { data, out },
        } => {
            let (store, _, clock) = open(&data)?;
            let audit = data.audit()?;
            let mut sink = export_sink(out.as_deref())?;
            let n = export::persons(
                store.as_ref(),
                audit.as_ref(),
                clock.now(),
                &mut *sink,
                |_| {},
            )
            .await?;
            eprintln!("{n} persons exported");
        }
        Cmd::Export {
            what:
                ExportCmd::Events {
                    data,
                    after,
                    since,
                    until,
                    out,
                },
        } => {
            use std::io::IsTerminal as _;
            let (store, _, clock) = open(&data)?;
            let audit = data.audit()?;
            let mut sink = export_sink(out.as_deref())?;
            let terminal = std::io::stderr().is_terminal();
            let n = export::events(
                store.as_ref(),
                audit.as_ref(),
                clock.now(),
                export::Window {
                    after,
                    since,
                    until,
                },
                &mut *sink,
                |at, head| {
                    if terminal {
                        eprint!("\r\x1b[2Kposition {at} of {head}");
                    }
                },
            )
            .await?;
            if terminal {
                eprintln!();
            }
            eprintln!("{n} events exported");
        }
        Cmd::Supervision {
            command: SupervisionCmd::Indicators,
        } => print!("{}", fdg_domain::supervision::markdown()),
        Cmd::Supervision {
            command:
                SupervisionCmd::Reproduce {
                    data,
                    position,
                    scope,
                    as_of,
                    from,
                },
        } => {
            let from: jiff::civil::Date = format!("{from}-01")
                .parse()
                .with_context(|| format!("--from {from}: expected YYYY-MM"))?;
            if from > as_of.first_of_month() {
                bail!("--from must be the month of --as-of or earlier");
            }
            let query = fdg_store::SupervisionQuery { from, as_of };
            let (store, _, _) = open(&data)?;
            let input = store.supervision_replay(position, &query).await?;
            let report = fdg_server::Report::build(&scope, &input, from);
            println!("{}", serde_json::to_string_pretty(&report)?);
            eprintln!("input hash {}", input.input_hash);
        }
    }
    Ok(())
}

/// The first start of a data directory: the operator's organisation and account.
async fn first_start(store: &dyn Store) -> anyhow::Result<(String, String)> {
    store
        .create_org(OrgKind::Operator, "AMS", "Arbejdsmarkedsstyrelsen")
        .await?;
    let (user, password) = store
        .create_user(
            "AMS",
            Some(OrgKind::Operator),
            fdg_domain::Role::Operator,
            "Operatør",
            Some("operator"),
        )
        .await?;
    Ok((user.username, password))
}

/// `fdg import`: the incumbent's records, line by line, at their recording times.
async fn import_file(
    data: &DataArgs,
    file: &str,
    rejects: Option<PathBuf>,
    system: &str,
    csv: Option<&str>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let codes = Arc::new(code_lists(data)?);
    let wall = Arc::new(DanishClock::new());
    let store = fdg_store::open(
        &data.store(),
        StoreContext {
            codes,
            clock: wall.clone(),
        },
    )
    .with_context(|| format!("opening the database ({})", data.describe()))?;
    let audit = data.audit()?;
    let (mut input, total, source): (Box<dyn std::io::BufRead>, Option<u64>, String) =
        if file == "-" {
            (Box::new(std::io::stdin().lock()), None, "stdin".into())
        } else {
            let f = std::fs::File::open(file).with_context(|| format!("reading {file}"))?;
            let size = f.metadata().ok().map(|m| m.len());
            let name = std::path::Path::new(file)
                .file_name()
                .map_or_else(|| file.to_owned(), |n| n.to_string_lossy().into_owned());
            (
                Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
                size,
                name,
            )
        };
    let rejects = rejects.unwrap_or_else(|| match file {
        "-" => PathBuf::from("rejects.ndjson"),
        f => PathBuf::from(format!("{f}.rejects.ndjson")),
    });
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&rejects)
            .with_context(|| format!("writing {}", rejects.display()))?,
    );
    // Ctrl-C stops after the line being stored; the next run resumes after it.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let run = import::Import {
        store: store.as_ref(),
        audit: audit.as_ref(),
        wall: wall.as_ref(),
        source: &source,
        system,
        stop: &stop,
        progress: import::Progress {
            total_bytes: total,
            terminal: std::io::stderr().is_terminal(),
            quiet: false,
        },
        tz: jiff::tz::TimeZone::get("Europe/Copenhagen")?,
    };
    let summary = match csv {
        Some(kind) => {
            run.run(&mut import::CsvLines::new(&mut *input, kind), &mut out)
                .await?
        }
        None => run.run(&mut *input, &mut out).await?,
    };
    if summary.rejected > 0 {
        eprintln!(
            "{} lines refused, each with its rules: {}",
            summary.rejected,
            rejects.display()
        );
    }
    if summary.interrupted {
        eprintln!("stopped; run the same command again to resume (imported lines are skipped)");
    }
    Ok(())
}

/// `fdg demo`: the national synthetic population, on a simulated clock.
async fn demo_population(
    data: &DataArgs,
    persons: u64,
    seed: u64,
    years: u16,
) -> anyhow::Result<()> {
    let codes = Arc::new(code_lists(data)?);
    let today = DanishClock::new().today();
    let start = today.checked_sub(jiff::Span::new().years(years))?;
    // The population lives in the 98 municipalities of 2007: it cannot start before they exist.
    let earliest = codes
        .entries(ListName::Municipality)
        .iter()
        .map(|e| e.valid_from)
        .max()
        .unwrap_or(start);
    if start < earliest {
        bail!(
            "--years {years} would start on {start}, before the municipality codes are valid \
             ({earliest}); at most {} years",
            (today - earliest).get_days() / 366
        );
    }
    let clock = Arc::new(population::SimClock::new(start));
    let store = fdg_store::open(
        &data.store(),
        StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        },
    )
    .with_context(|| format!("opening the database ({})", data.describe()))?;
    if !store.events_after(0, 1).await?.is_empty() {
        bail!(
            "{} already holds events: fdg demo writes into an empty database",
            data.describe()
        );
    }
    eprintln!(
        "fdg demo: {persons} synthetic persons, seed {seed}, {years} years ({start} to {today}) into {}",
        data.describe()
    );
    let fresh = store.orgs().await?.is_empty();
    let operator = if fresh {
        Some(first_start(store.as_ref()).await?)
    } else {
        None
    };
    let settings = population::Settings {
        persons,
        seed,
        years,
        today,
        progress: true,
    };
    let summary = population::generate(store.clone(), clock, &codes, &settings).await?;
    eprintln!(
        "  {} commands accepted, {} contact interviews, {} persons",
        summary.accepted, summary.interviews, summary.persons
    );
    let mut refused: Vec<_> = summary.refused.iter().collect();
    refused.sort();
    for (rule, n) in &refused {
        eprintln!("  refused {n}× {rule}");
    }
    let supervisor = store
        .create_user(
            "TILSYN",
            Some(OrgKind::Supervisor),
            fdg_domain::Role::Supervisor,
            "Tove Tilsyn",
            None,
        )
        .await?;
    eprintln!("  Users (passwords shown once):");
    if let Some((user, password)) = operator {
        eprintln!("    {user:<14} {password:<18} operator");
    }
    eprintln!(
        "    {:<14} {:<18} supervisor (Visitationstilsynet): reports at /tilsyn",
        supervisor.0.username, supervisor.1
    );
    if let Some(dir) = data.store().database.dir() {
        eprintln!(
            "  Start the service with: fdg serve --data-dir {}",
            dir.display()
        );
    }
    if !refused.is_empty() {
        bail!(
            "{} kinds of refusal: the generator and the rules disagree",
            refused.len()
        );
    }
    Ok(())
}

async fn webhook(command: WebhookCmd) -> anyhow::Result<()> {
    match command {
        WebhookCmd::Set {
            data,
            agreement,
            url,
            from_position,
        } => {
            let (store, _, _) = open(&data)?;
            let from = match from_position {
                Some(p) => p,
                None => *store.watch_head().borrow(),
            };
            let secret = store.set_webhook(agreement, &url, from).await?;
            println!("{secret}");
            eprintln!(
                "agreement {agreement}: feed after position {from} is pushed to {url}; the secret above signs each POST (Fdg-Signature) and is shown once."
            );
        }
        WebhookCmd::List { data } => {
            let (store, _, _) = open(&data)?;
            for h in store.webhooks().await? {
                println!(
                    "{}\t{}\tposition {}\tattempts {}\t{}",
                    h.agreement_id,
                    h.url,
                    h.position,
                    h.attempts,
                    h.last_error.unwrap_or_default()
                );
            }
        }
        WebhookCmd::Parked { data, agreement } => {
            let (store, _, _) = open(&data)?;
            for p in store.parked(agreement).await? {
                println!("{}", serde_json::to_string(&p)?);
            }
        }
        WebhookCmd::Replay {
            data,
            id,
            allow_http,
            allow_private,
        } => {
            let (store, _, clock) = open(&data)?;
            let audit = data.audit()?;
            let Some(batch) = store.take_parked(id).await? else {
                bail!("no parked batch {id} waiting for replay");
            };
            let hook = store
                .webhook(batch.agreement_id)
                .await?
                .context("the agreement has no webhook any more")?;
            let Some((agreement, _)) = store.agreement(batch.agreement_id).await? else {
                bail!("no agreement {}", batch.agreement_id);
            };
            if agreement.state != AgreementState::Active || !agreement.valid_on(clock.today()) {
                bail!(
                    "agreement {} is {} (or outside its validity): nothing is sent",
                    agreement.id,
                    agreement.state
                );
            }
            let actor = fdg_domain::Actor {
                kind: agreement.org.kind,
                code: agreement.org.code.clone(),
            };
            let config = fdg_server::webhook::WebhookConfig {
                allow_http,
                allow_private,
                ..Default::default()
            };
            let mut after = batch.from_position.saturating_sub(1);
            while after < batch.to_position {
                let target = fdg_server::webhook::Target {
                    hook: &hook,
                    actor: actor.clone(),
                    today: clock.today(),
                    now: clock.now(),
                };
                match fdg_server::webhook::deliver_range(
                    store.as_ref(),
                    audit.as_ref(),
                    &config,
                    &target,
                    after,
                    Some(batch.to_position),
                )
                .await
                {
                    Ok(Some(to)) => after = to,
                    Ok(None) => break,
                    Err((error, _)) => {
                        store
                            .record_delivery(
                                batch.agreement_id,
                                fdg_store::DeliveryResult::Parked {
                                    error: error.clone(),
                                    from: after + 1,
                                    to: batch.to_position,
                                },
                            )
                            .await?;
                        bail!("replay failed ({error}); parked again");
                    }
                }
            }
            eprintln!("parked batch {id} delivered");
        }
    }
    Ok(())
}

async fn agreement(command: AgreementCmd) -> anyhow::Result<()> {
    let change = |args: ChangeArgs, action| async move {
        let (store, _, _) = open(&args.data)?;
        let a = store
            .change_agreement(args.id, action, &args.reason, &operator())
            .await?;
        println!(
            "agreement {}: {} ({}:{})",
            a.id, a.state, a.org.kind, a.org.code
        );
        anyhow::Ok(())
    };
    match command {
        AgreementCmd::Create {
            data,
            org,
            kind,
            state,
            processors,
            may_write,
            may_read,
            valid_from,
            valid_to,
            require_acting_person,
            reason,
        } => {
            if !matches!(state, AgreementState::Test | AgreementState::Active) {
                bail!("an agreement starts in test or active");
            }
            let (store, _, _) = open(&data)?;
            let all = |v: Vec<String>| {
                if v.is_empty() {
                    vec!["*".to_owned()]
                } else {
                    v
                }
            };
            let (a, token) = store
                .create_agreement(
                    NewAgreement {
                        org_code: org,
                        org_kind: kind,
                        state,
                        processors,
                        may_write: all(may_write),
                        may_read: all(may_read),
                        valid_from,
                        valid_to,
                        requires_acting_person: require_acting_person,
                        reason,
                    },
                    &operator(),
                )
                .await?;
            println!("{}", a.id);
            println!("{token}");
            eprintln!(
                "agreement {} for {}:{} in state {}; the token above is shown once.",
                a.id, a.org.kind, a.org.code, a.state
            );
        }
        AgreementCmd::Activate(args) => change(args, AgreementAction::Activate).await?,
        AgreementCmd::Suspend(args) => change(args, AgreementAction::Suspend).await?,
        AgreementCmd::Reinstate(args) => change(args, AgreementAction::Reinstate).await?,
        AgreementCmd::Terminate(args) => change(args, AgreementAction::Terminate).await?,
        AgreementCmd::Token { data, id } => {
            let (store, _, _) = open(&data)?;
            println!("{}", store.issue_token(id).await?);
            eprintln!("Store this token now: it is shown once and kept only as a hash.");
        }
        AgreementCmd::Certificate {
            data,
            id,
            file,
            subject,
        } => {
            let der = first_certificate(&file)?;
            let fp = fdg_server::tls::fingerprint(&der);
            let (store, _, _) = open(&data)?;
            let subject = subject.unwrap_or_else(|| file.display().to_string());
            store.add_certificate(id, &fp, &subject).await?;
            println!("{fp}");
            eprintln!("certificate {fp} now authenticates as agreement {id}");
        }
        AgreementCmd::Show { data, id } => {
            let (store, _, _) = open(&data)?;
            let Some((a, changes)) = store.agreement(id).await? else {
                bail!("no agreement {id}");
            };
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({"agreement": a, "changes": changes})
                )?
            );
        }
        AgreementCmd::List { data } => {
            let (store, _, _) = open(&data)?;
            for a in store.agreements().await? {
                println!(
                    "{}\t{}\t{}:{}\t{}",
                    a.id, a.state, a.org.kind, a.org.code, a.org.name
                );
            }
        }
    }
    Ok(())
}

/// Who is running the CLI, recorded with agreement changes: `cli:<login name>`.
fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// The DER bytes of the first certificate in a PEM file (base64 between the BEGIN/END lines).
fn first_certificate(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END CERTIFICATE-----"))
        .collect();
    if body.is_empty() {
        bail!("no PEM certificate in {}", path.display());
    }
    base64_decode(&body).with_context(|| format!("bad base64 in {}", path.display()))
}

fn base64_decode(s: &str) -> anyhow::Result<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .context("not base64")? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(cli))
}
