//! Commands: what a caller asks the registry to record.
//!
//! Commands carry the caller's input as given — dates and codes as text, mandatory fields as
//! `Option` — so that [`crate::decide()`] can name *every* violated rule with its provision rather
//! than stopping at the first parse error. Only a body that is not JSON of this shape at all is
//! refused before the rules run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Consent to obtain and to disclose information, and its date (samtykke, § 9, nr. 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentInput {
    /// Consent to obtain information from others (samtykke til at indhente oplysninger).
    pub obtain: Option<bool>,
    /// Consent to disclose information to others (samtykke til at videregive oplysninger).
    pub disclose: Option<bool>,
    /// Date the consent was given or refused, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date, example = "2026-11-02"))]
    pub date: Option<String>,
}

/// The registration details of § 8, stk. 1, nr. 4–7 (name, CPR and date come from the enclosing
/// record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationDetails {
    /// Ydelseskategori (§ 8, stk. 1, nr. 4): code list `benefit_category`.
    #[cfg_attr(feature = "openapi", schema(example = "a_dagpenge"))]
    pub benefit_category: Option<String>,
    /// Ledighedsgrad (§ 8, stk. 1, nr. 5): code list `unemployment_degree` (`fuld`, `delvis`).
    #[cfg_attr(feature = "openapi", schema(example = "fuld"))]
    pub unemployment_degree: Option<String>,
    /// Hours of unemployment per week, only when partly unemployed.
    pub hours_per_week: Option<u8>,
    /// Stillingsbetegnelser (§ 8, stk. 1, nr. 6): occupation codes, at least one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = json!(["4110"])))]
    pub job_titles: Vec<String>,
    /// A-kasse (§ 8, stk. 1, nr. 7): required when the benefit category is `a_dagpenge`.
    #[cfg_attr(feature = "openapi", schema(example = "001"))]
    pub unemployment_fund: Option<String>,
}

/// Register a person as a job seeker (registrering som arbejdssøgende, § 8, stk. 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "010190-1234", "name": "Jens Hansen", "registration_date": "2026-11-02",
    "benefit_category": "a_dagpenge", "unemployment_degree": "fuld", "job_titles": ["4110"],
    "unemployment_fund": "001", "municipality": "101"
})))]
pub struct RegisterJobSeeker {
    /// CPR-nummer (§ 8, stk. 1, nr. 2), `DDMMYY-SSSS` or ten digits.
    pub cpr: String,
    /// Navn (§ 8, stk. 1, nr. 1).
    pub name: Option<String>,
    /// Dato for registrering (§ 8, stk. 1, nr. 3), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub registration_date: Option<String>,
    /// § 8, stk. 1, nr. 4–7.
    #[serde(flatten)]
    pub details: RegistrationDetails,
    /// The person's municipality (kommunekode); defaults to the acting municipality.
    pub municipality: Option<String>,
    /// Match category set at registration (§ 6: otherwise 1 for insured unemployed without one).
    pub match_category: Option<u8>,
}

/// Deregister a job seeker (afmelding, § 8, stk. 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "010190-1234", "name": "Jens Hansen", "deregistration_date": "2026-11-20",
    "reason": "beskaeftigelse"
})))]
pub struct DeregisterJobSeeker {
    /// CPR-nummer (§ 8, stk. 2, nr. 2).
    pub cpr: String,
    /// Navn (§ 8, stk. 2, nr. 1).
    pub name: Option<String>,
    /// Dato for afmelding (§ 8, stk. 2, nr. 3), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub deregistration_date: Option<String>,
    /// Årsag til afmelding (§ 8, stk. 2, nr. 4): code list `deregistration_reason`.
    pub reason: Option<String>,
}

/// Change the details of an open registration from a day on (§ 8, stk. 1, nr. 4–7): what
/// the person receives, the degree of unemployment, the job titles and the a-kasse, given
/// whole as at registration. A change is not a correction: the registration as first recorded
/// stays, and the new details apply from `change_date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "010190-1234", "change_date": "2026-11-23", "benefit_category": "a_dagpenge",
    "unemployment_degree": "delvis", "hours_per_week": 20, "job_titles": ["4110", "4120"],
    "unemployment_fund": "002"
})))]
pub struct ChangeRegistration {
    /// CPR-nummer of the registered person.
    pub cpr: String,
    /// The first day the new details apply, `YYYY-MM-DD`: on or after the registration date
    /// and the last change, not after today.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub change_date: Option<String>,
    /// § 8, stk. 1, nr. 4–7, whole.
    #[serde(flatten)]
    pub details: RegistrationDetails,
}

/// The § 9 fields shared by a first contact and a contact interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactFields {
    /// Navn (§ 9, nr. 1).
    pub name: Option<String>,
    /// Sagstype (§ 9, nr. 1): code list `case_type`.
    pub case_type: Option<String>,
    /// Forsørgelse (§ 9, nr. 1): code list `benefit_category`.
    pub support: Option<String>,
    /// Samtykke (§ 9, nr. 1).
    pub consent: Option<ConsentInput>,
    /// Kontaktform (§ 9, nr. 3): code list `contact_form`.
    pub contact_form: Option<String>,
    /// Kommentar til kontaktform (§ 9, nr. 3).
    pub contact_form_comment: Option<String>,
    /// Notes on the dialogue guide's attention areas that are relevant (§ 9, nr. 4), keyed by
    /// code list `attention_area`.
    #[serde(default)]
    pub attention_areas: BTreeMap<String, String>,
    /// Opsamlende vurdering (§ 9, nr. 5).
    pub summary: Option<String>,
    /// Matchkategori 1–5 (§ 9, nr. 6).
    pub match_category: Option<u8>,
    /// The attention areas decisive for not being an immediate match (§ 9, nr. 7).
    #[serde(default)]
    pub decisive_areas: Vec<String>,
    /// Årsag til hyppigere kontakt (§ 9, nr. 8): code list `frequent_contact_reason`.
    pub frequent_contact_reason: Option<String>,
    /// Årsag til fritagelse for registrering (§ 9, nr. 9): code list `exemption_reason`.
    pub exemption_reason: Option<String>,
    /// Borgerens kommentar (§ 9, nr. 10).
    pub citizen_comment: Option<String>,
    /// Det videre forløb (§ 9, nr. 11).
    pub further_course: Option<String>,
}

/// Record the first contact of a cash-benefit applicant (første henvendelse, § 3, § 8, stk. 3).
///
/// If the municipality assesses the person as unemployed and nothing else (match category 1–3),
/// § 4, stk. 1 requires registration as a job seeker at the same time: give `registration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "020285-2345", "first_contact_date": "2026-11-02", "name": "Mette Jensen",
    "case_type": "kontanthjaelp", "support": "kontanthjaelp",
    "consent": {"obtain": true, "disclose": true, "date": "2026-11-02"},
    "contact_form": "personligt", "match_category": 4, "decisive_areas": ["helbred"],
    "municipality": "101"
})))]
pub struct RecordFirstContact {
    /// CPR-nummer (§ 9, nr. 1).
    pub cpr: String,
    /// Dato for første henvendelse (§ 8, stk. 3), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub first_contact_date: Option<String>,
    /// § 9 fields; nr. 1–3, 6 and 7 are mandatory here (§ 8, stk. 3).
    #[serde(flatten)]
    pub contact: ContactFields,
    /// The person's municipality (kommunekode); defaults to the acting municipality.
    pub municipality: Option<String>,
    /// Registration details when the person is to be registered (§ 4, stk. 1).
    pub registration: Option<RegistrationDetails>,
}

/// Record that cash or start benefit has ceased (ophør, § 3, stk. 3, § 8, stk. 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"cpr": "020285-2345", "cessation_date": "2026-11-20"})))]
pub struct RecordBenefitCessation {
    /// CPR-nummer.
    pub cpr: String,
    /// Dato for ophør af udbetaling af hjælp (§ 8, stk. 4), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub cessation_date: Option<String>,
}

/// Start a periodic condition (periodisk forhold, § 4, stk. 3, § 8, stk. 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "010190-1234", "kind": "sygdom", "start_date": "2026-11-10"
})))]
pub struct StartPeriodicCondition {
    /// CPR-nummer.
    pub cpr: String,
    /// Code list `periodic_condition_kind`.
    pub kind: Option<String>,
    /// Startdato (§ 8, stk. 5).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub start_date: Option<String>,
    /// Evt. slutdato (§ 8, stk. 5).
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<String>,
}

/// End an open periodic condition (§ 8, stk. 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({"end_date": "2026-11-24"})))]
pub struct EndPeriodicCondition {
    /// Slutdato, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub end_date: Option<String>,
    /// Registration details, when ending an exemption from availability means a cash-benefit
    /// recipient in match category 1–3 is to be registered again (§ 4, stk. 1; § 5).
    pub registration: Option<RegistrationDetails>,
}

/// Record a contact interview in the individual contact course (kontaktsamtale, § 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "010190-1234", "interview_date": "2026-11-16", "interview_type": "foerste",
    "name": "Jens Hansen", "case_type": "dagpenge", "support": "a_dagpenge",
    "consent": {"obtain": true, "disclose": false, "date": "2026-11-16"},
    "contact_form": "personligt",
    "attention_areas": {"jobonsker": "Søger kontorjob i Storkøbenhavn."},
    "match_category": 2, "decisive_areas": ["erhvervserfaring"],
    "further_course": "Jobsøgningskursus; ny samtale om 3 måneder."
})))]
pub struct RecordContactInterview {
    /// CPR-nummer (§ 9, nr. 1).
    pub cpr: String,
    /// Dato for afholdt kontaktsamtale (§ 9, nr. 2), `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub interview_date: Option<String>,
    /// Samtaletype (§ 9, nr. 2): code list `interview_type`.
    pub interview_type: Option<String>,
    /// § 9 fields; nr. 1–3, 6 and 11 are mandatory.
    #[serde(flatten)]
    pub contact: ContactFields,
    /// Registration details when the new match category requires registration (§ 4, stk. 1).
    pub registration: Option<RegistrationDetails>,
}

/// Hand a person over to another municipality (§ 2, stk. 2): the responsible municipality
/// confirms that the person is now another municipality's, where the CPR register does not say
/// so (yet). Recorded as a `municipality_set` with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "person_id": "p-01HZX3", "municipality": "147", "reason": "Flyttet til Frederiksberg 1. december"
})))]
pub struct HandOverPerson {
    /// The person's opaque id (never the CPR number: it is not in the URL or body).
    pub person_id: String,
    /// The receiving municipality's kommunekode.
    pub municipality: Option<String>,
    /// Why (free text, kept on the event and shown to the receiving municipality).
    pub reason: Option<String>,
}

/// Assign a person to an other actor (anden aktør) for a period (§ 2, stk. 5): the actor may
/// then see the person and record their contact course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "cpr": "010190-1234", "other_actor": "12345678", "from_date": "2026-11-20"
})))]
pub struct AssignOtherActor {
    /// CPR-nummer.
    pub cpr: String,
    /// The other actor's CVR number.
    pub other_actor: Option<String>,
    /// First day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub from_date: Option<String>,
    /// Last day, if known.
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub to_date: Option<String>,
}

/// The replacement in a correction: a record of the same kind as the fact it corrects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Replacement {
    /// Replaces a registration.
    JobseekerRegistration(RegisterJobSeeker),
    /// Replaces a deregistration.
    JobseekerDeregistration(DeregisterJobSeeker),
    /// Replaces a first contact.
    FirstContact(RecordFirstContact),
    /// Replaces a cessation.
    BenefitCessation(RecordBenefitCessation),
    /// Replaces a periodic condition.
    PeriodicCondition(StartPeriodicCondition),
    /// Replaces a contact interview.
    ContactInterview(RecordContactInterview),
    /// Replaces an assignment to an other actor.
    OtherActorAssignment(AssignOtherActor),
}

impl Replacement {
    /// The command this replacement records in place of the fact.
    pub fn command(&self) -> Command {
        match self.clone() {
            Replacement::JobseekerRegistration(c) => Command::Register(c),
            Replacement::JobseekerDeregistration(c) => Command::Deregister(c),
            Replacement::FirstContact(c) => Command::FirstContact(c),
            Replacement::BenefitCessation(c) => Command::Cessation(c),
            Replacement::PeriodicCondition(c) => Command::StartCondition(c),
            Replacement::ContactInterview(c) => Command::Interview(c),
            Replacement::OtherActorAssignment(c) => Command::AssignOtherActor(c),
        }
    }
}

impl TryFrom<Command> for Replacement {
    type Error = Command;

    /// The replacement a command makes in a correction; a command of a kind no correction
    /// can record (a correction, the end of a condition, a hand-over) is given back.
    fn try_from(command: Command) -> Result<Self, Command> {
        Ok(match command {
            Command::Register(c) => Replacement::JobseekerRegistration(c),
            Command::Deregister(c) => Replacement::JobseekerDeregistration(c),
            Command::FirstContact(c) => Replacement::FirstContact(c),
            Command::Cessation(c) => Replacement::BenefitCessation(c),
            Command::StartCondition(c) => Replacement::PeriodicCondition(c),
            Command::Interview(c) => Replacement::ContactInterview(c),
            Command::AssignOtherActor(c) => Replacement::OtherActorAssignment(c),
            other => return Err(other),
        })
    }
}

/// Correct a recorded fact: annul it, or replace it. The original is kept and the correction
/// names it and why (rettelse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "fact_id": "p7f3c2a9e01b4d6c8.3", "reason": "Forkert dato tastet."
})))]
pub struct Correct {
    /// The id of the fact to correct (as returned when it was recorded).
    pub fact_id: String,
    /// Why (mandatory).
    pub reason: Option<String>,
    /// The corrected record; without it the fact is annulled.
    pub replacement: Option<Replacement>,
}

/// Every command the registry accepts. Its `Debug` shows only the kind: commands carry CPR
/// numbers as text, which must not reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    /// § 8, stk. 1.
    Register(RegisterJobSeeker),
    /// § 8, stk. 2.
    Deregister(DeregisterJobSeeker),
    /// § 8, stk. 1, nr. 4–7: new details of an open registration from a day on.
    ChangeRegistration(ChangeRegistration),
    /// § 3, § 8, stk. 3.
    FirstContact(RecordFirstContact),
    /// § 3, stk. 3, § 8, stk. 4.
    Cessation(RecordBenefitCessation),
    /// § 8, stk. 5.
    StartCondition(StartPeriodicCondition),
    /// § 8, stk. 5: the condition is named by its fact number in the person's stream.
    EndCondition {
        /// The condition's fact number.
        condition: u64,
        /// The end date.
        body: EndPeriodicCondition,
    },
    /// § 9.
    Interview(RecordContactInterview),
    /// § 2, stk. 5.
    AssignOtherActor(AssignOtherActor),
    /// § 2, stk. 2: the responsible municipality hands the person over to another.
    HandOver(HandOverPerson),
    /// The consequences that have fallen due for the person by today (§ 5: an exemption from
    /// availability recorded ahead of its start deregisters when it takes effect). Recorded by
    /// the registry itself (`Actor::registry`), never by a caller.
    TakeEffect,
    /// A correction of the fact with this number in the person's stream.
    Correct {
        /// The fact number.
        fact: u64,
        /// The body as received.
        body: Correct,
    },
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Command({}, <redacted>)", self.kind())
    }
}

impl Command {
    /// The CPR text the command names its person by, if it does so.
    pub fn cpr(&self) -> Option<&str> {
        match self {
            Command::Register(c) => Some(&c.cpr),
            Command::Deregister(c) => Some(&c.cpr),
            Command::ChangeRegistration(c) => Some(&c.cpr),
            Command::FirstContact(c) => Some(&c.cpr),
            Command::Cessation(c) => Some(&c.cpr),
            Command::StartCondition(c) => Some(&c.cpr),
            Command::Interview(c) => Some(&c.cpr),
            Command::AssignOtherActor(c) => Some(&c.cpr),
            Command::EndCondition { .. }
            | Command::Correct { .. }
            | Command::HandOver(_)
            | Command::TakeEffect => None,
        }
    }

    /// A short name for logs and metrics (never personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Register(_) => "jobseeker_registration",
            Command::Deregister(_) => "jobseeker_deregistration",
            Command::ChangeRegistration(_) => "registration_change",
            Command::FirstContact(_) => "first_contact",
            Command::Cessation(_) => "benefit_cessation",
            Command::StartCondition(_) => "periodic_condition_start",
            Command::EndCondition { .. } => "periodic_condition_end",
            Command::Interview(_) => "contact_interview",
            Command::AssignOtherActor(_) => "other_actor_assignment",
            Command::HandOver(_) => "municipality_handover",
            Command::Correct { .. } => "correction",
            Command::TakeEffect => "dated_consequence",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_cpr_number() {
        let c = Command::Register(RegisterJobSeeker {
            cpr: "070761-4285".into(),
            ..Default::default()
        });
        let shown = format!("{c:?}");
        assert!(!shown.contains("070761"), "{shown}");
        assert!(shown.contains("jobseeker_registration"));
    }

    #[test]
    fn a_replacement_records_the_command_it_was_made_from() {
        let register = Command::Register(RegisterJobSeeker {
            cpr: "070761-4285".into(),
            ..Default::default()
        });
        let replacement = Replacement::try_from(register.clone()).expect("replaceable");
        assert!(matches!(replacement, Replacement::JobseekerRegistration(_)));
        assert_eq!(replacement.command(), register);
        // A correction cannot replace a fact with another correction.
        let correct = Command::Correct {
            fact: 1,
            body: Correct::default(),
        };
        assert!(Replacement::try_from(correct).is_err());
    }
}
