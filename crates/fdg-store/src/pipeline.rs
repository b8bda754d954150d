//! The write pipeline every backend shares.
//!
//! What a command goes through between the caller and the database is the same on every
//! backend: an idempotent retry is answered from the stored first answer; the person is found
//! by CPR number or id; a person outside the caller's scope is treated exactly as one the
//! registry does not know; `If-Match` is compared with the person's version; the rules decide;
//! a dry run stops there; otherwise the events are appended with the person's scope after the
//! whole decision, the projection row is saved, the supervision delta is computed and the
//! answer is stored under its idempotency key.
//!
//! A backend provides [`WriteTx`] — the few reads and writes one command needs inside the
//! backend's transaction — and calls [`process`] once per command. Transactions, savepoints,
//! batching and how a global position is allocated stay with the backend.

use fdg_domain::supervision::{self, Params};
use fdg_domain::{CodeLists, Context, Cpr, Event, EventMeta, PersonScope, PersonState, decide};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::secrets::random_hex;
use crate::supervision::PersonDelta;
use crate::worklist::WorklistRow;
use crate::{
    Accepted, Appended, Idempotency, Remark, Result, StoreError, WriteContext, WriteOutcome,
    WriteRequest,
};
use fdg_domain::worklist::Days;

/// One event to append, as every backend stores it.
#[derive(Debug)]
pub(crate) struct NewEvent<'a> {
    /// The person's opaque id.
    pub person_id: &'a str,
    /// Its number in the person's stream.
    pub version: u64,
    /// The event's type name.
    pub r#type: &'a str,
    /// The event as JSON.
    pub data: &'a str,
    /// Transaction time (RFC 3339).
    pub recorded_at: &'a str,
    /// The acting organisation, `kind:code`.
    pub org: &'a str,
    /// Who acted beyond the organisation, as JSON; `None` when nothing beyond it is known.
    pub context: Option<&'a str>,
    /// The person's access scope after the whole decision, as JSON.
    pub scope: &'a str,
}

/// The person projection row, as every backend stores it.
#[derive(Debug)]
pub(crate) struct PersonRow<'a> {
    /// The person's opaque id.
    pub person_id: &'a str,
    /// The CPR number's ten digits.
    pub cpr: String,
    /// Stream version.
    pub version: u64,
    /// The folded state, as JSON.
    pub state: String,
    /// The access scope, as JSON.
    pub scope: String,
}

impl<'a> PersonRow<'a> {
    /// The row for a person's folded state; a state without an identity is corrupt (every
    /// stream starts with an event that names the person).
    pub fn of(person_id: &'a str, state: &PersonState) -> Result<Self> {
        let Some(cpr) = &state.cpr else {
            return Err(StoreError::Corrupt(format!(
                "person {person_id} has events but no identity"
            )));
        };
        Ok(PersonRow {
            person_id,
            cpr: cpr.digits(),
            version: state.version,
            state: json(state, "state")?,
            scope: json(&PersonScope::of(state), "scope")?,
        })
    }
}

/// What one command needs from the backend's open transaction.
pub(crate) trait WriteTx {
    /// The stored request hash and answer under an idempotency key.
    fn idempotent(&mut self, scope: &str, key: &str) -> Result<Option<(Vec<u8>, String)>>;
    /// The person's id and folded state by the CPR number's digits.
    fn person_by_cpr(&mut self, digits: &str) -> Result<Option<(String, String)>>;
    /// The person's id and folded state (as stored JSON) by id.
    fn person_by_id(&mut self, person_id: &str) -> Result<Option<(String, String)>>;
    /// Appends a decision's events (in stream order); returns their global positions, in the
    /// same order.
    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<u64>>;
    /// Inserts or replaces the person's projection row.
    fn save_person(&mut self, row: &PersonRow<'_>) -> Result<()>;
    /// Replaces the person's worklist days (removes them when `row` has none).
    fn save_worklist(&mut self, person_id: &str, row: &WorklistRow) -> Result<()>;
    /// Stores the answer to a write under its idempotency key.
    fn save_idempotent(&mut self, idem: &Idempotency, outcome: &str, at: &str) -> Result<()>;
}

/// What the rules are decided with.
#[derive(Clone, Copy)]
pub(crate) struct Decide<'a> {
    /// Code lists in force.
    pub codes: &'a CodeLists,
    /// The supervision indicators' parameters.
    pub params: &'a Params,
    /// Transaction time of the command.
    pub now: Timestamp,
    /// Today (valid time).
    pub today: Date,
}

/// Serialises what is stored; failing is a bug, reported as corrupt data.
pub(crate) fn json(value: &impl serde::Serialize, what: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn parse_state(found: Option<(String, String)>) -> Result<Option<(String, PersonState)>> {
    found
        .map(|(id, json)| {
            serde_json::from_str(&json)
                .map(|s| (id, s))
                .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))
        })
        .transpose()
}

/// Which person a request names, as the pipeline looks it up (and a backend that reads a
/// batch ahead looks up the same).
pub(crate) enum Names<'a> {
    /// The person with this CPR number (its ten digits).
    Cpr(String),
    /// The person with this id.
    Id(&'a str),
    /// No stored person: decided as for a person the registry does not know.
    Nobody,
    /// Answered as an unknown person without deciding.
    Unknown,
}

/// Which person `req` names.
pub(crate) fn names(req: &WriteRequest) -> Names<'_> {
    match (req.command.cpr(), &req.person_id) {
        // A dry run (an agreement in its test before use, § 10, on a registry without a
        // sandbox) never looks at a stored person: it is decided as for a person the registry
        // does not know, so its answer reveals nothing of production data.
        (None, _) if req.dry_run => Names::Unknown,
        (Some(_), _) if req.dry_run => Names::Nobody,
        (Some(text), _) => Cpr::parse(text).map_or(Names::Nobody, |c| Names::Cpr(c.digits())),
        (None, Some(id)) => Names::Id(id.as_str()),
        (None, _) => Names::Unknown,
    }
}

/// Decides one command inside the backend's transaction and writes what it causes. Returns the
/// outcome and, for a stored command, its change to the supervision sums (to be added when
/// the backend keeps the command). Anything but an accepted, non-dry-run outcome has written
/// nothing.
pub(crate) fn process(
    tx: &mut impl WriteTx,
    req: &WriteRequest,
    d: Decide<'_>,
) -> Result<(WriteOutcome, PersonDelta)> {
    let nothing = |o| Ok((o, PersonDelta::new()));
    // A dry run (test agreement) neither replays a stored answer nor stores one.
    if let Some(idem) = req.idempotency.as_ref().filter(|_| !req.dry_run)
        && let Some((hash, outcome)) = tx.idempotent(&idem.scope, idem.key.as_str())?
    {
        if hash != idem.request_hash {
            return nothing(WriteOutcome::IdempotencyMismatch);
        }
        let accepted: Accepted = serde_json::from_str(&outcome)
            .map_err(|e| StoreError::Corrupt(format!("idempotency outcome: {e}")))?;
        return nothing(WriteOutcome::Replayed(accepted));
    }
    let found = match names(req) {
        Names::Unknown => return nothing(WriteOutcome::PersonNotFound),
        Names::Nobody => None,
        Names::Cpr(digits) => parse_state(tx.person_by_cpr(&digits)?)?,
        Names::Id(id) => match parse_state(tx.person_by_id(id)?)? {
            Some(found) => Some(found),
            None => return nothing(WriteOutcome::PersonNotFound),
        },
    };
    let context = Context {
        actor: &req.actor,
        clock: fdg_domain::Clock { today: d.today },
        codes: d.codes,
        residence: req.residence.as_deref(),
        rule_sets: fdg_domain::ruleset::SHIPPED,
    };
    // A person outside the caller's scope is answered exactly as if unknown: decided against
    // an empty history (so the same rule refusals and If-Match answer come back), and where
    // that would be accepted, 404 — never a sign that the person exists.
    if let Some((_, existing)) = &found
        && !fdg_domain::access::may_write(
            &req.actor,
            Some(&PersonScope::of(existing)),
            req.residence.as_deref(),
            matches!(req.command, fdg_domain::Command::Register(_)),
            d.today,
        )
    {
        // Named by a fact id: an unknown id is 404, so a hidden one is too.
        if req.command.cpr().is_none() {
            return nothing(WriteOutcome::PersonNotFound);
        }
        if let Some(expected) = req.expected_version
            && expected != 0
        {
            return nothing(WriteOutcome::Conflict { current: 0 });
        }
        return nothing(
            match decide(&PersonState::default(), &req.command, context) {
                Err(violations) => WriteOutcome::Rejected(violations),
                Ok(_) => WriteOutcome::PersonNotFound,
            },
        );
    }
    let (person_id, mut state) =
        found.unwrap_or_else(|| (new_person_id(d.now), PersonState::default()));
    if let Some(expected) = req.expected_version
        && expected != state.version
    {
        return nothing(WriteOutcome::Conflict {
            current: state.version,
        });
    }
    let decision = match decide(&state, &req.command, context) {
        Ok(decision) => decision,
        Err(violations) => return nothing(WriteOutcome::Rejected(violations)),
    };
    let warnings: Vec<Remark> = decision
        .warnings
        .iter()
        .map(|w| Remark {
            rule: w.rule.id.to_owned(),
            field: w.field.clone(),
        })
        .collect();
    if req.dry_run {
        return nothing(WriteOutcome::Accepted(Accepted {
            person_id,
            version: state.version + decision.events.len() as u64,
            events: Vec::new(),
            warnings,
            dry_run: true,
        }));
    }
    let org = req.actor.label();
    let recorded_at = d.now.to_string();
    let context = if req.context == WriteContext::default() {
        None
    } else {
        Some(json(&req.context, "context")?)
    };
    let first_version = state.version + 1;
    let before_municipality = state.municipality.clone();
    let (before_counts, before_due) = supervision::contributions_and_due(&state, d.params);
    let before_work = WorklistRow::of(&state, Days::of(&state, before_due));
    for event in &decision.events {
        let meta = EventMeta {
            version: state.version + 1,
            recorded_at: d.now,
            recorded_by: org.clone(),
        };
        state.apply(&meta, event);
    }
    // Every event of one decision carries the scope after the whole decision: a person who
    // is identified and registered in one command is the state's from their first event.
    let scope = json(&PersonScope::of(&state), "scope")?;
    let data = decision
        .events
        .iter()
        .map(|e| json(e, "event"))
        .collect::<Result<Vec<_>>>()?;
    let rows: Vec<NewEvent<'_>> = (first_version..)
        .zip(decision.events.iter().zip(&data))
        .map(|(version, (event, data))| NewEvent {
            person_id: &person_id,
            version,
            r#type: event.type_name(),
            data,
            recorded_at: &recorded_at,
            org: &org,
            context: context.as_deref(),
            scope: &scope,
        })
        .collect();
    let positions = tx.append(&rows)?;
    if positions.len() != rows.len() {
        return Err(StoreError::Corrupt(format!(
            "{} events appended, {} positions returned",
            rows.len(),
            positions.len()
        )));
    }
    let appended: Vec<Appended> = rows
        .iter()
        .zip(positions)
        .map(|(row, position)| Appended {
            position,
            version: row.version,
            r#type: row.r#type.to_owned(),
        })
        .collect();
    let (after_counts, after_due) = supervision::contributions_and_due(&state, d.params);
    tx.save_person(&PersonRow::of(&person_id, &state)?)?;
    // The worklist row is written only when its days change (most commands change none).
    let after_work = WorklistRow::of(&state, Days::of(&state, after_due));
    if after_work != before_work {
        tx.save_worklist(&person_id, &after_work)?;
    }
    let delta =
        crate::supervision::person_delta(before_municipality, before_counts, &state, after_counts);
    let accepted = Accepted {
        person_id,
        version: state.version,
        events: appended,
        warnings,
        dry_run: false,
    };
    if let Some(idem) = &req.idempotency {
        tx.save_idempotent(idem, &json(&accepted, "outcome")?, &recorded_at)?;
    }
    Ok((WriteOutcome::Accepted(accepted), delta))
}

/// One stored event, as read back for folding: enough to apply it to its person's state.
pub(crate) struct LoggedEvent {
    /// The person's opaque id.
    pub person_id: String,
    /// Its number in the person's stream.
    pub version: u64,
    /// The event as JSON.
    pub data: String,
    /// Transaction time (RFC 3339).
    pub recorded_at: String,
    /// The acting organisation.
    pub org: String,
}

impl LoggedEvent {
    /// Applies the event to its person's state (rebuilding projections from the log).
    pub fn apply_to(&self, state: &mut PersonState) -> Result<()> {
        let (person_id, version) = (&self.person_id, self.version);
        let event: Event = serde_json::from_str(&self.data)
            .map_err(|e| StoreError::Corrupt(format!("event {person_id}.{version}: {e}")))?;
        let meta = EventMeta {
            version,
            recorded_at: self
                .recorded_at
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?,
            recorded_by: self.org.clone(),
        };
        state.apply(&meta, &event);
        Ok(())
    }
}

/// A new opaque person id: `p`, the creation time in milliseconds and 32 random bits, in hex.
/// Ids of persons created together sort together, so new persons are appended to the indexes
/// instead of touching a random page each (write amplification), and nothing about the person
/// can be read from the id.
fn new_person_id(now: Timestamp) -> String {
    let ms = u64::try_from(now.as_millisecond()).unwrap_or_default();
    format!("p{ms:012x}{}", random_hex(4))
}

/// The pipeline's reads and writes on any backend's open transaction, in the SQL both speak.
/// The position of an appended event is the one the database gives it; the backend makes
/// sure positions become visible in commit order.
pub(crate) struct DbTx<'a>(pub &'a mut dyn crate::sql::Db);

impl WriteTx for DbTx<'_> {
    fn idempotent(&mut self, scope: &str, key: &str) -> Result<Option<(Vec<u8>, String)>> {
        self.0.query_opt(
            "SELECT request_hash, outcome FROM idempotency WHERE scope = ?1 AND key = ?2",
            crate::sql::args![scope, key],
            |r| Ok((r.bytes(0)?.to_vec(), r.string(1)?)),
        )
    }

    fn person_by_cpr(&mut self, digits: &str) -> Result<Option<(String, String)>> {
        self.0.query_opt(
            "SELECT person_id, state FROM persons WHERE cpr = ?1",
            crate::sql::args![digits],
            |r| Ok((r.string(0)?, r.string(1)?)),
        )
    }

    fn person_by_id(&mut self, person_id: &str) -> Result<Option<(String, String)>> {
        self.0.query_opt(
            "SELECT person_id, state FROM persons WHERE person_id = ?1",
            crate::sql::args![person_id],
            |r| Ok((r.string(0)?, r.string(1)?)),
        )
    }

    /// One statement for all of a decision's events (one round trip on a networked database);
    /// positions are matched to events by their version, whatever order rows come back in.
    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<u64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<String> = (0..events.len())
            .map(|i| {
                let p = |k: usize| format!("?{}", i * 8 + k);
                format!(
                    "({}, {}, {}, {}, {}, {}, {}, {})",
                    p(1),
                    p(2),
                    p(3),
                    p(4),
                    p(5),
                    p(6),
                    p(7),
                    p(8)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO events (person_id, version, type, data, recorded_at, org, context, scope)
             VALUES {} RETURNING version, position",
            values.join(", ")
        );
        let params: Vec<crate::sql::Param<'_>> = events
            .iter()
            .flat_map(|e| {
                [
                    e.person_id.into(),
                    e.version.into(),
                    e.r#type.into(),
                    e.data.into(),
                    e.recorded_at.into(),
                    e.org.into(),
                    e.context.into(),
                    e.scope.into(),
                ]
            })
            .collect();
        let returned = self
            .0
            .query_all(&sql, &params, |r| Ok((r.count(0)?, r.count(1)?)))?;
        let by_version: std::collections::HashMap<u64, u64> = returned.into_iter().collect();
        events
            .iter()
            .map(|e| {
                by_version.get(&e.version).copied().ok_or_else(|| {
                    StoreError::Corrupt(format!("no position for event {}", e.version))
                })
            })
            .collect()
    }

    fn save_person(&mut self, row: &PersonRow<'_>) -> Result<()> {
        crate::ops::save_person(self.0, row)
    }

    fn save_worklist(&mut self, person_id: &str, row: &WorklistRow) -> Result<()> {
        crate::worklist::save(self.0, person_id, row)
    }

    fn save_idempotent(&mut self, idem: &Idempotency, outcome: &str, at: &str) -> Result<()> {
        self.0.execute(
            "INSERT INTO idempotency (scope, key, request_hash, outcome, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            crate::sql::args![
                &idem.scope,
                idem.key.as_str(),
                &idem.request_hash[..],
                outcome,
                at
            ],
        )?;
        Ok(())
    }
}
