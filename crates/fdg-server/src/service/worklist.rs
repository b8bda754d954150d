//! The caseworkers' worklist (what a job centre opens every morning), for the web services
//! (`GET /api/v1/worklist`) and the browser tool's `/worklist` alike: persons whose next
//! contact interview is overdue or due within a number of days, open cash-benefit cases
//! without a registration, and exemptions from availability about to take effect
//! (`fdg_domain::worklist`).
//!
//! Scoped like every read: a person is listed only where `fdg_domain::access::visibility`
//! lets the reader's organisation see them, and every listed person's read is audited
//! (`worklist.read`) before the list is returned. A municipal job centre's lists are looked up
//! by its municipality; the state job centre's and an other actor's are read in chunks and
//! filtered, at most [`SCAN_LIMIT`] rows a list, and say when there is more.

use fdg_domain::worklist::Kind;
use fdg_domain::{Cpr, OrgKind, Visibility};
use fdg_store::worklist::WorkRow;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::service::read::{ReadRefusal, audit, data_of, may_read};
use crate::service::write::{Acting, Failure};

/// The default horizon, in days.
pub const DEFAULT_WITHIN_DAYS: u16 = 14;
/// The longest horizon asked for.
pub const MAX_WITHIN_DAYS: u16 = 366;
/// The default and largest number of persons on one list.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest number of persons on one list.
pub const MAX_LIMIT: u32 = 1000;
/// Rows read at most for one list of an organisation whose persons are filtered after reading
/// (the state job centre, an other actor).
pub const SCAN_LIMIT: usize = 20_000;

/// How far ahead, and how many, as a caller asks (query string).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorklistQuery {
    /// Interviews due and exemptions beginning within this many days from today (0–366,
    /// default 14). Overdue interviews and open first contacts are always listed.
    #[param(minimum = 0, maximum = 366)]
    pub within_days: Option<u16>,
    /// At most this many persons on each list (1–1000, default 100); `more` says when a list
    /// holds more.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// A worklist query outside its bounds (or not numbers).
#[derive(Debug, Clone, Copy)]
pub struct OutOfBounds;

impl OutOfBounds {
    /// What is wrong, in English and Danish.
    pub const MESSAGE: [&str; 2] = [
        "within_days must be a whole number 0–366 and limit 1–1000",
        "within_days skal være et helt tal 0–366 og limit 1–1000",
    ];
}

impl WorklistQuery {
    /// The query within its bounds, defaults filled in.
    pub fn ask(&self) -> Result<Ask, OutOfBounds> {
        let within_days = self.within_days.unwrap_or(DEFAULT_WITHIN_DAYS);
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if within_days > MAX_WITHIN_DAYS || !(1..=MAX_LIMIT).contains(&limit) {
            return Err(OutOfBounds);
        }
        Ok(Ask { within_days, limit })
    }
}

/// What was asked, within bounds.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    /// The horizon: interviews due and exemptions beginning within this many days.
    pub within_days: u16,
    /// At most this many persons a list.
    pub limit: u32,
}

/// One person on a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// Opaque person id, for the person reads.
    pub person_id: String,
    /// CPR number, `DDMMYY-SSSS`.
    pub cpr: String,
    /// The day that puts the person on the list (due, open since, takes effect).
    #[schema(value_type = String, format = Date)]
    pub day: Date,
    /// Days from today to `day`: negative when it has passed (an overdue interview).
    pub days_from_today: i32,
}

/// One list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct List {
    /// `interview_due`, `first_contact_open` or `exemption_from`.
    pub kind: &'static str,
    /// The provision that makes the day matter.
    pub provision: &'static str,
    /// The persons, in day order.
    pub entries: Vec<Entry>,
    /// More persons are on the list than shown.
    pub more: bool,
}

/// The worklist of one organisation on one day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Worklist {
    /// The day the lists are for.
    #[schema(value_type = String, format = Date)]
    pub today: Date,
    /// The horizon in days.
    pub within_days: u16,
    /// Interviews due, open first contacts, exemptions taking effect.
    pub lists: Vec<List>,
}

/// The worklist `acting` may see, audited.
pub async fn worklist(
    state: &AppState,
    acting: &Acting,
    ask: Ask,
) -> Result<Result<Worklist, ReadRefusal>, Failure> {
    if let Err(refusal) = may_read(state, acting, "persons", "worklist.read").await? {
        return Ok(Err(refusal));
    }
    // A worklist is the contact course's: the job centres and the other actors they assign.
    let municipality = match acting.actor.kind {
        OrgKind::MunicipalJobcenter => Some(acting.actor.code.clone()),
        OrgKind::StateJobcenter | OrgKind::OtherActor => None,
        _ => {
            let entry = acting.audit_entry(state.clock.now(), "worklist.read", None, "denied");
            audit(state, vec![entry]).await?;
            return Ok(Err(ReadRefusal::Forbidden));
        }
    };
    let Some(store) = data_of(state, acting) else {
        return Ok(Err(ReadRefusal::NotInAgreement(
            crate::service::read::NO_SANDBOX.into(),
        )));
    };
    let today = state.clock.today();
    let mut lists = Vec::new();
    let mut entries_audited = Vec::new();
    for kind in Kind::ALL {
        let (from, to) = kind.window(today, ask.within_days);
        let wanted = ask.limit as usize + 1;
        let chunk = if municipality.is_some() {
            ask.limit + 1
        } else {
            500
        };
        let mut shown: Vec<WorkRow> = Vec::new();
        let mut after = None;
        let mut scanned = 0usize;
        loop {
            let rows = store
                .worklist(fdg_store::worklist::WorklistQuery {
                    kind,
                    municipality: municipality.clone(),
                    from,
                    to,
                    after: after.clone(),
                    limit: chunk,
                })
                .await
                .map_err(|cause| Failure::new("store", cause))?;
            let exhausted = rows.len() < chunk as usize;
            scanned += rows.len();
            after = rows.last().map(|r| (r.day, r.person_id.clone()));
            shown.extend(rows.into_iter().filter(|r| {
                fdg_domain::access::visibility(&acting.actor, &r.scope, today) != Visibility::Hidden
            }));
            if exhausted || shown.len() >= wanted || scanned >= SCAN_LIMIT {
                let more = shown.len() >= wanted || (!exhausted && scanned >= SCAN_LIMIT);
                shown.truncate(ask.limit as usize);
                lists.push((kind, shown, more));
                break;
            }
        }
    }
    let now = state.clock.now();
    let lists = lists
        .into_iter()
        .map(|(kind, rows, more)| List {
            kind: kind.name(),
            provision: kind.provision(),
            entries: rows
                .into_iter()
                .map(|r| {
                    entries_audited.push(acting.audit_entry(
                        now,
                        "worklist.read",
                        Some(r.person_id.clone()),
                        "ok",
                    ));
                    Entry {
                        cpr: Cpr::parse(&r.cpr).map_or_else(|_| r.cpr.clone(), |c| c.formatted()),
                        days_from_today: (r.day - today).get_days(),
                        person_id: r.person_id,
                        day: r.day,
                    }
                })
                .collect(),
            more,
        })
        .collect();
    if entries_audited.is_empty() {
        entries_audited.push(acting.audit_entry(now, "worklist.read", None, "ok"));
    }
    audit(state, entries_audited).await?;
    Ok(Ok(Worklist {
        today,
        within_days: ask.within_days,
        lists,
    }))
}
