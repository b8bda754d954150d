//! The person overview answered to callers, derived from [`PersonState`].
//!
//! Fact ids are `<person_id>.<n>`: the person's opaque id and the fact's number in the person's
//! stream, so a fact id alone finds its person.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::event::{Consequence, ContactRecord, Event};
use crate::state::{Fact, MatchSource, PersonState};

/// Builds the external id of fact `n` of person `person_id`.
pub fn fact_id(person_id: &str, n: u64) -> String {
    format!("{person_id}.{n}")
}

/// Who recorded a fact and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recorded {
    /// Fact id.
    pub fact_id: String,
    /// Transaction time.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    /// Acting organisation `kind:code`.
    pub recorded_by: String,
}

/// A registration period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationView {
    /// The registration fact.
    pub recorded: Recorded,
    /// § 8, stk. 1, nr. 3.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub registration_date: Date,
    /// § 8, stk. 1, nr. 4, as recorded at registration.
    pub benefit_category: String,
    /// For a registration with cash or start benefit: the day the municipality recorded that
    /// the benefit ceased (§ 3, stk. 3; § 8, stk. 4) during the registration. The registration
    /// stays as recorded (the cessation is the notice to the state, and does not deregister);
    /// this says it no longer describes what the person receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub benefit_ceased: Option<Date>,
    /// § 8, stk. 1, nr. 5.
    pub unemployment_degree: String,
    /// § 8, stk. 1, nr. 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hours_per_week: Option<u8>,
    /// § 8, stk. 1, nr. 6.
    pub job_titles: Vec<String>,
    /// § 8, stk. 1, nr. 7.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unemployment_fund: Option<String>,
    /// Set when the registry registered by itself (§ 4, stk. 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consequence_of: Option<ConsequenceView>,
    /// The deregistration that ended the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deregistration: Option<DeregistrationView>,
    /// Changes of the details (§ 8, stk. 1, nr. 4–7) during the period, in date order; the
    /// last one is what is in force now. The fields above stay as registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<RegistrationChangeView>,
}

/// A change of a registration's details from a day on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationChangeView {
    /// The change fact.
    pub recorded: Recorded,
    /// The first day the details apply.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub change_date: Date,
    /// § 8, stk. 1, nr. 4.
    pub benefit_category: String,
    /// § 8, stk. 1, nr. 5.
    pub unemployment_degree: String,
    /// § 8, stk. 1, nr. 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_per_week: Option<u8>,
    /// § 8, stk. 1, nr. 6.
    pub job_titles: Vec<String>,
    /// § 8, stk. 1, nr. 7.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unemployment_fund: Option<String>,
}

/// A deregistration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeregistrationView {
    /// The deregistration fact.
    pub recorded: Recorded,
    /// § 8, stk. 2, nr. 3.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub deregistration_date: Date,
    /// § 8, stk. 2, nr. 4.
    pub reason: String,
    /// Set when the registry deregistered by itself (§ 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consequence_of: Option<ConsequenceView>,
}

/// A rule and the fact that caused an automatic record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsequenceView {
    /// Rule id.
    pub rule: String,
    /// Provision.
    pub provision: String,
    /// Causing fact id.
    pub fact_id: String,
}

/// A periodic condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConditionView {
    /// The start fact (use its `fact_id` to end the condition).
    pub recorded: Recorded,
    /// Kind code.
    pub kind: String,
    /// Start date.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub start_date: Date,
    /// End date, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date: Option<Date>,
    /// The fact that ended it, when ended separately.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
    /// Set when the registry ended it by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_consequence_of: Option<ConsequenceView>,
}

/// A first contact or a contact interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactView {
    /// The fact.
    pub recorded: Recorded,
    /// Date of the first contact or the interview.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    /// § 9, nr. 2.
    pub interview_type: String,
    /// The § 9 fields.
    #[serde(flatten)]
    pub contact: ContactRecord,
}

/// A cessation of cash benefit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CessationView {
    /// The fact.
    pub recorded: Recorded,
    /// § 8, stk. 4.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub cessation_date: Date,
}

/// One match-category assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MatchView {
    /// 1–5.
    pub category: u8,
    /// From this business date.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: Date,
    /// Where it came from.
    pub source: MatchSource,
    /// The fact that set it.
    pub fact_id: String,
}

/// An assignment to an other actor (§ 2, stk. 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentView {
    /// The fact.
    pub recorded: Recorded,
    /// The other actor's CVR number.
    pub other_actor: String,
    /// First day.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from_date: Date,
    /// Last day, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub to_date: Option<Date>,
}

/// A correction and what it annulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionView {
    /// The correction fact.
    pub recorded: Recorded,
    /// The fact corrected.
    pub corrects: String,
    pub reason: String,
    /// Every fact it annulled.
    pub annulled: Vec<String>,
    /// Whether a replacement was recorded with it.
    pub replaced: bool,
}

/// A fact that no longer counts, kept for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnnulledView {
    /// The fact.
    pub recorded: Recorded,
    /// The correction that annulled it.
    pub annulled_by: String,
    /// The original event.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub event: Event,
}

/// Everything about one person: the current status at a glance, and the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonOverview {
    /// Opaque id; use it in URLs instead of the CPR number.
    pub person_id: String,
    /// Stream version (also the ETag).
    pub version: u64,
    /// CPR number, `DDMMYY-SSSS`.
    pub cpr: String,
    pub name: Option<String>,
    /// Date of birth from the CPR number.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub birth_date: Date,
    /// Responsible municipality (kommunekode).
    pub municipality: Option<String>,
    /// Registered as a job seeker now (§ 9, nr. 1).
    pub registered: bool,
    /// First registration date (§ 9, nr. 1).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub first_registration_date: Option<Date>,
    /// Latest registration date (§ 9, nr. 1).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub latest_registration_date: Option<Date>,
    /// Receives cash or start benefit since (an open case).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub cash_benefit_since: Option<Date>,
    /// The current match category.
    pub match_category: Option<u8>,
    /// Registration periods, oldest first; the last is current when `registered`.
    #[serde(default)]
    pub registrations: Vec<RegistrationView>,
    /// Match-category history, oldest first.
    #[serde(default)]
    pub match_history: Vec<MatchView>,
    /// Periodic conditions, in start order.
    #[serde(default)]
    pub periodic_conditions: Vec<ConditionView>,
    /// First contacts.
    #[serde(default)]
    pub first_contacts: Vec<ContactView>,
    /// Cessations of cash benefit.
    #[serde(default)]
    pub cessations: Vec<CessationView>,
    /// Contact interviews.
    #[serde(default)]
    pub interviews: Vec<ContactView>,
    /// Assignments to other actors.
    #[serde(default)]
    pub other_actor_assignments: Vec<AssignmentView>,
    /// Corrections.
    #[serde(default)]
    pub corrections: Vec<CorrectionView>,
    /// Facts annulled by corrections.
    #[serde(default)]
    pub annulled: Vec<AnnulledView>,
}

impl PersonOverview {
    /// Builds the overview of a person who exists (has a CPR number).
    pub fn build(person_id: &str, s: &PersonState) -> Option<PersonOverview> {
        let cpr = s.cpr.as_ref()?;
        let rec = |f: &Fact| Recorded {
            fact_id: fact_id(person_id, f.id),
            recorded_at: f.recorded_at,
            recorded_by: f.recorded_by.clone(),
        };
        let cons = |c: &Option<Consequence>| {
            c.as_ref().map(|c| ConsequenceView {
                rule: c.rule.clone(),
                provision: crate::rules::by_id(&c.rule)
                    .map(|r| r.provision.to_owned())
                    .unwrap_or_default(),
                fact_id: fact_id(person_id, c.fact),
            })
        };
        let cash_cases = s.cash_benefit_cases();
        let registrations: Vec<RegistrationView> = s
            .periods()
            .into_iter()
            .filter_map(|p| match &p.registration.event {
                Event::JobSeekerRegistered {
                    registration_date,
                    benefit_category,
                    unemployment_degree,
                    hours_per_week,
                    job_titles,
                    unemployment_fund,
                    consequence_of,
                    ..
                } => Some(RegistrationView {
                    recorded: rec(p.registration),
                    registration_date: *registration_date,
                    benefit_ceased: benefit_ceased(
                        &cash_cases,
                        benefit_category,
                        *registration_date,
                        p.deregistration.and_then(|d| match &d.event {
                            Event::JobSeekerDeregistered {
                                deregistration_date,
                                ..
                            } => Some(*deregistration_date),
                            _ => None,
                        }),
                    ),
                    benefit_category: benefit_category.clone(),
                    unemployment_degree: unemployment_degree.clone(),
                    hours_per_week: *hours_per_week,
                    job_titles: job_titles.clone(),
                    unemployment_fund: unemployment_fund.clone(),
                    consequence_of: cons(consequence_of),
                    deregistration: p.deregistration.and_then(|d| match &d.event {
                        Event::JobSeekerDeregistered {
                            deregistration_date,
                            reason,
                            consequence_of,
                        } => Some(DeregistrationView {
                            recorded: rec(d),
                            deregistration_date: *deregistration_date,
                            reason: reason.clone(),
                            consequence_of: cons(consequence_of),
                        }),
                        _ => None,
                    }),
                    changes: p
                        .changes
                        .iter()
                        .filter_map(|f| {
                            let d = crate::state::Details::of(f)?;
                            Some(RegistrationChangeView {
                                recorded: rec(f),
                                change_date: d.since,
                                benefit_category: d.benefit_category.to_owned(),
                                unemployment_degree: d.unemployment_degree.to_owned(),
                                hours_per_week: d.hours_per_week,
                                job_titles: d.job_titles.to_vec(),
                                unemployment_fund: d.unemployment_fund.map(str::to_owned),
                            })
                        })
                        .collect(),
                }),
                _ => None,
            })
            .collect();
        let periodic_conditions = s
            .conditions()
            .into_iter()
            .filter_map(|c| {
                let f = s.fact(c.id)?;
                Some(ConditionView {
                    recorded: rec(f),
                    kind: c.kind,
                    start_date: c.start,
                    end_date: c.end,
                    ended_by: c.ended_by.map(|n| fact_id(person_id, n)),
                    end_consequence_of: cons(&c.end_consequence),
                })
            })
            .collect();
        let mut first_contacts = Vec::new();
        let mut interviews = Vec::new();
        let mut cessations = Vec::new();
        let mut other_actor_assignments = Vec::new();
        for f in s.live() {
            match &f.event {
                Event::OtherActorAssigned {
                    actor,
                    from_date,
                    to_date,
                } => other_actor_assignments.push(AssignmentView {
                    recorded: rec(f),
                    other_actor: actor.clone(),
                    from_date: *from_date,
                    to_date: *to_date,
                }),
                Event::FirstContactRecorded {
                    first_contact_date,
                    interview_type,
                    contact,
                } => first_contacts.push(ContactView {
                    recorded: rec(f),
                    date: *first_contact_date,
                    interview_type: interview_type.clone(),
                    contact: contact.clone(),
                }),
                Event::ContactInterviewRecorded {
                    interview_date,
                    interview_type,
                    contact,
                } => interviews.push(ContactView {
                    recorded: rec(f),
                    date: *interview_date,
                    interview_type: interview_type.clone(),
                    contact: contact.clone(),
                }),
                Event::CashBenefitCeased { cessation_date } => cessations.push(CessationView {
                    recorded: rec(f),
                    cessation_date: *cessation_date,
                }),
                _ => {}
            }
        }
        let corrections = s
            .facts
            .iter()
            .filter_map(|f| match &f.event {
                Event::FactCorrected {
                    corrects,
                    reason,
                    annulled,
                    replaced,
                } => Some(CorrectionView {
                    recorded: rec(f),
                    corrects: fact_id(person_id, *corrects),
                    reason: reason.clone(),
                    annulled: annulled.iter().map(|n| fact_id(person_id, *n)).collect(),
                    replaced: *replaced,
                }),
                _ => None,
            })
            .collect();
        let annulled = s
            .facts
            .iter()
            .filter_map(|f| {
                Some(AnnulledView {
                    recorded: rec(f),
                    annulled_by: fact_id(person_id, f.annulled_by?),
                    event: f.event.clone(),
                })
            })
            .collect();
        let reg_dates: Vec<Date> = registrations.iter().map(|r| r.registration_date).collect();
        Some(PersonOverview {
            person_id: person_id.to_owned(),
            version: s.version,
            cpr: cpr.formatted(),
            name: s.name.clone(),
            birth_date: cpr.birth_date(),
            municipality: s.municipality.clone(),
            registered: s.current_registration().is_some(),
            first_registration_date: reg_dates.first().copied(),
            latest_registration_date: reg_dates.last().copied(),
            cash_benefit_since: s.cash_benefit_since(),
            match_category: s.current_match(),
            registrations,
            match_history: s
                .match_history()
                .into_iter()
                .map(|m| MatchView {
                    category: m.category,
                    valid_from: m.valid_from,
                    source: m.source,
                    fact_id: fact_id(person_id, m.fact),
                })
                .collect(),
            periodic_conditions,
            first_contacts,
            cessations,
            interviews,
            other_actor_assignments,
            corrections,
            annulled,
        })
    }
}

/// The day a registration's cash or start benefit ceased while it was open: the cessation of
/// the benefit case the registration date falls in, when it came before the registration
/// ended.
fn benefit_ceased(
    cases: &[(Date, Option<Date>)],
    benefit_category: &str,
    registered: Date,
    deregistered: Option<Date>,
) -> Option<Date> {
    if !crate::codes_const::is_cash_benefit(benefit_category) {
        return None;
    }
    cases.iter().find_map(|(from, to)| {
        let to = (*to)?;
        (*from <= registered && registered <= to && deregistered.is_none_or(|d| to <= d))
            .then_some(to)
    })
}
