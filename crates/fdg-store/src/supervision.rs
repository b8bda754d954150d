//! Supervision figures in the database (§ 1, nr. 3): the sums of every person's
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
use serde::Serialize;
use sha2::Digest;

use crate::sql::{Begin, Db, args};
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
    after_counts: Vec<Count>,
) -> PersonDelta {
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
    pub(crate) fn flush(&mut self, db: &mut dyn Db) -> Result<()> {
        const UPSERT: &str = "INSERT INTO supervision_counts
                                (grain, day, municipality, indicator, dim, n, total)
                              VALUES {rows}
                              ON CONFLICT (grain, day, municipality, indicator, dim) DO UPDATE SET
                                n = supervision_counts.n + excluded.n,
                                total = supervision_counts.total + excluded.total";
        let all = self.drain_sorted();
        // Over a network, many rows per statement (keys are distinct, so no row is touched
        // twice); in process, one cached statement per row.
        let per_statement = if db.networked() { 256 } else { 1 };
        for chunk in all.chunks(per_statement) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let k = i * 7;
                    format!(
                        "(?{}, ?{}, ?{}, ?{}, ?{}, ?{}, ?{})",
                        k + 1,
                        k + 2,
                        k + 3,
                        k + 4,
                        k + 5,
                        k + 6,
                        k + 7
                    )
                })
                .collect();
            let sql = UPSERT.replace("{rows}", &rows.join(", "));
            let params: Vec<crate::sql::Param<'_>> = chunk
                .iter()
                .flat_map(|((m, grain, ind, day, dim), (n, total))| {
                    [
                        (*grain).into(),
                        (*day).into(),
                        m.into(),
                        (*ind).into(),
                        dim.into(),
                        (*n).into(),
                        (*total).into(),
                    ]
                })
                .collect();
            db.execute(&sql, &params)?;
        }
        Ok(())
    }

    /// The additions that change something, in the order reports read them (grain, day,
    /// municipality, indicator, dimension); forgets them.
    fn drain_sorted(&mut self) -> Vec<(Key, (i64, i64))> {
        let mut all: Vec<(Key, (i64, i64))> = self
            .0
            .drain()
            .filter(|(_, (n, t))| *n != 0 || *t != 0)
            .collect();
        all.sort_unstable_by(|((m1, g1, i1, d1, x1), _), ((m2, g2, i2, d2, x2), _)| {
            (g1, d1, m1, i1, x1).cmp(&(g2, d2, m2, i2, x2))
        });
        all
    }
}

/// The stored definitions and parameters, if any.
fn stored_meta(db: &mut dyn Db) -> Result<Option<String>> {
    db.query_opt(
        "SELECT value FROM supervision_meta WHERE key = 'definitions'",
        args![],
        |r| r.string(0),
    )
}

fn meta_text(params: &Params) -> String {
    format!("{DEFINITIONS_VERSION};{}", params.describe())
}

/// Recomputes every sum from the person projections when they were made under other
/// definitions or parameters (or never). Returns whether it did. Runs inside the caller's
/// transaction.
pub(crate) fn ensure_current(db: &mut dyn Db, params: &Params) -> Result<bool> {
    if stored_meta(db)?.as_deref() == Some(meta_text(params).as_str()) {
        return Ok(false);
    }
    recompute(db, params)?;
    Ok(true)
}

/// Replaces every sum by the sum of every person's contributions now.
pub(crate) fn recompute(db: &mut dyn Db, params: &Params) -> Result<()> {
    db.execute("DELETE FROM supervision_counts", args![])?;
    let mut pending = Pending::default();
    db.query_each("SELECT state FROM persons", args![], &mut |r| {
        let state: PersonState = serde_json::from_str(r.text(0)?)
            .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))?;
        for c in contributions(&state, params) {
            pending.add(state.municipality.as_deref(), &c);
        }
        Ok(())
    })?;
    pending.flush(db)?;
    db.execute(
        "INSERT INTO supervision_meta (key, value) VALUES ('definitions', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        args![&meta_text(params)],
    )?;
    Ok(())
}

/// Reads the rows a report needs, with the cut-off, in one snapshot of the database.
pub(crate) fn read(db: &mut dyn Db, q: &SupervisionQuery) -> Result<SupervisionInput> {
    db.transaction(Begin::Snapshot, |db| {
        let (position, recorded_at) = match crate::ops::head(db)? {
            Some((p, at)) => (p, Some(at)),
            None => (0, None),
        };
        let definitions = stored_meta(db)?.unwrap_or_default();
        let mut input = Input::new(&definitions, q);
        let mut stmt_rows = |grain: i64, lo: i64, hi: i64, input: &mut Input| {
            db.query_each(
                "SELECT municipality, indicator, day, dim, n, total FROM supervision_counts
                 WHERE grain = ?1 AND day >= ?2 AND day <= ?3 AND (n != 0 OR total != 0)
                 ORDER BY grain, day, municipality, indicator, dim",
                args![grain, lo, hi],
                &mut |r| {
                    input.push(
                        grain,
                        r.int(2)?,
                        r.text(0)?,
                        r.text(1)?,
                        r.text(3)?,
                        (r.int(4)?, r.int(5)?),
                    )
                },
            )
        };
        for (grain, lo, hi) in input.ranges() {
            stmt_rows(grain, lo, hi, &mut input)?;
        }
        Ok(input.finish(position, recorded_at))
    })
}

/// A report's input as it is read: the rows in order, hashed as they come.
struct Input {
    version: String,
    params: String,
    query: SupervisionQuery,
    hash: sha2::Sha256,
    rows: Vec<Row>,
    // A few hundred distinct texts and days over up to a million rows: each is made once.
    texts: HashSet<Arc<str>>,
    days: HashMap<i64, Date>,
    line: String,
}

impl Input {
    fn new(definitions: &str, q: &SupervisionQuery) -> Self {
        let (version, params) = definitions
            .split_once(';')
            .map(|(v, p)| (v.to_owned(), p.to_owned()))
            .unwrap_or_default();
        let mut hash = sha2::Sha256::new();
        hash.update(format!(
            "fdg-supervision-input\n{version}\n{params}\nas_of={}\nfrom={}\n",
            q.as_of, q.from
        ));
        Input {
            version,
            params,
            query: q.clone(),
            hash,
            rows: Vec::new(),
            texts: HashSet::new(),
            days: HashMap::new(),
            line: String::new(),
        }
    }

    /// Flows in the report's months; stock changes by month before the as-of month; stock
    /// changes by day in it: `(grain, first day, last day)` as day numbers.
    fn ranges(&self) -> [(i64, i64, i64); 3] {
        let as_of = day_number(self.query.as_of);
        let month = day_number(self.query.as_of.first_of_month());
        let from = day_number(self.query.from);
        [(0, from, as_of), (1, 0, month - 1), (2, month, as_of)]
    }

    fn text(&mut self, s: &str) -> Arc<str> {
        if let Some(t) = self.texts.get(s) {
            return t.clone();
        }
        let t: Arc<str> = s.into();
        self.texts.insert(t.clone());
        t
    }

    fn push(
        &mut self,
        grain: i64,
        day: i64,
        municipality: &str,
        indicator: &str,
        dim: &str,
        (n, total): (i64, i64),
    ) -> Result<()> {
        let table = table_of(grain)?;
        self.line.clear();
        // Infallible: writing to a String.
        let _ = writeln!(
            self.line,
            "{grain}\t{day}\t{municipality}\t{indicator}\t{dim}\t{n}\t{total}"
        );
        self.hash.update(self.line.as_bytes());
        let date = match self.days.get(&day) {
            Some(d) => *d,
            None => *self.days.entry(day).or_insert(number_day(day)?),
        };
        let row = Row {
            table,
            municipality: self.text(municipality),
            indicator: self.text(indicator),
            day: date,
            dim: self.text(dim),
            n,
            total,
        };
        self.rows.push(row);
        Ok(())
    }

    fn finish(self, position: u64, recorded_at: Option<Timestamp>) -> SupervisionInput {
        SupervisionInput {
            position,
            recorded_at,
            as_of: self.query.as_of,
            definitions: self.version,
            params: self.params,
            input_hash: crate::hex(&self.hash.finalize()),
            rows: self.rows,
        }
    }
}

/// The same report input as [`read`] would have given when the newest event was `position`:
/// replays the log up to it and sums every person's contributions, without touching the
/// stored sums. This is how a figure is reproduced later, or contested.
pub(crate) fn replay(
    db: &mut dyn Db,
    position: u64,
    params: &Params,
    q: &SupervisionQuery,
) -> Result<SupervisionInput> {
    let (pending, recorded_at) = db.transaction(Begin::Snapshot, |db| {
        let mut pending = Pending::default();
        let mut current: Option<(String, PersonState)> = None;
        let finish = |state: &PersonState, pending: &mut Pending| {
            for c in contributions(state, params) {
                pending.add(state.municipality.as_deref(), &c);
            }
        };
        db.query_each(
            "SELECT person_id, version, data, recorded_at, org FROM events
             WHERE position <= ?1 ORDER BY person_id, version",
            args![position],
            &mut |r| {
                let event = crate::ops::logged_event(r)?;
                if current
                    .as_ref()
                    .is_none_or(|(id, _)| *id != event.person_id)
                {
                    if let Some((_, s)) = current.take() {
                        finish(&s, &mut pending);
                    }
                    current = Some((event.person_id.clone(), PersonState::default()));
                }
                if let Some((_, s)) = current.as_mut() {
                    event.apply_to(s)?;
                }
                Ok(())
            },
        )?;
        if let Some((_, s)) = current.take() {
            finish(&s, &mut pending);
        }
        let recorded_at = if position > 0 {
            db.query_opt(
                "SELECT recorded_at FROM events WHERE position = ?1",
                args![position],
                |r| r.time(0),
            )?
        } else {
            None
        };
        Ok((pending, recorded_at))
    })?;
    let mut input = Input::new(&meta_text(params), q);
    let mut sums = pending;
    let all = sums.drain_sorted();
    for (grain, lo, hi) in input.ranges() {
        for ((m, g, ind, day, dim), counts) in &all {
            if *g == grain && (lo..=hi).contains(day) {
                input.push(grain, *day, m, ind, dim, *counts)?;
            }
        }
    }
    Ok(input.finish(position, recorded_at))
}
