//! Events: the facts the registry has recorded. The event log is the source of truth.
//!
//! Each event belongs to one person's stream and has a number in it (its version). A fact that
//! can be referred to later — a registration, a condition, an interview — is identified by the
//! number of the event that recorded it. Events are never changed or deleted: a correction is a
//! new event that names the fact it corrects.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::Cpr;

/// Why the registry recorded an event by itself: the rule and the fact that caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consequence {
    /// The rule id, e.g. `fdg.s5.deregistered`.
    pub rule: String,
    /// The fact number that caused it.
    pub fact: u64,
}

/// Where a person's responsible municipality came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MunicipalityBasis {
    /// The person's municipality of residence in the CPR register.
    CprRegister,
    /// Named by the record that made the registry know the person (the CPR register did not
    /// know them), or the recording municipality's own code.
    FirstRecord,
    /// Handed over by the previously responsible municipality.
    HandOver {
        /// Why, as the handing-over municipality gave it.
        reason: String,
    },
}

/// Consent as recorded (§ 9, nr. 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    /// Consent to obtain information.
    pub obtain: bool,
    /// Consent to disclose information.
    pub disclose: bool,
    /// Date of the consent.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
}

/// The validated § 9 fields of a first contact or an interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRecord {
    /// § 9, nr. 1.
    pub case_type: String,
    /// § 9, nr. 1 (forsørgelse).
    pub support: String,
    /// § 9, nr. 1.
    pub consent: Consent,
    /// § 9, nr. 3.
    pub contact_form: String,
    /// § 9, nr. 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_form_comment: Option<String>,
    /// § 9, nr. 4.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attention_areas: BTreeMap<String, String>,
    /// § 9, nr. 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// § 9, nr. 6.
    pub match_category: u8,
    /// § 9, nr. 7.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisive_areas: Vec<String>,
    /// § 9, nr. 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequent_contact_reason: Option<String>,
    /// § 9, nr. 9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption_reason: Option<String>,
    /// § 9, nr. 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen_comment: Option<String>,
    /// § 9, nr. 11 (mandatory on interviews, optional at first contact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub further_course: Option<String>,
}

impl ContactRecord {
    /// What anyone who may see the person sees of a first contact or an interview: case type,
    /// support, consent, contact form and match category. Everything else (§ 9, nr. 3–5 and
    /// 7–11: comments, notes, assessments, reasons, the further course) is withheld. The
    /// fields are listed one by one, so a new field cannot be shown without a decision here.
    pub fn basics(&self) -> ContactRecord {
        let ContactRecord {
            case_type,
            support,
            consent,
            contact_form,
            match_category,
            contact_form_comment: _,
            attention_areas: _,
            summary: _,
            decisive_areas: _,
            frequent_contact_reason: _,
            exemption_reason: _,
            citizen_comment: _,
            further_course: _,
        } = self;
        ContactRecord {
            case_type: case_type.clone(),
            support: support.clone(),
            consent: consent.clone(),
            contact_form: contact_form.clone(),
            match_category: *match_category,
            contact_form_comment: None,
            attention_areas: BTreeMap::new(),
            summary: None,
            decisive_areas: Vec::new(),
            frequent_contact_reason: None,
            exemption_reason: None,
            citizen_comment: None,
            further_course: None,
        }
    }
}

/// A recorded fact about one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Event {
    /// The person's identity as known to the registry (CPR and name); recorded when the person
    /// first appears. A later record never renames the person.
    PersonIdentified {
        /// CPR number.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        cpr: Cpr,
        name: String,
    },
    /// The person's responsible municipality changed.
    MunicipalitySet {
        /// Kommunekode.
        municipality: String,
        /// Where the municipality came from (absent on events recorded before it was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        basis: Option<MunicipalityBasis>,
    },
    /// Registered as a job seeker (§ 8, stk. 1).
    JobSeekerRegistered {
        /// § 8, stk. 1, nr. 3.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        registration_date: Date,
        /// § 8, stk. 1, nr. 4.
        benefit_category: String,
        /// § 8, stk. 1, nr. 5.
        unemployment_degree: String,
        /// § 8, stk. 1, nr. 5 (partly unemployed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours_per_week: Option<u8>,
        /// § 8, stk. 1, nr. 6.
        job_titles: Vec<String>,
        /// § 8, stk. 1, nr. 7.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unemployment_fund: Option<String>,
        /// Match category set by this registration (explicitly, or by § 6); `None` when the
        /// person keeps the category they had.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        match_category: Option<u8>,
        /// Set when the match category is the § 6 default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        match_rule: Option<String>,
        /// Set when the registry registered the person by itself (§ 4, stk. 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequence_of: Option<Consequence>,
    },
    /// Deregistered as a job seeker (§ 8, stk. 2).
    JobSeekerDeregistered {
        /// § 8, stk. 2, nr. 3.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        deregistration_date: Date,
        /// § 8, stk. 2, nr. 4.
        reason: String,
        /// Set when the registry deregistered the person by itself (§ 5).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequence_of: Option<Consequence>,
    },
    /// The details of an open registration changed from a day on (§ 8, stk. 1, nr. 4–7),
    /// given whole: in force from `change_date` until the next change or the deregistration.
    /// The registration itself (its date, and the facts it caused) is unchanged.
    RegistrationChanged {
        /// The fact number of the registration it changes.
        registration: u64,
        /// The first day the new details apply.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        change_date: Date,
        /// § 8, stk. 1, nr. 4.
        benefit_category: String,
        /// § 8, stk. 1, nr. 5.
        unemployment_degree: String,
        /// § 8, stk. 1, nr. 5 (partly unemployed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hours_per_week: Option<u8>,
        /// § 8, stk. 1, nr. 6.
        job_titles: Vec<String>,
        /// § 8, stk. 1, nr. 7.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unemployment_fund: Option<String>,
    },
    /// First contact of a cash-benefit applicant (§ 3, stk. 1–2, § 8, stk. 3).
    FirstContactRecorded {
        /// § 8, stk. 3.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        first_contact_date: Date,
        /// § 9, nr. 2 (the type of the contact, normally the first contact interview).
        interview_type: String,
        /// § 9 fields.
        contact: ContactRecord,
    },
    /// Payment of cash or start benefit ceased (§ 3, stk. 3, § 8, stk. 4).
    CashBenefitCeased {
        /// § 8, stk. 4.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        cessation_date: Date,
    },
    /// A periodic condition started (§ 8, stk. 5).
    PeriodicConditionStarted {
        /// Code list `periodic_condition_kind`.
        kind: String,
        /// Start date.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        start_date: Date,
        /// End date, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        end_date: Option<Date>,
    },
    /// An open periodic condition ended (§ 8, stk. 5).
    PeriodicConditionEnded {
        /// The fact number of the condition.
        condition: u64,
        /// End date.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        end_date: Date,
        /// Set when the registry ended it by itself (deregistration).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequence_of: Option<Consequence>,
    },
    /// A contact interview was held (§ 9).
    ContactInterviewRecorded {
        /// § 9, nr. 2.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        interview_date: Date,
        /// § 9, nr. 2.
        interview_type: String,
        /// § 9 fields.
        contact: ContactRecord,
    },
    /// A job centre assigned the person to an other actor (§ 2, stk. 5).
    OtherActorAssigned {
        /// The other actor's CVR number.
        actor: String,
        /// First day.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        from_date: Date,
        /// Last day, if set.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
        to_date: Option<Date>,
    },
    /// A fact was corrected: it and the facts it caused no longer count. A replacement, if any,
    /// follows as the next events in the same stream.
    FactCorrected {
        /// The fact number corrected.
        corrects: u64,
        reason: String,
        /// Every fact number annulled by this correction (the fact and its consequences).
        annulled: Vec<u64>,
        /// Whether replacement events follow.
        replaced: bool,
    },
}

impl Event {
    /// Every event type's name, as [`Event::type_name`] gives it.
    pub const TYPE_NAMES: &[&str] = &[
        "person_identified",
        "municipality_set",
        "job_seeker_registered",
        "job_seeker_deregistered",
        "registration_changed",
        "first_contact_recorded",
        "cash_benefit_ceased",
        "periodic_condition_started",
        "periodic_condition_ended",
        "contact_interview_recorded",
        "other_actor_assigned",
        "fact_corrected",
    ];

    /// The event type as a stable snake_case name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::PersonIdentified { .. } => "person_identified",
            Event::MunicipalitySet { .. } => "municipality_set",
            Event::JobSeekerRegistered { .. } => "job_seeker_registered",
            Event::JobSeekerDeregistered { .. } => "job_seeker_deregistered",
            Event::RegistrationChanged { .. } => "registration_changed",
            Event::FirstContactRecorded { .. } => "first_contact_recorded",
            Event::CashBenefitCeased { .. } => "cash_benefit_ceased",
            Event::PeriodicConditionStarted { .. } => "periodic_condition_started",
            Event::PeriodicConditionEnded { .. } => "periodic_condition_ended",
            Event::ContactInterviewRecorded { .. } => "contact_interview_recorded",
            Event::OtherActorAssigned { .. } => "other_actor_assigned",
            Event::FactCorrected { .. } => "fact_corrected",
        }
    }
}
