//! Applying a [`Visibility`] (decided in `fdg_domain::access`) to what is sent: the person
//! overview and feed events. Used by the web services and, later, the pages alike.

use fdg_domain::Visibility;
use fdg_domain::view::PersonOverview;
use serde_json::{Map, Value};

/// Fields of a first contact or interview that anyone who may see the person sees; the rest
/// (notes on attention areas, assessments, comments, the further course) need consent to
/// disclose (§ 9, nr. 1).
const CONTACT_BASICS: [&str; 8] = [
    "recorded",
    "date",
    "interview_type",
    "case_type",
    "support",
    "consent",
    "contact_form",
    "match_category",
];

/// Top-level overview fields the benefit centre sees (§ 3, stk. 4).
const BENEFIT_CENTRE_FIELDS: [&str; 14] = [
    "person_id",
    "version",
    "cpr",
    "name",
    "birth_date",
    "municipality",
    "registered",
    "first_registration_date",
    "latest_registration_date",
    "cash_benefit_since",
    "match_category",
    "registrations",
    "first_contacts",
    "cessations",
];

fn keep(obj: &mut Map<String, Value>, allowed: &[&str]) {
    obj.retain(|k, _| allowed.contains(&k.as_str()));
}

fn contacts_basic(v: &mut Value) {
    if let Some(items) = v.as_array_mut() {
        for item in items {
            if let Some(obj) = item.as_object_mut() {
                keep(obj, &CONTACT_BASICS);
            }
        }
    }
}

/// The overview as JSON, as `visibility` allows, or `None` when the person is hidden.
pub fn overview(
    o: &PersonOverview,
    visibility: Visibility,
) -> Result<Option<String>, serde_json::Error> {
    match visibility {
        Visibility::Hidden => Ok(None),
        Visibility::Full => serde_json::to_string(o).map(Some),
        Visibility::WithoutInterviewDetails | Visibility::CashBenefitFacts => {
            Ok(Some(limited(serde_json::to_value(o)?, visibility)))
        }
    }
}

/// An overview's JSON without what a limited `visibility` withholds.
fn limited(mut v: Value, visibility: Visibility) -> String {
    if let Some(obj) = v.as_object_mut() {
        if visibility == Visibility::CashBenefitFacts {
            keep(obj, &BENEFIT_CENTRE_FIELDS);
        } else {
            // Annulled originals may carry the details too.
            obj.insert("annulled".into(), Value::Array(Vec::new()));
        }
        for key in ["first_contacts", "interviews"] {
            if let Some(items) = obj.get_mut(key) {
                contacts_basic(items);
            }
        }
    }
    v.to_string()
}

/// Event types the benefit centre receives.
const BENEFIT_CENTRE_EVENTS: [&str; 6] = [
    "person_identified",
    "municipality_set",
    "job_seeker_registered",
    "job_seeker_deregistered",
    "first_contact_recorded",
    "cash_benefit_ceased",
];

/// A feed event's data as `visibility` allows, or `None` when it is not delivered.
pub fn event(
    r#type: &str,
    data_json: String,
    visibility: Visibility,
) -> Result<Option<String>, serde_json::Error> {
    let details = matches!(
        r#type,
        "first_contact_recorded" | "contact_interview_recorded"
    );
    match visibility {
        Visibility::Hidden => return Ok(None),
        Visibility::Full => return Ok(Some(data_json)),
        Visibility::CashBenefitFacts if !BENEFIT_CENTRE_EVENTS.contains(&r#type) => {
            return Ok(None);
        }
        _ if !details => return Ok(Some(data_json)),
        _ => {}
    }
    let mut v: Value = serde_json::from_str(&data_json)?;
    if let Some(contact) = v.get_mut("contact").and_then(Value::as_object_mut) {
        keep(contact, &CONTACT_BASICS);
    }
    serde_json::to_string(&v).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_withheld_without_consent_and_the_benefit_centre_sees_cash_facts() {
        let json = serde_json::json!({
            "person_id": "p1", "cpr": "010190-1234", "match_category": 3,
            "interviews": [{"date": "2026-11-02", "match_category": 3,
                            "attention_areas": {"helbred": "Ondt i ryggen"},
                            "citizen_comment": "x", "further_course": "y"}],
            "periodic_conditions": [{"kind": "sygdom"}],
            "annulled": [{"event": {"contact": {"summary": "z"}}}]
        });
        let shown = limited(json.clone(), Visibility::WithoutInterviewDetails);
        assert!(!shown.contains("Ondt i ryggen") && !shown.contains("further_course"));
        assert!(shown.contains("periodic_conditions") && !shown.contains("summary"));
        let centre = limited(json, Visibility::CashBenefitFacts);
        assert!(!centre.contains("interviews") && !centre.contains("periodic_conditions"));
        assert!(centre.contains("\"match_category\":3"));
        let person: PersonOverview = serde_json::from_value(serde_json::json!({
            "person_id": "p1", "version": 1, "cpr": "010190-1234",
            "birth_date": "1990-01-01", "registered": false
        }))
        .expect("overview");
        assert_eq!(overview(&person, Visibility::Hidden).expect("json"), None);
        assert_eq!(
            event(
                "periodic_condition_started",
                "{}".into(),
                Visibility::CashBenefitFacts
            )
            .expect("json"),
            None
        );
    }
}
