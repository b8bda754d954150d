//! The field-by-field access matrix: for every field of the person overview, what each kind
//! of organisation is shown, computed from `fdg_domain::access::shown` on a person with every
//! field filled in, and checked against the table in `docs/access.md`. Renaming or adding a
//! field changes this table, so the change is seen and documented.
//!
//! After a deliberate change: `FDG_UPDATE_SNAPSHOTS=1 cargo test -p fdg-domain --test
//! access_matrix` rewrites the table in docs/access.md; review the diff.

use fdg_domain::Visibility;
use fdg_domain::access::shown;
use fdg_domain::view::PersonOverview;
use serde_json::{Value, json};

const BEGIN: &str = "<!-- field-matrix:begin -->";
const END: &str = "<!-- field-matrix:end -->";

fn recorded(n: u32) -> Value {
    json!({"fact_id": format!("p1.{n}"), "recorded_at": "2026-11-02T10:00:00Z",
           "recorded_by": "municipal-jobcenter:101"})
}

fn contact(n: u32, disclose: bool) -> Value {
    json!({"recorded": recorded(n), "date": "2026-11-02", "interview_type": "efterfoelgende",
           "case_type": "kontanthjaelp", "support": "kontanthjaelp",
           "consent": {"obtain": true, "disclose": disclose, "date": "2026-11-02"},
           "contact_form": "personligt", "contact_form_comment": "c",
           "attention_areas": {"helbred": "n"}, "summary": "s", "match_category": 3,
           "decisive_areas": ["helbred"], "frequent_contact_reason": "f",
           "exemption_reason": "e", "citizen_comment": "k", "further_course": "v"})
}

/// A person with every field of the overview filled in; interview 1 was given consent to
/// disclose, interview 2 was not.
fn everything() -> PersonOverview {
    let registration = json!({"recorded": recorded(3), "registration_date": "2026-11-02",
        "benefit_category": "kontanthjaelp", "unemployment_degree": "fuld",
        "job_titles": ["5223"]});
    let annulled_event = json!({"type": "periodic_condition_started", "kind": "ferie",
        "start_date": "2026-11-03"});
    serde_json::from_value(json!({
        "person_id": "p1", "version": 12, "cpr": "020285-1002", "name": "Mette Jensen",
        "birth_date": "1985-02-02", "municipality": "101", "registered": true,
        "first_registration_date": "2026-11-02", "latest_registration_date": "2026-11-02",
        "cash_benefit_since": "2026-11-02", "match_category": 3,
        "registrations": [registration],
        "match_history": [{"category": 3, "valid_from": "2026-11-02", "source": "first_contact",
                           "fact_id": "p1.2"}],
        "periodic_conditions": [{"recorded": recorded(4), "kind": "sygdom",
                                 "start_date": "2026-11-05"}],
        "first_contacts": [contact(2, true)],
        "cessations": [{"recorded": recorded(5), "cessation_date": "2026-11-20"}],
        "interviews": [contact(6, true), contact(7, false)],
        "other_actor_assignments": [{"recorded": recorded(8), "other_actor": "12345678",
                                     "from_date": "2026-11-10"}],
        "corrections": [{"recorded": recorded(10), "corrects": "p1.9", "reason": "r",
                         "annulled": ["p1.9"], "replaced": false}],
        "annulled": [{"recorded": recorded(9), "annulled_by": "p1.10", "event": annulled_event}]
    }))
    .expect("a complete overview")
}

/// The organisations, as the visibility each gets and the latest consent to disclose.
const WHO: [(&str, Visibility, bool); 5] = [
    ("responsible municipality", Visibility::Full, true),
    (
        "state job centre",
        Visibility::WithoutFirstContactDetails,
        true,
    ),
    ("other actor, a-kasse", Visibility::ByConsent, true),
    ("… after a later \"no\"", Visibility::ByConsent, false),
    ("benefit centre", Visibility::CashBenefitFacts, true),
];

fn cell(v: &Value) -> &'static str {
    match v {
        Value::Null => "—",
        Value::Array(a) if a.is_empty() => "—",
        _ => "shown",
    }
}

/// Whether the contact at `i` of the list `key` keeps its details (`summary`).
fn details(o: &Value, key: &str, i: usize) -> &'static str {
    match o.get(key).and_then(|l| l.get(i)) {
        None => "—",
        Some(c) if c.get("summary").is_some() => "details",
        Some(_) => "basics",
    }
}

fn matrix() -> String {
    let person = everything();
    let full = serde_json::to_value(&person).expect("json");
    let views: Vec<Value> = WHO
        .iter()
        .map(|(_, v, latest)| {
            serde_json::to_value(shown(&person, *v, *latest).expect("visible")).expect("json")
        })
        .collect();
    let mut rows = vec![
        format!(
            "| field | {} |",
            WHO.iter().map(|w| w.0).collect::<Vec<_>>().join(" | ")
        ),
        format!("|---|{}", "---|".repeat(WHO.len())),
    ];
    let fields = full.as_object().expect("an object");
    for key in fields.keys() {
        let cells: Vec<&str> = views.iter().map(|v| v.get(key).map_or("—", cell)).collect();
        rows.push(format!("| `{key}` | {} |", cells.join(" | ")));
        let lists: &[(&str, usize, &str)] = match key.as_str() {
            "first_contacts" => &[("first_contacts", 0, "… a first contact's details")],
            "interviews" => &[
                ("interviews", 0, "… an interview with consent to disclose"),
                ("interviews", 1, "… an interview without"),
            ],
            _ => &[],
        };
        for (list, i, label) in lists {
            let cells: Vec<&str> = views.iter().map(|v| details(v, list, *i)).collect();
            rows.push(format!("| {label} | {} |", cells.join(" | ")));
        }
    }
    rows.join("\n")
}

#[test]
fn the_access_matrix_in_docs_is_the_one_the_code_applies() {
    let table = matrix();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access.md");
    let doc = std::fs::read_to_string(path).expect("docs/access.md");
    let (before, rest) = doc.split_once(BEGIN).expect("the matrix's begin marker");
    let (_, after) = rest.split_once(END).expect("the matrix's end marker");
    let expected = format!("{before}{BEGIN}\n{table}\n{END}{after}");
    if std::env::var_os("FDG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &expected).expect("docs/access.md written");
        return;
    }
    assert!(
        doc == expected,
        "docs/access.md's field matrix differs from the code:\n{table}"
    );
}

#[test]
fn hidden_shows_nothing_and_every_field_is_placed() {
    let person = everything();
    assert!(shown(&person, Visibility::Hidden, true).is_none());
    // Every top-level field of the overview is present in the whole view (so the matrix
    // enumerates them all).
    let full = serde_json::to_value(&person).expect("json");
    let keys = full.as_object().expect("object").len();
    assert_eq!(
        keys, 20,
        "the overview has {keys} fields; update everything()"
    );
}
