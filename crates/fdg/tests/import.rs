//! `fdg import` as the migrating municipality's IT staff run it: a file of the incumbent's
//! records into a registry on the backend under test, then the registry serving them with
//! their recording times, the reject file naming the refused line's rule, a second run storing
//! nothing, and the audit chain verifying.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::json;

#[test]
fn an_imported_history_is_served_with_its_recording_times_and_a_rerun_stores_nothing() {
    let (_db, url, token) = registry("import-cli");
    let dir = tempdir();
    let file = dir.join("history.ndjson");
    let registration = |date: &str| {
        json!({"cpr": "0101901009", "name": "Jens Hansen", "registration_date": date,
               "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
               "job_titles": ["4110"], "unemployment_fund": "001", "municipality": "101"})
    };
    let mut refused = registration("2019-03-04");
    refused
        .as_object_mut()
        .unwrap()
        .remove("unemployment_degree");
    let lines = [
        json!({"id": "old-1", "type": "jobseeker_registration", "organisation": "state-jobcenter:STAT",
               "recorded_at": "2019-03-01T09:00:00Z", "record": registration("2019-03-01")}),
        json!({"id": "old-2", "type": "jobseeker_registration", "organisation": "state-jobcenter:STAT",
               "recorded_at": "2019-03-04T09:00:00Z", "record": refused}),
        json!({"id": "old-3", "type": "registration_change", "organisation": "state-jobcenter:STAT",
               "recorded_at": "2019-06-01T09:00:00Z", "acting_person": "ab12 Anne Berg",
               "record": {"cpr": "0101901009", "change_date": "2019-06-01",
                          "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
                          "job_titles": ["4110", "4120"], "unemployment_fund": "002"}}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    fdg(&url, &["import", path]);
    let rejects = std::fs::read_to_string(dir.join("history.ndjson.rejects.ndjson")).unwrap();
    let rejected: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejected.len(), 1, "{rejects}");
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(
        rejected[0]["violations"][0]["rule"],
        "fdg.s8.1.nr5.unemployment_degree_required"
    );
    assert!(
        !rejects.contains("0101901009"),
        "the reject file names no person"
    );

    let node = Node::start(&url);
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let found = http(
        &node.addr,
        "POST",
        "/api/v1/persons/search",
        &headers,
        r#"{"cpr": "010190-1009"}"#,
    );
    assert_eq!(found.status, 200, "{}", found.body);
    let o = found.json();
    let reg = &o["registrations"][0];
    assert_eq!(reg["recorded"]["recorded_at"], "2019-03-01T09:00:00Z");
    assert_eq!(reg["changes"][0]["unemployment_fund"], "002");
    let events = feed(&node.addr, &token).len();
    drop(node);

    // Again: nothing new is stored.
    fdg(&url, &["import", path]);
    let node = Node::start(&url);
    assert_eq!(feed(&node.addr, &token).len(), events);
    drop(node);
    fdg(&url, &["audit", "verify"]);
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fdg-import-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
