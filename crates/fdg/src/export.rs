//! `fdg export events`: the event log, or a window of it, as NDJSON for statisticians and
//! archives, streamed page by page (memory stays flat whatever the log's size); and
//! `fdg export persons`: every person's current situation as CSV, by person id only.
//!
//! Each line is one event: `position`, `person_id`, `version`, `type`, `recorded_at`,
//! `recorded_by` and `data` (the event as in the feed, docs/feed.md). The export holds personal
//! data (CPR numbers in `person_identified`); it is the operator's, audited as one entry
//! (`export.events`) naming the range before anything is written, and the file (created
//! readable by its owner only) is to be handled as the registry itself.

use std::io::Write;

use fdg_store::Store;
use fdg_store::audit::{AuditEntry, AuditLog};
use jiff::Timestamp;
use serde_json::value::RawValue;

/// One exported event, its fields in this order.
#[derive(serde::Serialize)]
struct Line<'a> {
    position: u64,
    person_id: &'a str,
    version: u64,
    r#type: &'a str,
    recorded_at: Timestamp,
    recorded_by: &'a str,
    data: &'a RawValue,
}

/// Events read per page.
const PAGE: u32 = 10_000;

/// Which part of the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Only events after this position.
    pub after: u64,
    /// Only events recorded at or after this time.
    pub since: Option<Timestamp>,
    /// Only events recorded before this time.
    pub until: Option<Timestamp>,
}

/// Writes the window's events to `out`; how many.
pub async fn events(
    store: &dyn Store,
    audit: &dyn AuditLog,
    wall: Timestamp,
    window: Window,
    out: &mut dyn Write,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<u64> {
    let head = *store.watch_head().borrow();
    // Audited before anything is written: an interrupted export has handed data out too.
    let mut purpose = format!(
        "export of the event log after position {} up to {head}",
        window.after
    );
    if let Some(since) = window.since {
        purpose.push_str(&format!(", recorded from {since}"));
    }
    if let Some(until) = window.until {
        purpose.push_str(&format!(", recorded before {until}"));
    }
    audited(audit, wall, "export.events", purpose).await?;
    // A time window is a filter over the whole range: recording times mostly follow
    // positions, but nothing makes that a promise (records imported into a registry in use).
    let mut after = window.after;
    let mut written = 0u64;
    'pages: while after < head {
        let page = store.events_after(after, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for e in page {
            if e.position > head {
                break 'pages;
            }
            after = e.position;
            if window.since.is_some_and(|s| e.recorded_at < s)
                || window.until.is_some_and(|u| e.recorded_at >= u)
            {
                continue;
            }
            let data = RawValue::from_string(e.data_json)?;
            serde_json::to_writer(
                &mut *out,
                &Line {
                    position: e.position,
                    person_id: &e.person_id,
                    version: e.version,
                    r#type: &e.r#type,
                    recorded_at: e.recorded_at,
                    recorded_by: &e.org,
                    data: &data,
                },
            )?;
            out.write_all(b"\n")?;
            written += 1;
        }
        progress(after, head);
    }
    out.flush()?;
    Ok(written)
}

/// The columns of `fdg export persons`.
pub const PERSON_COLUMNS: [&str; 9] = [
    "person_id",
    "municipality",
    "registered",
    "registered_since",
    "benefit_category",
    "unemployment_degree",
    "unemployment_fund",
    "match_category",
    "cash_benefit_since",
];

/// Writes every person's current situation to `out` as CSV (header [`PERSON_COLUMNS`]): no
/// CPR number, no name, only the opaque person id; the registration's details as changed
/// last. Audited as one entry (`export.persons`) before anything is written. How many.
pub async fn persons(
    store: &dyn Store,
    audit: &dyn AuditLog,
    wall: Timestamp,
    out: &mut dyn Write,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    audited(
        audit,
        wall,
        "export.persons",
        "export of every person's current situation (CSV, by person id)".into(),
    )
    .await?;
    writeln!(out, "{}", PERSON_COLUMNS.join(","))?;
    let mut after = String::new();
    let mut written = 0u64;
    loop {
        let page = store.persons_after(&after, 10_000).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.person_id.clone();
        for p in &page {
            let o = &p.overview;
            let current = o.registrations.last().filter(|_| o.registered);
            // The details in force now: the latest change's, else the registration's.
            let (benefit, degree, fund) = match current.and_then(|r| r.changes.last()) {
                Some(c) => (
                    Some(c.benefit_category.clone()),
                    Some(c.unemployment_degree.clone()),
                    c.unemployment_fund.clone(),
                ),
                None => (
                    current.map(|r| r.benefit_category.clone()),
                    current.map(|r| r.unemployment_degree.clone()),
                    current.and_then(|r| r.unemployment_fund.clone()),
                ),
            };
            let text = |v: Option<String>| v.unwrap_or_default();
            let row = [
                o.person_id.clone(),
                text(o.municipality.clone()),
                if o.registered { "yes" } else { "no" }.to_owned(),
                text(current.map(|r| r.registration_date.to_string())),
                text(benefit),
                text(degree),
                text(fund),
                text(o.match_category.map(|m| m.to_string())),
                text(o.cash_benefit_since.map(|d| d.to_string())),
            ];
            let row: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            writeln!(out, "{}", row.join(","))?;
            written += 1;
        }
        progress(written);
    }
    out.flush()?;
    Ok(written)
}

/// The one audit entry of an export, appended (durably) before anything is written.
async fn audited(
    audit: &dyn AuditLog,
    wall: Timestamp,
    action: &str,
    purpose: String,
) -> anyhow::Result<()> {
    audit
        .append(vec![AuditEntry {
            at: wall,
            org: "operator:cli".into(),
            credential: "cli".into(),
            acting_person: None,
            on_behalf_of: None,
            action: action.into(),
            person_id: None,
            purpose,
            outcome: "ok".into(),
        }])
        .await?;
    Ok(())
}

/// A CSV field, quoted when it must be (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use fdg_domain::CodeLists;
    use fdg_store::testing::TestDatabase;
    use fdg_store::{FixedClock, StoreContext};

    use super::*;

    #[tokio::test]
    async fn the_log_or_a_time_window_of_it_is_written_as_ndjson_and_audited() {
        let db = TestDatabase::new("export-test").unwrap();
        let clock = FixedClock {
            now: "2026-12-04T12:00:00Z".parse().unwrap(),
            today: "2026-12-04".parse().unwrap(),
        };
        let store = db
            .open(StoreContext {
                codes: Arc::new(CodeLists::shipped()),
                clock: Arc::new(clock),
            })
            .unwrap();
        let audit = db.open_audit().unwrap();
        // Three registrations recorded in 2019, 2020 and 2021 (the import's path).
        for (i, year) in [2019, 2020, 2021].into_iter().enumerate() {
            let cpr = ["0101901009", "0202851002", "0707614285"][i];
            let command = fdg_domain::Command::Register(fdg_domain::command::RegisterJobSeeker {
                cpr: cpr.into(),
                name: Some("Test Person".into()),
                registration_date: Some(format!("{year}-03-01")),
                details: fdg_domain::command::RegistrationDetails {
                    benefit_category: Some("a_dagpenge".into()),
                    unemployment_degree: Some("fuld".into()),
                    hours_per_week: None,
                    job_titles: vec!["4110".into()],
                    unemployment_fund: Some("001".into()),
                },
                municipality: Some("101".into()),
                match_category: None,
            });
            let at: Timestamp = format!("{year}-03-01T09:00:00Z").parse().unwrap();
            let outcome = store
                .execute(fdg_store::WriteRequest {
                    recorded: Some(fdg_store::Recorded {
                        at,
                        day: format!("{year}-03-01").parse().unwrap(),
                    }),
                    ..crate::demo::synthetic(
                        command,
                        &fdg_domain::Actor {
                            kind: fdg_domain::OrgKind::StateJobcenter,
                            code: "STAT".into(),
                        },
                        "test",
                    )
                })
                .await
                .unwrap();
            assert!(matches!(outcome, fdg_store::WriteOutcome::Accepted(_)));
        }
        let export = |window: Window| {
            let (store, audit) = (store.clone(), audit.clone());
            async move {
                let mut out = Vec::new();
                let n = events(
                    store.as_ref(),
                    audit.as_ref(),
                    clock.now,
                    window,
                    &mut out,
                    |_, _| {},
                )
                .await
                .unwrap();
                let lines: Vec<serde_json::Value> = String::from_utf8(out)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect();
                assert_eq!(lines.len() as u64, n);
                lines
            }
        };
        let audited = audit.verify().await.unwrap().entries;
        let all = export(Window::default()).await;
        assert_eq!(
            audit.verify().await.unwrap().entries,
            audited + 1,
            "one audit entry per export"
        );
        // Each registration is three events: the person, the municipality, the registration.
        assert_eq!(all.len(), 9);
        let positions: Vec<u64> = all
            .iter()
            .map(|e| e["position"].as_u64().unwrap())
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "in log order");
        assert_eq!(all[2]["type"], "job_seeker_registered");
        assert_eq!(all[2]["data"]["registration_date"], "2019-03-01");
        assert_eq!(all[2]["recorded_by"], "state-jobcenter:STAT");
        // 2020 only.
        let window = Window {
            since: Some("2020-01-01T00:00:00Z".parse().unwrap()),
            until: Some("2021-01-01T00:00:00Z".parse().unwrap()),
            ..Window::default()
        };
        let year = export(window).await;
        assert_eq!(year.len(), 3);
        assert!(
            year.iter()
                .all(|e| e["recorded_at"].as_str().unwrap().starts_with("2020"))
        );
        // After a position.
        let rest = export(Window {
            after: positions[5],
            ..Window::default()
        })
        .await;
        assert_eq!(rest.len(), 3);
        // Every person's situation as CSV, by person id only.
        let mut csv = Vec::new();
        let n = persons(store.as_ref(), audit.as_ref(), clock.now, &mut csv, |_| {})
            .await
            .unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(n, 3);
        assert_eq!(rows[0], PERSON_COLUMNS.join(","));
        assert_eq!(rows.len(), 4);
        assert!(
            rows[1..]
                .iter()
                .all(|r| r.contains(",101,yes,") && r.contains(",a_dagpenge,fuld,001,1,")),
            "{csv}"
        );
        assert!(
            !csv.contains("0101901009") && !csv.contains("Test Person"),
            "{csv}"
        );
        assert!(audit.verify().await.unwrap().problems.is_empty());
    }
}
