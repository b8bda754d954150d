//! The worklist's stored days: `persons.municipality`, `interview_due`, `first_contact_open`
//! and `exemption_from`, written with every person row (`PersonRow`), indexed by
//! municipality and day, and recomputed for every person when the rules that derive them
//! change (a new `WORKLIST_VERSION` or other parameters) or were never applied.

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
    let mut sql =
        format!("SELECT person_id, cpr, {col}, scope FROM persons WHERE {col} IS NOT NULL");
    let mut params: Vec<Param<'_>> = Vec::new();
    if let Some(m) = &q.municipality {
        params.push(Param::Text(m));
        sql.push_str(&format!(" AND municipality = ?{}", params.len()));
    }
    if q.from.is_some() {
        params.push(Param::Text(&texts[0]));
        sql.push_str(&format!(" AND {col} >= ?{}", params.len()));
    }
    if q.to.is_some() {
        params.push(Param::Text(&texts[1]));
        sql.push_str(&format!(" AND {col} <= ?{}", params.len()));
    }
    if let Some((_, id)) = &q.after {
        params.push(Param::Text(&texts[2]));
        params.push(Param::Text(id));
        let n = params.len();
        sql.push_str(&format!(" AND ({col}, person_id) > (?{}, ?{n})", n - 1));
    }
    params.push(Param::from(q.limit));
    sql.push_str(&format!(
        " ORDER BY {col}, person_id LIMIT ?{}",
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

/// The stored columns of a person's days, as text (`YYYY-MM-DD`): the lists' days in
/// `Kind::ALL` order, then the day a consequence falls due.
pub(crate) fn texts(days: &Days) -> [Option<String>; 4] {
    let [due, open, exempt] = Kind::ALL.map(|k| days.get(k).map(|d| d.to_string()));
    [
        due,
        open,
        exempt,
        days.consequence_due.map(|d| d.to_string()),
    ]
}

/// Persons for whom a consequence has fallen due by `today`, the longest due first.
pub(crate) fn consequences_due(db: &mut dyn Db, today: Date, limit: u32) -> Result<Vec<String>> {
    db.query_all(
        "SELECT person_id FROM persons WHERE consequence_due IS NOT NULL AND consequence_due <= ?1
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
    let mut rows: Vec<(String, Option<String>, [Option<String>; 4])> = Vec::new();
    db.query_each("SELECT person_id, state FROM persons", args![], &mut |r| {
        let state: PersonState = serde_json::from_str(r.text(1)?)
            .map_err(|e| StoreError::Corrupt(format!("person state: {e}")))?;
        let days = Days::compute(&state, params);
        rows.push((r.string(0)?, state.municipality, texts(&days)));
        Ok(())
    })?;
    for (person_id, municipality, [due, open, exempt, consequence]) in &rows {
        db.execute(
            "UPDATE persons SET municipality = ?1, interview_due = ?2, first_contact_open = ?3,
                                exemption_from = ?4, consequence_due = ?5
             WHERE person_id = ?6",
            args![
                municipality.as_deref(),
                due.as_deref(),
                open.as_deref(),
                exempt.as_deref(),
                consequence.as_deref(),
                person_id
            ],
        )?;
    }
    db.execute(
        "INSERT INTO supervision_meta (key, value) VALUES ('worklist', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        args![&meta_text(params)],
    )?;
    Ok(true)
}
