//! Every rule of the order, proven from the outside: each rule of kind Input or Permission in
//! [`rules::ALL`] has a scenario that breaks it and the corrected scenario that is accepted; each
//! Consequence rule is shown on the events it causes; the Warning rule is shown on an accepted
//! command. Then the business flows a caseworker would notice (§ 4, § 5, § 6, § 8, stk. 5 and
//! corrections).
//!
//! Deterministic: a fixed clock (2026-11-27), the shipped code lists, no IO.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use fdg_domain::Visibility;
use fdg_domain::command::{
    AssignOtherActor, ChangeRegistration, ConsentInput, ContactFields, Correct,
    DeregisterJobSeeker, EndPeriodicCondition, HandOverPerson, RecordBenefitCessation,
    RecordContactInterview, RecordFirstContact, RegisterJobSeeker, RegistrationDetails,
    Replacement, StartPeriodicCondition,
};
use fdg_domain::event::MunicipalityBasis;
use fdg_domain::rules::{self, Rule, RuleKind};
use fdg_domain::view::PersonOverview;
use fdg_domain::{
    Actor, Clock, CodeLists, Command, Context, Cpr, Decision, Event, EventMeta, OrgKind,
    PersonState, Violation, decide,
};
use jiff::Timestamp;
use jiff::civil::Date;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The decisions' "today".
const TODAY: &str = "2026-11-27";

/// An insured unemployed person (a-dagpenge); passes modulus 11.
const A_CPR: &str = "010190-1009";
/// A cash-benefit applicant; passes modulus 11.
const CASH_CPR: &str = "020285-1002";
/// A real date that fails modulus 11 (valid, only a warning).
const NO_MOD11_CPR: &str = "010190-1234";

static CODES: LazyLock<CodeLists> = LazyLock::new(CodeLists::shipped);

static ACTORS: LazyLock<Vec<Actor>> = LazyLock::new(|| {
    OrgKind::ALL
        .iter()
        .map(|&kind| Actor {
            kind,
            code: match kind {
                OrgKind::StateJobcenter => "jc-kbh",
                OrgKind::MunicipalJobcenter => "101",
                OrgKind::OtherActor => "12345678",
                OrgKind::BenefitCenter => "yc-1",
                OrgKind::UnemploymentFund => "001",
                OrgKind::Operator => "ams",
                OrgKind::Supervisor => "tilsyn",
            }
            .to_owned(),
        })
        .collect()
});

fn d(s: &str) -> Date {
    s.parse().expect("test date")
}

fn today() -> Date {
    d(TODAY)
}

fn actor(kind: OrgKind) -> &'static Actor {
    ACTORS
        .iter()
        .find(|a| a.kind == kind)
        .expect("actor of every kind")
}

fn ctx(kind: OrgKind) -> Context<'static> {
    ctx_on(kind, today())
}

fn ctx_on(kind: OrgKind, today: Date) -> Context<'static> {
    Context {
        actor: actor(kind),
        clock: Clock { today },
        codes: &CODES,
        residence: None,
        rule_sets: fdg_domain::ruleset::SHIPPED,
    }
}

/// Folds accepted events into the state the way the store does.
fn fold(state: &mut PersonState, events: &[Event], kind: OrgKind) {
    let base = state.version;
    for (i, e) in events.iter().enumerate() {
        let meta = EventMeta {
            version: base + i as u64 + 1,
            recorded_at: Timestamp::UNIX_EPOCH,
            recorded_by: actor(kind).label(),
        };
        state.apply(&meta, e);
    }
}

/// Decides `cmd` today and, when accepted, folds the events into `state`.
fn apply(
    state: &mut PersonState,
    cmd: &Command,
    kind: OrgKind,
) -> Result<Decision, Vec<Violation>> {
    apply_on(state, cmd, kind, today())
}

fn apply_on(
    state: &mut PersonState,
    cmd: &Command,
    kind: OrgKind,
    on: Date,
) -> Result<Decision, Vec<Violation>> {
    let decision = decide(state, cmd, ctx_on(kind, on))?;
    fold(state, &decision.events, kind);
    Ok(decision)
}

fn ids(vs: &[Violation]) -> Vec<&'static str> {
    vs.iter().map(|v| v.rule.id).collect()
}

fn show(vs: &[Violation]) -> Vec<String> {
    vs.iter()
        .map(|v| format!("{} @ {}", v.rule.id, v.field.as_deref().unwrap_or("-")))
        .collect()
}

/// Setup step that must be accepted.
fn given(state: &mut PersonState, kind: OrgKind, cmd: Command) -> Decision {
    match apply(state, &cmd, kind) {
        Ok(d) => d,
        Err(vs) => panic!("setup command {} refused: {:?}", cmd.kind(), show(&vs)),
    }
}

fn accepted(r: Result<Decision, Vec<Violation>>) -> Decision {
    match r {
        Ok(d) => d,
        Err(vs) => panic!("expected the command to be accepted, got {:?}", show(&vs)),
    }
}

fn refused(r: Result<Decision, Vec<Violation>>) -> Vec<Violation> {
    match r {
        Ok(d) => panic!("expected a refusal, got events {:?}", d.events),
        Err(vs) => vs,
    }
}

fn has(vs: &[Violation], rule: &Rule, field: Option<&str>) -> bool {
    vs.iter()
        .any(|v| v.rule.id == rule.id && v.field.as_deref() == field)
}

/// The number of the latest live fact of this event type.
fn fact_of(state: &PersonState, type_name: &str) -> u64 {
    state
        .live()
        .filter(|f| f.event.type_name() == type_name)
        .map(|f| f.id)
        .last()
        .unwrap_or_else(|| panic!("no live {type_name} fact"))
}

/// The number of the latest correction.
fn fact_of_correction(s: &PersonState) -> u64 {
    s.facts
        .iter()
        .rfind(|f| matches!(f.event, Event::FactCorrected { .. }))
        .map(|f| f.id)
        .expect("a correction")
}

/// The rule ids the events name as their cause (§ 6 default, `consequence_of`).
fn rules_carried(events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        match e {
            Event::JobSeekerRegistered {
                match_rule,
                consequence_of,
                ..
            } => {
                out.extend(match_rule.clone());
                out.extend(consequence_of.as_ref().map(|c| c.rule.clone()));
            }
            Event::JobSeekerDeregistered { consequence_of, .. }
            | Event::PeriodicConditionEnded { consequence_of, .. } => {
                out.extend(consequence_of.as_ref().map(|c| c.rule.clone()));
            }
            _ => {}
        }
    }
    out
}

fn type_names(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::type_name).collect()
}

fn variant<T: Clone>(base: &T, f: impl FnOnce(&mut T)) -> T {
    let mut t = base.clone();
    f(&mut t);
    t
}

// ---------------------------------------------------------------------------------------------
// Baseline commands (each accepted as is)
// ---------------------------------------------------------------------------------------------

fn a_dagpenge_details() -> RegistrationDetails {
    RegistrationDetails {
        benefit_category: Some("a_dagpenge".into()),
        unemployment_degree: Some("fuld".into()),
        hours_per_week: None,
        job_titles: vec!["4110".into()],
        unemployment_fund: Some("001".into()),
    }
}

fn cash_details() -> RegistrationDetails {
    RegistrationDetails {
        benefit_category: Some("kontanthjaelp".into()),
        unemployment_degree: Some("fuld".into()),
        hours_per_week: None,
        job_titles: vec!["4110".into()],
        unemployment_fund: None,
    }
}

/// An insured unemployed person's registration by the state job centre, without match category.
fn registration() -> RegisterJobSeeker {
    RegisterJobSeeker {
        cpr: A_CPR.into(),
        name: Some("Jens Hansen".into()),
        registration_date: Some("2026-11-02".into()),
        details: a_dagpenge_details(),
        municipality: Some("101".into()),
        match_category: None,
    }
}

/// The municipality registering a cash-benefit recipient directly.
fn cash_registration(date: &str) -> RegisterJobSeeker {
    RegisterJobSeeker {
        cpr: CASH_CPR.into(),
        name: Some("Mette Jensen".into()),
        registration_date: Some(date.into()),
        details: cash_details(),
        municipality: None,
        match_category: None,
    }
}

fn deregistration() -> DeregisterJobSeeker {
    DeregisterJobSeeker {
        cpr: A_CPR.into(),
        name: Some("Jens Hansen".into()),
        deregistration_date: Some("2026-11-20".into()),
        reason: Some("beskaeftigelse".into()),
    }
}

fn consent(date: &str) -> Option<ConsentInput> {
    Some(ConsentInput {
        obtain: Some(true),
        disclose: Some(true),
        date: Some(date.into()),
    })
}

/// First contact of a cash-benefit applicant assessed as match 4 (not to be registered).
fn first_contact() -> RecordFirstContact {
    RecordFirstContact {
        cpr: CASH_CPR.into(),
        first_contact_date: Some("2026-11-02".into()),
        contact: ContactFields {
            name: Some("Mette Jensen".into()),
            case_type: Some("kontanthjaelp".into()),
            support: Some("kontanthjaelp".into()),
            consent: consent("2026-11-02"),
            contact_form: Some("personligt".into()),
            match_category: Some(4),
            decisive_areas: vec!["helbred".into()],
            ..ContactFields::default()
        },
        municipality: Some("101".into()),
        registration: None,
    }
}

/// First contact of an applicant assessed as match 2, with the § 4, stk. 1 registration.
fn first_contact_ready() -> RecordFirstContact {
    variant(&first_contact(), |c| {
        c.contact.match_category = Some(2);
        c.contact.decisive_areas = vec!["erhvervserfaring".into()];
        c.registration = Some(cash_details());
    })
}

/// A contact interview of the insured unemployed person by the state job centre.
fn interview() -> RecordContactInterview {
    RecordContactInterview {
        cpr: A_CPR.into(),
        interview_date: Some("2026-11-16".into()),
        interview_type: Some("foerste".into()),
        contact: ContactFields {
            name: Some("Jens Hansen".into()),
            case_type: Some("dagpenge".into()),
            support: Some("a_dagpenge".into()),
            consent: consent("2026-11-16"),
            contact_form: Some("personligt".into()),
            attention_areas: BTreeMap::from([(
                "jobonsker".to_owned(),
                "Søger kontorjob i Storkøbenhavn.".to_owned(),
            )]),
            match_category: Some(2),
            decisive_areas: vec!["erhvervserfaring".into()],
            further_course: Some("Jobsøgningskursus; ny samtale om 3 måneder.".into()),
            ..ContactFields::default()
        },
        registration: None,
    }
}

/// A contact interview of the cash-benefit recipient by the municipality.
fn cash_interview(date: &str, category: u8, decisive: &[&str]) -> RecordContactInterview {
    RecordContactInterview {
        cpr: CASH_CPR.into(),
        interview_date: Some(date.into()),
        interview_type: Some("efterfoelgende".into()),
        contact: ContactFields {
            name: Some("Mette Jensen".into()),
            case_type: Some("kontanthjaelp".into()),
            support: Some("kontanthjaelp".into()),
            consent: consent(date),
            contact_form: Some("telefon".into()),
            match_category: Some(category),
            decisive_areas: decisive.iter().map(|s| (*s).to_owned()).collect(),
            further_course: Some("Ny samtale om 3 måneder.".into()),
            ..ContactFields::default()
        },
        registration: None,
    }
}

fn condition(cpr: &str, kind: &str, start: &str, end: Option<&str>) -> StartPeriodicCondition {
    StartPeriodicCondition {
        cpr: cpr.into(),
        kind: Some(kind.into()),
        start_date: Some(start.into()),
        end_date: end.map(str::to_owned),
    }
}

fn end_condition(condition: u64, end: &str) -> Command {
    Command::EndCondition {
        condition,
        body: EndPeriodicCondition {
            end_date: Some(end.into()),
            registration: None,
        },
    }
}

fn cessation(date: &str) -> RecordBenefitCessation {
    RecordBenefitCessation {
        cpr: CASH_CPR.into(),
        cessation_date: Some(date.into()),
    }
}

fn correction(fact: u64, reason: Option<&str>, replacement: Option<Replacement>) -> Command {
    Command::Correct {
        fact,
        body: Correct {
            fact_id: format!("p1.{fact}"),
            reason: reason.map(str::to_owned),
            replacement,
        },
    }
}

fn annul(fact: u64) -> Command {
    correction(fact, Some("Registreret ved en fejl."), None)
}

// ---------------------------------------------------------------------------------------------
// Baseline people
// ---------------------------------------------------------------------------------------------

/// Insured unemployed, registered 2026-11-02 by the state job centre (match 1 by § 6).
fn registered() -> PersonState {
    let mut s = PersonState::default();
    given(
        &mut s,
        OrgKind::StateJobcenter,
        Command::Register(registration()),
    );
    s
}

/// A change of the insured person's registration from 2026-11-23: partly unemployed, 20
/// hours, another job title, another a-kasse.
fn change() -> ChangeRegistration {
    ChangeRegistration {
        cpr: A_CPR.into(),
        change_date: Some("2026-11-23".into()),
        details: RegistrationDetails {
            unemployment_degree: Some("delvis".into()),
            hours_per_week: Some(20),
            job_titles: vec!["4110".into(), "4120".into()],
            unemployment_fund: Some("002".into()),
            ..a_dagpenge_details()
        },
    }
}

/// As [`registered`], with [`change`] recorded.
fn registered_then_changed() -> PersonState {
    let mut s = registered();
    given(
        &mut s,
        OrgKind::StateJobcenter,
        Command::ChangeRegistration(change()),
    );
    s
}

/// As [`registered`], deregistered 2026-11-20.
fn registered_then_deregistered() -> PersonState {
    let mut s = registered();
    given(
        &mut s,
        OrgKind::StateJobcenter,
        Command::Deregister(deregistration()),
    );
    s
}

/// As [`registered`], with sickness from 2026-11-10, still open.
fn registered_sick() -> PersonState {
    let mut s = registered();
    given(
        &mut s,
        OrgKind::StateJobcenter,
        Command::StartCondition(condition(A_CPR, "sygdom", "2026-11-10", None)),
    );
    s
}

/// Cash-benefit applicant since 2026-11-02, match 4, not registered.
fn cash_applicant() -> PersonState {
    let mut s = PersonState::default();
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::FirstContact(first_contact()),
    );
    s
}

/// Cash-benefit recipient since 2026-11-02, match 2, registered at the first contact (§ 4, stk. 1).
fn cash_registered() -> PersonState {
    let mut s = PersonState::default();
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::FirstContact(first_contact_ready()),
    );
    s
}

/// As [`cash_registered`], exempted from availability since 2026-11-20 and so deregistered (§ 5).
fn cash_exempted() -> PersonState {
    let mut s = cash_registered();
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::StartCondition(condition(
            CASH_CPR,
            "fritagelse_raadighed",
            "2026-11-20",
            None,
        )),
    );
    s
}

// ---------------------------------------------------------------------------------------------
// The table: one breaking and one satisfying scenario per rule
// ---------------------------------------------------------------------------------------------

/// One command for one person, by one kind of organisation, on one day.
#[derive(Clone)]
struct Scenario {
    state: PersonState,
    kind: OrgKind,
    today: Date,
    cmd: Command,
    /// Acting as this particular organisation rather than the kind's test actor.
    actor: Option<Actor>,
}

impl Scenario {
    fn new(state: PersonState, kind: OrgKind, cmd: Command) -> Self {
        Scenario {
            state,
            kind,
            today: today(),
            cmd,
            actor: None,
        }
    }

    /// A citizen's self-registration through Jobnet, for a person the registry does not know.
    fn jobnet(cmd: Command) -> Self {
        Scenario {
            actor: Some(Actor::jobnet()),
            ..Scenario::new(PersonState::default(), OrgKind::StateJobcenter, cmd)
        }
    }

    fn on(mut self, day: &str) -> Self {
        self.today = d(day);
        self
    }

    fn with_state(&self, state: PersonState) -> Self {
        Scenario {
            state,
            ..self.clone()
        }
    }

    fn by(&self, kind: OrgKind) -> Self {
        Scenario {
            kind,
            ..self.clone()
        }
    }

    fn with_cmd(&self, cmd: Command) -> Self {
        Scenario {
            cmd,
            ..self.clone()
        }
    }

    fn run(&self) -> Result<Decision, Vec<Violation>> {
        let ctx = match &self.actor {
            Some(actor) => Context {
                actor,
                ..ctx_on(self.kind, self.today)
            },
            None => ctx_on(self.kind, self.today),
        };
        decide(&self.state, &self.cmd, ctx)
    }
}

/// A rule, the field its violation names, a scenario breaking it and the corrected scenario.
struct Case {
    rule: &'static Rule,
    field: Option<&'static str>,
    breaks: Scenario,
    satisfies: Scenario,
}

fn case(
    rule: &'static Rule,
    field: Option<&'static str>,
    breaks: Scenario,
    satisfies: Scenario,
) -> Case {
    Case {
        rule,
        field,
        breaks,
        satisfies,
    }
}

fn breaking_cases() -> Vec<Case> {
    use OrgKind::*;
    let mut cases = Vec::new();

    // --- § 8, stk. 1: registration (and the CPR, date and municipality rules it shares) ---
    let reg = Scenario::new(
        PersonState::default(),
        StateJobcenter,
        Command::Register(registration()),
    );
    let r = |f: fn(&mut RegisterJobSeeker)| {
        reg.with_cmd(Command::Register(variant(&registration(), f)))
    };
    cases.extend([
        case(
            &rules::CPR_FORMAT,
            Some("cpr"),
            r(|c| c.cpr = "01019O-1009".into()),
            reg.clone(),
        ),
        case(
            &rules::CPR_DATE,
            Some("cpr"),
            r(|c| c.cpr = "310290-1009".into()),
            reg.clone(),
        ),
        case(
            &rules::DATE_FORMAT,
            Some("registration_date"),
            r(|c| c.registration_date = Some("2026-02-30".into())),
            reg.clone(),
        ),
        case(
            &rules::DATE_IN_FUTURE,
            Some("registration_date"),
            r(|c| c.registration_date = Some("2026-11-28".into())),
            r(|c| c.registration_date = Some(TODAY.into())),
        ),
        case(
            &rules::DATE_BEFORE_BIRTH,
            Some("registration_date"),
            r(|c| c.registration_date = Some("1989-12-31".into())),
            reg.clone(),
        ),
        case(
            &rules::MUNICIPALITY_UNKNOWN,
            Some("municipality"),
            r(|c| c.municipality = Some("999".into())),
            reg.clone(),
        ),
        case(
            &rules::S8_1_NAME_REQUIRED,
            Some("name"),
            r(|c| c.name = Some("  ".into())),
            reg.clone(),
        ),
        case(
            &rules::S8_1_DATE_REQUIRED,
            Some("registration_date"),
            r(|c| c.registration_date = None),
            reg.clone(),
        ),
        case(
            &rules::S8_1_BENEFIT_REQUIRED,
            Some("benefit_category"),
            r(|c| c.details.benefit_category = None),
            reg.clone(),
        ),
        case(
            &rules::S8_1_BENEFIT_UNKNOWN,
            Some("benefit_category"),
            r(|c| c.details.benefit_category = Some("dagpenge".into())),
            reg.clone(),
        ),
        case(
            &rules::S8_1_DEGREE_REQUIRED,
            Some("unemployment_degree"),
            r(|c| c.details.unemployment_degree = None),
            reg.clone(),
        ),
        case(
            &rules::S8_1_DEGREE_UNKNOWN,
            Some("unemployment_degree"),
            r(|c| c.details.unemployment_degree = Some("halv".into())),
            reg.clone(),
        ),
        case(
            &rules::S8_1_HOURS,
            Some("hours_per_week"),
            r(|c| c.details.unemployment_degree = Some("delvis".into())),
            r(|c| {
                c.details.unemployment_degree = Some("delvis".into());
                c.details.hours_per_week = Some(15);
            }),
        ),
        case(
            &rules::S8_1_HOURS,
            Some("hours_per_week"),
            r(|c| c.details.hours_per_week = Some(15)),
            reg.clone(),
        ),
        case(
            &rules::S8_1_HOURS,
            Some("hours_per_week"),
            r(|c| {
                c.details.unemployment_degree = Some("delvis".into());
                c.details.hours_per_week = Some(37);
            }),
            r(|c| {
                c.details.unemployment_degree = Some("delvis".into());
                c.details.hours_per_week = Some(36);
            }),
        ),
        case(
            &rules::S8_1_JOB_TITLE_REQUIRED,
            Some("job_titles"),
            r(|c| c.details.job_titles = vec![]),
            reg.clone(),
        ),
        case(
            &rules::S8_1_JOB_TITLE_UNKNOWN,
            // 2131 is a DISCO-88 code, no longer valid.
            Some("job_titles[1]"),
            r(|c| c.details.job_titles = vec!["4110".into(), "2131".into()]),
            r(|c| c.details.job_titles = vec!["4110".into(), "2512".into()]),
        ),
        case(
            &rules::S8_1_FUND_REQUIRED,
            Some("unemployment_fund"),
            r(|c| c.details.unemployment_fund = None),
            reg.clone(),
        ),
        case(
            &rules::S8_1_FUND_UNKNOWN,
            Some("unemployment_fund"),
            r(|c| c.details.unemployment_fund = Some("999".into())),
            reg.clone(),
        ),
        case(
            &rules::S9_6_MATCH_UNKNOWN,
            Some("match_category"),
            r(|c| c.match_category = Some(6)),
            r(|c| c.match_category = Some(3)),
        ),
        case(&rules::S8_1_ACTOR, None, reg.by(OtherActor), reg.clone()),
        case(
            &rules::S8_1_ACTOR,
            None,
            reg.by(MunicipalJobcenter),
            reg.clone(),
        ),
    ]);
    let rereg = r(|c| c.registration_date = Some("2026-11-25".into()));
    cases.extend([
        case(
            &rules::S8_1_ALREADY_REGISTERED,
            None,
            rereg.with_state(registered()),
            rereg.with_state(registered_then_deregistered()),
        ),
        case(
            &rules::S8_1_BEFORE_LAST_DEREGISTRATION,
            Some("registration_date"),
            r(|c| c.registration_date = Some("2026-11-10".into()))
                .with_state(registered_then_deregistered()),
            rereg.with_state(registered_then_deregistered()),
        ),
    ]);

    // --- § 8, stk. 2: deregistration ---
    let dereg = Scenario::new(
        registered(),
        StateJobcenter,
        Command::Deregister(deregistration()),
    );
    let dr = |f: fn(&mut DeregisterJobSeeker)| {
        dereg.with_cmd(Command::Deregister(variant(&deregistration(), f)))
    };
    cases.extend([
        case(
            &rules::S8_2_NAME_REQUIRED,
            Some("name"),
            dr(|c| c.name = None),
            dereg.clone(),
        ),
        case(
            &rules::S8_2_DATE_REQUIRED,
            Some("deregistration_date"),
            dr(|c| c.deregistration_date = None),
            dereg.clone(),
        ),
        case(
            &rules::S8_2_REASON_REQUIRED,
            Some("reason"),
            dr(|c| c.reason = None),
            dereg.clone(),
        ),
        case(
            &rules::S8_2_REASON_UNKNOWN,
            Some("reason"),
            dr(|c| c.reason = Some("fyret".into())),
            dereg.clone(),
        ),
        case(
            &rules::S8_2_NOT_REGISTERED,
            None,
            dereg.with_state(PersonState::default()),
            dereg.clone(),
        ),
        case(
            &rules::S8_2_NOT_REGISTERED,
            None,
            dereg.with_state(registered_then_deregistered()),
            dereg.clone(),
        ),
        case(
            &rules::S8_2_BEFORE_REGISTRATION,
            Some("deregistration_date"),
            dr(|c| c.deregistration_date = Some("2026-11-01".into())),
            dereg.clone(),
        ),
        // The municipality deregisters only cash and start benefit recipients.
        case(
            &rules::S8_2_ACTOR,
            None,
            dereg.by(MunicipalJobcenter),
            dereg.clone(),
        ),
    ]);

    // --- § 8, stk. 1, nr. 4–7: a change of the registration's details ---
    let chg = Scenario::new(
        registered(),
        StateJobcenter,
        Command::ChangeRegistration(change()),
    );
    let ch = |f: fn(&mut ChangeRegistration)| {
        chg.with_cmd(Command::ChangeRegistration(variant(&change(), f)))
    };
    let dereg_after_change = Scenario::new(
        registered_then_changed(),
        StateJobcenter,
        Command::Deregister(variant(&deregistration(), |c| {
            c.deregistration_date = Some("2026-11-24".into());
        })),
    );
    cases.extend([
        case(
            &rules::S8_1_CHANGE_NOT_REGISTERED,
            None,
            chg.with_state(PersonState::default()),
            chg.clone(),
        ),
        case(
            &rules::S8_1_CHANGE_NOT_REGISTERED,
            None,
            chg.with_state(registered_then_deregistered()),
            chg.clone(),
        ),
        case(
            &rules::S8_1_CHANGE_DATE_REQUIRED,
            Some("change_date"),
            ch(|c| c.change_date = None),
            chg.clone(),
        ),
        case(
            &rules::S8_1_CHANGE_BEFORE,
            Some("change_date"),
            ch(|c| c.change_date = Some("2026-11-01".into())),
            chg.clone(),
        ),
        case(
            &rules::S8_1_CHANGE_BEFORE,
            Some("change_date"),
            chg.with_state(registered_then_changed())
                .with_cmd(Command::ChangeRegistration(variant(&change(), |c| {
                    c.change_date = Some("2026-11-22".into());
                    c.details.unemployment_fund = Some("003".into());
                }))),
            chg.with_state(registered_then_changed())
                .with_cmd(Command::ChangeRegistration(variant(&change(), |c| {
                    c.details.unemployment_fund = Some("003".into());
                }))),
        ),
        case(
            &rules::S8_1_CHANGE_CASH,
            Some("benefit_category"),
            ch(|c| {
                c.details.benefit_category = Some("kontanthjaelp".into());
                c.details.unemployment_fund = None;
            }),
            ch(|c| {
                c.details.benefit_category = Some("selvforsoergende".into());
                c.details.unemployment_fund = None;
            }),
        ),
        case(
            &rules::S8_1_CHANGE_NOTHING,
            None,
            ch(|c| c.details = a_dagpenge_details()),
            chg.clone(),
        ),
        case(
            &rules::S8_1_ACTOR,
            None,
            chg.by(MunicipalJobcenter),
            chg.clone(),
        ),
        case(
            &rules::S8_2_BEFORE_CHANGE,
            Some("deregistration_date"),
            dereg_after_change.with_cmd(Command::Deregister(deregistration())),
            dereg_after_change,
        ),
    ]);

    // --- § 3, § 8, stk. 3: first contact ---
    let fc = Scenario::new(
        PersonState::default(),
        MunicipalJobcenter,
        Command::FirstContact(first_contact()),
    );
    let f = |m: fn(&mut RecordFirstContact)| {
        fc.with_cmd(Command::FirstContact(variant(&first_contact(), m)))
    };
    let mut reopened = cash_applicant();
    given(
        &mut reopened,
        MunicipalJobcenter,
        Command::Cessation(cessation("2026-11-20")),
    );
    let second_contact = f(|c| c.first_contact_date = Some("2026-11-25".into()));
    cases.extend([
        case(
            &rules::S8_3_DATE_REQUIRED,
            Some("first_contact_date"),
            f(|c| c.first_contact_date = None),
            fc.clone(),
        ),
        case(
            &rules::S3_1_ALREADY_OPEN,
            None,
            second_contact.with_state(cash_applicant()),
            second_contact.with_state(reopened),
        ),
        case(
            &rules::S3_1_CASE_TYPE_CASH,
            Some("case_type"),
            f(|c| c.contact.case_type = Some("dagpenge".into())),
            f(|c| c.contact.case_type = Some("starthjaelp".into())),
        ),
        case(&rules::S3_ACTOR, None, fc.by(StateJobcenter), fc.clone()),
        case(
            &rules::S4_1_MUST_REGISTER,
            Some("registration"),
            f(|c| {
                c.contact.match_category = Some(2);
                c.contact.decisive_areas = vec!["erhvervserfaring".into()];
            }),
            fc.with_cmd(Command::FirstContact(first_contact_ready())),
        ),
        case(
            &rules::S4_1_NOT_READY,
            Some("registration"),
            f(|c| c.registration = Some(cash_details())),
            fc.clone(),
        ),
        case(
            &rules::DATE_BEFORE_BIRTH,
            Some("consent.date"),
            f(|c| c.contact.consent = consent("1985-02-01")),
            fc.clone(),
        ),
    ]);

    // --- § 3, stk. 3, § 8, stk. 4: cessation ---
    let cess = Scenario::new(
        cash_applicant(),
        MunicipalJobcenter,
        Command::Cessation(cessation("2026-11-20")),
    );
    cases.extend([
        case(
            &rules::S8_4_DATE_REQUIRED,
            Some("cessation_date"),
            cess.with_cmd(Command::Cessation(RecordBenefitCessation {
                cessation_date: None,
                ..cessation("2026-11-20")
            })),
            cess.clone(),
        ),
        case(
            &rules::S3_3_NO_CASH_BENEFIT,
            None,
            cess.with_state(PersonState::default()),
            cess.clone(),
        ),
        case(
            &rules::S8_4_BEFORE_START,
            Some("cessation_date"),
            cess.with_cmd(Command::Cessation(cessation("2026-11-01"))),
            cess.clone(),
        ),
        case(&rules::S3_ACTOR, None, cess.by(StateJobcenter), cess),
    ]);

    // --- § 4, stk. 3, § 8, stk. 5: periodic conditions ---
    let sick = condition(A_CPR, "sygdom", "2026-11-10", None);
    let cond = Scenario::new(registered(), StateJobcenter, Command::StartCondition(sick));
    let c = |m: fn(&mut StartPeriodicCondition)| {
        cond.with_cmd(Command::StartCondition(variant(
            &condition(A_CPR, "sygdom", "2026-11-10", None),
            m,
        )))
    };
    let sick_state = registered_sick();
    let sick_id = fact_of(&sick_state, "periodic_condition_started");
    let mut sick_ended = sick_state.clone();
    given(
        &mut sick_ended,
        StateJobcenter,
        end_condition(sick_id, "2026-11-20"),
    );
    let end = Scenario::new(
        sick_state.clone(),
        StateJobcenter,
        end_condition(sick_id, "2026-11-20"),
    );
    cases.extend([
        case(
            &rules::S8_5_KIND_REQUIRED,
            Some("kind"),
            c(|c| c.kind = None),
            cond.clone(),
        ),
        case(
            &rules::S8_5_KIND_UNKNOWN,
            Some("kind"),
            c(|c| c.kind = Some("influenza".into())),
            cond.clone(),
        ),
        case(
            &rules::S8_5_START_REQUIRED,
            Some("start_date"),
            c(|c| c.start_date = None),
            cond.clone(),
        ),
        case(
            &rules::S8_5_END_BEFORE_START,
            Some("end_date"),
            c(|c| c.end_date = Some("2026-11-05".into())),
            c(|c| c.end_date = Some("2026-11-10".into())),
        ),
        case(
            &rules::S8_5_END_BEFORE_START,
            Some("end_date"),
            end.with_cmd(end_condition(sick_id, "2026-11-09")),
            end.clone(),
        ),
        case(
            &rules::S8_5_TOO_FAR_AHEAD,
            Some("start_date"),
            c(|c| c.start_date = Some("2027-11-28".into())),
            c(|c| c.start_date = Some("2027-11-27".into())),
        ),
        case(
            &rules::S8_5_TOO_FAR_AHEAD,
            Some("end_date"),
            end.with_cmd(end_condition(sick_id, "2028-11-27")),
            end.with_cmd(end_condition(sick_id, "2028-11-26")),
        ),
        case(
            &rules::S8_5_OVERLAP,
            Some("start_date"),
            c(|c| c.start_date = Some("2026-11-15".into())).with_state(sick_state),
            c(|c| c.start_date = Some("2026-11-21".into())).with_state(sick_ended.clone()),
        ),
        case(
            &rules::S8_5_NOT_FOUND,
            None,
            end.with_cmd(end_condition(999, "2026-11-20")),
            end.clone(),
        ),
        case(
            &rules::S8_5_ALREADY_ENDED,
            None,
            end.with_state(sick_ended.clone()),
            end.clone(),
        ),
        case(
            &rules::S8_5_END_REQUIRED,
            Some("end_date"),
            end.with_cmd(Command::EndCondition {
                condition: sick_id,
                body: EndPeriodicCondition {
                    end_date: None,
                    registration: None,
                },
            }),
            end.clone(),
        ),
        case(
            &rules::S4_1_REGISTRATION_NOT_EXPECTED,
            Some("registration"),
            end.with_cmd(Command::EndCondition {
                condition: sick_id,
                body: EndPeriodicCondition {
                    end_date: Some("2026-11-20".into()),
                    registration: Some(cash_details()),
                },
            }),
            end.clone(),
        ),
        case(
            &rules::S4_3_NOT_COVERED,
            None,
            cond.with_state(PersonState::default()),
            cond.clone(),
        ),
        case(&rules::S4_3_ACTOR, None, cond.by(OtherActor), cond.clone()),
        case(&rules::S4_3_ACTOR, None, end.by(UnemploymentFund), end),
    ]);

    // --- § 9: contact interviews ---
    let iv = Scenario::new(
        registered(),
        StateJobcenter,
        Command::Interview(interview()),
    );
    let i = |m: fn(&mut RecordContactInterview)| {
        iv.with_cmd(Command::Interview(variant(&interview(), m)))
    };
    cases.extend([
        case(
            &rules::S9_1_NAME_REQUIRED,
            Some("name"),
            i(|c| c.contact.name = None),
            iv.clone(),
        ),
        case(
            &rules::S9_1_CASE_TYPE_REQUIRED,
            Some("case_type"),
            i(|c| c.contact.case_type = None),
            iv.clone(),
        ),
        case(
            &rules::S9_1_CASE_TYPE_UNKNOWN,
            Some("case_type"),
            i(|c| c.contact.case_type = Some("sygedagpenge".into())),
            iv.clone(),
        ),
        case(
            &rules::S9_1_SUPPORT_REQUIRED,
            Some("support"),
            i(|c| c.contact.support = None),
            iv.clone(),
        ),
        case(
            &rules::S9_1_SUPPORT_UNKNOWN,
            Some("support"),
            i(|c| c.contact.support = Some("loen".into())),
            iv.clone(),
        ),
        case(
            &rules::S9_1_CONSENT_REQUIRED,
            Some("consent"),
            i(|c| c.contact.consent = None),
            iv.clone(),
        ),
        case(
            &rules::S9_1_CONSENT_REQUIRED,
            Some("consent"),
            i(|c| {
                c.contact.consent = Some(ConsentInput {
                    obtain: Some(true),
                    disclose: None,
                    date: Some("2026-11-16".into()),
                });
            }),
            i(|c| {
                c.contact.consent = Some(ConsentInput {
                    obtain: Some(true),
                    disclose: Some(false),
                    date: Some("2026-11-16".into()),
                });
            }),
        ),
        case(
            &rules::S9_1_CONSENT_REQUIRED,
            Some("consent.date"),
            i(|c| {
                c.contact.consent = Some(ConsentInput {
                    obtain: Some(false),
                    disclose: Some(false),
                    date: None,
                });
            }),
            i(|c| {
                c.contact.consent = Some(ConsentInput {
                    obtain: Some(false),
                    disclose: Some(false),
                    date: Some("2026-11-16".into()),
                });
            }),
        ),
        case(
            &rules::S9_2_DATE_REQUIRED,
            Some("interview_date"),
            i(|c| c.interview_date = None),
            iv.clone(),
        ),
        case(
            &rules::S9_2_TYPE_REQUIRED,
            Some("interview_type"),
            i(|c| c.interview_type = None),
            iv.clone(),
        ),
        case(
            &rules::S9_2_TYPE_UNKNOWN,
            Some("interview_type"),
            i(|c| c.interview_type = Some("tredje".into())),
            i(|c| c.interview_type = Some("efterfoelgende".into())),
        ),
        case(
            &rules::S9_3_CONTACT_FORM_REQUIRED,
            Some("contact_form"),
            i(|c| c.contact.contact_form = None),
            iv.clone(),
        ),
        case(
            &rules::S9_3_CONTACT_FORM_UNKNOWN,
            Some("contact_form"),
            i(|c| c.contact.contact_form = Some("sms".into())),
            i(|c| c.contact.contact_form = Some("digitalt".into())),
        ),
        case(
            &rules::S9_4_AREA_UNKNOWN,
            Some("attention_areas.fritid"),
            i(|c| {
                c.contact
                    .attention_areas
                    .insert("fritid".into(), "Spiller fodbold.".into());
            }),
            i(|c| {
                c.contact
                    .attention_areas
                    .insert("sociale_forhold".into(), "Enlig forsørger.".into());
            }),
        ),
        case(
            &rules::S9_4_NOTE_EMPTY,
            Some("attention_areas.helbred"),
            i(|c| {
                c.contact
                    .attention_areas
                    .insert("helbred".into(), " ".into());
            }),
            iv.clone(),
        ),
        case(
            &rules::S9_6_MATCH_REQUIRED,
            Some("match_category"),
            i(|c| c.contact.match_category = None),
            iv.clone(),
        ),
        case(
            &rules::S9_6_MATCH_UNKNOWN,
            Some("match_category"),
            i(|c| c.contact.match_category = Some(0)),
            iv.clone(),
        ),
        case(
            &rules::S9_7_DECISIVE_NOT_ALLOWED,
            Some("decisive_areas"),
            i(|c| c.contact.match_category = Some(1)),
            i(|c| {
                c.contact.match_category = Some(1);
                c.contact.decisive_areas = vec![];
            }),
        ),
        case(
            &rules::S9_7_AREA_UNKNOWN,
            Some("decisive_areas[1]"),
            i(|c| c.contact.decisive_areas = vec!["uddannelse".into(), "alder".into()]),
            i(|c| c.contact.decisive_areas = vec!["uddannelse".into(), "helbred".into()]),
        ),
        case(
            &rules::S9_8_REASON_UNKNOWN,
            Some("frequent_contact_reason"),
            i(|c| c.contact.frequent_contact_reason = Some("keder_sig".into())),
            i(|c| c.contact.frequent_contact_reason = Some("risiko_langtidsledighed".into())),
        ),
        case(
            &rules::S9_9_REASON_UNKNOWN,
            Some("exemption_reason"),
            i(|c| c.contact.exemption_reason = Some("ferie".into())),
            i(|c| c.contact.exemption_reason = Some("barsel".into())),
        ),
        case(
            &rules::S9_11_FURTHER_COURSE_REQUIRED,
            Some("further_course"),
            i(|c| c.contact.further_course = Some(" ".into())),
            iv.clone(),
        ),
        case(
            &rules::S2_4_NOT_COVERED,
            None,
            iv.with_state(PersonState::default()),
            iv.clone(),
        ),
        case(
            &rules::S2_4_NOT_COVERED,
            None,
            iv.with_state(registered_then_deregistered()),
            iv.clone(),
        ),
        case(
            &rules::S2_4_ACTOR,
            None,
            iv.by(BenefitCenter),
            iv.by(OtherActor),
        ),
        case(
            &rules::S2_4_ACTOR,
            None,
            iv.by(UnemploymentFund),
            iv.by(MunicipalJobcenter),
        ),
    ]);

    // --- § 2, stk. 5: assignments to other actors ---
    let assignment = || AssignOtherActor {
        cpr: A_CPR.into(),
        other_actor: Some("12345678".into()),
        from_date: Some("2026-11-20".into()),
        to_date: None,
    };
    let assign = Scenario::new(
        registered(),
        StateJobcenter,
        Command::AssignOtherActor(assignment()),
    );
    let a = |f: fn(&mut AssignOtherActor)| {
        let mut c = assignment();
        f(&mut c);
        assign.with_cmd(Command::AssignOtherActor(c))
    };
    cases.extend([
        case(
            &rules::S2_5_ACTOR_CVR,
            Some("other_actor"),
            a(|c| c.other_actor = Some("1234".into())),
            assign.clone(),
        ),
        case(
            &rules::S2_5_FROM_REQUIRED,
            Some("from_date"),
            a(|c| c.from_date = None),
            assign.clone(),
        ),
        case(
            &rules::S2_5_END_BEFORE_START,
            Some("to_date"),
            a(|c| c.to_date = Some("2026-11-19".into())),
            a(|c| c.to_date = Some("2026-11-20".into())),
        ),
        case(
            &rules::S2_5_ASSIGNMENT_ACTOR,
            None,
            assign.by(OtherActor),
            assign.by(MunicipalJobcenter),
        ),
    ]);

    // --- § 4, stk. 1 and § 5 for the municipality's own registrations ---
    // Exempted from availability: no registration with cash benefit; once the exemption has
    // ended (it ends today, so from tomorrow), the same registration is accepted.
    let exempted = cash_exempted();
    let exemption_id = fact_of(&exempted, "periodic_condition_started");
    let mut exemption_over = exempted.clone();
    given(
        &mut exemption_over,
        MunicipalJobcenter,
        end_condition(exemption_id, TODAY),
    );
    let again = Scenario::new(
        exempted,
        MunicipalJobcenter,
        Command::Register(cash_registration("2026-11-28")),
    )
    .on("2026-11-30");
    cases.push(case(
        &rules::S5_EXEMPTED,
        None,
        again.clone(),
        again.with_state(exemption_over),
    ));
    // § 5 on the day: an exemption recorded ahead of its start deregisters when it takes
    // effect, recorded by the registry itself and not before.
    let mut pending = cash_registered();
    given(
        &mut pending,
        MunicipalJobcenter,
        Command::StartCondition(condition(
            CASH_CPR,
            "fritagelse_raadighed",
            "2026-12-10",
            None,
        )),
    );
    let due = Scenario {
        actor: Some(Actor::registry()),
        ..Scenario::new(pending, Operator, Command::TakeEffect)
    }
    .on("2026-12-10");
    cases.push(case(
        &rules::S5_DATED_ACTOR,
        None,
        Scenario {
            actor: None,
            ..due.by(MunicipalJobcenter)
        },
        due.clone(),
    ));
    cases.push(case(
        &rules::S5_NOTHING_DUE,
        None,
        due.clone().on("2026-12-09"),
        due,
    ));
    // Match 4: not to be registered; after an interview assessing match 3 the person must be.
    let mut ready_again = cash_applicant();
    given(
        &mut ready_again,
        MunicipalJobcenter,
        Command::Interview(RecordContactInterview {
            registration: Some(cash_details()),
            ..cash_interview("2026-11-16", 3, &["uddannelse"])
        }),
    );
    let mut dereg_by_cessation = ready_again.clone();
    given(
        &mut dereg_by_cessation,
        MunicipalJobcenter,
        Command::Cessation(cessation("2026-11-20")),
    );
    given(
        &mut dereg_by_cessation,
        MunicipalJobcenter,
        Command::Deregister(DeregisterJobSeeker {
            cpr: CASH_CPR.into(),
            name: Some("Mette Jensen".into()),
            deregistration_date: Some("2026-11-20".into()),
            reason: Some("ophoert_ydelse".into()),
        }),
    );
    let direct = Scenario::new(
        cash_applicant(),
        MunicipalJobcenter,
        Command::Register(cash_registration("2026-11-25")),
    );
    // Satisfied when the registration carries the assessment that makes the person ready.
    let assessed = direct.with_cmd(Command::Register(RegisterJobSeeker {
        match_category: Some(3),
        ..cash_registration("2026-11-25")
    }));
    cases.push(case(&rules::S4_1_NOT_READY, None, direct.clone(), assessed));
    // § 3: after the cessation no case is open, and a registration cannot open one.
    cases.push(case(
        &rules::S3_CASE_AT_FIRST_CONTACT,
        Some("benefit_category"),
        direct.with_state(dereg_by_cessation),
        direct.with_cmd(Command::Register(RegisterJobSeeker {
            match_category: Some(3),
            ..cash_registration("2026-11-25")
        })),
    ));
    // § 8, stk. 3 with § 9, nr. 7: the decisive areas at the first contact.
    let fc7 = Scenario::new(
        PersonState::default(),
        MunicipalJobcenter,
        Command::FirstContact(first_contact()),
    );
    cases.push(case(
        &rules::S9_7_DECISIVE_REQUIRED,
        Some("decisive_areas"),
        fc7.with_cmd(Command::FirstContact(variant(&first_contact(), |c| {
            c.contact.decisive_areas = vec![];
        }))),
        fc7,
    ));
    // § 9, nr. 2: one first contact interview per course.
    let mut interviewed = registered();
    given(
        &mut interviewed,
        StateJobcenter,
        Command::Interview(interview()),
    );
    let second = |kind: &str| {
        Command::Interview(RecordContactInterview {
            interview_date: Some("2026-11-20".into()),
            interview_type: Some(kind.into()),
            contact: ContactFields {
                consent: consent("2026-11-20"),
                ..interview().contact
            },
            ..interview()
        })
    };
    let again = Scenario::new(interviewed, StateJobcenter, second("foerste"));
    cases.push(case(
        &rules::S9_2_FIRST_INTERVIEW_ONCE,
        Some("interview_type"),
        again.clone(),
        again.with_cmd(second("efterfoelgende")),
    ));
    // § 4, stk. 2: the citizen registers themselves as an insured unemployed person only.
    let jobnet = |benefit: &str| {
        let mut c = registration();
        c.details.benefit_category = Some(benefit.into());
        if benefit != "a_dagpenge" {
            c.details.unemployment_fund = None;
        }
        c
    };
    cases.push(case(
        &rules::S4_2_SELF_REGISTRATION_INSURED,
        Some("benefit_category"),
        Scenario::jobnet(Command::Register(jobnet("selvforsoergende"))),
        Scenario::jobnet(Command::Register(jobnet("a_dagpenge"))),
    ));

    // --- Corrections ---
    let reg_state = registered();
    let reg_id = fact_of(&reg_state, "job_seeker_registered");
    let fix = Scenario::new(reg_state.clone(), StateJobcenter, annul(reg_id));
    let mut annulled = reg_state;
    given(&mut annulled, StateJobcenter, annul(reg_id));
    let applicant = cash_applicant();
    let first_contact_fix = Scenario::new(
        applicant.clone(),
        MunicipalJobcenter,
        annul(fact_of(&applicant, "first_contact_recorded")),
    );
    let later_date = Replacement::JobseekerRegistration(RegisterJobSeeker {
        registration_date: Some("2026-11-03".into()),
        ..registration()
    });
    cases.extend([
        case(
            &rules::CORRECTION_REASON_REQUIRED,
            Some("reason"),
            fix.with_cmd(correction(reg_id, Some(" "), None)),
            fix.clone(),
        ),
        case(
            &rules::CORRECTION_NOT_FOUND,
            Some("fact_id"),
            fix.with_cmd(annul(999)),
            fix.clone(),
        ),
        case(
            &rules::CORRECTION_NOT_FOUND,
            Some("fact_id"),
            // Fact 1 is the person's identification, not a record that can be corrected.
            fix.with_cmd(annul(1)),
            fix.clone(),
        ),
        case(
            &rules::CORRECTION_ALREADY_ANNULLED,
            Some("fact_id"),
            fix.with_state(annulled),
            fix.clone(),
        ),
        case(
            &rules::CORRECTION_WRONG_TYPE,
            Some("replacement"),
            fix.with_cmd(correction(
                reg_id,
                Some("Forkert dato."),
                Some(Replacement::JobseekerDeregistration(deregistration())),
            )),
            fix.with_cmd(correction(
                reg_id,
                Some("Forkert dato."),
                Some(later_date.clone()),
            )),
        ),
        case(
            &rules::CORRECTION_WRONG_TYPE,
            Some("replacement"),
            // Same kind, another person.
            fix.with_cmd(correction(
                reg_id,
                Some("Forkert dato."),
                Some(Replacement::JobseekerRegistration(RegisterJobSeeker {
                    cpr: CASH_CPR.into(),
                    registration_date: Some("2026-11-03".into()),
                    ..registration()
                })),
            )),
            fix.with_cmd(correction(reg_id, Some("Forkert dato."), Some(later_date))),
        ),
        case(
            &rules::CORRECTION_BREAKS_TIMELINE,
            Some("fact_id"),
            // The deregistration would be left without its registration.
            fix.with_state(registered_then_deregistered()),
            fix.clone(),
        ),
        case(&rules::CORRECTION_ACTOR, None, fix.by(OtherActor), fix),
        case(
            &rules::CORRECTION_ACTOR,
            None,
            // The state may not correct what only the municipality records (a first contact).
            first_contact_fix.by(StateJobcenter),
            first_contact_fix,
        ),
    ]);

    // --- § 2, stk. 2: the responsible municipality, and handing a person over ---
    let again = |m: &str| {
        Command::Register(RegisterJobSeeker {
            registration_date: Some("2026-11-25".into()),
            municipality: Some(m.into()),
            ..registration()
        })
    };
    let back = Scenario::new(registered_then_deregistered(), StateJobcenter, again("101"));
    let hand = |municipality: Option<&str>, reason: Option<&str>| {
        Scenario::new(
            cash_applicant(),
            MunicipalJobcenter,
            Command::HandOver(HandOverPerson {
                person_id: "p".into(),
                municipality: municipality.map(Into::into),
                reason: reason.map(Into::into),
            }),
        )
    };
    let handed = hand(Some("147"), Some("Flyttet"));
    let fc = Scenario::new(
        PersonState::default(),
        MunicipalJobcenter,
        Command::FirstContact(first_contact()),
    );
    let long = |n: usize| "æ".repeat(n);
    cases.extend([
        case(
            &rules::NAME_TOO_LONG,
            Some("name"),
            reg.with_cmd(Command::Register(variant(&registration(), |c| {
                c.name = Some(long(201));
            }))),
            reg.with_cmd(Command::Register(variant(&registration(), |c| {
                c.name = Some(long(200));
            }))),
        ),
        case(
            &rules::CONTROL_CHARACTERS,
            Some("name"),
            reg.with_cmd(Command::Register(variant(&registration(), |c| {
                c.name = Some("Jens\u{0}Hansen".into());
            }))),
            reg.with_cmd(Command::Register(variant(&registration(), |c| {
                c.name = Some("Jens Hansen".into());
            }))),
        ),
        case(
            &rules::TEXT_TOO_LONG,
            Some("contact_form_comment"),
            fc.with_cmd(Command::FirstContact(variant(&first_contact(), |c| {
                c.contact.contact_form_comment = Some(long(4001));
            }))),
            fc.with_cmd(Command::FirstContact(variant(&first_contact(), |c| {
                c.contact.contact_form_comment = Some(long(4000));
            }))),
        ),
        case(
            &rules::MUNICIPALITY_NOT_RESPONSIBLE,
            Some("municipality"),
            back.with_cmd(again("147")),
            back,
        ),
        case(
            &rules::HANDOVER_ACTOR,
            None,
            handed.by(StateJobcenter),
            handed.clone(),
        ),
        case(
            &rules::HANDOVER_MUNICIPALITY_REQUIRED,
            Some("municipality"),
            hand(None, Some("Flyttet")),
            handed.clone(),
        ),
        case(
            &rules::HANDOVER_SAME_MUNICIPALITY,
            Some("municipality"),
            hand(Some("101"), Some("Flyttet")),
            handed.clone(),
        ),
        case(
            &rules::HANDOVER_REASON_REQUIRED,
            Some("reason"),
            hand(Some("147"), Some("  ")),
            handed,
        ),
    ]);

    cases
}

#[test]
fn every_input_and_permission_rule_has_a_breaking_case() {
    let cases = breaking_cases();
    let missing: Vec<&str> = rules::ALL
        .iter()
        .filter(|r| matches!(r.kind, RuleKind::Input | RuleKind::Permission))
        .filter(|r| !cases.iter().any(|c| c.rule.id == r.id))
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a breaking case in breaking_cases(): {missing:?}"
    );
}

#[test]
fn breaking_cases_concern_refusal_rules_and_permissions_name_no_field() {
    for c in breaking_cases() {
        assert!(
            rules::by_id(c.rule.id).is_some(),
            "{} is not in rules::ALL",
            c.rule.id
        );
        assert!(
            matches!(c.rule.kind, RuleKind::Input | RuleKind::Permission),
            "{} is not a refusal rule",
            c.rule.id
        );
        if c.rule.kind == RuleKind::Permission {
            assert_eq!(
                c.field, None,
                "{}: a permission concerns no field",
                c.rule.id
            );
        }
    }
}

#[test]
fn every_breaking_case_breaks_its_rule() {
    let mut failures = Vec::new();
    for (n, c) in breaking_cases().iter().enumerate() {
        match c.breaks.run() {
            Ok(d) => failures.push(format!(
                "#{n} {}: accepted with events {:?}",
                c.rule.id,
                type_names(&d.events)
            )),
            Err(vs) if !has(&vs, c.rule, c.field) => failures.push(format!(
                "#{n} {} @ {:?}: refused with {:?}",
                c.rule.id,
                c.field,
                show(&vs)
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_breaking_case_is_satisfied_by_the_corrected_input() {
    let mut failures = Vec::new();
    for (n, c) in breaking_cases().iter().enumerate() {
        match c.satisfies.run() {
            Ok(d) => {
                if d.events.is_empty() {
                    failures.push(format!("#{n} {}: accepted but recorded nothing", c.rule.id));
                }
                if !d.warnings.is_empty() {
                    failures.push(format!(
                        "#{n} {}: unexpected warnings {:?}",
                        c.rule.id,
                        show(&d.warnings)
                    ));
                }
            }
            Err(vs) => failures.push(format!("#{n} {}: refused with {:?}", c.rule.id, show(&vs))),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn deciding_twice_gives_the_same_answer() {
    for c in breaking_cases() {
        assert_eq!(c.breaks.run(), c.breaks.run(), "{}", c.rule.id);
        assert_eq!(c.satisfies.run(), c.satisfies.run(), "{}", c.rule.id);
    }
}

// ---------------------------------------------------------------------------------------------
// Consequences and warnings
// ---------------------------------------------------------------------------------------------

/// Scenarios whose accepted events carry a Consequence rule.
fn consequence_cases() -> Vec<(&'static Rule, Scenario)> {
    use OrgKind::*;
    let mut sick_cash = cash_registered();
    given(
        &mut sick_cash,
        MunicipalJobcenter,
        Command::StartCondition(condition(CASH_CPR, "sygdom", "2026-11-10", None)),
    );
    let to_match_4 = Command::Interview(cash_interview("2026-11-16", 4, &["helbred"]));
    vec![
        (
            &rules::S6_DEFAULT_MATCH,
            Scenario::new(
                PersonState::default(),
                StateJobcenter,
                Command::Register(registration()),
            ),
        ),
        (
            &rules::S4_1_REGISTERED_AS_CONSEQUENCE,
            Scenario::new(
                PersonState::default(),
                MunicipalJobcenter,
                Command::FirstContact(first_contact_ready()),
            ),
        ),
        (
            &rules::S5_DEREGISTERED_AS_CONSEQUENCE,
            Scenario::new(cash_registered(), MunicipalJobcenter, to_match_4.clone()),
        ),
        (
            &rules::S8_5_CLOSED_BY_DEREGISTRATION,
            Scenario::new(sick_cash, MunicipalJobcenter, to_match_4),
        ),
        (
            &rules::S8_5_CLOSED_BY_DEREGISTRATION,
            Scenario::new(
                registered_sick(),
                StateJobcenter,
                Command::Deregister(deregistration()),
            ),
        ),
    ]
}

#[test]
fn every_consequence_rule_is_carried_by_the_events_it_causes() {
    let cases = consequence_cases();
    let missing: Vec<&str> = rules::ALL
        .iter()
        .filter(|r| r.kind == RuleKind::Consequence)
        .filter(|r| !cases.iter().any(|(rule, _)| rule.id == r.id))
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "consequence rules without a scenario: {missing:?}"
    );
    for (rule, scenario) in cases {
        let decision = accepted(scenario.run());
        assert!(
            rules_carried(&decision.events).iter().any(|r| r == rule.id),
            "{}: events {:?} do not carry it",
            rule.id,
            decision.events
        );
        assert_eq!(
            rules::by_id(rule.id).map(|r| r.kind),
            Some(RuleKind::Consequence)
        );
    }
}

#[test]
fn every_warning_rule_is_remarked_on_an_accepted_command() {
    let warnings: Vec<&str> = rules::ALL
        .iter()
        .filter(|r| r.kind == RuleKind::Warning)
        .map(|r| r.id)
        .collect();
    assert_eq!(
        warnings,
        // NAME_KEPT: a_record_never_renames_a_person.
        [rules::CPR_MODULUS_11.id, rules::NAME_KEPT.id],
        "a new warning rule needs a test here"
    );
}

#[test]
fn cpr_failing_modulus_11_is_accepted_with_a_warning() {
    assert!(
        !Cpr::parse(NO_MOD11_CPR)
            .expect("real date")
            .passes_modulus_11()
    );
    let mut s = PersonState::default();
    let decision = accepted(apply(
        &mut s,
        &Command::Register(RegisterJobSeeker {
            cpr: NO_MOD11_CPR.into(),
            ..registration()
        }),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(
        decision.warnings,
        vec![Violation::new(&rules::CPR_MODULUS_11, "cpr")]
    );
    assert!(
        s.current_registration().is_some(),
        "the person is registered all the same"
    );
}

#[test]
fn a_first_contact_with_registration_warns_about_modulus_11_once() {
    let decision = accepted(decide(
        &PersonState::default(),
        &Command::FirstContact(RecordFirstContact {
            cpr: NO_MOD11_CPR.into(),
            ..first_contact_ready()
        }),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert_eq!(
        ids(&decision.warnings),
        [rules::CPR_MODULUS_11.id],
        "one remark per request"
    );
}

#[test]
fn baseline_cpr_numbers_pass_modulus_11() {
    for cpr in [A_CPR, CASH_CPR] {
        assert!(Cpr::parse(cpr).expect("valid").passes_modulus_11(), "{cpr}");
    }
}

// ---------------------------------------------------------------------------------------------
// § 6: the default match category
// ---------------------------------------------------------------------------------------------

#[test]
fn s6_insured_unemployed_without_category_is_registered_in_immediate_match() {
    let mut s = PersonState::default();
    let decision = accepted(apply(
        &mut s,
        &Command::Register(registration()),
        OrgKind::StateJobcenter,
    ));
    assert!(decision.warnings.is_empty());
    let reg = decision
        .events
        .iter()
        .find(|e| matches!(e, Event::JobSeekerRegistered { .. }))
        .expect("registered");
    let Event::JobSeekerRegistered {
        match_category,
        match_rule,
        registration_date,
        unemployment_fund,
        ..
    } = reg
    else {
        unreachable!()
    };
    assert_eq!(*match_category, Some(1));
    assert_eq!(match_rule.as_deref(), Some(rules::S6_DEFAULT_MATCH.id));
    assert_eq!(*registration_date, d("2026-11-02"));
    assert_eq!(unemployment_fund.as_deref(), Some("001"));
    assert_eq!(s.current_match(), Some(1));
    let overview = PersonOverview::build("p1", &s).expect("person exists");
    assert!(overview.registered);
    assert_eq!(overview.match_category, Some(1));
    assert_eq!(overview.cpr, A_CPR);
    assert_eq!(overview.municipality.as_deref(), Some("101"));
}

#[test]
fn s6_an_explicit_category_at_registration_is_used_without_the_default_rule() {
    let mut s = PersonState::default();
    let decision = accepted(apply(
        &mut s,
        &Command::Register(RegisterJobSeeker {
            match_category: Some(3),
            ..registration()
        }),
        OrgKind::StateJobcenter,
    ));
    assert!(rules_carried(&decision.events).is_empty());
    assert_eq!(s.current_match(), Some(3));
}

#[test]
fn s6_does_not_apply_to_a_registration_without_unemployment_insurance() {
    let mut s = PersonState::default();
    let decision = accepted(apply(
        &mut s,
        &Command::Register(RegisterJobSeeker {
            details: RegistrationDetails {
                benefit_category: Some("selvforsoergende".into()),
                unemployment_fund: None,
                ..a_dagpenge_details()
            },
            ..registration()
        }),
        OrgKind::StateJobcenter,
    ));
    assert!(rules_carried(&decision.events).is_empty());
    assert_eq!(s.current_match(), None);
}

#[test]
fn s6_an_existing_category_is_kept_at_reregistration_until_the_next_interview() {
    use OrgKind::StateJobcenter;
    let mut s = registered();
    given(
        &mut s,
        StateJobcenter,
        Command::Interview(RecordContactInterview {
            contact: ContactFields {
                match_category: Some(3),
                decisive_areas: vec!["uddannelse".into()],
                ..interview().contact
            },
            ..interview()
        }),
    );
    given(
        &mut s,
        StateJobcenter,
        Command::Deregister(deregistration()),
    );
    assert_eq!(s.current_registration(), None);

    let decision = accepted(apply(
        &mut s,
        &Command::Register(RegisterJobSeeker {
            registration_date: Some("2026-11-25".into()),
            ..registration()
        }),
        StateJobcenter,
    ));
    let [
        Event::JobSeekerRegistered {
            match_category,
            match_rule,
            ..
        },
    ] = decision.events.as_slice()
    else {
        panic!("expected only the registration, got {:?}", decision.events);
    };
    assert_eq!(*match_category, None, "no new category on the registration");
    assert_eq!(
        *match_rule, None,
        "§ 6 does not apply: the person has a category"
    );
    assert_eq!(
        s.current_match(),
        Some(3),
        "the interview's category is kept"
    );

    given(
        &mut s,
        StateJobcenter,
        Command::Interview(RecordContactInterview {
            interview_date: Some("2026-11-26".into()),
            interview_type: Some("efterfoelgende".into()),
            ..interview()
        }),
    );
    assert_eq!(s.current_match(), Some(2), "the next interview sets it");
}

// ---------------------------------------------------------------------------------------------
// § 4, stk. 1: registration at the assessment
// ---------------------------------------------------------------------------------------------

#[test]
fn s4_1_first_contact_in_match_1_to_3_without_registration_is_refused() {
    for (category, decisive) in [(1, vec![]), (2, vec!["jobonsker"]), (3, vec!["uddannelse"])] {
        let cmd = Command::FirstContact(variant(&first_contact(), |c| {
            c.contact.match_category = Some(category);
            c.contact.decisive_areas = decisive.iter().map(|s| (*s).to_owned()).collect();
        }));
        let vs = refused(decide(
            &PersonState::default(),
            &cmd,
            ctx(OrgKind::MunicipalJobcenter),
        ));
        assert_eq!(
            vs,
            vec![Violation::new(&rules::S4_1_MUST_REGISTER, "registration")],
            "match {category}"
        );
    }
}

#[test]
fn s4_1_first_contact_with_registration_registers_as_a_consequence() {
    let mut s = PersonState::default();
    let decision = accepted(apply(
        &mut s,
        &Command::FirstContact(first_contact_ready()),
        OrgKind::MunicipalJobcenter,
    ));
    let business: Vec<&Event> = decision
        .events
        .iter()
        .filter(|e| {
            !matches!(
                e,
                Event::PersonIdentified { .. } | Event::MunicipalitySet { .. }
            )
        })
        .collect();
    let [
        Event::FirstContactRecorded { contact, .. },
        Event::JobSeekerRegistered {
            registration_date,
            benefit_category,
            consequence_of: Some(consequence),
            match_category: None,
            ..
        },
    ] = business.as_slice()
    else {
        panic!(
            "expected first contact + registration, got {:?}",
            decision.events
        );
    };
    assert_eq!(contact.match_category, 2);
    assert_eq!(*registration_date, d("2026-11-02"));
    assert_eq!(benefit_category, "kontanthjaelp");
    assert_eq!(consequence.rule, rules::S4_1_REGISTERED_AS_CONSEQUENCE.id);
    assert_eq!(consequence.fact, fact_of(&s, "first_contact_recorded"));

    assert!(
        s.current_registration().is_some(),
        "the person is registered"
    );
    assert_eq!(s.cash_benefit_since(), Some(d("2026-11-02")));
    assert_eq!(s.current_match(), Some(2));
    let overview = PersonOverview::build("p1", &s).expect("exists");
    assert!(overview.registered);
    let reg = overview.registrations.last().expect("a registration");
    assert_eq!(
        reg.consequence_of.as_ref().map(|c| c.rule.as_str()),
        Some(rules::S4_1_REGISTERED_AS_CONSEQUENCE.id)
    );
    assert_eq!(overview.municipality.as_deref(), Some("101"));
}

#[test]
fn s4_1_the_person_is_identified_and_placed_once() {
    let decision = accepted(decide(
        &PersonState::default(),
        &Command::FirstContact(RecordFirstContact {
            municipality: None,
            ..first_contact_ready()
        }),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert_eq!(
        type_names(&decision.events),
        [
            "person_identified",
            "municipality_set",
            "first_contact_recorded",
            "job_seeker_registered"
        ]
    );
}

#[test]
fn s4_1_registration_problems_name_the_fields_inside_registration() {
    let cmd = Command::FirstContact(variant(&first_contact_ready(), |c| {
        c.registration = Some(RegistrationDetails {
            job_titles: vec![],
            unemployment_degree: Some("delvis".into()),
            ..cash_details()
        });
    }));
    let vs = refused(decide(
        &PersonState::default(),
        &cmd,
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert!(
        has(
            &vs,
            &rules::S8_1_JOB_TITLE_REQUIRED,
            Some("registration.job_titles")
        ),
        "{:?}",
        show(&vs)
    );
    assert!(
        has(&vs, &rules::S8_1_HOURS, Some("registration.hours_per_week")),
        "{:?}",
        show(&vs)
    );
}

#[test]
fn s4_1_a_missing_name_is_named_once_on_the_field_the_request_has() {
    let cmd = Command::FirstContact(variant(&first_contact_ready(), |c| c.contact.name = None));
    let vs = refused(decide(
        &PersonState::default(),
        &cmd,
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert_eq!(
        vs,
        vec![Violation::new(&rules::S9_1_NAME_REQUIRED, "name")],
        "{:?}",
        show(&vs)
    );
}

#[test]
fn s4_1_a_bad_cpr_is_named_once_on_the_field_the_request_has() {
    for (cpr, rule) in [
        ("0202851002", None),
        ("02028-51002", Some(&rules::CPR_FORMAT)),
        ("300285-1002", Some(&rules::CPR_DATE)),
    ] {
        let cmd = Command::FirstContact(RecordFirstContact {
            cpr: cpr.into(),
            ..first_contact_ready()
        });
        let r = decide(
            &PersonState::default(),
            &cmd,
            ctx(OrgKind::MunicipalJobcenter),
        );
        match rule {
            None => {
                accepted(r);
            }
            Some(rule) => assert_eq!(refused(r), vec![Violation::new(rule, "cpr")], "{cpr}"),
        }
    }
}

#[test]
fn s6_does_not_override_the_category_assessed_in_the_same_record() {
    // The state job centre may register on any benefit; even if the registration given with
    // the assessment names a-dagpenge, the category just assessed stands: § 6 is for those
    // without one.
    let mut s = cash_applicant();
    let decision = accepted(apply(
        &mut s,
        &Command::Interview(RecordContactInterview {
            registration: Some(a_dagpenge_details()),
            ..cash_interview("2026-11-16", 2, &["uddannelse"])
        }),
        OrgKind::StateJobcenter,
    ));
    assert!(
        !rules_carried(&decision.events)
            .iter()
            .any(|r| r == rules::S6_DEFAULT_MATCH.id),
        "{:?}",
        decision.events
    );
    assert_eq!(s.current_match(), Some(2));
}

#[test]
fn s4_1_the_municipality_cannot_register_on_a_dagpenge_through_an_assessment() {
    // The § 4, stk. 1 registration is for cash and start benefit recipients; registering an
    // insured person is the state's (§ 4, stk. 2).
    let s = PersonState::default();
    let vs = refused(decide(
        &s,
        &Command::FirstContact(RecordFirstContact {
            registration: Some(a_dagpenge_details()),
            ..first_contact_ready()
        }),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert!(
        vs.iter().any(|v| v.rule.id == rules::S8_1_ACTOR.id),
        "{:?}",
        show(&vs)
    );
}

#[test]
fn s4_1_an_interview_raising_the_category_to_1_3_registers_the_person() {
    use OrgKind::MunicipalJobcenter;
    let mut s = cash_applicant();
    let without = Command::Interview(cash_interview("2026-11-16", 3, &["uddannelse"]));
    let vs = refused(decide(&s, &without, ctx(MunicipalJobcenter)));
    assert_eq!(
        vs,
        vec![Violation::new(&rules::S4_1_MUST_REGISTER, "registration")]
    );

    let with = Command::Interview(RecordContactInterview {
        registration: Some(cash_details()),
        ..cash_interview("2026-11-16", 3, &["uddannelse"])
    });
    let decision = accepted(apply(&mut s, &with, MunicipalJobcenter));
    assert_eq!(
        rules_carried(&decision.events),
        [rules::S4_1_REGISTERED_AS_CONSEQUENCE.id]
    );
    assert!(s.current_registration().is_some());
    assert_eq!(s.current_match(), Some(3));
}

#[test]
fn s4_1_an_other_actor_interview_may_carry_the_registration() {
    // The registration is the municipality's duty (§ 4, stk. 1), whoever holds the interview.
    let mut s = cash_applicant();
    let with = Command::Interview(RecordContactInterview {
        registration: Some(cash_details()),
        ..cash_interview("2026-11-16", 2, &["erhvervserfaring"])
    });
    accepted(apply(&mut s, &with, OrgKind::OtherActor));
    assert!(s.current_registration().is_some());
}

// ---------------------------------------------------------------------------------------------
// § 5: deregistration when no longer unemployed and nothing else
// ---------------------------------------------------------------------------------------------

#[test]
fn s5_interview_setting_match_4_deregisters_and_closes_open_conditions() {
    use OrgKind::MunicipalJobcenter;
    let mut s = cash_registered();
    given(
        &mut s,
        MunicipalJobcenter,
        Command::StartCondition(condition(CASH_CPR, "sygdom", "2026-11-10", None)),
    );
    let sick_id = fact_of(&s, "periodic_condition_started");
    let decision = accepted(apply(
        &mut s,
        &Command::Interview(cash_interview("2026-11-16", 4, &["helbred"])),
        MunicipalJobcenter,
    ));
    let interview_id = fact_of(&s, "contact_interview_recorded");
    let dereg_id = fact_of(&s, "job_seeker_deregistered");
    let [
        Event::ContactInterviewRecorded { .. },
        Event::JobSeekerDeregistered {
            deregistration_date,
            reason,
            consequence_of: Some(dereg_cause),
        },
        Event::PeriodicConditionEnded {
            condition,
            end_date,
            consequence_of: Some(end_cause),
        },
    ] = decision.events.as_slice()
    else {
        panic!("unexpected events {:?}", decision.events);
    };
    assert_eq!(*deregistration_date, d("2026-11-16"));
    assert_eq!(reason, "ikke_alene_ledighed");
    assert_eq!(dereg_cause.rule, rules::S5_DEREGISTERED_AS_CONSEQUENCE.id);
    assert_eq!(dereg_cause.fact, interview_id);
    assert_eq!(*condition, sick_id);
    assert_eq!(*end_date, d("2026-11-16"));
    assert_eq!(end_cause.rule, rules::S8_5_CLOSED_BY_DEREGISTRATION.id);
    assert_eq!(end_cause.fact, dereg_id);

    assert!(s.current_registration().is_none(), "deregistered");
    assert_eq!(s.current_match(), Some(4));
    assert!(
        s.cash_benefit_since().is_some(),
        "still receives cash benefit"
    );
    let overview = PersonOverview::build("p1", &s).expect("exists");
    assert!(!overview.registered);
    let dereg = overview.registrations[0]
        .deregistration
        .as_ref()
        .expect("deregistered");
    assert_eq!(
        dereg.consequence_of.as_ref().map(|c| c.rule.as_str()),
        Some(rules::S5_DEREGISTERED_AS_CONSEQUENCE.id)
    );
    assert_eq!(
        overview.periodic_conditions[0].end_date,
        Some(d("2026-11-16"))
    );
}

#[test]
fn s5_an_interview_with_match_4_of_an_insured_person_does_not_deregister() {
    let mut s = registered();
    let decision = accepted(apply(
        &mut s,
        &Command::Interview(RecordContactInterview {
            contact: ContactFields {
                match_category: Some(4),
                decisive_areas: vec!["helbred".into()],
                ..interview().contact
            },
            ..interview()
        }),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(type_names(&decision.events), ["contact_interview_recorded"]);
    assert!(s.current_registration().is_some());
}

#[test]
fn s5_exemption_from_availability_deregisters_a_cash_recipient_and_stays_open() {
    use OrgKind::MunicipalJobcenter;
    let mut s = cash_registered();
    let decision = accepted(apply(
        &mut s,
        &Command::StartCondition(condition(
            CASH_CPR,
            "fritagelse_raadighed",
            "2026-11-20",
            None,
        )),
        MunicipalJobcenter,
    ));
    let exemption_id = fact_of(&s, "periodic_condition_started");
    let [
        Event::PeriodicConditionStarted { kind, .. },
        Event::JobSeekerDeregistered {
            deregistration_date,
            reason,
            consequence_of: Some(cause),
        },
    ] = decision.events.as_slice()
    else {
        panic!("unexpected events {:?}", decision.events);
    };
    assert_eq!(kind, "fritagelse_raadighed");
    assert_eq!(*deregistration_date, d("2026-11-20"));
    assert_eq!(reason, "fritaget_raadighed");
    assert_eq!(cause.rule, rules::S5_DEREGISTERED_AS_CONSEQUENCE.id);
    assert_eq!(cause.fact, exemption_id);

    assert!(s.current_registration().is_none());
    let exemption = s
        .conditions()
        .into_iter()
        .find(|c| c.id == exemption_id)
        .expect("the exemption");
    assert_eq!(exemption.end, None, "the exemption itself stays open");
    assert!(s.exempted_from_availability_on(today()));
}

#[test]
fn s5_exemption_of_an_insured_person_does_not_deregister() {
    let mut s = registered();
    let decision = accepted(apply(
        &mut s,
        &Command::StartCondition(condition(A_CPR, "fritagelse_raadighed", "2026-11-20", None)),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(type_names(&decision.events), ["periodic_condition_started"]);
    assert!(s.current_registration().is_some());
}

#[test]
fn s5_while_exempted_an_assessment_of_match_1_3_does_not_require_registration() {
    let mut s = cash_exempted();
    let decision = accepted(apply(
        &mut s,
        &Command::Interview(cash_interview("2026-11-24", 1, &[])),
        OrgKind::MunicipalJobcenter,
    ));
    assert_eq!(type_names(&decision.events), ["contact_interview_recorded"]);
    assert!(s.current_registration().is_none());
}

// ---------------------------------------------------------------------------------------------
// § 8, stk. 5: periodic conditions
// ---------------------------------------------------------------------------------------------

#[test]
fn s8_5_conditions_of_the_same_kind_may_not_overlap() {
    let s = registered_sick();
    for (start, end) in [
        ("2026-11-10", None),
        ("2026-11-01", Some("2026-11-10")),
        ("2026-11-25", None),
        ("2026-11-03", None),
    ] {
        let vs = refused(decide(
            &s,
            &Command::StartCondition(condition(A_CPR, "sygdom", start, end)),
            ctx(OrgKind::StateJobcenter),
        ));
        assert_eq!(
            vs,
            vec![Violation::new(&rules::S8_5_OVERLAP, "start_date")],
            "{start}..{end:?}"
        );
    }
}

#[test]
fn s8_5_a_closed_period_before_an_open_one_of_the_same_kind_is_accepted() {
    let mut s = registered_sick();
    accepted(apply(
        &mut s,
        &Command::StartCondition(condition(A_CPR, "sygdom", "2026-11-03", Some("2026-11-09"))),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(s.conditions().len(), 2);
}

#[test]
fn s8_5_conditions_of_different_kinds_may_overlap() {
    let mut s = registered_sick();
    accepted(apply(
        &mut s,
        &Command::StartCondition(condition(A_CPR, "ferie", "2026-11-12", Some("2026-11-14"))),
        OrgKind::StateJobcenter,
    ));
    let kinds: Vec<String> = s.conditions().into_iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ["sygdom", "ferie"]);
}

#[test]
fn s8_5_end_before_start_is_refused_and_ending_on_the_start_day_is_accepted() {
    let vs = refused(decide(
        &registered(),
        &Command::StartCondition(condition(A_CPR, "ferie", "2026-11-10", Some("2026-11-09"))),
        ctx(OrgKind::StateJobcenter),
    ));
    assert_eq!(
        vs,
        vec![Violation::new(&rules::S8_5_END_BEFORE_START, "end_date")]
    );

    let mut s = registered_sick();
    let id = fact_of(&s, "periodic_condition_started");
    let vs = refused(decide(
        &s,
        &end_condition(id, "2026-11-09"),
        ctx(OrgKind::StateJobcenter),
    ));
    assert_eq!(
        vs,
        vec![Violation::new(&rules::S8_5_END_BEFORE_START, "end_date")]
    );
    accepted(apply(
        &mut s,
        &end_condition(id, "2026-11-10"),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(s.conditions()[0].end, Some(d("2026-11-10")));
}

#[test]
fn s8_5_manual_deregistration_closes_open_conditions_but_not_ended_ones() {
    let mut s = registered_sick();
    given(
        &mut s,
        OrgKind::StateJobcenter,
        Command::StartCondition(condition(A_CPR, "ferie", "2026-11-12", Some("2026-11-14"))),
    );
    let decision = accepted(apply(
        &mut s,
        &Command::Deregister(deregistration()),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(
        rules_carried(&decision.events),
        [rules::S8_5_CLOSED_BY_DEREGISTRATION.id],
        "only the open sickness is closed"
    );
    let ends: Vec<Option<Date>> = s.conditions().into_iter().map(|c| c.end).collect();
    assert_eq!(ends, [Some(d("2026-11-20")), Some(d("2026-11-14"))]);
}

// ---------------------------------------------------------------------------------------------
// Corrections
// ---------------------------------------------------------------------------------------------

#[test]
fn annulling_a_registration_without_deregistration() {
    let mut s = registered();
    let reg_id = fact_of(&s, "job_seeker_registered");
    let decision = accepted(apply(&mut s, &annul(reg_id), OrgKind::StateJobcenter));
    let [
        Event::FactCorrected {
            corrects,
            annulled,
            replaced,
            ..
        },
    ] = decision.events.as_slice()
    else {
        panic!("unexpected events {:?}", decision.events);
    };
    assert_eq!(*corrects, reg_id);
    assert_eq!(annulled, &[reg_id]);
    assert!(!replaced);

    assert!(s.current_registration().is_none());
    assert_eq!(s.current_match(), None, "the § 6 default went with it");
    let overview = PersonOverview::build("p1", &s).expect("exists");
    assert!(!overview.registered);
    assert!(overview.registrations.is_empty());
    assert_eq!(overview.corrections.len(), 1);
    let correction = &overview.corrections[0];
    assert_eq!(correction.corrects, format!("p1.{reg_id}"));
    assert_eq!(correction.reason, "Registreret ved en fejl.");
    assert_eq!(correction.annulled, [format!("p1.{reg_id}")]);
    assert_eq!(overview.annulled.len(), 1);
    assert_eq!(
        overview.annulled[0].recorded.fact_id,
        format!("p1.{reg_id}")
    );
    assert!(matches!(
        overview.annulled[0].event,
        Event::JobSeekerRegistered { .. }
    ));
    assert_eq!(
        overview.annulled[0].annulled_by,
        format!("p1.{}", fact_of_correction(&s))
    );
}

#[test]
fn annulling_an_interview_also_annuls_the_deregistration_it_caused() {
    use OrgKind::MunicipalJobcenter;
    let mut s = cash_registered();
    given(
        &mut s,
        MunicipalJobcenter,
        Command::StartCondition(condition(CASH_CPR, "sygdom", "2026-11-10", None)),
    );
    given(
        &mut s,
        MunicipalJobcenter,
        Command::Interview(cash_interview("2026-11-16", 4, &["helbred"])),
    );
    assert!(s.current_registration().is_none());
    let interview_id = fact_of(&s, "contact_interview_recorded");
    let dereg_id = fact_of(&s, "job_seeker_deregistered");
    let end_id = fact_of(&s, "periodic_condition_ended");

    let decision = accepted(apply(&mut s, &annul(interview_id), MunicipalJobcenter));
    let [Event::FactCorrected { annulled, .. }] = decision.events.as_slice() else {
        panic!("unexpected events {:?}", decision.events);
    };
    assert_eq!(annulled, &[interview_id, dereg_id, end_id]);

    assert!(s.current_registration().is_some(), "registered again");
    assert_eq!(
        s.current_match(),
        Some(2),
        "the first contact's category again"
    );
    assert_eq!(s.conditions()[0].end, None, "the sickness is open again");
    let overview = PersonOverview::build("p1", &s).expect("exists");
    assert!(overview.registered);
    assert!(overview.interviews.is_empty());
    assert_eq!(overview.annulled.len(), 3);
}

#[test]
fn correcting_a_registration_with_another_date() {
    let mut s = registered();
    let reg_id = fact_of(&s, "job_seeker_registered");
    let decision = accepted(apply(
        &mut s,
        &correction(
            reg_id,
            Some("Forkert dato tastet."),
            Some(Replacement::JobseekerRegistration(RegisterJobSeeker {
                registration_date: Some("2026-11-05".into()),
                ..registration()
            })),
        ),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(
        type_names(&decision.events),
        ["fact_corrected", "job_seeker_registered"]
    );
    let overview = PersonOverview::build("p1", &s).expect("exists");
    assert!(overview.registered);
    assert_eq!(overview.registrations.len(), 1);
    assert_eq!(overview.registrations[0].registration_date, d("2026-11-05"));
    assert_eq!(overview.latest_registration_date, Some(d("2026-11-05")));
    assert!(overview.corrections[0].replaced);
    assert_eq!(overview.annulled.len(), 1);
    assert_eq!(s.current_match(), Some(1));
}

#[test]
fn a_replacement_breaking_a_rule_is_refused_with_the_field_inside_replacement() {
    let s = registered();
    let reg_id = fact_of(&s, "job_seeker_registered");
    let vs = refused(decide(
        &s,
        &correction(
            reg_id,
            Some("Forkert dato."),
            Some(Replacement::JobseekerRegistration(RegisterJobSeeker {
                registration_date: Some("2026-12-24".into()),
                ..registration()
            })),
        ),
        ctx(OrgKind::StateJobcenter),
    ));
    assert_eq!(
        vs,
        vec![Violation::new(
            &rules::DATE_IN_FUTURE,
            "replacement.registration_date"
        )]
    );
}

#[test]
fn a_replacement_of_another_kind_is_refused() {
    let s = registered();
    let reg_id = fact_of(&s, "job_seeker_registered");
    let vs = refused(decide(
        &s,
        &correction(
            reg_id,
            Some("Forkert."),
            Some(Replacement::ContactInterview(interview())),
        ),
        ctx(OrgKind::StateJobcenter),
    ));
    assert_eq!(
        vs,
        vec![Violation::new(&rules::CORRECTION_WRONG_TYPE, "replacement")]
    );
}

#[test]
fn a_correction_without_reason_is_refused() {
    let s = registered();
    let reg_id = fact_of(&s, "job_seeker_registered");
    let vs = refused(decide(
        &s,
        &correction(reg_id, None, None),
        ctx(OrgKind::StateJobcenter),
    ));
    assert_eq!(
        vs,
        vec![Violation::new(&rules::CORRECTION_REASON_REQUIRED, "reason")]
    );
}

#[test]
fn correcting_an_annulled_fact_is_refused() {
    let mut s = registered();
    let reg_id = fact_of(&s, "job_seeker_registered");
    given(&mut s, OrgKind::StateJobcenter, annul(reg_id));
    let vs = refused(decide(&s, &annul(reg_id), ctx(OrgKind::StateJobcenter)));
    assert_eq!(
        vs,
        vec![Violation::new(
            &rules::CORRECTION_ALREADY_ANNULLED,
            "fact_id"
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Every problem at once
// ---------------------------------------------------------------------------------------------

#[test]
fn a_request_with_several_problems_names_all_of_them() {
    let vs = refused(decide(
        &PersonState::default(),
        &Command::Register(RegisterJobSeeker {
            name: None,
            registration_date: Some("2026-02-30".into()),
            details: RegistrationDetails {
                benefit_category: Some("dagpenge".into()),
                job_titles: vec![],
                ..a_dagpenge_details()
            },
            ..registration()
        }),
        ctx(OrgKind::StateJobcenter),
    ));
    let mut got = ids(&vs);
    got.sort_unstable();
    let mut want = vec![
        rules::S8_1_NAME_REQUIRED.id,
        rules::DATE_FORMAT.id,
        rules::S8_1_BENEFIT_UNKNOWN.id,
        rules::S8_1_JOB_TITLE_REQUIRED.id,
    ];
    want.sort_unstable();
    assert_eq!(got, want, "{:?}", show(&vs));
}

#[test]
fn an_interview_with_several_problems_names_all_of_them() {
    let vs = refused(decide(
        &registered(),
        &Command::Interview(variant(&interview(), |c| {
            c.interview_type = None;
            c.contact.consent = None;
            c.contact.match_category = Some(9);
            c.contact.decisive_areas = vec!["alder".into()];
            c.contact.further_course = None;
        })),
        ctx(OrgKind::BenefitCenter),
    ));
    for (rule, field) in [
        (&rules::S2_4_ACTOR, None),
        (&rules::S9_2_TYPE_REQUIRED, Some("interview_type")),
        (&rules::S9_1_CONSENT_REQUIRED, Some("consent")),
        (&rules::S9_6_MATCH_UNKNOWN, Some("match_category")),
        (&rules::S9_7_AREA_UNKNOWN, Some("decisive_areas[0]")),
        (
            &rules::S9_11_FURTHER_COURSE_REQUIRED,
            Some("further_course"),
        ),
    ] {
        assert!(
            has(&vs, rule, field),
            "{} missing from {:?}",
            rule.id,
            show(&vs)
        );
    }
}

#[test]
fn s5_ending_an_exemption_in_the_past_registers_again_when_registration_is_given() {
    let mut s = cash_exempted();
    assert!(
        s.current_registration().is_none(),
        "the exemption deregistered (§ 5)"
    );
    let exemption = fact_of(&s, "periodic_condition_started");
    // Without registration details the person would be left out of step (§ 4, stk. 1).
    let bare = end_condition(exemption, "2026-11-24");
    let refused = apply(&mut s.clone(), &bare, OrgKind::MunicipalJobcenter)
        .expect_err("out of step without registration");
    assert!(
        refused
            .iter()
            .any(|v| v.rule.id == rules::S4_1_MUST_REGISTER.id),
        "{:?}",
        show(&refused)
    );
    let with_registration = Command::EndCondition {
        condition: exemption,
        body: EndPeriodicCondition {
            end_date: Some("2026-11-24".into()),
            registration: Some(cash_details()),
        },
    };
    let d = apply(&mut s, &with_registration, OrgKind::MunicipalJobcenter).expect("accepted");
    let reg = d
        .events
        .iter()
        .find_map(|e| match e {
            Event::JobSeekerRegistered {
                registration_date,
                consequence_of,
                ..
            } => Some((*registration_date, consequence_of.clone())),
            _ => None,
        })
        .expect("registered again");
    assert_eq!(reg.0, d_("2026-11-25"));
    assert_eq!(
        reg.1.expect("as a consequence").rule,
        rules::S4_1_REGISTERED_AS_CONSEQUENCE.id
    );
    assert!(s.current_registration().is_some());
}

#[test]
fn s5_an_exemption_that_is_not_in_force_today_does_not_deregister() {
    let s = cash_registered();
    for (start, end) in [("2026-11-02", Some("2026-11-05")), ("2026-12-10", None)] {
        let mut st = s.clone();
        let d = apply(
            &mut st,
            &Command::StartCondition(condition(CASH_CPR, "fritagelse_raadighed", start, end)),
            OrgKind::MunicipalJobcenter,
        )
        .expect("accepted");
        assert!(
            !d.events
                .iter()
                .any(|e| matches!(e, Event::JobSeekerDeregistered { .. })),
            "{start}"
        );
        assert!(st.current_registration().is_some());
    }
}

#[test]
fn s5_an_exemption_recorded_ahead_deregisters_on_the_day_it_takes_effect() {
    let mut s = cash_registered();
    let start = apply(
        &mut s,
        &Command::StartCondition(condition(
            CASH_CPR,
            "fritagelse_raadighed",
            "2026-12-10",
            None,
        )),
        OrgKind::MunicipalJobcenter,
    )
    .expect("accepted");
    let condition_id = s.version;
    assert_eq!(start.events.len(), 1, "nothing deregistered yet");
    assert_eq!(
        s.exemption_pending(),
        Some((condition_id, d_("2026-12-10")))
    );
    let registry = Actor::registry();
    let on = |day: &str| Context {
        actor: &registry,
        clock: Clock { today: d_(day) },
        codes: &CODES,
        residence: None,
        rule_sets: fdg_domain::ruleset::SHIPPED,
    };
    assert!(decide(&s, &Command::TakeEffect, on("2026-12-09")).is_err());
    let d = decide(&s, &Command::TakeEffect, on("2026-12-12")).expect("due");
    let dereg = d
        .events
        .iter()
        .find_map(|e| match e {
            Event::JobSeekerDeregistered {
                deregistration_date,
                reason,
                consequence_of,
            } => Some((*deregistration_date, reason.clone(), consequence_of.clone())),
            _ => None,
        })
        .expect("deregistered");
    assert_eq!(dereg.0, d_("2026-12-10"), "from the day it took effect");
    assert_eq!(dereg.1, "fritaget_raadighed");
    let cause = dereg.2.expect("a consequence");
    assert_eq!(cause.rule, rules::S5_DEREGISTERED_AS_CONSEQUENCE.id);
    assert_eq!(cause.fact, condition_id, "caused by the exemption");
    // The exemption itself stays open.
    assert!(
        !d.events
            .iter()
            .any(|e| matches!(e, Event::PeriodicConditionEnded { condition, .. } if *condition == condition_id))
    );
    fold(&mut s, &d.events, OrgKind::Operator);
    assert_eq!(s.exemption_pending(), None, "nothing left to take effect");
}

#[test]
fn a_later_rule_set_changes_a_rule_for_records_dated_after_it_and_not_before() {
    use fdg_domain::ruleset::{BEK_2007, RuleSet};
    // A made-up order from 1 July 2027 without the § 6 default of immediate match.
    let until = RuleSet {
        valid_to: Some(d_("2027-06-30")),
        ..BEK_2007
    };
    let later = RuleSet {
        id: "made-up-2027",
        name: "A made-up later order",
        valid_from: d_("2027-07-01"),
        valid_to: None,
        insured_default_immediate: false,
    };
    let sets = [until, later];
    let state_jobcenter = actor(OrgKind::StateJobcenter);
    // Sent on the same day; only the registration date differs.
    let ctx = Context {
        actor: state_jobcenter,
        clock: Clock {
            today: d_("2027-07-15"),
        },
        codes: &CODES,
        residence: None,
        rule_sets: &sets,
    };
    let category = |date: &str| {
        let d = decide(
            &PersonState::default(),
            &Command::Register(RegisterJobSeeker {
                registration_date: Some(date.into()),
                ..registration()
            }),
            ctx,
        )
        .expect("accepted");
        d.events.iter().find_map(|e| match e {
            Event::JobSeekerRegistered { match_category, .. } => Some(*match_category),
            _ => None,
        })
    };
    assert_eq!(
        category("2027-06-30"),
        Some(Some(1)),
        "the 2007 order's § 6"
    );
    assert_eq!(
        category("2027-07-01"),
        Some(None),
        "the later order has no default"
    );
    // With the shipped rule sets the same registration gets the default.
    let shipped = Context {
        rule_sets: fdg_domain::ruleset::SHIPPED,
        ..ctx
    };
    let d = decide(
        &PersonState::default(),
        &Command::Register(RegisterJobSeeker {
            registration_date: Some("2027-07-01".into()),
            ..registration()
        }),
        shipped,
    )
    .expect("accepted");
    assert!(d.events.iter().any(|e| matches!(
        e,
        Event::JobSeekerRegistered {
            match_category: Some(1),
            ..
        }
    )));
}

fn d_(s: &str) -> Date {
    s.parse().expect("date")
}

#[test]
fn scope_follows_the_recorded_facts() {
    use fdg_domain::access::{PersonScope, may_write, visibility};
    let mut s = registered();
    let scope = PersonScope::of(&s);
    let today = d_(TODAY);
    let who = |kind, code: &str| Actor {
        kind,
        code: code.into(),
    };
    assert!(scope.job_seeker && !scope.cash_benefit);
    assert_eq!(
        visibility(&who(OrgKind::StateJobcenter, "STAT"), &scope, today),
        Visibility::WithoutFirstContactDetails
    );
    assert_eq!(
        visibility(&who(OrgKind::OtherActor, "12345678"), &scope, today),
        Visibility::Hidden
    );
    given(
        &mut s,
        OrgKind::StateJobcenter,
        Command::AssignOtherActor(AssignOtherActor {
            cpr: A_CPR.into(),
            other_actor: Some("12345678".into()),
            from_date: Some("2026-11-20".into()),
            to_date: Some("2026-12-31".into()),
        }),
    );
    let scope = PersonScope::of(&s);
    let actor = who(OrgKind::OtherActor, "12345678");
    // Assigned: interview details only where the interview's own consent allows it.
    assert_eq!(visibility(&actor, &scope, today), Visibility::ByConsent);
    assert!(!Visibility::ByConsent.interview_details(false, true));
    assert!(!Visibility::ByConsent.interview_details(true, false));
    assert!(Visibility::ByConsent.interview_details(true, true));
    assert!(may_write(&actor, Some(&scope), None, false, today));
    assert_eq!(
        visibility(&actor, &scope, d_("2027-01-01")),
        Visibility::Hidden,
        "the assignment has ended"
    );
    assert!(!may_write(
        &actor,
        Some(&scope),
        None,
        false,
        d_("2027-01-01")
    ));
    assert!(!may_write(
        &who(OrgKind::OtherActor, "87654321"),
        Some(&scope),
        None,
        false,
        today
    ));
}

// ---------------------------------------------------------------------------------------------
// The responsible municipality follows the CPR register or a hand-over, never the caller
// ---------------------------------------------------------------------------------------------

fn municipality_147() -> Actor {
    Actor {
        kind: OrgKind::MunicipalJobcenter,
        code: "147".into(),
    }
}

fn with_residence<'a>(actor: &'a Actor, residence: Option<&'a str>) -> Context<'a> {
    Context {
        actor,
        clock: Clock { today: today() },
        codes: &CODES,
        residence,
        rule_sets: fdg_domain::ruleset::SHIPPED,
    }
}

fn municipalities_set(events: &[Event]) -> Vec<(String, Option<MunicipalityBasis>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MunicipalitySet {
                municipality,
                basis,
            } => Some((municipality.clone(), basis.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_municipality_naming_itself_does_not_take_over_another_municipalitys_person() {
    use fdg_domain::access::{PersonScope, may_write};
    let mut s = cash_applicant();
    let scope = PersonScope::of(&s);
    assert_eq!(scope.municipality.as_deref(), Some("101"));
    let m147 = municipality_147();
    // Outside its write scope unless the CPR register says the person lives there.
    assert!(!may_write(&m147, Some(&scope), None, false, today()));
    assert!(may_write(&m147, Some(&scope), Some("147"), false, today()));
    // Had the scope let it through, the rules would still refuse the move.
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::Cessation(cessation("2026-11-20")),
    );
    let mut again = first_contact();
    again.municipality = Some("147".into());
    again.first_contact_date = Some("2026-11-25".into());
    again.contact.consent = consent("2026-11-25");
    let vs = refused(decide(
        &s,
        &Command::FirstContact(again.clone()),
        with_residence(&m147, None),
    ));
    assert!(
        has(
            &vs,
            &rules::MUNICIPALITY_NOT_RESPONSIBLE,
            Some("municipality")
        ),
        "{:?}",
        show(&vs)
    );
    // Nor may the responsible municipality itself move the person by naming another code.
    let vs = refused(apply(
        &mut s.clone(),
        &Command::FirstContact(again),
        OrgKind::MunicipalJobcenter,
    ));
    assert!(has(
        &vs,
        &rules::MUNICIPALITY_NOT_RESPONSIBLE,
        Some("municipality")
    ));
}

#[test]
fn the_responsible_municipality_follows_the_cpr_register() {
    let s = cash_applicant();
    let m147 = municipality_147();
    // The register says the person now lives in 147: 147's record moves them, named as such.
    let d = accepted(decide(
        &s,
        &Command::Cessation(cessation("2026-11-20")),
        with_residence(&m147, Some("147")),
    ));
    assert_eq!(
        municipalities_set(&d.events),
        vec![("147".to_owned(), Some(MunicipalityBasis::CprRegister))]
    );
    // A record naming a municipality other than the register's is refused, even for a person
    // the registry does not know yet.
    let mut fc = first_contact();
    fc.cpr = A_CPR.into();
    let vs = refused(decide(
        &PersonState::default(),
        &Command::FirstContact(fc.clone()),
        with_residence(actor(OrgKind::MunicipalJobcenter), Some("147")),
    ));
    assert!(has(
        &vs,
        &rules::MUNICIPALITY_NOT_RESPONSIBLE,
        Some("municipality")
    ));
    // Without a municipality named, the register's is recorded.
    fc.municipality = None;
    let d = accepted(decide(
        &PersonState::default(),
        &Command::FirstContact(fc),
        with_residence(actor(OrgKind::MunicipalJobcenter), Some("147")),
    ));
    assert_eq!(
        municipalities_set(&d.events),
        vec![("147".to_owned(), Some(MunicipalityBasis::CprRegister))]
    );
    // Unknown to the register, a new person gets the municipality the first record names.
    let d = accepted(decide(
        &PersonState::default(),
        &Command::Register(registration()),
        ctx(OrgKind::StateJobcenter),
    ));
    assert_eq!(
        municipalities_set(&d.events),
        vec![("101".to_owned(), Some(MunicipalityBasis::FirstRecord))]
    );
}

#[test]
fn a_record_never_renames_a_person() {
    let s = registered();
    let mut dereg = deregistration();
    dereg.name = Some("Someone Else".into());
    let d = accepted(decide(
        &s,
        &Command::Deregister(dereg),
        ctx(OrgKind::StateJobcenter),
    ));
    assert!(
        !d.events
            .iter()
            .any(|e| matches!(e, Event::PersonIdentified { .. })),
        "{:?}",
        type_names(&d.events)
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.rule.id == rules::NAME_KEPT.id && w.field.as_deref() == Some("name"))
    );
}

#[test]
fn only_the_responsible_municipality_hands_a_person_over() {
    let s = cash_applicant();
    let handover = |municipality: Option<&str>, reason: Option<&str>| {
        Command::HandOver(HandOverPerson {
            person_id: "p".into(),
            municipality: municipality.map(Into::into),
            reason: reason.map(Into::into),
        })
    };
    let d = accepted(decide(
        &s,
        &handover(Some("147"), Some("Flyttet")),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert_eq!(
        municipalities_set(&d.events),
        vec![(
            "147".to_owned(),
            Some(MunicipalityBasis::HandOver {
                reason: "Flyttet".into()
            })
        )]
    );
    let m147 = municipality_147();
    let vs = refused(decide(
        &s,
        &handover(Some("147"), Some("x")),
        with_residence(&m147, None),
    ));
    assert!(has(&vs, &rules::HANDOVER_ACTOR, None));
    let vs = refused(decide(
        &s,
        &handover(Some("147"), Some("x")),
        ctx(OrgKind::StateJobcenter),
    ));
    assert!(has(&vs, &rules::HANDOVER_ACTOR, None));
    let vs = refused(decide(
        &s,
        &handover(Some("101"), None),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert!(has(&vs, &rules::HANDOVER_REASON_REQUIRED, Some("reason")));
    let vs = refused(decide(
        &s,
        &handover(Some("101"), Some("x")),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert!(has(
        &vs,
        &rules::HANDOVER_SAME_MUNICIPALITY,
        Some("municipality")
    ));
    let vs = refused(decide(
        &s,
        &handover(None, Some("x")),
        ctx(OrgKind::MunicipalJobcenter),
    ));
    assert!(has(
        &vs,
        &rules::HANDOVER_MUNICIPALITY_REQUIRED,
        Some("municipality")
    ));
}

#[test]
fn an_a_kasse_sees_its_members_while_they_are_registered_naming_it() {
    use fdg_domain::access::{PersonScope, visibility};
    let fund = actor(OrgKind::UnemploymentFund);
    let s = registered();
    assert_eq!(
        visibility(fund, &PersonScope::of(&s), today()),
        Visibility::ByConsent
    );
    let s = registered_then_deregistered();
    assert_eq!(
        visibility(fund, &PersonScope::of(&s), today()),
        Visibility::Hidden,
        "no longer registered naming the a-kasse"
    );
    // A scope stored before `member_of` existed falls back to the funds ever named.
    let old: PersonScope =
        serde_json::from_str(r#"{"job_seeker":true,"funds":["001"]}"#).expect("old scope");
    assert_eq!(visibility(fund, &old, today()), Visibility::ByConsent);
}

#[test]
fn first_contact_details_are_the_responsible_municipalitys() {
    use fdg_domain::access::{PersonScope, visibility};
    let s = cash_registered();
    let scope = PersonScope::of(&s);
    let v = |kind| visibility(actor(kind), &scope, today());
    assert_eq!(v(OrgKind::MunicipalJobcenter), Visibility::Full);
    assert!(Visibility::Full.first_contact_details());
    assert_eq!(
        v(OrgKind::StateJobcenter),
        Visibility::WithoutFirstContactDetails
    );
    for other in [
        Visibility::WithoutFirstContactDetails,
        Visibility::ByConsent,
        Visibility::CashBenefitFacts,
    ] {
        assert!(!other.first_contact_details(), "{other:?}");
    }
}

#[test]
fn s9_7_an_interview_may_leave_out_the_decisive_areas() {
    // § 9 marks nr. 7 neither mandatory nor "if relevant"; only § 8, stk. 3 (the first
    // contact) makes it mandatory.
    let mut s = registered();
    let d = accepted(apply(
        &mut s,
        &Command::Interview(RecordContactInterview {
            contact: ContactFields {
                decisive_areas: vec![],
                ..interview().contact
            },
            ..interview()
        }),
        OrgKind::StateJobcenter,
    ));
    assert!(type_names(&d.events).contains(&"contact_interview_recorded"));
}

#[test]
fn a_replaced_match_category_list_changes_who_is_registered_and_the_straksmatch_default() {
    use fdg_domain::codes::ListName;
    use fdg_domain::supervision::{Params, contributions};
    // A made-up list: 2 and 4 are "alene pga. ledighed", 2 is straksmatch; 1 and 3 are not.
    let mut replaced = CodeLists::shipped();
    replaced
        .replace_from_csv(
            ListName::MatchCategory,
            "code,label_da,label_en,valid_from,valid_to,attributes\n\
             1,a,a,2005-01-01,,\n\
             2,b,b,2005-01-01,,only_unemployment immediate\n\
             3,c,c,2005-01-01,,\n\
             4,d,d,2005-01-01,,only_unemployment\n\
             5,e,e,2005-01-01,,\n",
        )
        .expect("a valid list");
    let with = |codes: &'static CodeLists| Context {
        codes,
        ..ctx(OrgKind::MunicipalJobcenter)
    };
    let replaced: &'static CodeLists = Box::leak(Box::new(replaced));

    // § 4, stk. 1: category 4 without a registration is fine with the shipped list, and
    // must register with the replaced one.
    let cat4 = Command::FirstContact(first_contact());
    accepted(decide(&PersonState::default(), &cat4, with(&CODES)));
    assert_eq!(
        refused(decide(&PersonState::default(), &cat4, with(replaced))),
        vec![Violation::new(&rules::S4_1_MUST_REGISTER, "registration")]
    );
    // Category 3 with the § 4, stk. 1 registration: registered with the shipped list,
    // refused as not ready (§ 5) with the replaced one.
    let cat3 = Command::FirstContact(variant(&first_contact_ready(), |c| {
        c.contact.match_category = Some(3);
        c.contact.decisive_areas = vec!["uddannelse".into()];
    }));
    accepted(decide(&PersonState::default(), &cat3, with(&CODES)));
    assert_eq!(
        ids(&refused(decide(
            &PersonState::default(),
            &cat3,
            with(replaced)
        ))),
        vec![rules::S4_1_NOT_READY.id]
    );

    // § 6: the straksmatch default is the category the list marks immediate.
    let state_ctx = |codes: &'static CodeLists| Context {
        codes,
        ..ctx(OrgKind::StateJobcenter)
    };
    let default_category = |codes: &'static CodeLists| {
        let d = accepted(decide(
            &PersonState::default(),
            &Command::Register(registration()),
            state_ctx(codes),
        ));
        d.events.iter().find_map(|e| match e {
            Event::JobSeekerRegistered { match_category, .. } => *match_category,
            _ => None,
        })
    };
    assert_eq!(default_category(&CODES), Some(1));
    assert_eq!(default_category(replaced), Some(2));

    // Supervision reads the same meaning: the category-4 person with cash benefit and no
    // registration is out of step ("must_register") only under the replaced list, and in
    // target group 3 (LAB § 2, nr. 3) only under the shipped one.
    let mut s = PersonState::default();
    let d = accepted(decide(&s, &cat4, with(&CODES)));
    fold(&mut s, &d.events, OrgKind::MunicipalJobcenter);
    let figures = |params: &Params| {
        contributions(&s, params)
            .into_iter()
            .filter(|c| ["out_of_step", "in_course"].contains(&c.indicator))
            .map(|c| format!("{}:{}", c.indicator, c.dim))
            .collect::<std::collections::BTreeSet<_>>()
    };
    let shipped = figures(&Params::default());
    let other = figures(&Params::default().with_codes(replaced));
    assert!(shipped.contains("in_course:3"), "{shipped:?}");
    assert!(
        !shipped.iter().any(|f| f.starts_with("out_of_step")),
        "{shipped:?}"
    );
    assert!(other.contains("out_of_step:must_register"), "{other:?}");
    assert!(other.contains("in_course:2"), "{other:?}");
}

#[test]
fn s8_1_a_change_of_registration_applies_from_its_day_and_annuls_nothing() {
    use fdg_domain::access::PersonScope;
    let mut s = registered();
    let d = accepted(apply(
        &mut s,
        &Command::ChangeRegistration(change()),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(type_names(&d.events), ["registration_changed"]);
    // The registration stays as recorded; the change is listed under it.
    let o = PersonOverview::build("p1", &s).expect("exists");
    let [reg] = o.registrations.as_slice() else {
        panic!("one registration: {:?}", o.registrations);
    };
    assert_eq!(reg.unemployment_degree, "fuld");
    assert_eq!(reg.unemployment_fund.as_deref(), Some("001"));
    let [c] = reg.changes.as_slice() else {
        panic!("one change: {:?}", reg.changes);
    };
    assert_eq!(c.change_date, d_("2026-11-23"));
    assert_eq!(c.unemployment_degree, "delvis");
    assert_eq!(c.hours_per_week, Some(20));
    assert_eq!(c.job_titles, ["4110", "4120"]);
    assert!(o.registered, "still registered, from the same day");
    assert!(o.annulled.is_empty() && o.corrections.is_empty());
    // Now the new a-kasse sees the person and the old one does not (§ 8, stk. 1, nr. 7) ...
    assert_eq!(PersonScope::of(&s).member_of, Some(vec!["002".to_owned()]));
    // ... and on a day before the change the old details were in force.
    let before = s.in_force_on(d_("2026-11-22"));
    assert_eq!(
        before.current_details().and_then(|d| d.unemployment_fund),
        Some("001")
    );
    assert_eq!(
        s.current_details().map(|d| d.unemployment_degree),
        Some("delvis")
    );
    // Annulling the change brings the registration's details back; annulling the
    // registration takes its changes with it.
    let change_fact = fact_of(&s, "registration_changed");
    let mut annulled_change = s.clone();
    accepted(apply(
        &mut annulled_change,
        &annul(change_fact),
        OrgKind::StateJobcenter,
    ));
    assert_eq!(
        annulled_change
            .current_details()
            .and_then(|d| d.unemployment_fund),
        Some("001")
    );
    let registration_fact = fact_of(&s, "job_seeker_registered");
    let d = accepted(apply(
        &mut s,
        &annul(registration_fact),
        OrgKind::StateJobcenter,
    ));
    let Some(Event::FactCorrected { annulled, .. }) = d.events.first() else {
        panic!("a correction: {:?}", d.events);
    };
    assert!(annulled.contains(&change_fact), "{annulled:?}");
    assert!(s.current_details().is_none());
}

#[test]
fn a_change_of_benefit_category_moves_the_supervision_target_group_from_its_day() {
    use fdg_domain::supervision::{Params, contributions};
    let mut s = registered();
    accepted(apply(
        &mut s,
        &Command::ChangeRegistration(variant(&change(), |c| {
            c.details.benefit_category = Some("selvforsoergende".into());
            c.details.unemployment_fund = None;
        })),
        OrgKind::StateJobcenter,
    ));
    // "In course" is a stock kept as +1 on the first day and -1 after the last, per group.
    let in_course: Vec<(Date, String, i64)> = contributions(&s, &Params::default())
        .into_iter()
        .filter(|c| c.indicator == "in_course")
        .map(|c| (c.day, c.dim, c.n))
        .collect();
    // Target group 1 (insured) up to the change, not after it (self-supporting).
    let group_on = |day: &str| {
        let day = d_(day);
        let mut by_group = std::collections::BTreeMap::<&str, i64>::new();
        for (d, g, n) in &in_course {
            if *d <= day {
                *by_group.entry(g.as_str()).or_default() += n;
            }
        }
        by_group
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(g, _)| g.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(group_on("2026-11-22"), ["1"], "{in_course:?}");
    assert_eq!(group_on("2026-11-23"), ["0"], "{in_course:?}");
}

#[test]
fn s9_9_an_exemption_reason_deregisters_a_cash_benefit_registration_until_a_record_without_one() {
    use fdg_domain::codes::MatchMeaning;
    use fdg_domain::supervision::{Params, contributions};
    let mut s = PersonState::default();
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::FirstContact(first_contact_ready()),
    );
    assert!(
        s.current_registration().is_some(),
        "registered at first contact"
    );
    let with_reason = Command::Interview(variant(
        &cash_interview("2026-11-16", 2, &["erhvervserfaring"]),
        |c| c.contact.exemption_reason = Some("barsel".into()),
    ));
    let d = accepted(apply(&mut s, &with_reason, OrgKind::MunicipalJobcenter));
    let interview = fact_of(&s, "contact_interview_recorded");
    let dereg = d.events.iter().find_map(|e| match e {
        Event::JobSeekerDeregistered {
            deregistration_date,
            reason,
            consequence_of,
        } => Some((*deregistration_date, reason.clone(), consequence_of.clone())),
        _ => None,
    });
    let (day, reason, cause) = dereg.expect("deregistered as a consequence (§ 5)");
    assert_eq!(day, d_("2026-11-16"));
    assert_eq!(reason, "fritaget_raadighed");
    let cause = cause.expect("a consequence");
    assert_eq!(cause.rule, rules::S5_DEREGISTERED_AS_CONSEQUENCE.id);
    assert_eq!(
        cause.fact, interview,
        "caused by the interview giving the reason"
    );
    assert!(s.current_registration().is_none());
    // Exempted, match 2 without a registration is in step: § 4, stk. 1 asks for nothing, and
    // the supervision figures agree.
    assert_eq!(s.out_of_step(today(), &MatchMeaning::SHIPPED), None);
    assert!(
        !contributions(&s, &Params::default())
            .iter()
            .any(|c| c.indicator == "out_of_step" && c.n > 0 && c.day >= d_("2026-11-16")),
        "no period out of step after the exemption"
    );
    // The next interview gives no reason: the exemption is over, and § 4, stk. 1 asks for the
    // registration again.
    let without = cash_interview("2026-11-23", 2, &["erhvervserfaring"]);
    assert_eq!(
        refused(decide(
            &s,
            &Command::Interview(without.clone()),
            ctx(OrgKind::MunicipalJobcenter)
        )),
        vec![Violation::new(&rules::S4_1_MUST_REGISTER, "registration")]
    );
    let d = accepted(apply(
        &mut s,
        &Command::Interview(variant(&without, |c| c.registration = Some(cash_details()))),
        OrgKind::MunicipalJobcenter,
    ));
    assert!(
        rules_carried(&d.events).contains(&rules::S4_1_REGISTERED_AS_CONSEQUENCE.id.to_owned())
    );
    assert!(s.current_registration().is_some(), "registered again");
    // A reason with registration details is refused: an exempted person is not registered.
    let both = variant(
        &cash_interview("2026-11-24", 2, &["erhvervserfaring"]),
        |c| {
            c.contact.exemption_reason = Some("sygdom".into());
            c.registration = Some(cash_details());
        },
    );
    assert!(
        ids(&refused(decide(
            &s,
            &Command::Interview(both),
            ctx(OrgKind::MunicipalJobcenter)
        )))
        .contains(&rules::S4_1_REGISTRATION_NOT_EXPECTED.id)
    );
}

#[test]
fn a_back_dated_assessment_does_not_deregister_before_a_change_of_the_registration() {
    let mut s = PersonState::default();
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::FirstContact(first_contact_ready()),
    );
    given(
        &mut s,
        OrgKind::MunicipalJobcenter,
        Command::ChangeRegistration(ChangeRegistration {
            cpr: CASH_CPR.into(),
            change_date: Some("2026-11-20".into()),
            details: RegistrationDetails {
                unemployment_degree: Some("delvis".into()),
                hours_per_week: Some(25),
                ..cash_details()
            },
        }),
    );
    let not_ready = |date: &str| Command::Interview(cash_interview(date, 4, &["helbred"]));
    assert!(
        ids(&refused(decide(
            &s,
            &not_ready("2026-11-16"),
            ctx(OrgKind::MunicipalJobcenter)
        )))
        .contains(&rules::S8_2_BEFORE_CHANGE.id)
    );
    let d = accepted(apply(
        &mut s,
        &not_ready("2026-11-24"),
        OrgKind::MunicipalJobcenter,
    ));
    assert!(type_names(&d.events).contains(&"job_seeker_deregistered"));
    assert!(!s.timeline_contradictions());
}
