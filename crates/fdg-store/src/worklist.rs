//! The worklist's stored days: the `worklist` table (municipality, `interview_due`,
//! `first_contact_open`, `exemption_from`, `consequence_due`), one row for each person with a
//! day, written in the command's transaction when the days change (`pipeline::process`
//! compares them before and after), indexed by municipality and day, and derived again for
//! every person when the rules that derive them change (a new `WORKLIST_VERSION` or other
//! parameters) or were never applied. A table of its own, so updating a person never touches
//! an index of `persons` (on PostgreSQL such an update stays a cheap heap-only one).

use fdg_domain::PersonState;
use fdg_domain::supervision::Params;
use fdg_domain::worklist::{Days, Kind};
use jiff::civil::Date;

use crate::sql::{Db, Param, args};
use crate::{PersonScope, Result, StoreError};

/// The version of the rules that derive the stored days; a store whose days were derived
/// under another version (or none) derives them again at start.
pub const WORKLIST_VERSION: &str = "fdg-worklist-1";

/// One list of the worklist, as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorklistQuery {
    /// Which list.
    pub kind: Kind,
    /// Only persons of this responsible municipality (for a municipal job centre).
    pub municipality: Option<String>,
    /// First day shown (inclusive), if bounded.
    pub from: Option<Date>,
    /// Last day shown (inclusive), if bounded.
    pub to: Option<Date>,
    /// Continue after this day and person id (keyset paging).
    pub after: Option<(Date, String)>,
    /// At most this many rows.
    pub limit: u32,
}

/// One person on a list, in day order (then person id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkRow {
    /// The person's opaque id.
    pub person_id: String,
    /// The CPR number's ten digits.
    pub cpr: String,
    /// The day that puts them on the list.
    pub day: Date,
    /// Who may see them (the caller decides with `fdg_domain::access`).
    pub scope: PersonScope,
}

fn day(text: &str) -> Result<Date> {
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("worklist day {text:?}: {e}")))
}

/// One list's rows.
pub(crate) fn query(db: &mut dyn Db, q: &WorklistQuery) -> Result<Vec<WorkRow>> {
    // The column is named as the list (`Kind::name`): a fixed word, never caller text.
    let col = q.kind.name();
    let texts: Vec<String> = [q.from, q.to, q.after.as_ref().map(|a| a.0)]
        .iter()
        .map(|d| d.map(|d| d.to_string()).unwrap_or_default())
        .collect();
    let mut sql = format!(
        "SELECT w.person_id, p.cpr, w.{col}, p.scope
         FROM worklist w JOIN persons p ON p.person_id = w.person_id
         WHERE w.{col} IS NOT NULL"
    );
    let mut params: Vec<Param<'_>> = Vec::new();
    if let Some(m) = &q.municipality {
        params.push(Param::Text(m));
        sql.push_str(&format!(" AND w.municipality = ?{}", params.len()));
    }
    if q.from.is_some() {
        params.push(Param::Text(&texts[0]));
        sql.push_str(&format!(" AND w.{col} >= ?{}", params.len()));
    }
    if q.to.is_some() {
        params.push(Param::Text(&texts[1]));
        sql.push_str(&format!(" AND w.{col} <= ?{}", params.len()));
    }
    if let Some((_, id)) = &q.after {
        params.push(Param::Text(&texts[2]));
        params.push(Param::Text(id));
        let n = params.len();
        sql.push_str(&format!(" AND (w.{col}, w.person_id) > (?{}, ?{n})", n - 1));
    }
    params.push(Param::from(q.limit));
    sql.push_str(&format!(
        " ORDER BY w.{col}, w.person_id LIMIT ?{}",
        params.len()
    ));
    db.query_all(&sql, &params, |r| {
        Ok(WorkRow {
            person_id: r.string(0)?,
            cpr: r.string(1)?,
            day: day(r.text(2)?)?,
            scope: crate::ops::parse_scope(r.opt_text(3)?)?,
        })
    })
}

/// A person's worklist row as stored: the responsible municipality and the days as text
/// (`YYYY-MM-DD`): the lists' days in `Kind::ALL` order, then the day a consequence falls due.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct WorklistRow {
    pub municipality: Option<String>,
    pub days: [Option<String>; 4],
}

impl WorklistRow {
    /// The row of a person with `days` (`Days::of`, or `Days::compute` afresh).
    pub fn of(state: &PersonState, days: Days) -> WorklistRow {
        let [due, open, exempt] = Kind::ALL.map(|k| days.get(k).map(|d| d.to_string()));
        let consequence = days.consequence_due.map(|d| d.to_string());
        WorklistRow {
            municipality: state.municipality.clone(),
            days: [due, open, exempt, consequence],
        }
    }

    /// Whether the person has no day on any list (and so no row).
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Option::is_none)
    }
}

/// Replaces a person's row, or removes it when it has no day.
pub(crate) fn save(db: &mut dyn Db, person_id: &str, row: &WorklistRow) -> Result<()> {
    if row.is_empty() {
        db.execute(
            "DELETE FROM worklist WHERE person_id = ?1",
            args![person_id],
        )?;
        return Ok(());
    }
    let [due, open, exempt, consequence] = &row.days;
    db.execute(
        "INSERT INTO worklist (person_id, municipality, interview_due, first_contact_open,
                               exemption_from, consequence_due)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (person_id) DO UPDATE SET
           municipality = excluded.municipality, interview_due = excluded.interview_due,
           first_contact_open = excluded.first_contact_open,
           exemption_from = excluded.exemption_from, consequence_due = excluded.consequence_due",
        args![
            person_id,
            row.municipality.as_deref(),
            due.as_deref(),
            open.as_deref(),
            exempt.as_deref(),
            consequence.as_deref()
        ],
    )?;
    Ok(())
}

/// Persons for whom a consequence has fallen due by `today`, the longest due first.
pub(crate) fn consequences_due(db: &mut dyn Db, today: Date, limit: u32) -> Result<Vec<String>> {
    db.query_all(
        "SELECT person_id FROM worklist WHERE consequence_due IS NOT NULL AND consequence_due <= ?1
         ORDER BY consequence_due, person_id LIMIT ?2",
        args![&today.to_string(), limit],
        |r| r.string(0),
    )
}

fn meta_text(params: &Params) -> String {
    format!("{WORKLIST_VERSION};{}", params.describe())
}

/// Derives every person's days again when they were derived under other rules or parameters
/// (or never); returns whether it did. Runs inside the caller's transaction.
pub(crate) fn ensure_current(db: &mut dyn Db, params: &Params) -> Result<bool> {
    let stored = db.query_opt(
        "SELECT value FROM supervision_meta WHERE key = 'worklist'",
        args![],
        |r| r.string(0),
    )?;
    if stored.as_deref() == Some(meta_text(params).as_str()) {
        return Ok(false);
    }
    let mut rows: Vec<(String, WorklistRow)> = Vec::new();
    db.query_each("SELECT person_id, state FROM persons", args![], &mut |r| {
        let state: PersonState = serde_json::from_str(r.text(1)?)
            .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))?;
        rows.push((
            r.string(0)?,
            WorklistRow::of(&state, Days::compute(&state, params)),
        ));
        Ok(())
    })?;
    db.execute("DELETE FROM worklist", args![])?;
    for (person_id, row) in &rows {
        save(db, person_id, row)?;
    }
    db.execute(
        "INSERT INTO supervision_meta (key, value) VALUES ('worklist', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        args![&meta_text(params)],
    )?;
    Ok(true)
}
