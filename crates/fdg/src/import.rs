//! `fdg import`: records from the incumbent registry, one command per NDJSON line, through
//! the same rules as the web services, at the time each was originally recorded.
//!
//! A line is `{"id", "type", "organisation", "recorded_at", "acting_person", "record"}`
//! (docs/import.md). Each line is decided and stored on its own, as one write: accepted whole
//! or refused whole, a refusal going to the reject file with its line number and every rule it
//! broke (id, provision, Danish and English message). A line's identity (`id`, or the SHA-256
//! of the line) is its idempotency key in the scope `import`: a line already imported is
//! skipped, so running the same file again does nothing and an interrupted run resumes where
//! it stopped. Each write carries the line's `recorded_at` (`WriteRequest::recorded`), so the
//! rules judge a record as of the day it was made and bitemporal reads (`known_at`) and
//! supervision reports over the imported years are right; lines must therefore come in the
//! order they were recorded, and none may be older than the newest record already in the
//! registry. Lines are handed to the writer a window at a time, in file order, so many are
//! decided in order and made durable in one commit.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fdg_domain::command::*;
use fdg_domain::{Actor, Command, IdempotencyKey};
use fdg_store::audit::{AuditEntry, AuditLog};
use fdg_store::{
    Idempotency, Recorded, Store, TimeSource, WriteContext, WriteOutcome, WriteRequest,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The idempotency scope of lines from `system` (`--system`, default `incumbent`): ids are
/// the old system's, so two systems' files may use the same ids.
pub fn scope(system: &str) -> String {
    format!("import:{system}")
}

/// The longest line read, in bytes: a record is a few kilobytes at most.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Lines handed to the writer at once (in order); their audit entries are appended together.
pub const WINDOW: usize = 512;

/// The record types a line may carry, as `type`: the write kinds that name their person by
/// CPR number (corrections and ends of conditions name facts, which an import cannot know).
pub const TYPES: [&str; 8] = [
    "jobseeker_registration",
    "jobseeker_deregistration",
    "registration_change",
    "first_contact",
    "benefit_cessation",
    "periodic_condition_start",
    "contact_interview",
    "other_actor_assignment",
];

/// One line as written by the exporting system.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Option<String>,
    r#type: String,
    organisation: String,
    recorded_at: Timestamp,
    #[serde(default)]
    acting_person: Option<String>,
    record: serde_json::Value,
}

/// One refused line, as written to the reject file.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line number in the input.
    pub line: u64,
    /// The line's identity, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Every problem, each with its rule and provision.
    pub violations: Vec<Problem>,
}

/// One reason a line was refused.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Problem {
    /// The rule id (`fdg.…` for the order's rules, `import.…` for the file format).
    pub rule: String,
    /// The provision, or `docs/import.md` for the file format.
    pub provision: String,
    /// The field, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// In Danish.
    pub message_da: String,
    /// In English.
    pub message_en: String,
}

impl Problem {
    fn format(rule: &str, field: Option<&str>, da: &str, en: &str) -> Problem {
        Problem {
            rule: format!("import.{rule}"),
            provision: "docs/import.md".into(),
            field: field.map(str::to_owned),
            message_da: da.to_owned(),
            message_en: en.to_owned(),
        }
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Lines read (blank lines not counted).
    pub lines: u64,
    /// Lines stored by this run.
    pub imported: u64,
    /// Lines already imported by an earlier run, skipped.
    pub skipped: u64,
    /// Lines refused (in the reject file).
    pub rejected: u64,
    /// Stopped before the end (Ctrl-C); running the same command again resumes.
    pub interrupted: bool,
}

/// Where the run reports its progress.
pub struct Progress {
    /// The input's size in bytes, when known (a file), for the share done and time left.
    pub total_bytes: Option<u64>,
    /// Redraw one line in place (a terminal) instead of printing a line every ten seconds.
    pub terminal: bool,
    /// Say nothing (tests).
    pub quiet: bool,
}

/// Everything a run needs.
pub struct Import<'a> {
    /// The registry.
    pub store: &'a dyn Store,
    /// Its audit log.
    pub audit: &'a dyn AuditLog,
    /// The real time, for the audit: when the import happened, not the recording time.
    pub wall: &'a dyn TimeSource,
    /// The input's name, for the audit (`import:<name>`).
    pub source: &'a str,
    /// The system the lines come from: their ids are unique within it.
    pub system: &'a str,
    /// Set (by Ctrl-C) to stop after the current line.
    pub stop: &'a AtomicBool,
    /// Progress reporting.
    pub progress: Progress,
    /// Denmark's time zone: a recording time's business day.
    pub tz: TimeZone,
}

impl Import<'_> {
    /// Reads `input` to its end (or until `stop`), storing what passes and writing each
    /// refused line to `rejects`, in line order. While the writer stores one window, the next
    /// is read and checked.
    pub async fn run(
        &self,
        input: &mut dyn BufRead,
        rejects: &mut dyn Write,
    ) -> anyhow::Result<Summary> {
        let mut summary = Summary::default();
        // The registry's newest record: an imported line may not come before it.
        let head = *self.store.watch_head().borrow();
        let newest = match head {
            0 => None,
            h => self
                .store
                .events_after(h - 1, 1)
                .await?
                .first()
                .map(|e| e.recorded_at),
        };
        let mut reader = Reader {
            input,
            buf: Vec::new(),
            bytes: 0,
            number: 0,
            lines: 0,
            at_end: false,
            newest,
        };
        let started = Instant::now();
        let mut reported = Instant::now();
        let mut window = self.window(&mut reader).await?;
        loop {
            let (items, writes) = window;
            let last = reader.at_end || self.stop.load(Ordering::SeqCst);
            let store = self.store.execute_in_order(writes);
            // What was stored is counted and audited before a failure to read the next window
            // is reported.
            let (answers, next) = if last {
                (store.await?, None)
            } else {
                let (a, n) = tokio::join!(store, self.window(&mut reader));
                (a?, Some(n))
            };
            let mut answers = answers.into_iter();
            let mut audit = Vec::new();
            for (line, item) in items {
                let outcome = match item {
                    Item::Done(outcome) => outcome,
                    Item::Pending(p) => {
                        let answer = answers
                            .next()
                            .ok_or_else(|| anyhow::anyhow!("line {line}: no answer"))??;
                        self.answered(line, p, answer, &mut audit)
                    }
                };
                match outcome {
                    Outcome::Imported => summary.imported += 1,
                    Outcome::Skipped => summary.skipped += 1,
                    Outcome::Rejected(id, violations) => {
                        summary.rejected += 1;
                        let r = Rejected {
                            line,
                            id,
                            violations,
                        };
                        serde_json::to_writer(&mut *rejects, &r)?;
                        rejects.write_all(b"\n")?;
                    }
                }
            }
            self.audit.append(audit).await?;
            summary.lines = reader.lines;
            if reported.elapsed() >= self.progress.every() {
                self.progress
                    .report(&summary, reader.bytes, started.elapsed(), false);
                reported = Instant::now();
            }
            match next {
                Some(w) => window = w?,
                None => break,
            }
        }
        summary.interrupted = !reader.at_end;
        rejects.flush()?;
        self.progress
            .report(&summary, reader.bytes, started.elapsed(), true);
        Ok(summary)
    }

    /// The next window: up to [`WINDOW`] writes, with the lines checked on the way.
    async fn window(
        &self,
        r: &mut Reader<'_>,
    ) -> anyhow::Result<(Vec<(u64, Item)>, Vec<WriteRequest>)> {
        let mut items: Vec<(u64, Item)> = Vec::new();
        let mut writes: Vec<WriteRequest> = Vec::new();
        while writes.len() < WINDOW && items.len() < 4 * WINDOW {
            r.buf.clear();
            let n = read_line(r.input, &mut r.buf)?;
            if n == 0 {
                r.at_end = true;
                break;
            }
            r.bytes += n as u64;
            r.number += 1;
            if r.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            r.lines += 1;
            let item = match self.prepare(&r.buf, &mut r.newest).await? {
                Prepared::Done(outcome) => Item::Done(outcome),
                Prepared::Write(pending, req) => {
                    writes.push(*req);
                    Item::Pending(pending)
                }
            };
            items.push((r.number, item));
        }
        Ok((items, writes))
    }

    /// Checks one line as a line, and makes its write.
    async fn prepare(
        &self,
        raw: &[u8],
        newest: &mut Option<Timestamp>,
    ) -> anyhow::Result<Prepared> {
        let reject = |id: Option<String>, violations: Vec<Problem>| {
            Ok(Prepared::Done(Outcome::Rejected(id, violations)))
        };
        if raw.len() > MAX_LINE_BYTES {
            return reject(
                None,
                vec![Problem::format(
                    "line_too_long",
                    None,
                    &format!("Linjen er længere end {MAX_LINE_BYTES} byte."),
                    &format!("The line is longer than {MAX_LINE_BYTES} bytes."),
                )],
            );
        }
        let line: Line = match serde_json::from_slice(raw) {
            Ok(l) => l,
            // serde's message may quote a value (a CPR number sent as a key or a number): it is
            // not echoed; the line number says where to look.
            Err(_) => {
                return reject(
                    None,
                    vec![Problem::format(
                        "malformed",
                        None,
                        "Linjen er ikke et JSON-objekt med felterne id, type, organisation, recorded_at, acting_person og record.",
                        "The line is not a JSON object with the fields id, type, organisation, recorded_at, acting_person and record.",
                    )],
                );
            }
        };
        let id = match &line.id {
            Some(id) => id.clone(),
            None => fdg_store::hex(&Sha256::digest(raw)),
        };
        let Some(key) = IdempotencyKey::parse(&id) else {
            return reject(
                None,
                vec![Problem::format(
                    "id",
                    Some("id"),
                    "id skal være 1–255 synlige ASCII-tegn.",
                    "id must be 1–255 visible ASCII characters.",
                )],
            );
        };
        let hash: [u8; 32] = Sha256::digest(raw).into();
        // Imported before (by this run or an earlier one): the same line is skipped, another
        // line with the same id is refused.
        if let Some(stored) = self
            .store
            .idempotency_hash(&scope(self.system), &key)
            .await?
        {
            if stored == hash {
                return Ok(Prepared::Done(Outcome::Skipped));
            }
            return reject(Some(id), vec![id_reused()]);
        }
        let mut problems = Vec::new();
        let actor = Actor::parse_label(&line.organisation);
        if actor.is_none() {
            problems.push(Problem::format(
                "organisation",
                Some("organisation"),
                "organisation skal navngive en organisation som art:kode, fx municipal-jobcenter:101.",
                "organisation must name an organisation as kind:code, e.g. municipal-jobcenter:101.",
            ));
        }
        if line.recorded_at > self.wall.now() {
            problems.push(Problem::format(
                "in_future",
                Some("recorded_at"),
                "recorded_at ligger efter nu.",
                "recorded_at is later than now.",
            ));
        }
        if newest.is_some_and(|n| line.recorded_at < n) {
            problems.push(Problem::format(
                "out_of_order",
                Some("recorded_at"),
                "recorded_at ligger før den nyeste registrering i registret eller en tidligere linje i filen: linjerne skal komme i den rækkefølge, de blev registreret.",
                "recorded_at is before the newest record in the registry or an earlier line of the file: lines must come in the order they were recorded.",
            ));
        }
        if line
            .acting_person
            .as_deref()
            .is_some_and(|p| p.trim().is_empty() || p.len() > 300)
        {
            problems.push(Problem::format(
                "acting_person",
                Some("acting_person"),
                "acting_person skal være 1–300 byte tekst.",
                "acting_person must be 1–300 bytes of text.",
            ));
        }
        let command = match command(&line.r#type, &line.record) {
            Ok(c) => Some(c),
            Err(p) => {
                problems.push(p);
                None
            }
        };
        let (Some(actor), Some(command), true) = (actor, command, problems.is_empty()) else {
            return reject(Some(id), problems);
        };
        *newest = Some(line.recorded_at);
        let pending = Pending {
            id: id.clone(),
            kind: command.kind(),
            org: actor.label(),
            acting_person: line.acting_person.clone(),
        };
        let req = WriteRequest {
            command,
            actor,
            person_id: None,
            expected_version: None,
            idempotency: Some(Idempotency {
                scope: scope(self.system),
                key,
                request_hash: hash,
            }),
            dry_run: false,
            context: WriteContext {
                agreement: None,
                acting_person: line.acting_person,
                on_behalf_of: None,
            },
            residence: None,
            recorded: Some(Recorded {
                at: line.recorded_at,
                day: self.tz.to_datetime(line.recorded_at).date(),
            }),
        };
        Ok(Prepared::Write(pending, Box::new(req)))
    }

    /// What the writer answered a line, audited.
    fn answered(
        &self,
        line: u64,
        p: Pending,
        answer: WriteOutcome,
        audit: &mut Vec<AuditEntry>,
    ) -> Outcome {
        let entry = |person_id: Option<String>, outcome: &str| AuditEntry {
            at: self.wall.now(),
            org: p.org.clone(),
            credential: format!("import:{}", self.source),
            acting_person: p.acting_person.clone(),
            on_behalf_of: None,
            action: format!("write.{}", p.kind),
            person_id,
            purpose: "import".into(),
            outcome: outcome.into(),
        };
        match answer {
            WriteOutcome::Accepted(a) => {
                audit.push(entry(Some(a.person_id), "ok"));
                Outcome::Imported
            }
            // The same line twice in one window: stored once.
            WriteOutcome::Replayed(_) => Outcome::Skipped,
            WriteOutcome::Rejected(vs) => {
                audit.push(entry(None, "refused"));
                Outcome::Rejected(
                    Some(p.id),
                    vs.iter()
                        .map(|v| Problem {
                            rule: v.rule.id.into(),
                            provision: v.rule.provision.into(),
                            field: v.field.clone(),
                            message_da: v.rule.message_da.into(),
                            message_en: v.rule.message_en.into(),
                        })
                        .collect(),
                )
            }
            WriteOutcome::IdempotencyMismatch => Outcome::Rejected(Some(p.id), vec![id_reused()]),
            // Not an answer a CPR-named record without a version gets; refused, not fatal.
            other => {
                tracing::warn!(line, answer = ?other, "unexpected answer to an imported line");
                Outcome::Rejected(
                    Some(p.id),
                    vec![Problem::format(
                        "unexpected",
                        None,
                        "Registret kunne ikke gemme linjen; prøv igen.",
                        "The registry could not store the line; try again.",
                    )],
                )
            }
        }
    }
}

fn id_reused() -> Problem {
    Problem::format(
        "id_reused",
        Some("id"),
        "En anden linje med samme id er allerede importeret.",
        "Another line with the same id has already been imported.",
    )
}

/// Where the input stands.
struct Reader<'a> {
    input: &'a mut dyn BufRead,
    buf: Vec<u8>,
    bytes: u64,
    number: u64,
    lines: u64,
    at_end: bool,
    /// The newest recording time seen: the registry's, then the file's.
    newest: Option<Timestamp>,
}

/// A line handed to the writer: what its audit entry and reject line need.
struct Pending {
    id: String,
    kind: &'static str,
    org: String,
    acting_person: Option<String>,
}

enum Prepared {
    Done(Outcome),
    Write(Pending, Box<WriteRequest>),
}

enum Item {
    Done(Outcome),
    Pending(Pending),
}

enum Outcome {
    Imported,
    Skipped,
    /// The line's id, if it had one, and every problem.
    Rejected(Option<String>, Vec<Problem>),
}

/// Reads one line (without its end) into `buf`, at most [`MAX_LINE_BYTES`] + 1 bytes kept;
/// the bytes read, 0 at the end.
fn read_line(input: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let len = chunk.len();
        let room = (MAX_LINE_BYTES + 1).saturating_sub(buf.len());
        let keep = if done { &chunk[..len - 1] } else { chunk };
        buf.extend_from_slice(&keep[..keep.len().min(room)]);
        input.consume(len);
        total += len;
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(total);
        }
    }
}

/// The command a line's `type` and `record` make, read as the web services read the same
/// body: unknown fields are refused by name.
fn command(kind: &str, record: &serde_json::Value) -> Result<Command, Problem> {
    fn read<T: serde::de::DeserializeOwned + Serialize>(
        record: &serde_json::Value,
    ) -> Result<T, Problem> {
        let value: T = serde_json::from_value(record.clone()).map_err(|e| {
            // A struct that refuses unknown fields names the field: say which, as below. Any
            // other message of serde's may quote a value, and is not echoed.
            let what = e.to_string();
            if let Some(name) = what
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
            {
                return unknown(name);
            }
            Problem::format(
                "record",
                Some("record"),
                "record er ikke en gyldig registrering af den angivne type (et felt har en forkert JSON-type).",
                "record is not a valid record of the given type (a field has the wrong JSON type).",
            )
        })?;
        let known = serde_json::to_value(&value).map_err(|_| {
            Problem::format(
                "record",
                Some("record"),
                "record kunne ikke læses.",
                "record could not be read.",
            )
        })?;
        if let Some(path) = fdg_server::unknown_field(record, &known, "") {
            return Err(unknown(&path));
        }
        Ok(value)
    }
    /// A field the record type does not have, named when it looks like a field name: lower
    /// case letters, `_` and `.` — no digits, so a CPR number used as a key is not echoed.
    fn unknown(path: &str) -> Problem {
        let plain = path.len() <= 64
            && path
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.');
        let shown = if plain { path } else { "?" };
        Problem::format(
            "unknown_field",
            Some(&format!("record.{shown}")),
            &format!("Feltet record.{shown} kendes ikke."),
            &format!("The field record.{shown} is not known."),
        )
    }
    Ok(match kind {
        "jobseeker_registration" => Command::Register(read(record)?),
        "jobseeker_deregistration" => Command::Deregister(read(record)?),
        "registration_change" => Command::ChangeRegistration(read::<ChangeRegistration>(record)?),
        "first_contact" => Command::FirstContact(read(record)?),
        "benefit_cessation" => Command::Cessation(read(record)?),
        "periodic_condition_start" => Command::StartCondition(read(record)?),
        "contact_interview" => Command::Interview(read(record)?),
        "other_actor_assignment" => Command::AssignOtherActor(read(record)?),
        _ => {
            return Err(Problem::format(
                "type",
                Some("type"),
                &format!("type skal være en af {}.", TYPES.join(", ")),
                &format!("type must be one of {}.", TYPES.join(", ")),
            ));
        }
    })
}

impl Progress {
    fn every(&self) -> Duration {
        if self.terminal {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(10)
        }
    }

    /// Lines, rate, share done and time left.
    fn report(&self, s: &Summary, bytes: u64, elapsed: Duration, last: bool) {
        if self.quiet {
            return;
        }
        let secs = elapsed.as_secs_f64().max(0.001);
        let rate = s.lines as f64 / secs;
        let share = self
            .total_bytes
            .filter(|t| *t > 0)
            .map(|t| bytes as f64 / t as f64);
        let left = share
            .filter(|f| *f > 0.0 && !last)
            .map(|f| format!(", about {:.0} s left", secs * (1.0 - f) / f))
            .unwrap_or_default();
        let done = share
            .map(|f| format!(" ({:.1} %)", 100.0 * f.min(1.0)))
            .unwrap_or_default();
        let text = format!(
            "{} lines{done}: {} imported, {} already imported, {} refused; {rate:.0} lines/s{left}",
            s.lines, s.imported, s.skipped, s.rejected
        );
        if self.terminal {
            eprint!("\r\x1b[2K{text}");
            if last {
                eprintln!();
            }
        } else {
            eprintln!("{text}");
        }
    }
}

/// The columns a CSV file has besides the record's fields.
const CSV_LINE_COLUMNS: [&str; 4] = ["id", "organisation", "recorded_at", "acting_person"];
/// Record fields written as numbers, booleans and `;`-separated lists in CSV (by last name).
const CSV_NUMBERS: [&str; 2] = ["hours_per_week", "match_category"];
const CSV_BOOLEANS: [&str; 2] = ["obtain", "disclose"];
const CSV_LISTS: [&str; 2] = ["job_titles", "decisive_areas"];

/// A CSV file of one record type read as the NDJSON lines [`Import::run`] takes: the header
/// names `organisation`, `recorded_at` and optionally `id` and `acting_person`, then the
/// record's fields by their JSON names, nested ones with `.` (`consent.date`,
/// `attention_areas.jobonsker`, `registration.benefit_category`). An empty cell leaves the
/// field out. The header becomes a blank line, so line numbers are the CSV file's.
pub struct CsvLines<'a> {
    input: &'a mut dyn BufRead,
    kind: String,
    header: Option<Vec<String>>,
    out: Vec<u8>,
    pos: usize,
}

impl<'a> CsvLines<'a> {
    /// Reads `input` as CSV rows of records of type `kind` (one of [`TYPES`]).
    pub fn new(input: &'a mut dyn BufRead, kind: &str) -> CsvLines<'a> {
        CsvLines {
            input,
            kind: kind.to_owned(),
            header: None,
            out: Vec::new(),
            pos: 0,
        }
    }

    /// The NDJSON line for one CSV row (a line the import refuses when the row is malformed).
    fn convert(&self, header: &[String], row: &str) -> String {
        let Ok(cells) = fdg_domain::codes::split_csv_line(row) else {
            return "{\"csv\": \"unterminated quote\"}".into();
        };
        if cells.len() != header.len() {
            return "{\"csv\": \"wrong number of cells\"}".into();
        }
        let mut line = serde_json::Map::new();
        line.insert("type".into(), self.kind.clone().into());
        let mut record = serde_json::Map::new();
        for (name, cell) in header.iter().zip(cells) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            if CSV_LINE_COLUMNS.contains(&name.as_str()) {
                line.insert(name.clone(), cell.into());
                continue;
            }
            let leaf = name.rsplit('.').next().unwrap_or(name);
            let value = if CSV_NUMBERS.contains(&leaf) {
                cell.parse::<u64>()
                    .map_or_else(|_| cell.into(), serde_json::Value::from)
            } else if CSV_BOOLEANS.contains(&leaf) {
                match cell {
                    "true" => true.into(),
                    "false" => false.into(),
                    other => other.into(),
                }
            } else if CSV_LISTS.contains(&leaf) {
                cell.split(';')
                    .map(|v| serde_json::Value::from(v.trim()))
                    .collect()
            } else {
                cell.into()
            };
            // Nested fields: `a.b` is `{"a": {"b": …}}`.
            let mut at = &mut record;
            let mut parts = name.split('.').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    at.insert(part.to_owned(), value);
                    break;
                }
                let next = at
                    .entry(part.to_owned())
                    .or_insert_with(|| serde_json::Value::Object(Default::default()));
                if !next.is_object() {
                    *next = serde_json::Value::Object(Default::default());
                }
                let serde_json::Value::Object(map) = next else {
                    break;
                };
                at = map;
            }
        }
        line.insert("record".into(), serde_json::Value::Object(record));
        serde_json::Value::Object(line).to_string()
    }
}

impl std::io::Read for CsvLines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for CsvLines<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            let mut raw = Vec::new();
            if read_line(self.input, &mut raw)? == 0 {
                self.out.clear();
                self.pos = 0;
                return Ok(&[]);
            }
            let text = String::from_utf8_lossy(&raw);
            let text = text.trim_start_matches('\u{feff}');
            self.out = match &self.header {
                None => {
                    let header = fdg_domain::codes::split_csv_line(text)
                        .map_err(std::io::Error::other)?
                        .into_iter()
                        .map(|h| h.trim().to_owned())
                        .collect::<Vec<_>>();
                    for needed in ["organisation", "recorded_at"] {
                        if !header.iter().any(|h| h == needed) {
                            return Err(std::io::Error::other(format!(
                                "the CSV header has no column {needed}"
                            )));
                        }
                    }
                    self.header = Some(header);
                    b"\n".to_vec()
                }
                Some(header) if text.trim().is_empty() => {
                    let _ = header;
                    b"\n".to_vec()
                }
                Some(header) => {
                    let mut line = self.convert(header, text).into_bytes();
                    line.push(b'\n');
                    line
                }
            };
            self.pos = 0;
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos += amount;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use fdg_domain::{CodeLists, Cpr};
    use fdg_store::StoreContext;
    use fdg_store::testing::TestDatabase;
    use serde_json::json;

    use super::*;

    /// The day the tests import on.
    static WALL: std::sync::LazyLock<fdg_store::FixedClock> =
        std::sync::LazyLock::new(|| fdg_store::FixedClock {
            now: "2026-12-04T12:00:00Z".parse().unwrap(),
            today: "2026-12-04".parse().unwrap(),
        });

    const JENS: &str = "010190-1009";
    const METTE: &str = "070761-4285";

    fn registration(cpr: &str, date: &str) -> serde_json::Value {
        json!({
            "cpr": cpr, "name": "Jens Hansen", "registration_date": date,
            "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
            "job_titles": ["4110"], "unemployment_fund": "001", "municipality": "101"
        })
    }

    fn line(id: &str, kind: &str, at: &str, record: serde_json::Value) -> String {
        json!({
            "id": id, "type": kind, "organisation": "state-jobcenter:STAT",
            "recorded_at": at, "acting_person": "ab12 Anne Berg", "record": record
        })
        .to_string()
    }

    /// A file of the incumbent's history: four good lines and six refused ones.
    fn history() -> String {
        let mut missing_benefit = registration(METTE, "2019-03-04");
        missing_benefit
            .as_object_mut()
            .unwrap()
            .remove("benefit_category");
        [
            line(
                "l1",
                "jobseeker_registration",
                "2019-03-01T09:00:00Z",
                registration(JENS, "2019-03-01"),
            ),
            "{not json".to_owned(),
            line(
                "l3",
                "jobseeker_registration",
                "2019-03-04T09:00:00Z",
                missing_benefit,
            ),
            line(
                "l4",
                "jobseeker_registration",
                "2019-03-04T10:00:00Z",
                registration(METTE, "2019-03-09"),
            ),
            line(
                "l5",
                "registration",
                "2019-03-05T09:00:00Z",
                registration(METTE, "2019-03-05"),
            ),
            line(
                "l6",
                "jobseeker_registration",
                "2019-03-06T09:00:00Z",
                registration(METTE, "2019-03-06"),
            ),
            line(
                "l7",
                "registration_change",
                "2019-03-20T09:00:00Z",
                json!({
                    "cpr": JENS, "change_date": "2019-03-20", "benefit_category": "a_dagpenge",
                    "unemployment_degree": "delvis", "hours_per_week": 20, "job_titles": ["4110"],
                    "unemployment_fund": "002"
                }),
            ),
            line(
                "l8",
                "jobseeker_deregistration",
                "2019-03-10T09:00:00Z",
                json!({
                    "cpr": METTE, "name": "Jens Hansen", "deregistration_date": "2019-03-10",
                    "reason": "beskaeftigelse"
                }),
            ),
            line(
                "l9",
                "jobseeker_deregistration",
                "2019-04-01T09:00:00Z",
                json!({
                    "cpr": METTE, "name": "Jens Hansen", "deregistration_date": "2019-04-01",
                    "reason": "beskaeftigelse", "reson": "x"
                }),
            ),
            line(
                "l10",
                "jobseeker_deregistration",
                "2019-04-02T09:00:00Z",
                json!({
                    "cpr": METTE, "name": "Jens Hansen", "deregistration_date": "2019-04-02",
                    "reason": "beskaeftigelse"
                }),
            ),
        ]
        .join("\n")
            + "\n"
    }

    struct Registry {
        store: Arc<dyn Store>,
        audit: Arc<dyn AuditLog>,
        _db: TestDatabase,
    }

    fn registry() -> Registry {
        let db = TestDatabase::new("import-test").unwrap();
        let store = db
            .open(StoreContext {
                codes: Arc::new(CodeLists::shipped()),
                clock: Arc::new(*WALL),
            })
            .unwrap();
        Registry {
            audit: db.open_audit().unwrap(),
            store,
            _db: db,
        }
    }

    async fn import(r: &Registry, text: &str) -> (Summary, Vec<Rejected>) {
        let stop = AtomicBool::new(false);
        let run = Import {
            store: r.store.as_ref(),
            audit: r.audit.as_ref(),
            wall: &*WALL,
            source: "history.ndjson",
            system: "incumbent",
            stop: &stop,
            progress: Progress {
                total_bytes: Some(text.len() as u64),
                terminal: false,
                quiet: true,
            },
            tz: TimeZone::get("Europe/Copenhagen").unwrap(),
        };
        let mut rejects = Vec::new();
        let summary = run
            .run(&mut std::io::Cursor::new(text.as_bytes()), &mut rejects)
            .await
            .unwrap();
        let rejected = String::from_utf8(rejects)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (summary, rejected)
    }

    /// Every event as (type, data, recorded at, organisation): what two imports must share.
    async fn log(r: &Registry) -> Vec<(String, String, Timestamp, String)> {
        r.store
            .events_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.r#type, e.data_json, e.recorded_at, e.org))
            .collect()
    }

    async fn overview(r: &Registry, cpr: &str) -> fdg_domain::view::PersonOverview {
        let cpr = Cpr::parse(cpr).unwrap();
        r.store
            .person_by_cpr(&cpr)
            .await
            .unwrap()
            .expect("imported")
            .overview
    }

    #[tokio::test]
    async fn a_refused_line_names_its_rules_and_the_others_are_stored_at_their_times() {
        let r = registry();
        let (summary, rejected) = import(&r, &history()).await;
        assert_eq!(
            (summary.lines, summary.imported, summary.rejected),
            (10, 4, 6),
            "{rejected:?}"
        );
        let by_line = |n: u64| rejected.iter().find(|r| r.line == n).expect("refused");
        let rules = |n: u64| -> Vec<&str> {
            by_line(n)
                .violations
                .iter()
                .map(|v| v.rule.as_str())
                .collect()
        };
        assert_eq!(rules(2), ["import.malformed"]);
        assert_eq!(rules(3), ["fdg.s8.1.nr4.benefit_category_required"]);
        let v = &by_line(3).violations[0];
        assert_eq!(v.provision, "§ 8, stk. 1, nr. 4");
        assert_eq!(v.field.as_deref(), Some("benefit_category"));
        let rule = &fdg_domain::rules::S8_1_BENEFIT_REQUIRED;
        assert_eq!(
            (v.message_da.as_str(), v.message_en.as_str()),
            (rule.message_da, rule.message_en)
        );
        // Judged as of its recording day: a registration dated after it is in the future.
        assert_eq!(rules(4), ["fdg.date.not_in_future"]);
        assert_eq!(rules(5), ["import.type"]);
        // Recorded before the line stored just before it.
        assert_eq!(rules(8), ["import.out_of_order"]);
        assert_eq!(rules(9), ["import.unknown_field"]);
        assert_eq!(
            by_line(9).violations[0].field.as_deref(),
            Some("record.reson")
        );
        // Nothing in the reject file names the person.
        assert!(!serde_json::to_string(&rejected).unwrap().contains("010190"));
        // The records kept their recording times; the change and deregistration are in force.
        let events = log(&r).await;
        assert!(
            events
                .iter()
                .any(|(t, _, at, _)| t == "job_seeker_registered"
                    && *at == "2019-03-01T09:00:00Z".parse::<Timestamp>().unwrap())
        );
        let jens = overview(&r, JENS).await;
        assert_eq!(
            jens.registrations[0].changes[0]
                .unemployment_fund
                .as_deref(),
            Some("002")
        );
        let mette = overview(&r, METTE).await;
        assert!(!mette.registered, "deregistered on 2019-04-02");
    }

    #[tokio::test]
    async fn running_the_same_file_again_stores_nothing_and_a_reused_id_is_refused() {
        let r = registry();
        import(&r, &history()).await;
        let before = log(&r).await;
        let (again, rejected) = import(&r, &history()).await;
        assert_eq!((again.imported, again.skipped), (0, 4), "{rejected:?}");
        assert_eq!(log(&r).await, before);
        // Another line under an id already used is refused, not skipped.
        let other = line(
            "l1",
            "jobseeker_registration",
            "2020-01-01T09:00:00Z",
            registration(METTE, "2020-01-01"),
        );
        let (s, rejected) = import(&r, &(other + "\n")).await;
        assert_eq!(s.rejected, 1);
        assert_eq!(rejected[0].violations[0].rule, "import.id_reused");
    }

    #[tokio::test]
    async fn a_resumed_import_equals_an_uninterrupted_one_and_rebuild_changes_nothing() {
        let whole = registry();
        import(&whole, &history()).await;
        // Interrupted after six lines, then run again on the whole file.
        let resumed = registry();
        let text = history();
        let first: String = text.lines().take(6).map(|l| format!("{l}\n")).collect();
        import(&resumed, &first).await;
        let (s, _) = import(&resumed, &text).await;
        assert_eq!((s.imported, s.skipped), (2, 2));
        assert_eq!(log(&resumed).await, log(&whole).await);
        // The projections rebuilt from the imported log are the ones the import made.
        let before = (overview(&whole, JENS).await, overview(&whole, METTE).await);
        whole.store.rebuild().await.unwrap();
        assert_eq!(
            (overview(&whole, JENS).await, overview(&whole, METTE).await),
            before
        );
    }

    #[tokio::test]
    async fn the_audit_says_who_imported_what() {
        let r = registry();
        import(&r, &history()).await;
        let person = overview(&r, JENS).await.person_id;
        // The audit index follows the log within a second.
        let mut entries = Vec::new();
        for _ in 0..50 {
            entries = r.audit.for_person(&person, 100).await.unwrap();
            if entries.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let actions: Vec<&str> = entries.iter().map(|e| e.entry.action.as_str()).collect();
        assert!(
            actions.contains(&"write.jobseeker_registration"),
            "{actions:?}"
        );
        assert!(
            actions.contains(&"write.registration_change"),
            "{actions:?}"
        );
        for e in &entries {
            assert_eq!(e.entry.credential, "import:history.ndjson");
            assert_eq!(e.entry.org, "state-jobcenter:STAT");
            assert_eq!(e.entry.acting_person.as_deref(), Some("ab12 Anne Berg"));
            assert_eq!(e.entry.purpose, "import");
            assert_eq!(e.entry.at, WALL.now, "when it was imported, not recorded");
        }
        assert!(r.audit.verify().await.unwrap().problems.is_empty());
    }

    #[tokio::test]
    async fn nothing_in_the_reject_file_names_a_person_and_a_future_line_is_refused() {
        let r = registry();
        let mut cpr_as_number = registration(JENS, "2019-03-01");
        cpr_as_number["cpr"] = json!(101_901_009u64);
        let mut cpr_as_key = registration(JENS, "2019-03-01");
        cpr_as_key["0101901009"] = json!("Jens Hansen");
        let lines = [
            json!({"id": "a", "type": "jobseeker_registration", "organisation": "state-jobcenter:STAT",
                   "recorded_at": "2019-03-01T09:00:00Z", "record": {}, "0101901009": "Jens Hansen"})
            .to_string(),
            line("b", "jobseeker_registration", "2019-03-01T09:00:00Z", cpr_as_number),
            line("c", "jobseeker_registration", "2019-03-01T09:00:00Z", cpr_as_key),
            line("d", "jobseeker_registration", "2099-03-01T09:00:00Z", registration(JENS, "2099-03-01")),
        ];
        let (summary, rejected) = import(&r, &(lines.join("\n") + "\n")).await;
        assert_eq!(summary.rejected, 4, "{rejected:?}");
        let text = serde_json::to_string(&rejected).unwrap();
        for leak in ["0101901009", "101901009", "Jens"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        let rules: Vec<&str> = rejected
            .iter()
            .map(|r| r.violations[0].rule.as_str())
            .collect();
        assert_eq!(
            rules,
            [
                "import.malformed",
                "import.record",
                "import.unknown_field",
                "import.in_future"
            ]
        );
        assert_eq!(rejected[2].violations[0].field.as_deref(), Some("record.?"));
    }

    #[tokio::test]
    async fn a_csv_file_of_one_record_type_imports_as_its_ndjson_would() {
        let r = registry();
        let csv = "id,organisation,recorded_at,cpr,name,registration_date,benefit_category,unemployment_degree,hours_per_week,job_titles,unemployment_fund,municipality\n\
                   c1,state-jobcenter:STAT,2019-03-01T09:00:00Z,0101901009,\"Hansen, Jens\",2019-03-01,a_dagpenge,delvis,20,4110;4120,001,101\n\
                   c2,state-jobcenter:STAT,2019-03-02T09:00:00Z,0707614285,Mette Jensen,2019-03-02,a_dagpenge,,,4110,001,101\n\
                   c3,state-jobcenter:STAT,2019-03-03T09:00:00Z,0202851002,too,few\n";
        let mut input = std::io::Cursor::new(csv.as_bytes());
        let mut lines = CsvLines::new(&mut input, "jobseeker_registration");
        let stop = AtomicBool::new(false);
        let run = Import {
            store: r.store.as_ref(),
            audit: r.audit.as_ref(),
            wall: &*WALL,
            source: "registrations.csv",
            system: "incumbent",
            stop: &stop,
            progress: Progress {
                total_bytes: None,
                terminal: false,
                quiet: true,
            },
            tz: TimeZone::get("Europe/Copenhagen").unwrap(),
        };
        let mut rejects = Vec::new();
        let s = run.run(&mut lines, &mut rejects).await.unwrap();
        assert_eq!(
            (s.imported, s.rejected),
            (1, 2),
            "{}",
            String::from_utf8_lossy(&rejects)
        );
        let rejected: Vec<Rejected> = String::from_utf8(rejects)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // Line numbers are the CSV file's (the header is line 1).
        assert_eq!(rejected[0].line, 3);
        assert_eq!(
            rejected[0].violations[0].rule,
            "fdg.s8.1.nr5.unemployment_degree_required"
        );
        assert_eq!(rejected[1].line, 4);
        assert_eq!(rejected[1].violations[0].rule, "import.malformed");
        let jens = overview(&r, JENS).await;
        let reg = &jens.registrations[0];
        assert_eq!(reg.hours_per_week, Some(20));
        assert_eq!(reg.job_titles, ["4110", "4120"]);
        assert_eq!(jens.name.as_deref(), Some("Hansen, Jens"));
    }
}
