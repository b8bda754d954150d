//! The one audited, scoped person read. The web services (`/api/v1/persons/…`) and the browser
//! tool's person page both call [`person`]: it finds the person, decides what the reader's
//! organisation may see of them (`fdg_domain::access`), and makes the audit entry durable
//! before anything is returned — `ok`, `denied` (the person exists but is not the reader's to
//! see, answered as not found) or `not_found`. [`may_read`] is the agreement's gate in front of
//! it (§ 10), refused reads audited alike. Nothing in this module knows HTTP.

use std::sync::Arc;

use fdg_domain::{Cpr, OrgKind, PersonId, Visibility};
use fdg_store::audit::AuditEntry;
use fdg_store::{PersonRecord, Store};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::AppState;
use crate::service::write::{Acting, Failure};

/// Which person is read.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// By the opaque person id.
    Id(&'a PersonId),
    /// By text that cannot be a person id: nobody is found (and the read is audited so).
    Nobody,
    /// By CPR number (a search; the number is in no URL and no log).
    Cpr(&'a Cpr),
}

impl<'a> Lookup<'a> {
    /// The person an id from a URL names: [`Lookup::Nobody`] when it cannot be one.
    pub fn id(parsed: &'a Option<PersonId>) -> Lookup<'a> {
        parsed.as_ref().map_or(Lookup::Nobody, Lookup::Id)
    }
}

/// Read as of a moment and a day (both optional): what the registry knew at `known_at`
/// (transaction time) about what was in force on `valid_at` (valid time).
#[derive(Debug, Clone, Copy, Default)]
pub struct AsOf {
    /// What the registry knew then.
    pub known_at: Option<Timestamp>,
    /// What was in force on that day.
    pub valid_at: Option<Date>,
}

/// A person the reader may see, and how much of them.
pub struct Read {
    /// The person, folded as of the moment asked for.
    pub record: PersonRecord,
    /// What the reader's organisation sees of them; never [`Visibility::Hidden`].
    pub visibility: Visibility,
    /// The store they were read from (the sandbox for an agreement in its test before use).
    pub store: Arc<dyn Store>,
}

/// Why a read shows nothing. Its audit entry is durable.
#[derive(Debug)]
pub enum ReadRefusal {
    /// This kind of organisation never reads persons (the supervisor, the operator).
    Forbidden,
    /// The connection agreement does not cover the read (§ 10): what it does not cover.
    NotInAgreement(String),
    /// No such person, or none the reader may see (the two are not told apart).
    NotFound,
}

impl Acting {
    /// The audit entry of something this actor did.
    pub fn audit_entry(
        &self,
        at: Timestamp,
        action: impl Into<String>,
        person_id: Option<String>,
        outcome: &str,
    ) -> AuditEntry {
        AuditEntry {
            at,
            org: self.audit_org.clone(),
            credential: self.credential.clone(),
            acting_person: self.audit_person.clone(),
            on_behalf_of: self.context.on_behalf_of.clone(),
            action: action.into(),
            person_id,
            purpose: self.purpose.clone(),
            outcome: outcome.to_owned(),
        }
    }
}

/// Appends audit entries and waits until they are durable.
pub async fn audit(state: &AppState, entries: Vec<AuditEntry>) -> Result<(), Failure> {
    state
        .audit
        .append(entries)
        .await
        .map_err(|cause| Failure::new("audit of a read", cause))
}

/// Whether `acting` may read `what` (`persons`, `events`) at all: never the supervisor (who
/// sees aggregates only) or the operator (who administers), never production data from an
/// agreement in its test before use, and only what the agreement covers. A refusal is audited
/// as `action`, `denied`.
pub async fn may_read(
    state: &AppState,
    acting: &Acting,
    what: &str,
    action: &str,
) -> Result<Result<(), ReadRefusal>, Failure> {
    let refusal = match acting.actor.kind {
        OrgKind::Supervisor | OrgKind::Operator => Some(ReadRefusal::Forbidden),
        // The § 10 test before use reads the sandbox, never production data; without a
        // sandbox it reads nothing.
        _ if acting.test_before_use && state.sandbox.is_none() => {
            Some(ReadRefusal::NotInAgreement(format!(
                "reading {what} while the agreement is in its test before use"
            )))
        }
        _ if acting.agreement.as_ref().is_some_and(|a| !a.may_read(what)) => {
            Some(ReadRefusal::NotInAgreement(format!("reading {what}")))
        }
        _ => None,
    };
    match refusal {
        None => Ok(Ok(())),
        Some(refusal) => {
            let entry = acting.audit_entry(state.clock.now(), action, None, "denied");
            audit(state, vec![entry]).await?;
            Ok(Err(refusal))
        }
    }
}

/// What an agreement in its test before use cannot do on a registry without a sandbox.
pub const NO_SANDBOX: &str = "reading persons while the agreement is in its test before use (§ 10), as this registry has no sandbox";

/// The store `acting` reads persons from: the sandbox for an agreement in its test before use,
/// production otherwise; `None` for an agreement in test on a registry without a sandbox.
pub fn data_of<'a>(state: &'a AppState, acting: &Acting) -> Option<&'a Arc<dyn Store>> {
    match (&state.sandbox, acting.test_before_use) {
        (_, false) => Some(&state.store),
        (Some(sandbox), true) => Some(sandbox),
        (None, true) => None,
    }
}

/// Reads a person as `acting` may see them, as of `as_of`, audited as `action` before it
/// returns (durably: nothing unaudited leaves).
pub async fn person(
    state: &AppState,
    acting: &Acting,
    action: &str,
    lookup: Lookup<'_>,
    as_of: AsOf,
) -> Result<Result<Read, ReadRefusal>, Failure> {
    let Some(store) = data_of(state, acting) else {
        return Ok(Err(ReadRefusal::NotInAgreement(NO_SANDBOX.into())));
    };
    let found = match lookup {
        Lookup::Id(id) => store.person(id.as_str()).await,
        Lookup::Cpr(cpr) => store.person_by_cpr(cpr).await,
        Lookup::Nobody => Ok(None),
    }
    .map_err(|cause| Failure::new("store", cause))?;
    let now = state.clock.now();
    let found = match found {
        Some(p) if as_of.known_at.is_some() || as_of.valid_at.is_some() => {
            let id = p.person_id.clone();
            let Some(then) = as_of_then(store.as_ref(), p, as_of).await? else {
                // Asked about a time before the person was known: the audit names the person,
                // for the purpose of history (unless the caller stated another).
                let mut entry = acting.audit_entry(now, action, Some(id), "not_found");
                if entry.purpose == "case handling" {
                    "history".clone_into(&mut entry.purpose);
                }
                audit(state, vec![entry]).await?;
                return Ok(Err(ReadRefusal::NotFound));
            };
            Some(then)
        }
        other => other,
    };
    let Some(record) = found else {
        audit(
            state,
            vec![acting.audit_entry(now, action, None, "not_found")],
        )
        .await?;
        return Ok(Err(ReadRefusal::NotFound));
    };
    let visibility =
        fdg_domain::access::visibility(&acting.actor, &record.scope, state.clock.today());
    let outcome = if visibility == Visibility::Hidden {
        "denied"
    } else {
        "ok"
    };
    let entry = acting.audit_entry(now, action, Some(record.person_id.clone()), outcome);
    audit(state, vec![entry]).await?;
    if visibility == Visibility::Hidden {
        return Ok(Err(ReadRefusal::NotFound));
    }
    Ok(Ok(Read {
        record,
        visibility,
        store: Arc::clone(store),
    }))
}

/// The person folded from the events known at `as_of.known_at` and in force on
/// `as_of.valid_at`; `None` before the person was known.
async fn as_of_then(
    store: &dyn Store,
    mut p: PersonRecord,
    as_of: AsOf,
) -> Result<Option<PersonRecord>, Failure> {
    let failed = |cause| Failure::new("store", cause);
    let events = store.person_events(&p.person_id).await.map_err(failed)?;
    let mut folded = fdg_domain::PersonState::default();
    for e in events
        .iter()
        .filter(|e| as_of.known_at.is_none_or(|k| e.recorded_at <= k))
    {
        let event: fdg_domain::Event = serde_json::from_str(&e.data_json)
            .map_err(|e| failed(fdg_store::StoreError::Corrupt(e.to_string())))?;
        folded.apply(
            &fdg_domain::EventMeta {
                version: e.version,
                recorded_at: e.recorded_at,
                recorded_by: e.org.clone(),
            },
            &event,
        );
    }
    if let Some(day) = as_of.valid_at {
        folded = folded.in_force_on(day);
    }
    let Some(overview) = fdg_domain::view::PersonOverview::build(&p.person_id, &folded) else {
        return Ok(None);
    };
    p.version = folded.version;
    p.overview = overview;
    Ok(Some(p))
}

/// An audit entry for what the citizen did themselves.
pub fn citizen_entry(
    state: &AppState,
    action: &str,
    person_id: String,
    purpose: &str,
) -> AuditEntry {
    AuditEntry {
        at: state.clock.now(),
        org: "citizen".into(),
        credential: "citizen".into(),
        acting_person: None,
        on_behalf_of: None,
        action: action.into(),
        person_id: Some(person_id),
        purpose: purpose.into(),
        outcome: "ok".into(),
    }
}

/// One access to the citizen's data, as the citizen sees it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AccessEntry {
    pub at: String,
    /// The organisation (`kind:code`).
    pub organisation: String,
    /// What it did: `person.read`, `person.search`, `write.<record>`, `feed.read`, …
    pub action: String,
    pub purpose: String,
    /// `ok`, `denied`, …
    pub outcome: String,
}
