//! Forms of the browser tool: one generic renderer (labels, required marks, selects from the
//! code lists, errors beside each field and in a summary linked to the fields) and the record
//! forms built on it. A refused form keeps everything the caseworker typed.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use fdg_domain::command::{
    AssignOtherActor, ChangeRegistration, ConsentInput, ContactFields, Correct,
    DeregisterJobSeeker, EndPeriodicCondition, RecordBenefitCessation, RecordContactInterview,
    RecordFirstContact, RegisterJobSeeker, RegistrationDetails, Replacement,
    StartPeriodicCondition,
};
use fdg_domain::{Command, ListName, Violation};

use crate::edge::session::SessionUser;
use crate::web::i18n::{Texts, texts};
use crate::web::pages::UserView;
use crate::{ApiError, AppState};

/// One field as rendered.
#[derive(Debug)]
pub struct Field {
    /// Form name and element id.
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// Hint under the label.
    pub hint: Option<&'static str>,
    /// `text`, `date`, `number`, `textarea`, `checkbox`, or `checks` / `notes` (a checkbox or a
    /// note per code of the field's list).
    pub input_type: &'static str,
    /// Required by the order.
    pub required: bool,
    /// Choices (code, label) for a select; empty for an input.
    pub options: Vec<(String, String)>,
    /// The value typed or chosen (`on` for a ticked checkbox).
    pub value: String,
    /// For checkbox groups and notes: (code, label, value) per choice.
    pub choices: Vec<(String, String, String)>,
    /// Messages of the rules it breaks.
    pub errors: Vec<String>,
}

/// One line of the error summary.
#[derive(Debug)]
pub struct SummaryLine {
    /// The field to jump to.
    pub field: Option<String>,
    /// The rule's message.
    pub message: String,
    /// The rule's provision.
    pub provision: String,
}

/// A record form.
#[derive(Template)]
#[template(path = "form.html")]
pub struct FormPage {
    pub t: &'static Texts,
    /// Who is logged in.
    pub user: Option<UserView>,
    /// Heading.
    pub title: &'static str,
    /// The provision the form records.
    pub provision: &'static str,
    /// Where it posts.
    pub action: String,
    /// CSRF token.
    pub csrf: String,
    /// Fields.
    pub fields: Vec<Field>,
    /// Every broken rule, linked to its field.
    pub summary: Vec<SummaryLine>,
    /// Submit button.
    pub submit: &'static str,
    /// The recorded fact the form is about: whose, when and what.
    pub about: Option<String>,
}

/// How a field is declared: name, Danish and English label, type, required, code list, and a
/// Danish and English hint.
struct Spec {
    name: &'static str,
    da: &'static str,
    en: &'static str,
    input_type: &'static str,
    required: bool,
    list: Option<ListName>,
    hint: Option<(&'static str, &'static str)>,
}

macro_rules! spec {
    ($name:literal, $da:literal, $en:literal, $ty:literal, $req:literal, $list:expr) => {
        Spec {
            name: $name,
            da: $da,
            en: $en,
            input_type: $ty,
            required: $req,
            list: $list,
            hint: None,
        }
    };
}

/// The registration details, asked for at a first contact only when the person is to be
/// registered at the same time (§ 4, stk. 1).
const fn when_registering(spec: Spec) -> Spec {
    Spec {
        required: false,
        hint: Some((
            "Kun når personen skal registreres som arbejdssøgende (matchkategori 1–3, § 4, stk. 1).",
            "Only when the person is to be registered as a job seeker (match category 1–3, s. 4(1)).",
        )),
        ..spec
    }
}

const CPR: Spec = spec!("cpr", "CPR-nummer", "CPR number", "text", true, None);
const NAME: Spec = spec!("name", "Navn", "Name", "text", true, None);
const BENEFIT_CATEGORY: Spec = spec!(
    "benefit_category",
    "Ydelseskategori",
    "Benefit category",
    "text",
    true,
    Some(ListName::BenefitCategory)
);
const UNEMPLOYMENT_DEGREE: Spec = spec!(
    "unemployment_degree",
    "Ledighedsgrad",
    "Degree of unemployment",
    "text",
    true,
    Some(ListName::UnemploymentDegree)
);
const HOURS: Spec = spec!(
    "hours_per_week",
    "Ledige timer pr. uge (kun delvis ledig)",
    "Hours of unemployment per week (partly unemployed only)",
    "number",
    false,
    None
);
const JOB_TITLE: Spec = spec!(
    "job_title",
    "Stillingsbetegnelse",
    "Job title",
    "text",
    true,
    Some(ListName::Occupation)
);
const JOB_TITLE_2: Spec = spec!(
    "job_title_2",
    "Endnu en stillingsbetegnelse",
    "Another job title",
    "text",
    false,
    Some(ListName::Occupation)
);
const FUND: Spec = spec!(
    "unemployment_fund",
    "A-kasse (hvis medlem)",
    "Unemployment fund (if a member)",
    "text",
    false,
    Some(ListName::UnemploymentFund)
);
const MUNICIPALITY: Spec = spec!(
    "municipality",
    "Kommune",
    "Municipality",
    "text",
    false,
    Some(ListName::Municipality)
);

/// The registration details where a record brings a registration along when § 4, stk. 1
/// requires one.
const DETAILS_WHEN_REGISTERING: [Spec; 6] = [
    when_registering(BENEFIT_CATEGORY),
    when_registering(UNEMPLOYMENT_DEGREE),
    when_registering(HOURS),
    when_registering(JOB_TITLE),
    when_registering(JOB_TITLE_2),
    when_registering(FUND),
];

const REGISTRATION: [Spec; 10] = [
    CPR,
    NAME,
    spec!(
        "registration_date",
        "Dato for registrering",
        "Registration date",
        "date",
        true,
        None
    ),
    BENEFIT_CATEGORY,
    UNEMPLOYMENT_DEGREE,
    HOURS,
    JOB_TITLE,
    JOB_TITLE_2,
    FUND,
    MUNICIPALITY,
];

/// The form field a violation belongs to; in a correction form (`correcting`), `reason` is the
/// correction's own.
fn field_in(v: &Violation, correcting: bool) -> Option<&str> {
    v.field.as_deref().map(|p| match p {
        "reason" if correcting => "correction_reason",
        p => field_of(p),
    })
}

/// The form field a violation's JSON path belongs to.
fn field_of(path: &str) -> &str {
    match path {
        // A correction's replacement is checked as the record it replaces.
        p if p.starts_with("replacement.") => field_of(&p["replacement.".len()..]),
        // The registration a first contact brings along (§ 4, stk. 1).
        "registration" => "benefit_category",
        p if p.starts_with("registration.") => field_of(&p["registration.".len()..]),
        p if p.starts_with("job_titles[1]") => "job_title_2",
        p if p.starts_with("job_titles") => "job_title",
        "consent.date" => "consent_date",
        "consent" => "consent_obtain",
        p if p.starts_with("attention_areas") => "attention",
        p if p.starts_with("decisive_areas") => "decisive",
        p => p,
    }
}

fn build(
    state: &AppState,
    t: &'static Texts,
    specs: &[&[Spec]],
    values: &HashMap<String, String>,
    violations: &[Violation],
) -> (Vec<Field>, Vec<SummaryLine>) {
    let en = t.en();
    let today = state.clock.today();
    let message = |v: &Violation| {
        if en {
            v.rule.message_en
        } else {
            v.rule.message_da
        }
        .to_owned()
    };
    let known: Vec<&str> = specs
        .iter()
        .flat_map(|s| s.iter())
        .map(|s| s.name)
        .collect();
    // In a correction, `reason` is the correction's; the corrected record's own fields come
    // as `replacement.*`.
    let correcting = known.contains(&"correction_reason");
    let fields = specs
        .iter()
        .flat_map(|s| s.iter())
        .map(|s| Field {
            name: s.name,
            label: if en { s.en } else { s.da },
            hint: match (s.name, s.hint) {
                ("cpr", _) => Some(t.cpr_hint),
                (_, Some((da, en_hint))) => Some(if en { en_hint } else { da }),
                (_, None) => None,
            },
            input_type: s.input_type,
            required: s.required,
            options: s
                .list
                .filter(|_| !matches!(s.input_type, "checks" | "notes"))
                .map(|l| {
                    state
                        .codes
                        .entries(l)
                        .iter()
                        .filter(|e| e.valid_on(today))
                        .map(|e| {
                            let label = if en { &e.label_en } else { &e.label_da };
                            (e.code.clone(), format!("{} – {label}", e.code))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            value: values.get(s.name).cloned().unwrap_or_default(),
            choices: match (s.input_type, s.list) {
                ("checks" | "notes", Some(l)) => state
                    .codes
                    .entries(l)
                    .iter()
                    .filter(|e| e.valid_on(today))
                    .map(|e| {
                        let label = if en { &e.label_en } else { &e.label_da };
                        let value = values
                            .get(&format!("{}.{}", s.name, e.code))
                            .cloned()
                            .unwrap_or_default();
                        (e.code.clone(), label.clone(), value)
                    })
                    .collect(),
                _ => Vec::new(),
            },
            errors: violations
                .iter()
                .filter(|v| field_in(v, correcting) == Some(s.name))
                .map(message)
                .collect(),
        })
        .collect();
    let summary = violations
        .iter()
        .map(|v| SummaryLine {
            field: field_in(v, correcting)
                .filter(|f| known.contains(f))
                .map(str::to_owned),
            message: message(v),
            provision: v.rule.provision.to_owned(),
        })
        .collect();
    (fields, summary)
}

/// The values a form was posted with, by field name.
type Values = HashMap<String, String>;

/// One record form: where it lives, what it says, its fields and how its values become a
/// command.
pub struct FormDef {
    /// Path (GET shows it, POST records it).
    pub path: &'static str,
    title_da: &'static str,
    title_en: &'static str,
    submit_da: &'static str,
    submit_en: &'static str,
    provision: &'static str,
    /// The fields, in sections shown one after the other.
    specs: &'static [&'static [Spec]],
    /// The date field filled in with today's date when the form is first shown.
    date_field: Option<&'static str>,
    /// Builds the command from the posted values and the fact the form is about, if any.
    build: fn(&Values, Option<&Fact>) -> Result<Command, Vec<Violation>>,
}

fn text(values: &Values, k: &str) -> Option<String> {
    values
        .get(k)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A small number typed into a field; anything else breaks `rule` at that field.
fn number(
    values: &Values,
    field: &str,
    rule: &'static fdg_domain::rules::Rule,
) -> Result<Option<u8>, Vec<Violation>> {
    text(values, field)
        .map(|n| n.parse().map_err(|_| vec![Violation::new(rule, field)]))
        .transpose()
}

/// The registration details (§ 8, stk. 1) of a registration or of a first contact.
fn details(values: &Values) -> Result<RegistrationDetails, Vec<Violation>> {
    let hours = number(values, "hours_per_week", &fdg_domain::rules::S8_1_HOURS)?;
    Ok(RegistrationDetails {
        benefit_category: text(values, "benefit_category"),
        unemployment_degree: text(values, "unemployment_degree"),
        hours_per_week: hours,
        job_titles: [text(values, "job_title"), text(values, "job_title_2")]
            .into_iter()
            .flatten()
            .collect(),
        unemployment_fund: text(values, "unemployment_fund"),
    })
}

fn build_registration(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::Register(RegisterJobSeeker {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        name: text(values, "name"),
        registration_date: text(values, "registration_date"),
        details: details(values)?,
        municipality: text(values, "municipality"),
        match_category: None,
    }))
}

const REGISTRATION_CHANGE: [Spec; 8] = [
    CPR,
    Spec {
        hint: Some((
            "Den første dag de nye oplysninger gælder. Registreringen bevares; ændringen annullerer intet.",
            "The first day the new details apply. The registration is kept; the change annuls nothing.",
        )),
        ..spec!(
            "change_date",
            "Ændret fra",
            "Changed from",
            "date",
            true,
            None
        )
    },
    BENEFIT_CATEGORY,
    UNEMPLOYMENT_DEGREE,
    HOURS,
    JOB_TITLE,
    JOB_TITLE_2,
    FUND,
];

fn build_registration_change(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::ChangeRegistration(ChangeRegistration {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        change_date: text(values, "change_date"),
        details: details(values)?,
    }))
}

const DEREGISTRATION: [Spec; 4] = [
    CPR,
    NAME,
    spec!(
        "deregistration_date",
        "Dato for afmelding",
        "Deregistration date",
        "date",
        true,
        None
    ),
    spec!(
        "reason",
        "Årsag til afmelding",
        "Reason for deregistration",
        "text",
        true,
        Some(ListName::DeregistrationReason)
    ),
];

fn build_deregistration(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::Deregister(DeregisterJobSeeker {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        name: text(values, "name"),
        deregistration_date: text(values, "deregistration_date"),
        reason: text(values, "reason"),
    }))
}

const CONDITION: [Spec; 4] = [
    CPR,
    spec!(
        "kind",
        "Periodisk forhold",
        "Periodic condition",
        "text",
        true,
        Some(ListName::PeriodicConditionKind)
    ),
    spec!("start_date", "Startdato", "Start date", "date", true, None),
    spec!(
        "end_date",
        "Slutdato (hvis kendt)",
        "End date (if known)",
        "date",
        false,
        None
    ),
];

fn build_condition(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::StartCondition(StartPeriodicCondition {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        kind: text(values, "kind"),
        start_date: text(values, "start_date"),
        end_date: text(values, "end_date"),
    }))
}

const CESSATION: [Spec; 2] = [
    CPR,
    spec!(
        "cessation_date",
        "Dato for ophør af udbetaling",
        "Date payment ceased",
        "date",
        true,
        None
    ),
];

fn build_cessation(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::Cessation(RecordBenefitCessation {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        cessation_date: text(values, "cessation_date"),
    }))
}

const C_CPR: Spec = spec!(
    "cpr",
    "CPR-nummer (§ 9, nr. 1)",
    "CPR number (s. 9 no. 1)",
    "text",
    true,
    None
);
const C_NAME: Spec = spec!(
    "name",
    "Navn (§ 9, nr. 1)",
    "Name (s. 9 no. 1)",
    "text",
    true,
    None
);
const CASE_TYPE: Spec = spec!(
    "case_type",
    "Sagstype (§ 9, nr. 1)",
    "Case type (s. 9 no. 1)",
    "text",
    true,
    Some(ListName::CaseType)
);
const SUPPORT: Spec = spec!(
    "support",
    "Forsørgelse (§ 9, nr. 1)",
    "Means of support (s. 9 no. 1)",
    "text",
    true,
    Some(ListName::BenefitCategory)
);
const CONSENT_OBTAIN: Spec = spec!(
    "consent_obtain",
    "Samtykke til at indhente oplysninger (§ 9, nr. 1)",
    "Consent to obtain information (s. 9 no. 1)",
    "checkbox",
    false,
    None
);
const CONSENT_DISCLOSE: Spec = spec!(
    "consent_disclose",
    "Samtykke til at videregive oplysninger (§ 9, nr. 1)",
    "Consent to disclose information (s. 9 no. 1)",
    "checkbox",
    false,
    None
);
const CONSENT_DATE: Spec = spec!(
    "consent_date",
    "Dato for samtykket (§ 9, nr. 1)",
    "Date of consent (s. 9 no. 1)",
    "date",
    true,
    None
);
const INTERVIEW_DATE: Spec = spec!(
    "interview_date",
    "Dato for afholdt kontaktsamtale (§ 9, nr. 2)",
    "Date the interview was held (s. 9 no. 2)",
    "date",
    true,
    None
);
const INTERVIEW_TYPE: Spec = spec!(
    "interview_type",
    "Samtaletype (§ 9, nr. 2)",
    "Interview type (s. 9 no. 2)",
    "text",
    true,
    Some(ListName::InterviewType)
);
const CONTACT_FORM: Spec = spec!(
    "contact_form",
    "Kontaktform (§ 9, nr. 3)",
    "Contact form (s. 9 no. 3)",
    "text",
    true,
    Some(ListName::ContactForm)
);
const CONTACT_FORM_COMMENT: Spec = spec!(
    "contact_form_comment",
    "Kommentar til kontaktform (§ 9, nr. 3)",
    "Comment on the contact form (s. 9 no. 3)",
    "text",
    false,
    None
);
const ATTENTION: Spec = spec!(
    "attention",
    "Dialogguidens opmærksomhedsområder – kun hvor det er relevant (§ 9, nr. 4)",
    "The dialogue guide's attention areas – only where relevant (s. 9 no. 4)",
    "notes",
    false,
    Some(ListName::AttentionArea)
);
const SUMMARY: Spec = spec!(
    "summary",
    "Opsamlende vurdering (§ 9, nr. 5)",
    "Summary assessment (s. 9 no. 5)",
    "textarea",
    false,
    None
);
const MATCH_CATEGORY: Spec = spec!(
    "match_category",
    "Matchkategori (§ 9, nr. 6)",
    "Match category (s. 9 no. 6)",
    "text",
    true,
    Some(ListName::MatchCategory)
);
const DECISIVE: Spec = spec!(
    "decisive",
    "Udslagsgivende områder, når personen ikke er umiddelbar match (§ 9, nr. 7)",
    "Decisive areas when not an immediate match (s. 9 no. 7)",
    "checks",
    false,
    Some(ListName::AttentionArea)
);
const FREQUENT_CONTACT_REASON: Spec = spec!(
    "frequent_contact_reason",
    "Årsag til hyppigere kontakt (§ 9, nr. 8)",
    "Reason for more frequent contact (s. 9 no. 8)",
    "text",
    false,
    Some(ListName::FrequentContactReason)
);
const EXEMPTION_REASON: Spec = spec!(
    "exemption_reason",
    "Årsag til fritagelse for registrering (§ 9, nr. 9)",
    "Reason for exemption from registration (s. 9 no. 9)",
    "text",
    false,
    Some(ListName::ExemptionReason)
);
const CITIZEN_COMMENT: Spec = spec!(
    "citizen_comment",
    "Borgerens kommentar (§ 9, nr. 10)",
    "The citizen's comment (s. 9 no. 10)",
    "textarea",
    false,
    None
);
const FURTHER_COURSE: Spec = spec!(
    "further_course",
    "Det videre forløb (§ 9, nr. 11)",
    "The further course (s. 9 no. 11)",
    "textarea",
    true,
    None
);

/// The contact interview in the order of § 9.
const INTERVIEW: [Spec; 19] = [
    C_CPR,
    C_NAME,
    CASE_TYPE,
    SUPPORT,
    CONSENT_OBTAIN,
    CONSENT_DISCLOSE,
    CONSENT_DATE,
    INTERVIEW_DATE,
    INTERVIEW_TYPE,
    CONTACT_FORM,
    CONTACT_FORM_COMMENT,
    ATTENTION,
    SUMMARY,
    MATCH_CATEGORY,
    DECISIVE,
    FREQUENT_CONTACT_REASON,
    EXEMPTION_REASON,
    CITIZEN_COMMENT,
    FURTHER_COURSE,
];

/// The first contact of a cash-benefit applicant: the § 9 record with the § 8, stk. 3 set of
/// mandatory fields, and the registration details when § 4, stk. 1 requires registration.
const FIRST_CONTACT: [Spec; 19] = [
    C_CPR,
    C_NAME,
    CASE_TYPE,
    SUPPORT,
    CONSENT_OBTAIN,
    CONSENT_DISCLOSE,
    CONSENT_DATE,
    spec!(
        "first_contact_date",
        "Dato for første henvendelse og samtale (§ 8, stk. 3; § 9, nr. 2)",
        "Date of the first contact and interview (s. 8(3); s. 9 no. 2)",
        "date",
        true,
        None
    ),
    CONTACT_FORM,
    CONTACT_FORM_COMMENT,
    ATTENTION,
    SUMMARY,
    MATCH_CATEGORY,
    DECISIVE,
    FREQUENT_CONTACT_REASON,
    EXEMPTION_REASON,
    CITIZEN_COMMENT,
    Spec {
        required: false,
        ..FURTHER_COURSE
    },
    Spec {
        hint: Some((
            "Tom: efter CPR-registeret, for en ny person jeres egen kommune.",
            "Empty: as in the CPR register; for a new person, your own municipality.",
        )),
        ..MUNICIPALITY
    },
];

/// The codes ticked or noted in a `checks` / `notes` group.
fn group(values: &Values, name: &str) -> Vec<(String, String)> {
    let prefix = format!("{name}.");
    let mut out: Vec<(String, String)> = values
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&prefix)
                .map(|code| (code.to_owned(), v.clone()))
        })
        .collect();
    out.sort();
    out
}

/// The § 9 fields of a contact interview or a first contact.
fn contact(values: &Values) -> Result<ContactFields, Vec<Violation>> {
    let match_category = number(
        values,
        "match_category",
        &fdg_domain::rules::S9_6_MATCH_UNKNOWN,
    )?;
    Ok(ContactFields {
        name: text(values, "name"),
        case_type: text(values, "case_type"),
        support: text(values, "support"),
        // An unticked box is an answer: no consent.
        consent: Some(ConsentInput {
            obtain: Some(values.contains_key("consent_obtain")),
            disclose: Some(values.contains_key("consent_disclose")),
            date: text(values, "consent_date"),
        }),
        contact_form: text(values, "contact_form"),
        contact_form_comment: text(values, "contact_form_comment"),
        // Only the areas where something is written (§ 9, nr. 4).
        attention_areas: group(values, "attention")
            .into_iter()
            .filter(|(_, note)| !note.trim().is_empty())
            .collect(),
        summary: text(values, "summary"),
        match_category,
        decisive_areas: group(values, "decisive")
            .into_iter()
            .map(|(code, _)| code)
            .collect(),
        frequent_contact_reason: text(values, "frequent_contact_reason"),
        exemption_reason: text(values, "exemption_reason"),
        citizen_comment: text(values, "citizen_comment"),
        further_course: text(values, "further_course"),
    })
}

fn build_interview(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::Interview(RecordContactInterview {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        interview_date: text(values, "interview_date"),
        interview_type: text(values, "interview_type"),
        contact: contact(values)?,
        registration: None,
    }))
}

fn build_first_contact(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::FirstContact(RecordFirstContact {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        first_contact_date: text(values, "first_contact_date"),
        contact: contact(values)?,
        municipality: text(values, "municipality"),
        registration: details_if_given(values)?,
    }))
}

const END_CONDITION: [Spec; 1] = [spec!(
    "end_date",
    "Slutdato (§ 8, stk. 5)",
    "End date (s. 8(5))",
    "date",
    true,
    None
)];

/// The registration details, when something of them is filled in; the rules then say whether
/// § 4, stk. 1 expects them.
fn details_if_given(values: &Values) -> Result<Option<RegistrationDetails>, Vec<Violation>> {
    if DETAILS_WHEN_REGISTERING
        .iter()
        .any(|f| text(values, f.name).is_some())
    {
        details(values).map(Some)
    } else {
        Ok(None)
    }
}

fn build_end_condition(values: &Values, fact: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::EndCondition {
        condition: fact.map_or(0, |f| f.number),
        body: EndPeriodicCondition {
            end_date: text(values, "end_date"),
            registration: details_if_given(values)?,
        },
    })
}

/// Ending a periodic condition, reached from the person page (`/conditions/{fact id}/end`).
static END_CONDITION_FORM: FormDef = FormDef {
    path: "/conditions/{fact_id}/end",
    title_da: "Afslut periodisk forhold",
    title_en: "End a periodic condition",
    submit_da: "Afslut",
    submit_en: "End",
    provision: "§ 8, stk. 5",
    specs: &[&END_CONDITION, &DETAILS_WHEN_REGISTERING],
    date_field: Some("end_date"),
    build: build_end_condition,
};

const CORRECTION: [Spec; 1] = [spec!(
    "correction_reason",
    "Begrundelse for annulleringen",
    "Reason for the annulment",
    "textarea",
    true,
    None
)];

fn build_correction(values: &Values, fact: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::Correct {
        fact: fact.map_or(0, |f| f.number),
        body: Correct {
            fact_id: fact.map(|f| f.id.clone()).unwrap_or_default(),
            reason: text(values, "correction_reason"),
            replacement: None,
        },
    })
}

/// Annulling a recorded fact with a reason, reached from the person page's history
/// (`/corrections/{fact id}/new`). The original is kept; the annulment names it and why.
static CORRECTION_FORM: FormDef = FormDef {
    path: "/corrections/{fact_id}/new",
    title_da: "Annullér en registrering",
    title_en: "Annul a record",
    submit_da: "Annullér",
    submit_en: "Annul",
    provision: "§ 1, nr. 1",
    specs: &[&CORRECTION],
    date_field: None,
    build: build_correction,
};

const REASON: [Spec; 1] = [spec!(
    "correction_reason",
    "Begrundelse for rettelsen",
    "Reason for the correction",
    "textarea",
    true,
    None
)];

/// A correction that replaces the fact with the record built by `build`.
fn replacing(
    values: &Values,
    fact: Option<&Fact>,
    build: fn(&Values, Option<&Fact>) -> Result<Command, Vec<Violation>>,
) -> Result<Command, Vec<Violation>> {
    let replacement = Replacement::try_from(build(values, None)?).map_err(|_| {
        vec![Violation::new(
            &fdg_domain::rules::CORRECTION_WRONG_TYPE,
            "replacement",
        )]
    })?;
    Ok(Command::Correct {
        fact: fact.map_or(0, |f| f.number),
        body: Correct {
            fact_id: fact.map(|f| f.id.clone()).unwrap_or_default(),
            reason: text(values, "correction_reason"),
            replacement: Some(replacement),
        },
    })
}

macro_rules! edit_form {
    ($name:ident, $specs:ident, $build:ident, $da:literal, $en:literal) => {
        static $name: FormDef = FormDef {
            path: "/corrections/{fact_id}/edit",
            title_da: $da,
            title_en: $en,
            submit_da: "Ret",
            submit_en: "Correct",
            provision: "§ 1, nr. 1",
            specs: &[&$specs, &REASON],
            date_field: None,
            build: |values, fact| replacing(values, fact, $build),
        };
    };
}

edit_form!(
    EDIT_REGISTRATION,
    REGISTRATION,
    build_registration,
    "Ret en registrering som arbejdssøgende",
    "Correct a job-seeker registration"
);
edit_form!(
    EDIT_DEREGISTRATION,
    DEREGISTRATION,
    build_deregistration,
    "Ret en afmelding",
    "Correct a deregistration"
);
edit_form!(
    EDIT_CONDITION,
    CONDITION,
    build_condition,
    "Ret et periodisk forhold",
    "Correct a periodic condition"
);
edit_form!(
    EDIT_CESSATION,
    CESSATION,
    build_cessation,
    "Ret et ophør af kontant- eller starthjælp",
    "Correct a cessation of cash or start benefit"
);

/// The correction form for a recorded fact, filled in with what was recorded; `None` for a
/// kind the browser only annuls (contacts and interviews, other-actor assignments).
fn edit_form(
    o: &fdg_domain::view::PersonOverview,
    fact_id: &str,
) -> Option<(&'static FormDef, Values)> {
    let mut v = Values::new();
    v.insert("cpr".into(), o.cpr.clone());
    v.insert("name".into(), o.name.clone().unwrap_or_default());
    for r in &o.registrations {
        if r.recorded.fact_id == fact_id {
            v.insert("registration_date".into(), r.registration_date.to_string());
            v.insert("benefit_category".into(), r.benefit_category.clone());
            v.insert("unemployment_degree".into(), r.unemployment_degree.clone());
            if let Some(h) = r.hours_per_week {
                v.insert("hours_per_week".into(), h.to_string());
            }
            for (field, title) in ["job_title", "job_title_2"].iter().zip(&r.job_titles) {
                v.insert((*field).into(), title.clone());
            }
            if let Some(f) = &r.unemployment_fund {
                v.insert("unemployment_fund".into(), f.clone());
            }
            return Some((&EDIT_REGISTRATION, v));
        }
        if let Some(d) = r
            .deregistration
            .as_ref()
            .filter(|d| d.recorded.fact_id == fact_id)
        {
            v.insert(
                "deregistration_date".into(),
                d.deregistration_date.to_string(),
            );
            v.insert("reason".into(), d.reason.clone());
            return Some((&EDIT_DEREGISTRATION, v));
        }
    }
    if let Some(c) = o
        .periodic_conditions
        .iter()
        .find(|c| c.recorded.fact_id == fact_id)
    {
        v.insert("kind".into(), c.kind.clone());
        v.insert("start_date".into(), c.start_date.to_string());
        // An end recorded on its own is a fact of its own; only an end given at the start
        // belongs to this record.
        if let (Some(end), None) = (c.end_date, &c.ended_by) {
            v.insert("end_date".into(), end.to_string());
        }
        return Some((&EDIT_CONDITION, v));
    }
    let c = o
        .cessations
        .iter()
        .find(|c| c.recorded.fact_id == fact_id)?;
    v.insert("cessation_date".into(), c.cessation_date.to_string());
    Some((&EDIT_CESSATION, v))
}

const ASSIGNMENT: [Spec; 4] = [
    CPR,
    spec!(
        "other_actor",
        "Anden aktør (CVR-nummer)",
        "Other actor (CVR number)",
        "text",
        true,
        None
    ),
    spec!("from_date", "Fra og med", "From", "date", true, None),
    spec!(
        "to_date",
        "Til og med (hvis kendt)",
        "To (if known)",
        "date",
        false,
        None
    ),
];

fn build_assignment(values: &Values, _: Option<&Fact>) -> Result<Command, Vec<Violation>> {
    Ok(Command::AssignOtherActor(AssignOtherActor {
        cpr: values.get("cpr").cloned().unwrap_or_default(),
        other_actor: text(values, "other_actor"),
        from_date: text(values, "from_date"),
        to_date: text(values, "to_date"),
    }))
}

/// Every record form of the tool.
pub static FORMS: [FormDef; 8] = [
    FormDef {
        path: "/first-contacts/new",
        title_da: "Registrér første henvendelse om kontant- eller starthjælp",
        title_en: "Record the first contact about cash or start benefit",
        submit_da: "Registrér",
        submit_en: "Record",
        provision: "§ 3; § 4, stk. 1; § 8, stk. 3",
        specs: &[&FIRST_CONTACT, &DETAILS_WHEN_REGISTERING],
        date_field: Some("first_contact_date"),
        build: build_first_contact,
    },
    FormDef {
        path: "/interviews/new",
        title_da: "Registrér kontaktsamtale",
        title_en: "Record a contact interview",
        submit_da: "Registrér samtalen",
        submit_en: "Record the interview",
        provision: "§ 9",
        specs: &[&INTERVIEW],
        date_field: Some("interview_date"),
        build: build_interview,
    },
    FormDef {
        path: "/register",
        title_da: "Registrér arbejdssøgende",
        title_en: "Register a job seeker",
        submit_da: "Registrér",
        submit_en: "Register",
        provision: "§ 8, stk. 1",
        specs: &[&REGISTRATION],
        date_field: Some("registration_date"),
        build: build_registration,
    },
    FormDef {
        path: "/registration-changes/new",
        title_da: "Ændr registreringsoplysninger",
        title_en: "Change registration details",
        submit_da: "Ændr",
        submit_en: "Change",
        provision: "§ 8, stk. 1, nr. 4–7",
        specs: &[&REGISTRATION_CHANGE],
        date_field: Some("change_date"),
        build: build_registration_change,
    },
    FormDef {
        path: "/deregister",
        title_da: "Afmeld arbejdssøgende",
        title_en: "Deregister a job seeker",
        submit_da: "Afmeld",
        submit_en: "Deregister",
        provision: "§ 8, stk. 2",
        specs: &[&DEREGISTRATION],
        date_field: Some("deregistration_date"),
        build: build_deregistration,
    },
    FormDef {
        path: "/conditions/new",
        title_da: "Registrér periodisk forhold",
        title_en: "Record a periodic condition",
        submit_da: "Registrér",
        submit_en: "Record",
        provision: "§ 4, stk. 3; § 8, stk. 5",
        specs: &[&CONDITION],
        date_field: Some("start_date"),
        build: build_condition,
    },
    FormDef {
        path: "/cessations/new",
        title_da: "Registrér ophør af kontant- eller starthjælp",
        title_en: "Record that cash or start benefit ceased",
        submit_da: "Registrér",
        submit_en: "Record",
        provision: "§ 3, stk. 3; § 8, stk. 4",
        specs: &[&CESSATION],
        date_field: Some("cessation_date"),
        build: build_cessation,
    },
    FormDef {
        path: "/assignments/new",
        title_da: "Overdrag til anden aktør",
        title_en: "Assign to an other actor",
        submit_da: "Overdrag",
        submit_en: "Assign",
        provision: "§ 2, stk. 5",
        specs: &[&ASSIGNMENT],
        date_field: Some("from_date"),
        build: build_assignment,
    },
];

/// A recorded fact a form is about.
pub struct Fact {
    /// Its id, `<person id>.<number>`.
    id: String,
    /// The person's id.
    person: fdg_domain::PersonId,
    /// Its number in the person's stream.
    number: u64,
}

/// Where a form posts, and the fact it is about, if any.
struct Target {
    action: String,
    fact: Option<Fact>,
    about: Option<String>,
}

impl Target {
    fn of(def: &FormDef) -> Target {
        Target {
            action: def.path.to_owned(),
            fact: None,
            about: None,
        }
    }

    /// A form about the fact with this id (its path names `{fact_id}`).
    fn fact(def: &FormDef, fact_id: &str) -> Option<Target> {
        let parsed = fdg_domain::FactId::parse(fact_id)?;
        Some(Target {
            action: def.path.replace("{fact_id}", fact_id),
            fact: Some(Fact {
                id: parsed.to_string(),
                person: parsed.person().clone(),
                number: parsed.number(),
            }),
            about: None,
        })
    }

    /// Names the fact the form is about (whose, when and what) from what the user may see: an
    /// audited read. A fact the user cannot see is not found.
    async fn describe(
        &mut self,
        state: &AppState,
        user: &SessionUser,
        headers: &HeaderMap,
    ) -> Result<(), ApiError> {
        let Some(fact) = &self.fact else {
            return Ok(());
        };
        let o = crate::web::pages::read_overview(state, user, fact.person.as_str()).await?;
        self.describe_from(state, texts(headers), &o)
    }

    /// As `describe`, from an overview already read.
    fn describe_from(
        &mut self,
        state: &AppState,
        t: &'static Texts,
        o: &fdg_domain::view::PersonOverview,
    ) -> Result<(), ApiError> {
        let Some(fact) = &self.fact else {
            return Ok(());
        };
        let row = crate::web::pages::history_rows(state, t, o, state.clock.today())
            .into_iter()
            .find(|r| r.fact == fact.id)
            .ok_or(ApiError::NotFound)?;
        self.about = Some(format!(
            "{} ({}) · {} · {}",
            o.name.as_deref().unwrap_or_default(),
            o.cpr,
            row.date,
            row.what
        ));
        Ok(())
    }
}

fn page(
    def: &'static FormDef,
    target: &Target,
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    values: &Values,
    violations: &[Violation],
) -> FormPage {
    let t = texts(headers);
    let en = t.en();
    let (fields, summary) = build(state, t, def.specs, values, violations);
    FormPage {
        t,
        user: Some(crate::web::pages::user_view(user)),
        title: if en { def.title_en } else { def.title_da },
        provision: def.provision,
        action: target.action.clone(),
        csrf: user.session.csrf.clone(),
        fields,
        summary,
        submit: if en { def.submit_en } else { def.submit_da },
        about: target.about.clone(),
    }
}

fn html(status: StatusCode, page: &FormPage) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Shows a form, with today's date filled in.
async fn show(
    def: &'static FormDef,
    mut target: Target,
    state: AppState,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
) -> Response {
    let user = match crate::web::pages::signed_in(user) {
        Ok(u) => u,
        Err(to) => return to.into_response(),
    };
    if let Err(e) = target.describe(&state, &user, &headers).await {
        return e.into_response();
    }
    let mut values = Values::new();
    if let Some(field) = def.date_field {
        values.insert(field.to_owned(), state.clock.today().to_string());
    }
    html(
        StatusCode::OK,
        &page(def, &target, &state, &headers, &user, &values, &[]),
    )
}

/// Records a form, or shows it again with every broken rule beside its field.
async fn record(
    def: &'static FormDef,
    mut target: Target,
    state: AppState,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    values: Values,
) -> Result<Response, ApiError> {
    let user = match crate::web::pages::signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    user.check_csrf(values.get("csrf").map_or("", String::as_str))?;
    let command = match (def.build)(&values, target.fact.as_ref()) {
        Ok(c) => c,
        Err(v) => {
            target.describe(&state, &user, &headers).await?;
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(def, &target, &state, &headers, &user, &values, &v),
            ));
        }
    };
    let options = crate::service::write::WriteOptions {
        person_id: target.fact.as_ref().map(|f| f.person.clone()),
        ..Default::default()
    };
    match crate::service::write::record(&state, &user.acting(), command, options).await? {
        Ok(recorded) => Ok(
            Redirect::to(&format!("/persons/{}", recorded.accepted().person_id)).into_response(),
        ),
        Err(crate::service::write::Refusal::Rejected(v)) => {
            // A permission refusal is shown like any other broken rule, with its provision.
            // What the form is about is shown again if the user may still see it.
            if target.describe(&state, &user, &headers).await.is_err() {
                target.about = None;
            }
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(def, &target, &state, &headers, &user, &values, &v),
            ))
        }
        Err(refusal) => Err(refusal.into()),
    }
}

/// Shows the correction form of a recorded fact, filled in with what was recorded.
async fn edit_show(
    state: AppState,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    fact_id: String,
) -> Result<Response, ApiError> {
    let user = match crate::web::pages::signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    let mut target = Target::fact(&EDIT_REGISTRATION, &fact_id).ok_or(ApiError::NotFound)?;
    let person = target
        .fact
        .as_ref()
        .map(|f| f.person.as_str().to_owned())
        .unwrap_or_default();
    let o = crate::web::pages::read_overview(&state, &user, &person).await?;
    let (def, values) = edit_form(&o, &fact_id).ok_or(ApiError::NotFound)?;
    target.describe_from(&state, texts(&headers), &o)?;
    Ok(html(
        StatusCode::OK,
        &page(def, &target, &state, &headers, &user, &values, &[]),
    ))
}

/// Records a correction that replaces a fact; the fact's kind (read, audited) picks the form.
async fn edit_record(
    state: AppState,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    fact_id: String,
    values: Values,
) -> Result<Response, ApiError> {
    let user = match crate::web::pages::signed_in(user) {
        Ok(u) => u,
        Err(to) => return Ok(to.into_response()),
    };
    let target = Target::fact(&EDIT_REGISTRATION, &fact_id).ok_or(ApiError::NotFound)?;
    let person = target
        .fact
        .as_ref()
        .map(|f| f.person.as_str().to_owned())
        .unwrap_or_default();
    let o = crate::web::pages::read_overview(&state, &user, &person).await?;
    let (def, _) = edit_form(&o, &fact_id).ok_or(ApiError::NotFound)?;
    record(def, target, state, headers, Ok(user), values).await
}

/// The forms' routes.
pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for def in &FORMS {
        router = router.route(
            def.path,
            get(
                move |State(state): State<AppState>,
                      headers: HeaderMap,
                      user: Result<SessionUser, ApiError>| {
                    show(def, Target::of(def), state, headers, user)
                },
            )
            .post(
                move |State(state): State<AppState>,
                      headers: HeaderMap,
                      user: Result<SessionUser, ApiError>,
                      axum::Form(values): axum::Form<Values>| {
                    record(def, Target::of(def), state, headers, user, values)
                },
            ),
        );
    }
    for def in [&END_CONDITION_FORM, &CORRECTION_FORM] {
        router = router.route(
            def.path,
            get(
                move |State(state): State<AppState>,
                      headers: HeaderMap,
                      user: Result<SessionUser, ApiError>,
                      Path(fact_id): Path<String>| async move {
                    match Target::fact(def, &fact_id) {
                        Some(target) => show(def, target, state, headers, user).await,
                        None => ApiError::NotFound.into_response(),
                    }
                },
            )
            .post(
                move |State(state): State<AppState>,
                      headers: HeaderMap,
                      user: Result<SessionUser, ApiError>,
                      Path(fact_id): Path<String>,
                      axum::Form(values): axum::Form<Values>| async move {
                    let target = Target::fact(def, &fact_id).ok_or(ApiError::NotFound)?;
                    record(def, target, state, headers, user, values).await
                },
            ),
        );
    }
    router.route(
        "/corrections/{fact_id}/edit",
        get(
            |State(state): State<AppState>,
             headers: HeaderMap,
             user: Result<SessionUser, ApiError>,
             Path(fact_id): Path<String>| edit_show(state, headers, user, fact_id),
        )
        .post(
            |State(state): State<AppState>,
             headers: HeaderMap,
             user: Result<SessionUser, ApiError>,
             Path(fact_id): Path<String>,
             axum::Form(values): axum::Form<Values>| {
                edit_record(state, headers, user, fact_id, values)
            },
        ),
    )
}
