//! The application service: the one write path that every edge calls — the web services,
//! the browser forms and the citizen's own pages. Each edge translates its request into an
//! [`Acting`] and a command, calls [`record`], and translates the [`Recorded`] or
//! [`Refusal`] back; deciding, auditing and the audit word of each outcome happen here,
//! once. Nothing in this module knows HTTP.

use fdg_domain::{Actor, Command, Cpr, IdempotencyKey, PersonId, Violation};
use fdg_store::{Accepted, Agreement, Idempotency, WriteContext, WriteOutcome, WriteRequest};

use crate::AppState;

/// Who records: the organisation the rules see, what is stored with the events, and how the
/// audit log names the caller.
#[derive(Debug, Clone)]
pub struct Acting {
    /// The organisation the rules of the order are applied to.
    pub actor: Actor,
    /// Stored with every event: agreement, acting person, organisation acted for.
    pub context: WriteContext,
    /// The organisation as the audit log names it (`kind:code`, or `citizen`).
    pub audit_org: String,
    /// The credential as the audit log names it (`agreement:<id>`, `user:<id>`, `citizen`);
    /// also the scope of idempotency keys.
    pub credential: String,
    /// The acting person as the audit log names them.
    pub audit_person: Option<String>,
    /// Why, as the audit log records it.
    pub purpose: String,
    /// The connection agreement the caller writes under (§ 10); `None` where none stands
    /// between (caseworkers in the browser tool, citizens through Jobnet).
    pub agreement: Option<Agreement>,
    /// The agreement is in its test before use (§ 10): the write goes to the sandbox, or,
    /// without one, is validated as for a person the registry does not know and not stored.
    pub test_before_use: bool,
}

/// What an edge adds to a command beyond who acts.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The person, for commands that name a fact instead of a CPR number.
    pub person_id: Option<PersonId>,
    /// If-Match: the person's version the caller last saw.
    pub expected_version: Option<u64>,
    /// An idempotency key and the hash of the request it came with.
    pub idempotency: Option<(IdempotencyKey, [u8; 32])>,
}

/// A command that was recorded (or, in a dry run, would have been).
#[derive(Debug)]
pub enum Recorded {
    /// Recorded now.
    Accepted(Accepted),
    /// Recorded before under the same idempotency key: the first answer again.
    Replayed(Accepted),
}

/// Why a command was not recorded. Nothing was stored.
#[derive(Debug)]
pub enum Refusal {
    /// The connection agreement does not cover this record type (§ 10).
    NotInAgreement(&'static str),
    /// Rules of the order are broken (permission rules among them).
    Rejected(Vec<Violation>),
    /// The person changed since the caller read it.
    Conflict {
        /// The person's version now.
        current: u64,
    },
    /// No such person, or not one the caller may write about.
    PersonNotFound,
    /// The idempotency key came before with another request.
    IdempotencyMismatch,
    /// The connection agreement requires every write to name the acting caseworker, and
    /// this one names nobody.
    ActingPersonRequired,
}

/// The store or the audit log failed: nothing is acknowledged.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {cause}")]
pub struct Failure {
    what: &'static str,
    cause: fdg_store::StoreError,
}

impl Failure {
    pub(crate) fn new(what: &'static str, cause: fdg_store::StoreError) -> Self {
        Failure { what, cause }
    }

    /// When the failure is the registry being unavailable for a while (overload, a full or
    /// read-only disk): the caller is told to retry, not that something broke.
    pub fn unavailable(&self) -> Option<fdg_store::Unavailable> {
        match self.cause {
            fdg_store::StoreError::Unavailable(why) => Some(why),
            _ => None,
        }
    }
}

impl Recorded {
    /// The recorded command's answer.
    pub fn accepted(&self) -> &Accepted {
        match self {
            Recorded::Accepted(a) | Recorded::Replayed(a) => a,
        }
    }
}

/// The audit log's word for an outcome: `ok`, `dry_run`, `replayed`, `denied`, `refused`,
/// `conflict` or `not_found`.
pub fn audit_word(outcome: &Result<Recorded, Refusal>) -> &'static str {
    match outcome {
        Ok(Recorded::Accepted(a)) if a.dry_run => "dry_run",
        Ok(Recorded::Accepted(_)) => "ok",
        Ok(Recorded::Replayed(_)) => "replayed",
        Err(Refusal::NotInAgreement(_) | Refusal::ActingPersonRequired) => "denied",
        Err(Refusal::Rejected(_) | Refusal::IdempotencyMismatch) => "refused",
        Err(Refusal::Conflict { .. }) => "conflict",
        Err(Refusal::PersonNotFound) => "not_found",
    }
}

/// Whether `acting`'s writes go to the sandbox (an agreement in its test before use, on a
/// registry that has one).
pub fn in_sandbox(state: &AppState, acting: &Acting) -> bool {
    acting.test_before_use && state.sandbox.is_some()
}

/// The CPR register's municipality of residence for the person `command` names by CPR
/// number. A register that cannot answer is logged (without the CPR number) and treated as
/// not knowing the person, which never moves a person the registry knows.
async fn residence(state: &AppState, command: &Command) -> Option<String> {
    let cpr = Cpr::parse(command.cpr()?).ok()?;
    match state.cpr_register.residence(&cpr).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, record = command.kind(), "CPR register lookup failed");
            None
        }
    }
}

/// Records `command` for `acting`: checks the agreement, decides by the rules, stores, and
/// audits the outcome (`write.<record>`) whatever it is. A refusal's entry is durable before
/// the answer; an accepted write's entry is queued before the answer (the event log already
/// holds who wrote it), and a write whose entry cannot be queued is not acknowledged.
pub async fn record(
    state: &AppState,
    acting: &Acting,
    command: Command,
    options: WriteOptions,
) -> Result<Result<Recorded, Refusal>, Failure> {
    let kind = command.kind();
    let outcome = if acting
        .agreement
        .as_ref()
        .is_some_and(|a| !a.may_write(kind))
    {
        Err(Refusal::NotInAgreement(kind))
    } else if acting
        .agreement
        .as_ref()
        .is_some_and(|a| a.requires_acting_person)
        && acting.audit_person.is_none()
    {
        Err(Refusal::ActingPersonRequired)
    } else {
        let (store, dry_run) = match (&state.sandbox, acting.test_before_use) {
            (_, false) => (&state.store, false),
            (Some(sandbox), true) => (sandbox, false),
            (None, true) => (&state.store, true),
        };
        // The CPR register is not asked about sandbox persons: they are synthetic.
        let residence = if acting.test_before_use {
            None
        } else {
            residence(state, &command).await
        };
        let req = WriteRequest {
            command,
            actor: acting.actor.clone(),
            person_id: options.person_id.clone(),
            expected_version: options.expected_version,
            idempotency: options.idempotency.map(|(key, request_hash)| Idempotency {
                scope: acting.credential.clone(),
                key,
                request_hash,
            }),
            dry_run,
            context: acting.context.clone(),
            residence,
            // Only `fdg import` carries a recording time of its own.
            recorded: None,
        };
        match store.execute(req).await {
            Ok(WriteOutcome::Accepted(a)) => Ok(Recorded::Accepted(a)),
            Ok(WriteOutcome::Replayed(a)) => Ok(Recorded::Replayed(a)),
            Ok(WriteOutcome::Rejected(v)) => Err(Refusal::Rejected(v)),
            Ok(WriteOutcome::Conflict { current }) => Err(Refusal::Conflict { current }),
            Ok(WriteOutcome::PersonNotFound) => Err(Refusal::PersonNotFound),
            Ok(WriteOutcome::IdempotencyMismatch) => Err(Refusal::IdempotencyMismatch),
            Err(cause) => {
                return Err(Failure {
                    what: "store",
                    cause,
                });
            }
        }
    };
    let person_id = match &outcome {
        Ok(r) => Some(r.accepted().person_id.clone()),
        Err(_) => options.person_id.map(|p| p.as_str().to_owned()),
    };
    let word = match &outcome {
        // Stored, but in the sandbox: the person id names a synthetic person.
        Ok(_) if in_sandbox(state, acting) => "sandbox",
        other => audit_word(other),
    };
    let entry = acting.audit_entry(state.clock.now(), format!("write.{kind}"), person_id, word);
    let audited = if outcome.is_ok() {
        state.audit.enqueue(vec![entry]).await
    } else {
        state.audit.append(vec![entry]).await
    };
    audited.map_err(|cause| Failure {
        what: "audit of a write",
        cause,
    })?;
    Ok(outcome)
}
