//! The PostgreSQL writer's batches: read ahead, hold every write, write each table once.
//!
//! Over a network every statement is a round trip, and the writer is one connection: with a
//! few statements per command the writer's waiting, not the database, bounds the commit
//! rate. So a batch reads the persons and idempotency keys all its requests name in two
//! queries, the shared pipeline decides each command against them (and against what earlier
//! commands of the same batch left, held in memory), and at the end the batch's events,
//! person rows and idempotency answers go in one statement per table (`unnest` over arrays).
//! A command that fails midway simply has its held writes dropped.
//!
//! Positions are numbered here. The batch holds the registry's write lock (see the parent
//! module) from its first statement to its commit, so the newest committed position read
//! after taking the lock is the newest there is; the batch numbers its events on from it, in
//! the order the commands were decided: gap-free, and never visible before a smaller one.
//! The identity sequence of `events.position` is moved along in the same statement, for any
//! tool that still draws from it, and the newest position is notified to every node's
//! listener (delivered when the batch commits).

use std::collections::HashMap;

use postgres::types::ToSql;

use super::PgDb;
use crate::pipeline::{DbTx, Names, NewEvent, PersonRow, WriteTx, names};
use crate::worklist::WorklistRow;
use crate::writer::{Batching, CommandTx};
use crate::{Idempotency, Result, WriteRequest};

/// Reads a batch's persons ahead and holds its writes until the end of the batch.
pub(crate) struct ReadAhead;

/// A person as the pipeline reads it: id and folded state (stored JSON); `None` when the
/// registry does not hold them.
type Found = Option<(String, String)>;
/// A stored answer: request hash and outcome.
type Answer = Option<(Vec<u8>, String)>;

struct HeldEvent {
    position: i64,
    person_id: String,
    version: i64,
    r#type: String,
    data: String,
    recorded_at: String,
    org: String,
    context: Option<String>,
    scope: String,
}

struct HeldPerson {
    person_id: String,
    cpr: String,
    version: i64,
    state: String,
    scope: String,
}

struct HeldAnswer {
    scope: String,
    key: String,
    request_hash: Vec<u8>,
    outcome: String,
    created_at: String,
}

/// What one command wrote, or a whole batch's kept commands.
#[derive(Default)]
struct Held {
    events: Vec<HeldEvent>,
    persons: Vec<HeldPerson>,
    answers: Vec<HeldAnswer>,
    worklist: Vec<(String, WorklistRow)>,
}

/// One batch on the writer's connection.
pub(crate) struct Batch<'a> {
    db: &'a mut PgDb,
    /// The position the next appended event gets.
    next_position: i64,
    /// `next_position` when the current command began.
    command_start: i64,
    /// Persons by CPR digits and by id as this batch knows them: read ahead, or as kept
    /// commands left them.
    by_cpr: HashMap<String, Found>,
    by_id: HashMap<String, Found>,
    answers: HashMap<(String, String), Answer>,
    /// The current command's writes.
    command: Held,
    /// Kept commands' writes; persons by id, the last row of each.
    kept_events: Vec<HeldEvent>,
    kept_persons: HashMap<String, HeldPerson>,
    kept_answers: Vec<HeldAnswer>,
    /// Kept commands' worklist rows, the last of each person.
    kept_worklist: HashMap<String, WorklistRow>,
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Batching<PgDb> for ReadAhead {
    type Tx<'a> = Batch<'a>;

    fn open<'a>(&'a self, db: &'a mut PgDb, batch: &[&WriteRequest]) -> Result<Batch<'a>> {
        let newest = db.begin_writing()?;
        // What the pipeline will look up.
        let (mut cprs, mut ids, mut scopes, mut keys) = (vec![], vec![], vec![], vec![]);
        for req in batch {
            match names(req) {
                Names::Cpr(digits) => cprs.push(digits),
                Names::Id(id) => ids.push(id.to_owned()),
                Names::Nobody | Names::Unknown => {}
            }
            if let Some(idem) = req.idempotency.as_ref().filter(|_| !req.dry_run) {
                scopes.push(idem.scope.clone());
                keys.push(idem.key.as_str().to_owned());
            }
        }
        let mut by_cpr: HashMap<String, Found> = cprs.iter().map(|c| (c.clone(), None)).collect();
        let mut by_id: HashMap<String, Found> = ids.iter().map(|i| (i.clone(), None)).collect();
        if !by_cpr.is_empty() || !by_id.is_empty() {
            for row in db.query_arrays(
                "SELECT person_id, cpr, state FROM persons
                 WHERE cpr = ANY($1) OR person_id = ANY($2)",
                &[&cprs, &ids],
            )? {
                let (id, cpr, state): (String, String, String) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                by_id.insert(id.clone(), Some((id.clone(), state.clone())));
                by_cpr.insert(cpr, Some((id, state)));
            }
        }
        let mut answers: HashMap<(String, String), Answer> = scopes
            .iter()
            .cloned()
            .zip(keys.iter().cloned())
            .map(|k| (k, None))
            .collect();
        if !answers.is_empty() {
            for row in db.query_arrays(
                "SELECT scope, key, request_hash, outcome FROM idempotency
                 WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                &[&scopes, &keys],
            )? {
                answers.insert(
                    (row.try_get(0)?, row.try_get(1)?),
                    Some((row.try_get(2)?, row.try_get(3)?)),
                );
            }
        }
        Ok(Batch {
            db,
            next_position: newest + 1,
            command_start: newest + 1,
            by_cpr,
            by_id,
            answers,
            command: Held::default(),
            kept_events: Vec::new(),
            kept_persons: HashMap::new(),
            kept_worklist: HashMap::new(),
            kept_answers: Vec::new(),
        })
    }
}

impl WriteTx for Batch<'_> {
    fn idempotent(&mut self, scope: &str, key: &str) -> Result<Answer> {
        match self.answers.get(&(scope.to_owned(), key.to_owned())) {
            Some(known) => Ok(known.clone()),
            None => DbTx(self.db).idempotent(scope, key),
        }
    }

    fn person_by_cpr(&mut self, digits: &str) -> Result<Found> {
        match self.by_cpr.get(digits) {
            Some(known) => Ok(known.clone()),
            None => DbTx(self.db).person_by_cpr(digits),
        }
    }

    fn person_by_id(&mut self, person_id: &str) -> Result<Found> {
        match self.by_id.get(person_id) {
            Some(known) => Ok(known.clone()),
            None => DbTx(self.db).person_by_id(person_id),
        }
    }

    fn append(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<u64>> {
        let mut positions = Vec::with_capacity(events.len());
        for e in events {
            positions.push(self.next_position.max(0) as u64);
            self.command.events.push(HeldEvent {
                position: self.next_position,
                person_id: e.person_id.to_owned(),
                version: int(e.version),
                r#type: e.r#type.to_owned(),
                data: e.data.to_owned(),
                recorded_at: e.recorded_at.to_owned(),
                org: e.org.to_owned(),
                context: e.context.map(str::to_owned),
                scope: e.scope.to_owned(),
            });
            self.next_position += 1;
        }
        Ok(positions)
    }

    fn save_person(&mut self, row: &PersonRow<'_>) -> Result<()> {
        self.command.persons.push(HeldPerson {
            person_id: row.person_id.to_owned(),
            cpr: row.cpr.clone(),
            version: int(row.version),
            state: row.state.clone(),
            scope: row.scope.clone(),
        });
        Ok(())
    }

    fn save_worklist(&mut self, person_id: &str, row: &WorklistRow) -> Result<()> {
        self.command
            .worklist
            .push((person_id.to_owned(), row.clone()));
        Ok(())
    }

    fn save_idempotent(&mut self, idem: &Idempotency, outcome: &str, at: &str) -> Result<()> {
        self.command.answers.push(HeldAnswer {
            scope: idem.scope.clone(),
            key: idem.key.as_str().to_owned(),
            request_hash: idem.request_hash.to_vec(),
            outcome: outcome.to_owned(),
            created_at: at.to_owned(),
        });
        Ok(())
    }
}

impl CommandTx for Batch<'_> {
    fn keep(&mut self) -> Result<()> {
        let command = std::mem::take(&mut self.command);
        self.kept_events.extend(command.events);
        for p in command.persons {
            let found = Some((p.person_id.clone(), p.state.clone()));
            self.by_cpr.insert(p.cpr.clone(), found.clone());
            self.by_id.insert(p.person_id.clone(), found);
            self.kept_persons.insert(p.person_id.clone(), p);
        }
        self.kept_worklist.extend(command.worklist);
        for a in command.answers {
            let stored = Some((a.request_hash.clone(), a.outcome.clone()));
            self.answers
                .insert((a.scope.clone(), a.key.clone()), stored);
            self.kept_answers.push(a);
        }
        self.command_start = self.next_position;
        Ok(())
    }

    fn undo(&mut self) -> Result<()> {
        self.command = Held::default();
        self.next_position = self.command_start;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        let Batch {
            db,
            kept_events: events,
            kept_persons: persons,
            kept_answers: answers,
            kept_worklist: worklist,
            ..
        } = self;
        if !events.is_empty() {
            let sql = "WITH e AS (
                   INSERT INTO events
                     (position, person_id, version, type, data, recorded_at, org, context, scope)
                   OVERRIDING SYSTEM VALUE
                   SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[],
                                        $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
                   RETURNING position)
                 SELECT setval(pg_get_serial_sequence('events', 'position'), n),
                        pg_notify('fdg_head', n::text)::text
                 FROM (SELECT max(position) AS n FROM e) newest";
            let col = |f: fn(&HeldEvent) -> &str| events.iter().map(f).collect::<Vec<_>>();
            let positions: Vec<i64> = events.iter().map(|e| e.position).collect();
            let versions: Vec<i64> = events.iter().map(|e| e.version).collect();
            let contexts: Vec<Option<&str>> = events.iter().map(|e| e.context.as_deref()).collect();
            let (ids, types, data) = (col(|e| &e.person_id), col(|e| &e.r#type), col(|e| &e.data));
            let (at, orgs, scopes) = (col(|e| &e.recorded_at), col(|e| &e.org), col(|e| &e.scope));
            let params: [&(dyn ToSql + Sync); 9] = [
                &positions, &ids, &versions, &types, &data, &at, &orgs, &contexts, &scopes,
            ];
            db.query_arrays(sql, &params)?;
        }
        if !persons.is_empty() {
            let sql = "INSERT INTO persons (person_id, cpr, version, state, scope)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])
                 ON CONFLICT (person_id) DO UPDATE SET
                   cpr = excluded.cpr, version = excluded.version, state = excluded.state,
                   scope = excluded.scope";
            let mut rows: Vec<&HeldPerson> = persons.values().collect();
            rows.sort_unstable_by(|a, b| a.person_id.cmp(&b.person_id));
            let col = |f: fn(&HeldPerson) -> &str| rows.iter().map(|p| f(p)).collect::<Vec<_>>();
            let versions: Vec<i64> = rows.iter().map(|p| p.version).collect();
            let (ids, cprs) = (col(|p| &p.person_id), col(|p| &p.cpr));
            let (states, scopes) = (col(|p| &p.state), col(|p| &p.scope));
            db.execute_arrays(sql, &[&ids, &cprs, &versions, &states, &scopes])?;
        }
        if !worklist.is_empty() {
            let (gone, kept): (Vec<_>, Vec<_>) = worklist.iter().partition(|(_, r)| r.is_empty());
            if !gone.is_empty() {
                let ids: Vec<&str> = gone.iter().map(|(id, _)| id.as_str()).collect();
                db.execute_arrays("DELETE FROM worklist WHERE person_id = ANY($1)", &[&ids])?;
            }
            if !kept.is_empty() {
                let sql = "INSERT INTO worklist (person_id, municipality, interview_due,
                                          first_contact_open, exemption_from, consequence_due)
                     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                          $5::text[], $6::text[])
                     ON CONFLICT (person_id) DO UPDATE SET
                       municipality = excluded.municipality,
                       interview_due = excluded.interview_due,
                       first_contact_open = excluded.first_contact_open,
                       exemption_from = excluded.exemption_from,
                       consequence_due = excluded.consequence_due";
                let ids: Vec<&str> = kept.iter().map(|(id, _)| id.as_str()).collect();
                let m: Vec<Option<&str>> = kept
                    .iter()
                    .map(|(_, r)| r.municipality.as_deref())
                    .collect();
                let day = |i: usize| -> Vec<Option<&str>> {
                    kept.iter().map(|(_, r)| r.days[i].as_deref()).collect()
                };
                let (due, open, exempt, consequence) = (day(0), day(1), day(2), day(3));
                db.execute_arrays(sql, &[&ids, &m, &due, &open, &exempt, &consequence])?;
            }
        }
        if !answers.is_empty() {
            let sql = "INSERT INTO idempotency (scope, key, request_hash, outcome, created_at)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[])";
            let col = |f: fn(&HeldAnswer) -> &str| answers.iter().map(f).collect::<Vec<_>>();
            let hashes: Vec<&[u8]> = answers.iter().map(|a| &a.request_hash[..]).collect();
            let (scopes, keys) = (col(|a| &a.scope), col(|a| &a.key));
            let (outcomes, at) = (col(|a| &a.outcome), col(|a| &a.created_at));
            db.execute_arrays(sql, &[&scopes, &keys, &hashes, &outcomes, &at])?;
        }
        Ok(())
    }
}
