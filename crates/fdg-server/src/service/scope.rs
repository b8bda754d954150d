//! Applying a [`Visibility`] (decided in `fdg_domain::access`) to what is sent: the person
//! overview, the person history and feed events, as JSON. Which field reaches whom is decided
//! on the types in `fdg_domain::access` (`shown`, `shown_event`); this module only serialises.

use fdg_domain::Event;
use fdg_domain::Visibility;
use fdg_domain::access::{shown, shown_event};
use fdg_domain::view::PersonOverview;

/// The overview as JSON, as `visibility` allows, or `None` when the person is hidden.
/// `latest_disclose` is the person's latest consent to disclose (§ 9, nr. 1): a "no" withdraws
/// what earlier interviews' consents allowed.
pub fn overview(
    o: &PersonOverview,
    visibility: Visibility,
    latest_disclose: bool,
) -> Result<Option<String>, serde_json::Error> {
    shown(o, visibility, latest_disclose)
        .map(|s| serde_json::to_string(&s))
        .transpose()
}

/// A feed or history event's data as `visibility` allows, or `None` when it is not
/// delivered. `latest_disclose` is the person's latest consent to disclose as it applies to
/// this read: as it stood when the event was recorded (feed) or now (history).
pub fn event(
    type_name: &str,
    data_json: String,
    visibility: Visibility,
    latest_disclose: bool,
) -> Result<Option<String>, serde_json::Error> {
    if visibility == Visibility::Hidden {
        return Ok(None);
    }
    // Sent as stored, without reading it, where nothing of it can be cut.
    if !fdg_domain::access::may_change_event(type_name, visibility) {
        return Ok(Some(data_json));
    }
    let e: Event = serde_json::from_str(&data_json)?;
    match shown_event(&e, visibility, latest_disclose) {
        None => Ok(None),
        Some(same) if same == e => Ok(Some(data_json)),
        Some(cut) => serde_json::to_string(&cut).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

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
        let record = |disclose: bool| {
            let mut c = contact("2026-11-03", disclose, "Notat");
            let o = c.as_object_mut().expect("an object");
            for k in ["recorded", "date", "interview_type"] {
                o.remove(k);
            }
            c
        };
        let interview = |disclose: bool| {
            serde_json::json!({"type": "contact_interview_recorded", "interview_date": "2026-11-03",
                "interview_type": "efterfoelgende", "contact": record(disclose)})
            .to_string()
        };
        let first = serde_json::json!({"type": "first_contact_recorded",
            "first_contact_date": "2026-11-03", "interview_type": "foerste",
            "contact": record(true)})
        .to_string();
        let cut = |data: String, v, latest| {
            let t: Value = serde_json::from_str(&data).expect("json");
            let t = t["type"].as_str().expect("a type").to_owned();
            event(&t, data, v, latest)
                .expect("json")
                .unwrap_or_default()
        };
        let by = Visibility::ByConsent;
        assert!(!cut(interview(false), by, true).contains("Notat"));
        assert!(cut(interview(true), by, true).contains("Notat"));
        assert!(!cut(interview(true), by, false).contains("Notat"));
        let state = Visibility::WithoutFirstContactDetails;
        assert!(!cut(first.clone(), state, true).contains("Notat"));
        assert!(cut(first.clone(), state, true).contains("\"match_category\":3"));
        assert!(cut(interview(false), state, false).contains("Notat"));
        assert!(cut(first.clone(), Visibility::Full, false).contains("Notat"));
        let condition = serde_json::json!({"type": "periodic_condition_started",
            "kind": "sygdom", "start_date": "2026-11-05"})
        .to_string();
        let correction = serde_json::json!({"type": "fact_corrected", "corrects": 3,
            "reason": "Forkert borger", "annulled": [3], "replaced": false})
        .to_string();
        let centre = Visibility::CashBenefitFacts;
        assert_eq!(
            event("periodic_condition_started", condition, centre, true).expect("json"),
            None
        );
        assert_eq!(
            event("fact_corrected", correction, centre, true).expect("json"),
            None
        );
        assert!(!cut(first, centre, true).contains("Notat"));
    }
}
