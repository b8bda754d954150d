//! Applying a [`Visibility`] (decided in `fdg_domain::access`) to what is sent: the person
//! overview, the person history and feed events. Used by the web services and the pages alike.

use fdg_domain::view::PersonOverview;
use fdg_domain::{Event, Visibility};
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

fn basics(item: &mut Value) {
    if let Some(obj) = item.as_object_mut() {
        keep(obj, &CONTACT_BASICS);
    }
}

/// Whether an annulled original may be shown: it may carry the same details as a live fact.
fn annulled_shown(event: &Event, visibility: Visibility, latest_disclose: bool) -> bool {
    match event {
        Event::FirstContactRecorded { .. } => visibility.first_contact_details(),
        Event::ContactInterviewRecorded { contact, .. } => {
            visibility.interview_details(contact.consent.disclose, latest_disclose)
        }
        _ => true,
    }
}

/// The overview as JSON, as `visibility` allows, or `None` when the person is hidden.
/// `latest_disclose` is the person's latest consent to disclose (§ 9, nr. 1): a "no" withdraws
/// what earlier interviews' consents allowed.
pub fn overview(
    o: &PersonOverview,
    visibility: Visibility,
    latest_disclose: bool,
) -> Result<Option<String>, serde_json::Error> {
    match visibility {
        Visibility::Hidden => return Ok(None),
        Visibility::Full => return serde_json::to_string(o).map(Some),
        _ => {}
    }
    let mut shown = o.clone();
    shown
        .annulled
        .retain(|a| annulled_shown(&a.event, visibility, latest_disclose));
    let mut v = serde_json::to_value(&shown)?;
    if let Some(obj) = v.as_object_mut() {
        if visibility == Visibility::CashBenefitFacts {
            keep(obj, &BENEFIT_CENTRE_FIELDS);
        }
        if let Some(items) = obj.get_mut("first_contacts").and_then(Value::as_array_mut) {
            items.iter_mut().for_each(basics);
        }
        if let Some(items) = obj.get_mut("interviews").and_then(Value::as_array_mut) {
            for (item, interview) in items.iter_mut().zip(&shown.interviews) {
                let disclose = interview.contact.consent.disclose;
                if !visibility.interview_details(disclose, latest_disclose) {
                    basics(item);
                }
            }
        }
    }
    serde_json::to_string(&v).map(Some)
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

/// A feed or history event's data as `visibility` allows, or `None` when it is not
/// delivered. `latest_disclose` is the person's latest consent to disclose as it applies to
/// this read: as it stood when the event was recorded (feed) or now (history).
pub fn event(
    r#type: &str,
    data_json: String,
    visibility: Visibility,
    latest_disclose: bool,
) -> Result<Option<String>, serde_json::Error> {
    match visibility {
        Visibility::Hidden => return Ok(None),
        Visibility::Full => return Ok(Some(data_json)),
        Visibility::CashBenefitFacts if !BENEFIT_CENTRE_EVENTS.contains(&r#type) => {
            return Ok(None);
        }
        _ => {}
    }
    let shown = match r#type {
        "first_contact_recorded" => visibility.first_contact_details(),
        "contact_interview_recorded" => {
            let v: Value = serde_json::from_str(&data_json)?;
            let disclose = v
                .pointer("/contact/consent/disclose")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            visibility.interview_details(disclose, latest_disclose)
        }
        _ => true,
    };
    if shown {
        return Ok(Some(data_json));
    }
    let mut v: Value = serde_json::from_str(&data_json)?;
    if let Some(contact) = v.get_mut("contact") {
        basics(contact);
    }
    serde_json::to_string(&v).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(date: &str, disclose: bool, note: &str) -> Value {
        serde_json::json!({
            "recorded": {"fact_id": "p1-1", "recorded_at": "2026-11-02T10:00:00Z",
                         "recorded_by": "municipal-jobcenter:101"},
            "date": date, "interview_type": "foerste", "case_type": "kontanthjaelp",
            "support": "kontanthjaelp",
            "consent": {"obtain": true, "disclose": disclose, "date": date},
            "contact_form": "personligt", "match_category": 3,
            "attention_areas": {"helbred": note}, "further_course": "y"
        })
    }

    fn person() -> PersonOverview {
        serde_json::from_value(serde_json::json!({
            "person_id": "p1", "version": 4, "cpr": "010190-1234",
            "birth_date": "1990-01-01", "registered": true, "match_category": 3,
            "first_contacts": [contact("2026-11-02", true, "Første samtale")],
            "interviews": [contact("2026-11-03", false, "Ondt i ryggen"),
                           contact("2026-11-04", true, "Samtykke givet")],
            "periodic_conditions": [{"recorded": {"fact_id": "p1-5",
                "recorded_at": "2026-11-02T10:00:00Z", "recorded_by": "x"},
                "kind": "sygdom", "start_date": "2026-11-05"}]
        }))
        .expect("overview")
    }

    fn shown(visibility: Visibility, latest_disclose: bool) -> String {
        overview(&person(), visibility, latest_disclose)
            .expect("json")
            .unwrap_or_default()
    }

    #[test]
    fn each_organisation_kind_gets_the_details_the_order_gives_it() {
        // The responsible municipality: everything.
        let all = shown(Visibility::Full, false);
        assert!(all.contains("Første samtale") && all.contains("Ondt i ryggen"));
        // The state job centre: interviews, but not the first contact's details.
        let state = shown(Visibility::WithoutFirstContactDetails, false);
        assert!(!state.contains("Første samtale"));
        assert!(state.contains("Ondt i ryggen") && state.contains("Samtykke givet"));
        // Other actors and a-kasser: only the interview whose own consent allows it…
        let other = shown(Visibility::ByConsent, true);
        assert!(!other.contains("Første samtale") && !other.contains("Ondt i ryggen"));
        assert!(other.contains("Samtykke givet") && other.contains("sygdom"));
        // …and nothing once a later consent says no.
        let withdrawn = shown(Visibility::ByConsent, false);
        assert!(!withdrawn.contains("Samtykke givet"));
        assert!(withdrawn.contains("\"match_category\":3"));
        // The benefit centre: cash-benefit facts, no interviews, first contacts cut.
        let centre = shown(Visibility::CashBenefitFacts, true);
        assert!(!centre.contains("interviews") && !centre.contains("periodic_conditions"));
        assert!(!centre.contains("Første samtale") && centre.contains("first_contacts"));
        assert_eq!(
            overview(&person(), Visibility::Hidden, true).expect("json"),
            None
        );
    }

    #[test]
    fn feed_events_are_cut_by_their_own_consent() {
        let interview = |disclose: bool| {
            serde_json::json!({"contact": contact("2026-11-03", disclose, "Notat")}).to_string()
        };
        let cut = |t: &str, data: String, v, latest| {
            event(t, data, v, latest).expect("json").unwrap_or_default()
        };
        let by = Visibility::ByConsent;
        assert!(!cut("contact_interview_recorded", interview(false), by, true).contains("Notat"));
        assert!(cut("contact_interview_recorded", interview(true), by, true).contains("Notat"));
        assert!(!cut("contact_interview_recorded", interview(true), by, false).contains("Notat"));
        let state = Visibility::WithoutFirstContactDetails;
        assert!(!cut("first_contact_recorded", interview(true), state, true).contains("Notat"));
        assert!(
            cut("contact_interview_recorded", interview(false), state, false).contains("Notat")
        );
        assert_eq!(
            event(
                "periodic_condition_started",
                "{}".into(),
                Visibility::CashBenefitFacts,
                true
            )
            .expect("json"),
            None
        );
        assert_eq!(
            event(
                "fact_corrected",
                "{}".into(),
                Visibility::CashBenefitFacts,
                true
            )
            .expect("json"),
            None
        );
    }
}
