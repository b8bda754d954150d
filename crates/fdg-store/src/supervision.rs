//! Supervision figures in SQLite (§ 1, nr. 3): the sums of every person's
//! [`contributions`], kept up to date by the writer in the same transaction as the events they
//! come from, and read by reports together with the cut-off they reflect.
//!
//! Each accepted command adds `contributions(after) − contributions(before)` for its person;
//! a batch's additions are merged before they are written, so the national rows and busy
//! months are written once per batch, not once per command.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use fdg_domain::PersonState;
use fdg_domain::supervision::{
    self, Count, DEFINITIONS_VERSION, Kind, Params, Row, Table, contributions, difference,
};
use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::Digest;

use crate::{Result, StoreError};

/// What a report asks for. Every report reads every municipality's rows: the national figures
/// are their sum, and a municipality is shown against them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionQuery {
    /// The first month of the report (its first day).
    pub from: Date,
    /// The day the report describes: stocks in its month are counted on this day.
    pub as_of: Date,
}

/// The figures a report is made from, with what makes it reproducible.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisionInput {
    /// The newest event position the figures include (the data cut-off).
    pub position: u64,
    /// When that event was recorded.
    pub recorded_at: Option<Timestamp>,
    /// The day the report describes.
    pub as_of: Date,
    /// [`DEFINITIONS_VERSION`] of the figures.
    pub definitions: String,
    /// The counting parameters of the figures.
    pub params: String,
    /// SHA-256 (hex) of the definitions, parameters, as-of day, first month and every row read.
    pub input_hash: String,
    /// The rows read.
    #[serde(skip)]
    pub rows: Vec<Row>,
}

fn day_number(d: Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

fn number_day(n: i64) -> Result<Date> {
    let bad = || StoreError::Corrupt(format!("supervision day {n}"));
    Date::new(
        i16::try_from(n / 10_000).map_err(|_| bad())?,
        i8::try_from(n / 100 % 100).map_err(|_| bad())?,
        i8::try_from(n % 100).map_err(|_| bad())?,
    )
    .map_err(|_| bad())
}

fn table_of(grain: i64) -> Result<Table> {
    match grain {
        0 => Ok(Table::Flow),
        1 => Ok(Table::StockMonth),
        2 => Ok(Table::StockDay),
        g => Err(StoreError::Corrupt(format!("supervision grain {g}"))),
    }
}

type Key = (String, i64, &'static str, i64, String);

/// Additions to the stored sums, merged by key.
#[derive(Default)]
pub(crate) struct Pending(HashMap<Key, (i64, i64)>);

/// One person's change to the sums, kept apart until its command is known to stay.
pub(crate) type PersonDelta = Vec<(Option<String>, Count)>;

/// What a command changes: the person's contributions after minus before, each under the
/// municipality responsible before and after (they differ when the person moved).
pub(crate) fn person_delta(
    before_municipality: Option<String>,
    before_counts: Vec<Count>,
    after: &PersonState,
    params: &Params,
) -> PersonDelta {
    let after_counts = contributions(after, params);
    if before_municipality == after.municipality {
        let m = after.municipality.clone();
        difference(&before_counts, &after_counts)
            .into_iter()
            .map(|c| (m.clone(), c))
            .collect()
    } else {
        let negated = before_counts.into_iter().map(|mut c| {
            c.n = -c.n;
            c.total = -c.total;
            (before_municipality.clone(), c)
        });
        negated
            .chain(
                after_counts
                    .into_iter()
                    .map(|c| (after.municipality.clone(), c)),
            )
            .collect()
    }
}

impl Pending {
    /// Adds one person's counts under their municipality (`""` when they have none), in every
    /// grain the indicator is kept in.
    pub(crate) fn add(&mut self, municipality: Option<&str>, c: &Count) {
        let Some(ind) = supervision::indicator(c.indicator) else {
            return;
        };
        let grains: &[(i64, Date)] = match ind.kind {
            Kind::Flow => &[(0, c.day)],
            Kind::Stock => &[(1, c.day.first_of_month()), (2, c.day)],
        };
        for (grain, day) in grains {
            let e = self
                .0
                .entry((
                    municipality.unwrap_or_default().to_owned(),
                    *grain,
                    ind.id,
                    day_number(*day),
                    c.dim.clone(),
                ))
                .or_default();
            e.0 += c.n;
            e.1 += c.total;
        }
    }

    pub(crate) fn add_delta(&mut self, delta: &PersonDelta) {
        for (m, c) in delta {
            self.add(m.as_deref(), c);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes the additions (inside the caller's transaction) and forgets them, in key order
    /// (neighbouring keys share pages). A row that comes to sum to nothing stays; reports skip
    /// such rows, so they never reach a figure or a hash.
    pub(crate) fn flush(&mut self, conn: &Connection) -> Result<()> {
        let mut upsert = conn.prepare_cached(
            "INSERT INTO supervision_counts (grain, day, municipality, indicator, dim, n, total)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (grain, day, municipality, indicator, dim) DO UPDATE SET
               n = n + excluded.n, total = total + excluded.total",
        )?;
        let mut all: Vec<(Key, (i64, i64))> = self
            .0
            .drain()
            .filter(|(_, (n, t))| *n != 0 || *t != 0)
            .collect();
        all.sort_unstable_by(|((m1, g1, i1, d1, x1), _), ((m2, g2, i2, d2, x2), _)| {
            (g1, d1, m1, i1, x1).cmp(&(g2, d2, m2, i2, x2))
        });
        for ((m, grain, ind, day, dim), (n, total)) in all {
            upsert.execute(params![grain, day, m, ind, dim, n, total])?;
        }
        Ok(())
    }
}

/// The stored definitions and parameters, if any.
fn stored_meta(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM supervision_meta WHERE key = 'definitions'",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

fn meta_text(params: &Params) -> String {
    format!("{DEFINITIONS_VERSION};{}", params.describe())
}

/// Recomputes every sum from the person projections when they were made under other
/// definitions or parameters (or never). Returns whether it did. Runs inside `conn`'s
/// transaction when the caller has one.
pub(crate) fn ensure_current(conn: &Connection, params: &Params) -> Result<bool> {
    if stored_meta(conn)?.as_deref() == Some(meta_text(params).as_str()) {
        return Ok(false);
    }
    recompute(conn, params)?;
    Ok(true)
}

/// Replaces every sum by the sum of every person's contributions now.
pub(crate) fn recompute(conn: &Connection, params: &Params) -> Result<()> {
    conn.execute("DELETE FROM supervision_counts", [])?;
    let mut pending = Pending::default();
    {
        let mut stmt = conn.prepare("SELECT state FROM persons")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let json: String = r.get(0)?;
            let state: PersonState = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))?;
            for c in contributions(&state, params) {
                pending.add(state.municipality.as_deref(), &c);
            }
        }
    }
    pending.flush(conn)?;
    conn.execute(
        "INSERT INTO supervision_meta (key, value) VALUES ('definitions', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [meta_text(params)],
    )?;
    Ok(())
}

/// Reads the rows a report needs, with the cut-off, in one snapshot of the database.
pub(crate) fn read(conn: &Connection, q: &SupervisionQuery) -> Result<SupervisionInput> {
    let tx = conn.unchecked_transaction()?;
    let head: Option<(i64, String)> = tx
        .query_row(
            "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (position, recorded_at) = match head {
        Some((p, at)) => (
            p as u64,
            Some(
                at.parse::<Timestamp>()
                    .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?,
            ),
        ),
        None => (0, None),
    };
    let input = read_rows(&tx, q, position, recorded_at)?;
    tx.finish()?;
    Ok(input)
}

fn read_rows(
    conn: &Connection,
    q: &SupervisionQuery,
    position: u64,
    recorded_at: Option<Timestamp>,
) -> Result<SupervisionInput> {
    let definitions: String = stored_meta(conn)?.unwrap_or_default();
    let (version, params) = definitions
        .split_once(';')
        .map(|(v, p)| (v.to_owned(), p.to_owned()))
        .unwrap_or_default();
    let as_of = day_number(q.as_of);
    let month = day_number(q.as_of.first_of_month());
    let from = day_number(q.from);
    let mut stmt = conn.prepare_cached(
        "SELECT municipality, indicator, day, dim, n, total FROM supervision_counts
         WHERE grain = ?1 AND day >= ?2 AND day <= ?3 AND (n != 0 OR total != 0)
         ORDER BY grain, day, municipality, indicator, dim",
    )?;
    let mut rows = Vec::new();
    let mut hash = sha2::Sha256::new();
    hash.update(format!(
        "fdg-supervision-input\n{version}\n{params}\nas_of={}\nfrom={}\n",
        q.as_of, q.from
    ));
    // A few hundred distinct texts and days over up to a million rows: each is made once.
    let mut texts: HashSet<Arc<str>> = HashSet::new();
    let mut text = |s: &str| -> Arc<str> {
        if let Some(t) = texts.get(s) {
            return t.clone();
        }
        let t: Arc<str> = s.into();
        texts.insert(t.clone());
        t
    };
    let mut days: HashMap<i64, Date> = HashMap::new();
    let mut line = String::new();
    // Flows in the report's months; stock changes by month before the as-of month; stock
    // changes by day in it.
    for (grain, lo, hi) in [(0, from, as_of), (1, 0, month - 1), (2, month, as_of)] {
        let table = table_of(grain)?;
        let mut r = stmt.query(params![grain, lo, hi])?;
        while let Some(row) = r.next()? {
            let str_at = |i: usize| -> Result<&str> {
                row.get_ref(i)?
                    .as_str()
                    .map_err(|e| StoreError::Corrupt(format!("supervision row: {e}")))
            };
            let (municipality, indicator, dim) = (str_at(0)?, str_at(1)?, str_at(3)?);
            let day: i64 = row.get(2)?;
            let (n, total): (i64, i64) = (row.get(4)?, row.get(5)?);
            line.clear();
            // Infallible: writing to a String.
            let _ = writeln!(
                line,
                "{grain}\t{day}\t{municipality}\t{indicator}\t{dim}\t{n}\t{total}"
            );
            hash.update(line.as_bytes());
            let day = match days.get(&day) {
                Some(d) => *d,
                None => *days.entry(day).or_insert(number_day(day)?),
            };
            rows.push(Row {
                table,
                municipality: text(municipality),
                indicator: text(indicator),
                day,
                dim: text(dim),
                n,
                total,
            });
        }
    }
    Ok(SupervisionInput {
        position,
        recorded_at,
        as_of: q.as_of,
        definitions: version,
        params,
        input_hash: crate::hex(&hash.finalize()),
        rows,
    })
}

/// The same report input as [`read`] would have given when the newest event was `position`:
/// replays the log up to it into a scratch database and reads that. This is how a figure is
/// reproduced later, or contested.
pub(crate) fn replay(
    conn: &Connection,
    position: u64,
    params: &Params,
    q: &SupervisionQuery,
) -> Result<SupervisionInput> {
    let scratch = Connection::open_in_memory()?;
    scratch.execute_batch(include_str!("../migrations/sqlite/0011_supervision.sql"))?;
    let tx = conn.unchecked_transaction()?;
    let mut pending = Pending::default();
    let mut recorded_at: Option<Timestamp> = None;
    {
        let mut stmt = tx.prepare(
            "SELECT person_id, version, data, recorded_at, org FROM events
             WHERE position <= ?1 ORDER BY person_id, version",
        )?;
        let mut rows = stmt.query([position as i64])?;
        let mut current: Option<(String, PersonState)> = None;
        let finish = |state: &PersonState, pending: &mut Pending| {
            for c in contributions(state, params) {
                pending.add(state.municipality.as_deref(), &c);
            }
        };
        while let Some(r) = rows.next()? {
            let person_id: String = r.get(0)?;
            let version: i64 = r.get(1)?;
            let data: String = r.get(2)?;
            let at: Timestamp = r
                .get::<_, String>(3)?
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?;
            let event: fdg_domain::Event = serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("event {person_id}.{version}: {e}")))?;
            if current.as_ref().is_none_or(|(id, _)| *id != person_id) {
                if let Some((_, s)) = current.take() {
                    finish(&s, &mut pending);
                }
                current = Some((person_id, PersonState::default()));
            }
            if let Some((_, s)) = current.as_mut() {
                s.apply(
                    &fdg_domain::EventMeta {
                        version: version as u64,
                        recorded_at: at,
                        recorded_by: r.get(4)?,
                    },
                    &event,
                );
            }
        }
        if let Some((_, s)) = current.take() {
            finish(&s, &mut pending);
        }
        if position > 0 {
            recorded_at = tx
                .query_row(
                    "SELECT recorded_at FROM events WHERE position = ?1",
                    [position as i64],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .map(|s| s.parse::<Timestamp>())
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("recorded_at: {e}")))?;
        }
    }
    tx.finish()?;
    pending.flush(&scratch)?;
    scratch.execute(
        "INSERT INTO supervision_meta (key, value) VALUES ('definitions', ?1)",
        [meta_text(params)],
    )?;
    read_rows(&scratch, q, position, recorded_at)
}
