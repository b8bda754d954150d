//! `decide`: the rules of the order applied to one command for one person.
//!
//! Pure: the state, the command, the actor, the clock and the code lists in; events (with any
//! consequences the registry performs by itself) or every violated rule out.

use jiff::ToSpan;
use jiff::civil::Date;

use crate::actor::{Actor, Clock, OrgKind};
use crate::codes::{CodeLists, ListName};
use crate::codes_const as k;
use crate::command::*;
use crate::event::{Consent, Consequence, ContactRecord, Event, MunicipalityBasis};
use crate::rules::{self, Rule, Violation};
use crate::state::{EventMeta, PersonState};
use crate::{Cpr, CprError};

/// What `decide` accepted: the events to append, and remarks for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Events to append to the person's stream, in order.
    pub events: Vec<Event>,
    /// Warnings (rules of kind [`rules::RuleKind::Warning`]); the command is accepted.
    pub warnings: Vec<Violation>,
}

/// Everything `decide` needs besides the state and the command.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Who acts.
    pub actor: &'a Actor,
    /// Today's date.
    pub clock: Clock,
    /// The code lists in force.
    pub codes: &'a CodeLists,
    /// The person's municipality of residence according to the CPR register, when the
    /// register knows the person. The responsible municipality follows it; a caller never
    /// decides it for a person the registry knows.
    pub residence: Option<&'a str>,
    /// The rule sets the registry implements, oldest first (`ruleset::SHIPPED`); each rule
    /// that differs between them reads the one in force on the record's business date.
    pub rule_sets: &'a [crate::ruleset::RuleSet],
}

/// Validated § 8, stk. 1, nr. 4–7: benefit, degree, hours, job titles, fund.
type Details = (String, String, Option<u8>, Vec<String>, Option<String>);

/// The longest name the registry keeps, in characters (§ 8, stk. 1, nr. 1; § 9, nr. 1).
pub const MAX_NAME_CHARS: usize = 200;

/// The longest free text (a note, comment, assessment or reason), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// How far ahead a periodic condition may be planned (§ 8, stk. 5).
const MAX_DAYS_AHEAD: i32 = 365;

/// Applies the rules to `command` for the person in `state`.
pub fn decide(
    state: &PersonState,
    command: &Command,
    ctx: Context<'_>,
) -> Result<Decision, Vec<Violation>> {
    let mut d = Decider {
        state,
        ctx,
        v: Vec::new(),
        warnings: Vec::new(),
        events: Vec::new(),
        prefix: String::new(),
    };
    d.follow_residence();
    d.command(command);
    d.finish()
}

struct Decider<'a> {
    state: &'a PersonState,
    ctx: Context<'a>,
    v: Vec<Violation>,
    warnings: Vec<Violation>,
    events: Vec<Event>,
    prefix: String,
}

impl<'a> Decider<'a> {
    fn violate(&mut self, rule: &'static Rule, field: &str) {
        let field = if field.is_empty() {
            None
        } else {
            Some(format!("{}{field}", self.prefix))
        };
        self.v.push(Violation { rule, field });
    }

    fn today(&self) -> Date {
        self.ctx.clock.today
    }

    /// The number the next pushed event will get.
    fn next_id(&self) -> u64 {
        self.state.version + self.events.len() as u64 + 1
    }

    fn permit(&mut self, ok: bool, rule: &'static Rule) {
        if !ok {
            self.violate(rule, "");
        }
    }

    fn cpr(&mut self, text: &str) -> Option<Cpr> {
        match Cpr::parse(text) {
            Ok(c) => {
                if !c.passes_modulus_11() {
                    self.warnings
                        .push(Violation::new(&rules::CPR_MODULUS_11, "cpr"));
                }
                Some(c)
            }
            Err(CprError::Format) => {
                self.violate(&rules::CPR_FORMAT, "cpr");
                None
            }
            Err(CprError::Date) => {
                self.violate(&rules::CPR_DATE, "cpr");
                None
            }
        }
    }

    fn birth_date(&self, cpr: Option<&Cpr>) -> Option<Date> {
        cpr.or(self.state.cpr.as_ref()).map(Cpr::birth_date)
    }

    /// A business date: required, well-formed, not after today plus `ahead` days, not before birth.
    fn date(
        &mut self,
        field: &str,
        value: Option<&str>,
        required: Option<&'static Rule>,
        ahead: Option<(i32, &'static Rule)>,
        birth: Option<Date>,
    ) -> Option<Date> {
        let Some(text) = value.map(str::trim).filter(|s| !s.is_empty()) else {
            if let Some(r) = required {
                self.violate(r, field);
            }
            return None;
        };
        let Ok(date) = text.parse::<Date>() else {
            self.violate(&rules::DATE_FORMAT, field);
            return None;
        };
        let (limit, rule) = match ahead {
            Some((days, rule)) => (
                self.today()
                    .checked_add(days.days())
                    .unwrap_or(self.today()),
                rule,
            ),
            None => (self.today(), &rules::DATE_IN_FUTURE),
        };
        if date > limit {
            self.violate(rule, field);
        }
        if birth.is_some_and(|b| date < b) {
            self.violate(&rules::DATE_BEFORE_BIRTH, field);
        }
        Some(date)
    }

    fn text(
        &mut self,
        field: &str,
        value: Option<&str>,
        required: &'static Rule,
    ) -> Option<String> {
        match self.free_text(field, value) {
            Some(s) => Some(s),
            None => {
                if value.is_none_or(|v| v.trim().is_empty()) {
                    self.violate(required, field);
                }
                None
            }
        }
    }

    /// Optional text as given, trimmed; `None` when empty, and refused when longer than the
    /// limit for its kind (a name, or free text).
    fn free_text(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let s = value.map(str::trim).filter(|s| !s.is_empty())?;
        let (max, rule) = if field == "name" {
            (MAX_NAME_CHARS, &rules::NAME_TOO_LONG)
        } else {
            (MAX_TEXT_CHARS, &rules::TEXT_TOO_LONG)
        };
        if s.chars().count() > max {
            self.violate(rule, field);
            return None;
        }
        // No control characters (a NUL byte, an escape): in a name none at all, in free text
        // only line breaks and tabs.
        let allowed = |c: char| field != "name" && matches!(c, '\n' | '\r' | '\t');
        if s.chars().any(|c| c.is_control() && !allowed(c)) {
            self.violate(&rules::CONTROL_CHARACTERS, field);
            return None;
        }
        Some(s.to_owned())
    }

    fn code(
        &mut self,
        field: &str,
        list: ListName,
        value: Option<&str>,
        required: Option<&'static Rule>,
        unknown: &'static Rule,
        on: Option<Date>,
    ) -> Option<String> {
        let Some(code) = value.map(str::trim).filter(|s| !s.is_empty()) else {
            if let Some(r) = required {
                self.violate(r, field);
            }
            return None;
        };
        let on = on.unwrap_or(self.today());
        if self.ctx.codes.is_valid(list, code, on) {
            Some(code.to_owned())
        } else {
            self.violate(unknown, field);
            None
        }
    }

    /// A match category, valid on the record's business date `on` (today when the record has
    /// none that parses).
    fn match_category(
        &mut self,
        field: &str,
        value: Option<u8>,
        required: bool,
        on: Option<Date>,
    ) -> Option<u8> {
        match value {
            None => {
                if required {
                    self.violate(&rules::S9_6_MATCH_REQUIRED, field);
                }
                None
            }
            Some(c) => {
                let on = on.unwrap_or_else(|| self.today());
                if self
                    .ctx
                    .codes
                    .is_valid(ListName::MatchCategory, &c.to_string(), on)
                {
                    Some(c)
                } else {
                    self.violate(&rules::S9_6_MATCH_UNKNOWN, field);
                    None
                }
            }
        }
    }

    fn identify(&mut self, cpr: Option<&Cpr>, name: Option<&str>) {
        let (Some(cpr), Some(name)) = (cpr, name) else {
            return;
        };
        // Compared with the state as it will be, so that a nested record (the § 4, stk. 1
        // registration) does not identify the person a second time.
        let known = self.projected();
        if known.cpr.is_none() {
            self.events.push(Event::PersonIdentified {
                cpr: cpr.clone(),
                name: name.to_owned(),
            });
        } else if known.name.as_deref() != Some(name) && known.cpr.as_ref() == Some(cpr) {
            // A record never renames a person: names follow the CPR register.
            self.warnings.push(Violation::new(
                &rules::NAME_KEPT,
                format!("{}name", self.prefix),
            ));
        }
    }

    /// A person the registry knows follows the CPR register's municipality of residence: any
    /// record about them made while the register says they live elsewhere records the move.
    fn follow_residence(&mut self) {
        if self.state.cpr.is_none() {
            return;
        }
        if let Some(r) = self.residence()
            && self.state.municipality.as_deref() != Some(r)
        {
            self.events.push(Event::MunicipalitySet {
                municipality: r.to_owned(),
                basis: Some(MunicipalityBasis::CprRegister),
            });
        }
    }

    /// The CPR register's municipality of residence, if it is a valid code today.
    fn residence(&self) -> Option<&'a str> {
        self.ctx.residence.filter(|r| {
            self.ctx
                .codes
                .is_valid(ListName::Municipality, r, self.today())
        })
    }

    /// The responsible municipality on a registration or first contact. It is the CPR
    /// register's municipality of residence when the register knows the person; otherwise,
    /// for a person the registry does not know yet, the one the record names or the recording
    /// municipality's own code. A municipality the record names must be that municipality:
    /// a caller never moves a person (`fdg.s2.municipality_not_responsible`).
    fn municipality(&mut self, value: Option<&str>, on: Option<Date>) {
        let given = value.map(str::trim).filter(|s| !s.is_empty());
        let known = self.projected().municipality.clone();
        let new_person = self.state.cpr.is_none();
        let residence = self.residence();
        if let Some(code) = given {
            let Some(code) = self.code(
                "municipality",
                ListName::Municipality,
                Some(code),
                None,
                &rules::MUNICIPALITY_UNKNOWN,
                on,
            ) else {
                return;
            };
            let responsible = residence.map(str::to_owned).or(known.clone());
            let fits = match responsible {
                Some(r) => r == code,
                None => new_person,
            };
            if !fits {
                self.violate(&rules::MUNICIPALITY_NOT_RESPONSIBLE, "municipality");
                return;
            }
        }
        let actor_code = (self.ctx.actor.kind == OrgKind::MunicipalJobcenter)
            .then_some(self.ctx.actor.code.as_str())
            .filter(|c| {
                self.ctx
                    .codes
                    .is_valid(ListName::Municipality, c, self.today())
            });
        let chosen = match residence {
            Some(r) => Some((r.to_owned(), MunicipalityBasis::CprRegister)),
            None if new_person && known.is_none() => given
                .or(actor_code)
                .map(|m| (m.to_owned(), MunicipalityBasis::FirstRecord)),
            None => None,
        };
        if let Some((m, basis)) = chosen
            && known.as_deref() != Some(m.as_str())
        {
            self.events.push(Event::MunicipalitySet {
                municipality: m,
                basis: Some(basis),
            });
        }
    }

    /// Whether the current course (from the current registration, or the open cash-benefit
    /// case, whichever began later) already had a contact interview of type "første". The
    /// first contact, recorded with that type under § 8, stk. 3, is not counted: the first
    /// interview after it may still be recorded as "første" (docs/compliance.md, § 9).
    fn first_interview_held(&self) -> bool {
        let registered = self
            .state
            .current_registration()
            .and_then(|f| match &f.event {
                Event::JobSeekerRegistered {
                    registration_date, ..
                } => Some(*registration_date),
                _ => None,
            });
        let Some(start) = [registered, self.state.cash_benefit_since()]
            .into_iter()
            .flatten()
            .max()
        else {
            return false;
        };
        self.state.live().any(|f| match &f.event {
            Event::ContactInterviewRecorded {
                interview_date,
                interview_type,
                ..
            } => interview_type == k::FIRST_INTERVIEW && *interview_date >= start,
            _ => false,
        })
    }

    /// § 2, stk. 2: the responsible municipality hands the person over to another.
    fn hand_over(&mut self, c: &HandOverPerson) {
        let kind = self.ctx.actor.kind;
        let responsible = self.state.municipality.as_deref() == Some(self.ctx.actor.code.as_str());
        self.permit(
            kind == OrgKind::MunicipalJobcenter && responsible,
            &rules::HANDOVER_ACTOR,
        );
        let reason = self.text(
            "reason",
            c.reason.as_deref(),
            &rules::HANDOVER_REASON_REQUIRED,
        );
        let to = self.code(
            "municipality",
            ListName::Municipality,
            c.municipality.as_deref(),
            Some(&rules::HANDOVER_MUNICIPALITY_REQUIRED),
            &rules::MUNICIPALITY_UNKNOWN,
            None,
        );
        let (Some(to), Some(reason)) = (to, reason) else {
            return;
        };
        if self.state.municipality.as_deref() == Some(to.as_str()) {
            self.violate(&rules::HANDOVER_SAME_MUNICIPALITY, "municipality");
            return;
        }
        self.events.push(Event::MunicipalitySet {
            municipality: to,
            basis: Some(MunicipalityBasis::HandOver { reason }),
        });
    }

    /// § 8, stk. 1, nr. 4–7.
    fn registration_details(
        &mut self,
        details: &RegistrationDetails,
        on: Option<Date>,
    ) -> Option<Details> {
        let benefit = self.code(
            "benefit_category",
            ListName::BenefitCategory,
            details.benefit_category.as_deref(),
            Some(&rules::S8_1_BENEFIT_REQUIRED),
            &rules::S8_1_BENEFIT_UNKNOWN,
            on,
        );
        let degree = self.code(
            "unemployment_degree",
            ListName::UnemploymentDegree,
            details.unemployment_degree.as_deref(),
            Some(&rules::S8_1_DEGREE_REQUIRED),
            &rules::S8_1_DEGREE_UNKNOWN,
            on,
        );
        if let Some(deg) = &degree {
            let partly = deg == k::PARTLY_UNEMPLOYED;
            let hours_ok = match details.hours_per_week {
                Some(h) => partly && (1..=36).contains(&h),
                None => !partly,
            };
            if !hours_ok {
                self.violate(&rules::S8_1_HOURS, "hours_per_week");
            }
        }
        let mut titles = Vec::new();
        if details.job_titles.iter().all(|t| t.trim().is_empty()) {
            self.violate(&rules::S8_1_JOB_TITLE_REQUIRED, "job_titles");
        }
        for (i, t) in details.job_titles.iter().enumerate() {
            let field = format!("job_titles[{i}]");
            if let Some(code) = self.code(
                &field,
                ListName::Occupation,
                Some(t),
                None,
                &rules::S8_1_JOB_TITLE_UNKNOWN,
                on,
            ) && !titles.contains(&code)
            {
                titles.push(code);
            }
        }
        let fund_required = benefit.as_deref() == Some(k::A_DAGPENGE);
        let fund = self.code(
            "unemployment_fund",
            ListName::UnemploymentFund,
            details.unemployment_fund.as_deref(),
            fund_required.then_some(&rules::S8_1_FUND_REQUIRED),
            &rules::S8_1_FUND_UNKNOWN,
            on,
        );
        Some((benefit?, degree?, details.hours_per_week, titles, fund))
    }

    fn command(&mut self, command: &Command) {
        match command {
            Command::Register(c) => self.register(c, None),
            Command::Deregister(c) => self.deregister(c),
            Command::ChangeRegistration(c) => self.change_registration(c),
            Command::FirstContact(c) => self.first_contact(c),
            Command::Cessation(c) => self.cessation(c),
            Command::StartCondition(c) => self.start_condition(c),
            Command::EndCondition { condition, body } => self.end_condition(*condition, body),
            Command::Interview(c) => self.interview(c),
            Command::AssignOtherActor(c) => self.assign(c),
            Command::HandOver(c) => self.hand_over(c),
            Command::Correct { fact, body } => self.correct(*fact, body),
            Command::TakeEffect => self.take_effect(),
        }
    }

    /// § 4, stk. 1–2: the state job centre registers job seekers; the municipality only cash
    /// and start benefit recipients.
    fn permit_registration(&mut self, benefit: &str) {
        let kind = self.ctx.actor.kind;
        self.permit(
            kind == OrgKind::StateJobcenter
                || (kind == OrgKind::MunicipalJobcenter
                    && (benefit.is_empty() || k::is_cash_benefit(benefit))),
            &rules::S8_1_ACTOR,
        );
    }

    fn register(&mut self, c: &RegisterJobSeeker, consequence: Option<Consequence>) {
        let benefit = c.details.benefit_category.as_deref().unwrap_or_default();
        self.permit_registration(benefit);
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let name = self.text("name", c.name.as_deref(), &rules::S8_1_NAME_REQUIRED);
        let date = self.date(
            "registration_date",
            c.registration_date.as_deref(),
            Some(&rules::S8_1_DATE_REQUIRED),
            None,
            birth,
        );
        let details = self.registration_details(&c.details, date);
        let explicit = self.match_category("match_category", c.match_category, false, date);
        // § 3: a cash-benefit case opens at a first contact with its assessment, never by a
        // registration; the § 4, stk. 1 registration comes with or after that first contact.
        if k::is_cash_benefit(benefit) && self.projected().cash_benefit_since().is_none() {
            self.violate(&rules::S3_CASE_AT_FIRST_CONTACT, "benefit_category");
        }
        // § 4, stk. 2: self-registration is for insured unemployed persons (LAB § 2, nr. 1).
        if *self.ctx.actor == Actor::jobnet() && !benefit.is_empty() && benefit != k::A_DAGPENGE {
            self.violate(&rules::S4_2_SELF_REGISTRATION_INSURED, "benefit_category");
        }
        if self.state.current_registration().is_some() {
            self.violate(&rules::S8_1_ALREADY_REGISTERED, "");
        }
        if let (Some(d), Some(last)) = (date, self.state.last_deregistration_date())
            && d < last
        {
            self.violate(&rules::S8_1_BEFORE_LAST_DEREGISTRATION, "registration_date");
        }
        self.identify(cpr.as_ref(), name.as_deref());
        self.municipality(c.municipality.as_deref(), date);
        let (Some(date), Some((benefit, degree, hours, titles, fund))) = (date, details) else {
            return;
        };
        // § 6: insured unemployed without a category are in immediate match, unless the
        // registration sets one; a category they already have is kept until the first interview.
        // The default is the rule set's in force on the registration date; the category is
        // the one the match category list marks straksmatch.
        let default = crate::ruleset::for_day(self.ctx.rule_sets, date)
            .insured_default_immediate
            .then(|| self.ctx.codes.match_meaning().immediate())
            .flatten();
        let (match_category, match_rule) = match (explicit, default) {
            (Some(m), _) => (Some(m), None),
            (None, _) if self.projected().current_match().is_some() => (None, None),
            (None, Some(m)) if benefit == k::A_DAGPENGE => {
                (Some(m), Some(rules::S6_DEFAULT_MATCH.id.into()))
            }
            (None, _) => (None, None),
        };
        self.events.push(Event::JobSeekerRegistered {
            registration_date: date,
            benefit_category: benefit,
            unemployment_degree: degree,
            hours_per_week: hours,
            job_titles: titles,
            unemployment_fund: fund,
            match_category,
            match_rule,
            consequence_of: consequence,
        });
    }

    /// The deregistration itself and the § 8, stk. 5 closing of open conditions.
    fn push_deregistration(
        &mut self,
        after: &PersonState,
        date: Date,
        reason: String,
        consequence: Option<Consequence>,
        keep_open: Option<u64>,
    ) {
        // A deregistration the registry makes by itself is not dated before the registration's
        // latest change either (the manual one is checked in `deregister`): a back-dated
        // assessment cannot end a registration before details it has since been given.
        if consequence.is_some()
            && let Some(changed) = after.current_details()
            && after
                .current_registration()
                .is_some_and(|r| r.id != changed.fact)
            && date < changed.since
        {
            self.violate(&rules::S8_2_BEFORE_CHANGE, "");
        }
        let dereg_id = self.next_id();
        self.events.push(Event::JobSeekerDeregistered {
            deregistration_date: date,
            reason,
            consequence_of: consequence,
        });
        for cond in after.conditions() {
            if cond.end.is_none() && Some(cond.id) != keep_open {
                self.events.push(Event::PeriodicConditionEnded {
                    condition: cond.id,
                    end_date: date.max(cond.start),
                    consequence_of: Some(Consequence {
                        rule: rules::S8_5_CLOSED_BY_DEREGISTRATION.id.into(),
                        fact: dereg_id,
                    }),
                });
            }
        }
    }

    /// § 8, stk. 1, nr. 4–7: new details of the open registration from a day on.
    fn change_registration(&mut self, c: &ChangeRegistration) {
        let benefit = c.details.benefit_category.as_deref().unwrap_or_default();
        // Who may record a registration with these details may change it to them.
        self.permit_registration(benefit);
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let date = self.date(
            "change_date",
            c.change_date.as_deref(),
            Some(&rules::S8_1_CHANGE_DATE_REQUIRED),
            None,
            birth,
        );
        let details = self.registration_details(&c.details, date);
        let periods = self.state.periods();
        let Some(open) = periods.last().filter(|p| p.deregistration.is_none()) else {
            self.violate(&rules::S8_1_CHANGE_NOT_REGISTERED, "");
            return;
        };
        let Some(current) = open.latest_details() else {
            return;
        };
        if date.is_some_and(|d| d < current.since) {
            self.violate(&rules::S8_1_CHANGE_BEFORE, "change_date");
        }
        if !benefit.is_empty()
            && k::is_cash_benefit(benefit) != k::is_cash_benefit(current.benefit_category)
        {
            self.violate(&rules::S8_1_CHANGE_CASH, "benefit_category");
        }
        let (Some(date), Some((benefit, degree, hours, titles, fund))) = (date, details) else {
            return;
        };
        let same = benefit == current.benefit_category
            && degree == current.unemployment_degree
            && hours == current.hours_per_week
            && titles.as_slice() == current.job_titles
            && fund.as_deref() == current.unemployment_fund;
        if same {
            self.violate(&rules::S8_1_CHANGE_NOTHING, "");
        }
        self.events.push(Event::RegistrationChanged {
            registration: open.registration.id,
            change_date: date,
            benefit_category: benefit,
            unemployment_degree: degree,
            hours_per_week: hours,
            job_titles: titles,
            unemployment_fund: fund,
        });
    }

    fn deregister(&mut self, c: &DeregisterJobSeeker) {
        let kind = self.ctx.actor.kind;
        let current = self.state.current_registration();
        let on_cash = matches!(current.map(|f| &f.event), Some(Event::JobSeekerRegistered { benefit_category, .. }) if k::is_cash_benefit(benefit_category));
        self.permit(
            kind == OrgKind::StateJobcenter
                || (kind == OrgKind::MunicipalJobcenter && (current.is_none() || on_cash)),
            &rules::S8_2_ACTOR,
        );
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let name = self.text("name", c.name.as_deref(), &rules::S8_2_NAME_REQUIRED);
        let date = self.date(
            "deregistration_date",
            c.deregistration_date.as_deref(),
            Some(&rules::S8_2_DATE_REQUIRED),
            None,
            birth,
        );
        let reason = self.code(
            "reason",
            ListName::DeregistrationReason,
            c.reason.as_deref(),
            Some(&rules::S8_2_REASON_REQUIRED),
            &rules::S8_2_REASON_UNKNOWN,
            date,
        );
        match current.map(|f| &f.event) {
            None => self.violate(&rules::S8_2_NOT_REGISTERED, ""),
            Some(Event::JobSeekerRegistered {
                registration_date, ..
            }) if date.is_some_and(|d| d < *registration_date) => {
                self.violate(&rules::S8_2_BEFORE_REGISTRATION, "deregistration_date");
            }
            _ => {}
        }
        // The registration's details as changed last: not before that change either.
        if let (Some(d), Some(changed)) = (date, self.state.current_details())
            && current.is_some_and(|r| r.id != changed.fact)
            && d < changed.since
        {
            self.violate(&rules::S8_2_BEFORE_CHANGE, "deregistration_date");
        }
        self.identify(cpr.as_ref(), name.as_deref());
        if let (Some(date), Some(reason)) = (date, reason) {
            let state = self.state.clone();
            self.push_deregistration(&state, date, reason, None, None);
        }
    }

    /// § 9 fields. `first_contact` selects the § 8, stk. 3 set of mandatory fields.
    fn contact_fields(
        &mut self,
        c: &ContactFields,
        on: Option<Date>,
        first_contact: bool,
        birth: Option<Date>,
    ) -> Option<ContactRecord> {
        let case_type = self.code(
            "case_type",
            ListName::CaseType,
            c.case_type.as_deref(),
            Some(&rules::S9_1_CASE_TYPE_REQUIRED),
            &rules::S9_1_CASE_TYPE_UNKNOWN,
            on,
        );
        if first_contact
            && case_type
                .as_deref()
                .is_some_and(|t| !k::CASH_CASE_TYPES.contains(&t))
        {
            self.violate(&rules::S3_1_CASE_TYPE_CASH, "case_type");
        }
        let support = self.code(
            "support",
            ListName::BenefitCategory,
            c.support.as_deref(),
            Some(&rules::S9_1_SUPPORT_REQUIRED),
            &rules::S9_1_SUPPORT_UNKNOWN,
            on,
        );
        let consent = match &c.consent {
            Some(ConsentInput {
                obtain: Some(obtain),
                disclose: Some(disclose),
                date,
            }) => self
                .date(
                    "consent.date",
                    date.as_deref(),
                    Some(&rules::S9_1_CONSENT_REQUIRED),
                    None,
                    birth,
                )
                .map(|date| Consent {
                    obtain: *obtain,
                    disclose: *disclose,
                    date,
                }),
            _ => {
                self.violate(&rules::S9_1_CONSENT_REQUIRED, "consent");
                None
            }
        };
        let contact_form = self.code(
            "contact_form",
            ListName::ContactForm,
            c.contact_form.as_deref(),
            Some(&rules::S9_3_CONTACT_FORM_REQUIRED),
            &rules::S9_3_CONTACT_FORM_UNKNOWN,
            on,
        );
        let mut areas = std::collections::BTreeMap::new();
        for (area, note) in &c.attention_areas {
            let field = format!("attention_areas.{area}");
            if self
                .code(
                    &field,
                    ListName::AttentionArea,
                    Some(area),
                    None,
                    &rules::S9_4_AREA_UNKNOWN,
                    on,
                )
                .is_none()
            {
                continue;
            }
            if note.trim().is_empty() {
                self.violate(&rules::S9_4_NOTE_EMPTY, &field);
            } else if let Some(n) = self.free_text(&field, Some(note)) {
                areas.insert(area.clone(), n);
            }
        }
        let match_category = self.match_category("match_category", c.match_category, true, on);
        let mut decisive = Vec::new();
        for (i, a) in c.decisive_areas.iter().enumerate() {
            if let Some(code) = self.code(
                &format!("decisive_areas[{i}]"),
                ListName::AttentionArea,
                Some(a),
                None,
                &rules::S9_7_AREA_UNKNOWN,
                on,
            ) && !decisive.contains(&code)
            {
                decisive.push(code);
            }
        }
        match match_category {
            Some(1) if !c.decisive_areas.is_empty() => {
                self.violate(&rules::S9_7_DECISIVE_NOT_ALLOWED, "decisive_areas");
            }
            // § 8, stk. 3 makes nr. 7 mandatory at the first contact; at interviews § 9 marks it
            // neither mandatory nor "if relevant", so it is recorded when given.
            Some(m) if first_contact && m > 1 && c.decisive_areas.is_empty() => {
                self.violate(&rules::S9_7_DECISIVE_REQUIRED, "decisive_areas");
            }
            _ => {}
        }
        let frequent = self.code(
            "frequent_contact_reason",
            ListName::FrequentContactReason,
            c.frequent_contact_reason.as_deref(),
            None,
            &rules::S9_8_REASON_UNKNOWN,
            on,
        );
        let exemption = self.code(
            "exemption_reason",
            ListName::ExemptionReason,
            c.exemption_reason.as_deref(),
            None,
            &rules::S9_9_REASON_UNKNOWN,
            on,
        );
        let further = match first_contact {
            true => self.free_text("further_course", c.further_course.as_deref()),
            false => self.text(
                "further_course",
                c.further_course.as_deref(),
                &rules::S9_11_FURTHER_COURSE_REQUIRED,
            ),
        };
        let comment = self.free_text("contact_form_comment", c.contact_form_comment.as_deref());
        let summary = self.free_text("summary", c.summary.as_deref());
        let citizen_comment = self.free_text("citizen_comment", c.citizen_comment.as_deref());
        Some(ContactRecord {
            case_type: case_type?,
            support: support?,
            consent: consent?,
            contact_form: contact_form?,
            contact_form_comment: comment,
            attention_areas: areas,
            summary,
            match_category: match_category?,
            decisive_areas: decisive,
            frequent_contact_reason: frequent,
            exemption_reason: exemption,
            citizen_comment,
            further_course: further,
        })
    }

    /// The state as it will be after the events decided so far.
    fn projected(&self) -> std::borrow::Cow<'a, PersonState> {
        if self.events.is_empty() {
            return std::borrow::Cow::Borrowed(self.state);
        }
        let mut s = self.state.clone();
        for (i, e) in self.events.iter().enumerate() {
            s.apply(
                &EventMeta {
                    version: self.state.version + i as u64 + 1,
                    recorded_at: jiff::Timestamp::UNIX_EPOCH,
                    recorded_by: String::new(),
                },
                e,
            );
        }
        std::borrow::Cow::Owned(s)
    }

    /// § 4, stk. 1 and § 5 after a new match assessment on `date` by fact `fact`.
    fn follow_assessment(
        &mut self,
        fact: u64,
        date: Date,
        registration: Option<&RegistrationDetails>,
        cpr: &str,
        name: Option<&str>,
    ) {
        let after = self.projected();
        if after.cash_benefit_since().is_none() {
            if registration.is_some() {
                self.violate(&rules::S4_1_REGISTRATION_NOT_EXPECTED, "registration");
            }
            return;
        }
        // What the category means is the match category list's (`only_unemployment`).
        let ready = after
            .current_match()
            .map(|m| self.ctx.codes.match_meaning().only_unemployment(m));
        let registered = after.current_registration();
        let on_cash = matches!(registered.map(|f| &f.event), Some(Event::JobSeekerRegistered { benefit_category, .. }) if k::is_cash_benefit(benefit_category));
        // § 9, nr. 9 with § 5: a record giving a reason for exemption from registration ends a
        // registration with cash or start benefit, as an exemption from availability does,
        // and brings no registration along.
        if after.exempted_by_reason_on(date) == Some(fact) {
            if registration.is_some() {
                self.violate(&rules::S4_1_REGISTRATION_NOT_EXPECTED, "registration");
            }
            if on_cash {
                self.push_deregistration(
                    &after,
                    date,
                    k::REASON_EXEMPTED.into(),
                    Some(Consequence {
                        rule: rules::S5_DEREGISTERED_AS_CONSEQUENCE.id.into(),
                        fact,
                    }),
                    None,
                );
            }
            return;
        }
        match (ready, registered) {
            (Some(false), Some(_)) if on_cash => {
                if registration.is_some() {
                    self.violate(&rules::S4_1_NOT_READY, "registration");
                }
                self.push_deregistration(
                    &after,
                    date,
                    k::REASON_NOT_ONLY_UNEMPLOYMENT.into(),
                    Some(Consequence {
                        rule: rules::S5_DEREGISTERED_AS_CONSEQUENCE.id.into(),
                        fact,
                    }),
                    None,
                );
            }
            (Some(true), None) if !after.exempted_from_availability_on(date) => {
                if let Some(details) = registration {
                    let saved = std::mem::replace(&mut self.prefix, "registration.".into());
                    let cmd = RegisterJobSeeker {
                        cpr: cpr.to_owned(),
                        name: name.map(str::to_owned),
                        registration_date: Some(date.to_string()),
                        details: details.clone(),
                        municipality: None,
                        match_category: None,
                    };
                    // CPR, name and date come from the enclosing record, which has already
                    // been checked (and remarked on): say nothing about them twice.
                    let v_before = self.v.len();
                    let w_before = self.warnings.len();
                    self.register(
                        &cmd,
                        Some(Consequence {
                            rule: rules::S4_1_REGISTERED_AS_CONSEQUENCE.id.into(),
                            fact,
                        }),
                    );
                    self.warnings.truncate(w_before);
                    // Whoever holds the interview, registering a cash or start benefit
                    // recipient here is the municipality's duty (§ 4, stk. 1): the actor rule
                    // is waived for those benefit categories only.
                    let cash = details
                        .benefit_category
                        .as_deref()
                        .is_some_and(k::is_cash_benefit);
                    const SAID_ALREADY: [&str; 4] = [
                        rules::CPR_FORMAT.id,
                        rules::CPR_DATE.id,
                        rules::S8_1_NAME_REQUIRED.id,
                        rules::DATE_BEFORE_BIRTH.id,
                    ];
                    self.v.retain_mut_from(v_before, |v| {
                        let waived = cash && v.rule.id == rules::S8_1_ACTOR.id;
                        !waived && !SAID_ALREADY.contains(&v.rule.id)
                    });
                    self.prefix = saved;
                }
            }
            (Some(false), _) if registration.is_some() => {
                self.violate(&rules::S4_1_NOT_READY, "registration");
            }
            _ => {}
        }
    }

    fn first_contact(&mut self, c: &RecordFirstContact) {
        self.permit(
            self.ctx.actor.kind == OrgKind::MunicipalJobcenter,
            &rules::S3_ACTOR,
        );
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let date = self.date(
            "first_contact_date",
            c.first_contact_date.as_deref(),
            Some(&rules::S8_3_DATE_REQUIRED),
            None,
            birth,
        );
        let name = self.text(
            "name",
            c.contact.name.as_deref(),
            &rules::S9_1_NAME_REQUIRED,
        );
        let record = self.contact_fields(&c.contact, date, true, birth);
        if self.state.cash_benefit_since().is_some() {
            self.violate(&rules::S3_1_ALREADY_OPEN, "");
        }
        self.identify(cpr.as_ref(), name.as_deref());
        self.municipality(c.municipality.as_deref(), date);
        let (Some(date), Some(contact)) = (date, record) else {
            return;
        };
        let fact = self.next_id();
        self.events.push(Event::FirstContactRecorded {
            first_contact_date: date,
            interview_type: k::FIRST_INTERVIEW.into(),
            contact,
        });
        self.follow_assessment(fact, date, c.registration.as_ref(), &c.cpr, name.as_deref());
    }

    fn cessation(&mut self, c: &RecordBenefitCessation) {
        self.permit(
            self.ctx.actor.kind == OrgKind::MunicipalJobcenter,
            &rules::S3_ACTOR,
        );
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let date = self.date(
            "cessation_date",
            c.cessation_date.as_deref(),
            Some(&rules::S8_4_DATE_REQUIRED),
            None,
            birth,
        );
        match self.state.cash_benefit_since() {
            None => self.violate(&rules::S3_3_NO_CASH_BENEFIT, ""),
            Some(since) if date.is_some_and(|d| d < since) => {
                self.violate(&rules::S8_4_BEFORE_START, "cessation_date");
            }
            Some(_) => {}
        }
        if let Some(date) = date {
            self.events.push(Event::CashBenefitCeased {
                cessation_date: date,
            });
        }
    }

    /// § 5 on the day an exemption from availability recorded ahead of its start takes
    /// effect: the registration with cash or start benefit ends that day, as it would have had
    /// the exemption been in force when it was recorded.
    fn take_effect(&mut self) {
        self.permit(*self.ctx.actor == Actor::registry(), &rules::S5_DATED_ACTOR);
        match self.state.exemption_pending() {
            Some((condition, start)) if start <= self.today() => {
                let state = self.state.clone();
                self.push_deregistration(
                    &state,
                    start,
                    k::REASON_EXEMPTED.into(),
                    Some(Consequence {
                        rule: rules::S5_DEREGISTERED_AS_CONSEQUENCE.id.into(),
                        fact: condition,
                    }),
                    Some(condition),
                );
            }
            _ => self.violate(&rules::S5_NOTHING_DUE, ""),
        }
    }

    fn start_condition(&mut self, c: &StartPeriodicCondition) {
        let kind = self.ctx.actor.kind;
        self.permit(
            matches!(kind, OrgKind::StateJobcenter | OrgKind::MunicipalJobcenter),
            &rules::S4_3_ACTOR,
        );
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let start = self.date(
            "start_date",
            c.start_date.as_deref(),
            Some(&rules::S8_5_START_REQUIRED),
            Some((MAX_DAYS_AHEAD, &rules::S8_5_TOO_FAR_AHEAD)),
            birth,
        );
        let end = self.date(
            "end_date",
            c.end_date.as_deref(),
            None,
            Some((2 * MAX_DAYS_AHEAD, &rules::S8_5_TOO_FAR_AHEAD)),
            birth,
        );
        let cond_kind = self.code(
            "kind",
            ListName::PeriodicConditionKind,
            c.kind.as_deref(),
            Some(&rules::S8_5_KIND_REQUIRED),
            &rules::S8_5_KIND_UNKNOWN,
            start,
        );
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            self.violate(&rules::S8_5_END_BEFORE_START, "end_date");
        }
        if self.state.current_registration().is_none() && self.state.cash_benefit_since().is_none()
        {
            self.violate(&rules::S4_3_NOT_COVERED, "");
        }
        if let (Some(kind), Some(s)) = (&cond_kind, start)
            && self
                .state
                .conditions()
                .iter()
                .any(|c| &c.kind == kind && c.overlaps(s, end))
        {
            self.violate(&rules::S8_5_OVERLAP, "start_date");
        }
        let (Some(kind), Some(start)) = (cond_kind, start) else {
            return;
        };
        let fact = self.next_id();
        let exemption = kind == k::EXEMPT_AVAILABILITY;
        self.events.push(Event::PeriodicConditionStarted {
            kind,
            start_date: start,
            end_date: end,
        });
        // § 5: a cash-benefit recipient exempted from availability is no longer to be registered.
        if exemption {
            let after = self.projected();
            let on_cash = matches!(after.current_registration().map(|f| &f.event), Some(Event::JobSeekerRegistered { benefit_category, .. }) if k::is_cash_benefit(benefit_category));
            let in_force_today = start <= self.today() && end.is_none_or(|e| e >= self.today());
            if on_cash && after.cash_benefit_since().is_some() && in_force_today {
                self.push_deregistration(
                    &after,
                    start,
                    k::REASON_EXEMPTED.into(),
                    Some(Consequence {
                        rule: rules::S5_DEREGISTERED_AS_CONSEQUENCE.id.into(),
                        fact,
                    }),
                    Some(fact),
                );
            }
        }
    }

    fn end_condition(&mut self, condition: u64, body: &EndPeriodicCondition) {
        let kind = self.ctx.actor.kind;
        self.permit(
            matches!(kind, OrgKind::StateJobcenter | OrgKind::MunicipalJobcenter),
            &rules::S4_3_ACTOR,
        );
        let birth = self.birth_date(None);
        let end = self.date(
            "end_date",
            body.end_date.as_deref(),
            Some(&rules::S8_5_END_REQUIRED),
            Some((2 * MAX_DAYS_AHEAD, &rules::S8_5_TOO_FAR_AHEAD)),
            birth,
        );
        let conds = self.state.conditions();
        let Some(cond) = conds.iter().find(|c| c.id == condition) else {
            self.violate(&rules::S8_5_NOT_FOUND, "");
            return;
        };
        if cond.ended_by.is_some() {
            self.violate(&rules::S8_5_ALREADY_ENDED, "");
        }
        if end.is_some_and(|e| e < cond.start) {
            self.violate(&rules::S8_5_END_BEFORE_START, "end_date");
        }
        let Some(end) = end else { return };
        let fact = self.next_id();
        self.events.push(Event::PeriodicConditionEnded {
            condition,
            end_date: end,
            consequence_of: None,
        });
        // The end of an exemption from availability may make a cash-benefit recipient in
        // match 1–3 one who is to be registered again (§ 4, stk. 1): with `registration` the
        // registration is recorded from the day after; without it, the finishing check refuses.
        if let Some(cpr) = self.state.cpr.as_ref().map(Cpr::digits) {
            let from = end.checked_add(1.day()).unwrap_or(end).min(self.today());
            let name = self.state.name.clone();
            self.follow_assessment(
                fact,
                from,
                body.registration.as_ref(),
                &cpr,
                name.as_deref(),
            );
        }
    }

    fn interview(&mut self, c: &RecordContactInterview) {
        let kind = self.ctx.actor.kind;
        self.permit(
            matches!(
                kind,
                OrgKind::StateJobcenter | OrgKind::MunicipalJobcenter | OrgKind::OtherActor
            ),
            &rules::S2_4_ACTOR,
        );
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let date = self.date(
            "interview_date",
            c.interview_date.as_deref(),
            Some(&rules::S9_2_DATE_REQUIRED),
            None,
            birth,
        );
        let interview_type = self.code(
            "interview_type",
            ListName::InterviewType,
            c.interview_type.as_deref(),
            Some(&rules::S9_2_TYPE_REQUIRED),
            &rules::S9_2_TYPE_UNKNOWN,
            date,
        );
        let name = self.text(
            "name",
            c.contact.name.as_deref(),
            &rules::S9_1_NAME_REQUIRED,
        );
        let record = self.contact_fields(&c.contact, date, false, birth);
        if self.state.current_registration().is_none() && self.state.cash_benefit_since().is_none()
        {
            self.violate(&rules::S2_4_NOT_COVERED, "");
        }
        if interview_type.as_deref() == Some(k::FIRST_INTERVIEW) && self.first_interview_held() {
            self.violate(&rules::S9_2_FIRST_INTERVIEW_ONCE, "interview_type");
        }
        self.identify(cpr.as_ref(), name.as_deref());
        let (Some(date), Some(interview_type), Some(contact)) = (date, interview_type, record)
        else {
            return;
        };
        let fact = self.next_id();
        self.events.push(Event::ContactInterviewRecorded {
            interview_date: date,
            interview_type,
            contact,
        });
        self.follow_assessment(fact, date, c.registration.as_ref(), &c.cpr, name.as_deref());
    }

    fn assign(&mut self, c: &AssignOtherActor) {
        let kind = self.ctx.actor.kind;
        self.permit(
            matches!(kind, OrgKind::StateJobcenter | OrgKind::MunicipalJobcenter),
            &rules::S2_5_ASSIGNMENT_ACTOR,
        );
        let cpr = self.cpr(&c.cpr);
        let birth = self.birth_date(cpr.as_ref());
        let actor = c
            .other_actor
            .as_deref()
            .map(str::trim)
            .filter(|a| a.len() == 8 && a.bytes().all(|b| b.is_ascii_digit()));
        if actor.is_none() {
            self.violate(&rules::S2_5_ACTOR_CVR, "other_actor");
        }
        let from = self.date(
            "from_date",
            c.from_date.as_deref(),
            Some(&rules::S2_5_FROM_REQUIRED),
            Some((MAX_DAYS_AHEAD, &rules::S8_5_TOO_FAR_AHEAD)),
            birth,
        );
        let to = self.date(
            "to_date",
            c.to_date.as_deref(),
            None,
            Some((2 * MAX_DAYS_AHEAD, &rules::S8_5_TOO_FAR_AHEAD)),
            birth,
        );
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            self.violate(&rules::S2_5_END_BEFORE_START, "to_date");
        }
        if self.state.current_registration().is_none() && self.state.cash_benefit_since().is_none()
        {
            self.violate(&rules::S2_4_NOT_COVERED, "");
        }
        if let (Some(actor), Some(from)) = (actor, from) {
            self.events.push(Event::OtherActorAssigned {
                actor: actor.to_owned(),
                from_date: from,
                to_date: to,
            });
        }
    }

    fn may_record(&self, event: &Event, recorded_by_municipality: bool) -> bool {
        use OrgKind::*;
        let kind = self.ctx.actor.kind;
        match event {
            // As for recording them: the municipality only for cash and start benefit.
            Event::JobSeekerRegistered {
                benefit_category, ..
            }
            | Event::RegistrationChanged {
                benefit_category, ..
            } => {
                kind == StateJobcenter
                    || (kind == MunicipalJobcenter && k::is_cash_benefit(benefit_category))
            }
            Event::JobSeekerDeregistered { .. } => {
                kind == StateJobcenter || (kind == MunicipalJobcenter && recorded_by_municipality)
            }
            Event::PeriodicConditionStarted { .. } | Event::PeriodicConditionEnded { .. } => {
                matches!(kind, StateJobcenter | MunicipalJobcenter)
            }
            Event::FirstContactRecorded { .. } | Event::CashBenefitCeased { .. } => {
                kind == MunicipalJobcenter
            }
            Event::ContactInterviewRecorded { .. } => {
                matches!(kind, StateJobcenter | MunicipalJobcenter | OtherActor)
            }
            Event::OtherActorAssigned { .. } => matches!(kind, StateJobcenter | MunicipalJobcenter),
            _ => false,
        }
    }

    fn correct(&mut self, fact_id: u64, body: &Correct) {
        let reason = self.text(
            "reason",
            body.reason.as_deref(),
            &rules::CORRECTION_REASON_REQUIRED,
        );
        let Some(fact) = self.state.fact(fact_id).filter(|f| {
            !matches!(
                f.event,
                Event::FactCorrected { .. }
                    | Event::PersonIdentified { .. }
                    | Event::MunicipalitySet { .. }
            )
        }) else {
            self.violate(&rules::CORRECTION_NOT_FOUND, "fact_id");
            return;
        };
        let by_municipality = fact
            .recorded_by
            .starts_with(OrgKind::MunicipalJobcenter.as_str());
        if !self.may_record(&fact.event, by_municipality) {
            self.violate(&rules::CORRECTION_ACTOR, "");
        }
        if fact.annulled_by.is_some() {
            self.violate(&rules::CORRECTION_ALREADY_ANNULLED, "fact_id");
            return;
        }
        // The fact and everything it caused, transitively; a condition's end goes with it.
        let mut annulled = vec![fact_id];
        let mut i = 0;
        while i < annulled.len() {
            let cause = annulled[i];
            for f in self.state.live() {
                let caused = match &f.event {
                    Event::JobSeekerRegistered { consequence_of, .. }
                    | Event::JobSeekerDeregistered { consequence_of, .. } => {
                        consequence_of.as_ref().is_some_and(|c| c.fact == cause)
                    }
                    Event::PeriodicConditionEnded {
                        condition,
                        consequence_of,
                        ..
                    } => {
                        *condition == cause
                            || consequence_of.as_ref().is_some_and(|c| c.fact == cause)
                    }
                    // A registration's changes go with it.
                    Event::RegistrationChanged { registration, .. } => *registration == cause,
                    _ => false,
                };
                if caused && !annulled.contains(&f.id) {
                    annulled.push(f.id);
                }
            }
            i += 1;
        }
        let replacement = body.replacement.as_ref().map(|r| {
            let cmd = r.command();
            let same_kind = matches!(
                (r, &fact.event),
                (
                    Replacement::JobseekerRegistration(_),
                    Event::JobSeekerRegistered { .. }
                ) | (
                    Replacement::JobseekerDeregistration(_),
                    Event::JobSeekerDeregistered { .. }
                ) | (
                    Replacement::FirstContact(_),
                    Event::FirstContactRecorded { .. }
                ) | (
                    Replacement::BenefitCessation(_),
                    Event::CashBenefitCeased { .. }
                ) | (
                    Replacement::PeriodicCondition(_),
                    Event::PeriodicConditionStarted { .. }
                ) | (
                    Replacement::OtherActorAssignment(_),
                    Event::OtherActorAssigned { .. }
                ) | (
                    Replacement::ContactInterview(_),
                    Event::ContactInterviewRecorded { .. }
                )
            );
            (same_kind, cmd)
        });
        let Some(reason) = reason else { return };
        self.events.push(Event::FactCorrected {
            corrects: fact_id,
            reason,
            annulled,
            replaced: replacement.is_some(),
        });
        if let Some((same_kind, cmd)) = replacement {
            let same_person = cmd
                .cpr()
                .and_then(|c| Cpr::parse(c).ok())
                .is_some_and(|c| Some(&c) == self.state.cpr.as_ref());
            if !same_kind || !same_person {
                self.violate(&rules::CORRECTION_WRONG_TYPE, "replacement");
                return;
            }
            let intermediate = self.projected();
            match decide(&intermediate, &cmd, self.ctx) {
                Ok(sub) => {
                    self.events.extend(sub.events);
                    self.warnings.extend(sub.warnings);
                }
                Err(vs) => self.v.extend(vs.into_iter().map(|mut v| {
                    v.field = Some(match v.field {
                        Some(f) => format!("replacement.{f}"),
                        None => "replacement".into(),
                    });
                    v
                })),
            }
        }
        if self.v.is_empty() && self.projected().timeline_contradictions() {
            self.violate(&rules::CORRECTION_BREAKS_TIMELINE, "fact_id");
        }
    }

    fn finish(self) -> Result<Decision, Vec<Violation>> {
        let mut v = self.v;
        if v.is_empty() {
            // Never leave registration and match category out of step silently (§ 4, § 5).
            let meaning = self.ctx.codes.match_meaning();
            let before = self.state.out_of_step(self.ctx.clock.today, &meaning);
            let mut after_state = self.state.clone();
            for (i, e) in self.events.iter().enumerate() {
                after_state.apply(
                    &EventMeta {
                        version: self.state.version + i as u64 + 1,
                        recorded_at: jiff::Timestamp::UNIX_EPOCH,
                        recorded_by: String::new(),
                    },
                    e,
                );
            }
            let after = after_state.out_of_step(self.ctx.clock.today, &meaning);
            if let Some(rule) = after
                && after != before
            {
                v.push(Violation {
                    rule,
                    field: (rule.id == rules::S4_1_MUST_REGISTER.id).then(|| "registration".into()),
                });
            }
        }
        if v.is_empty() {
            Ok(Decision {
                events: self.events,
                warnings: self.warnings,
            })
        } else {
            v.dedup();
            Err(v)
        }
    }
}

trait RetainFrom<T> {
    fn retain_mut_from(&mut self, from: usize, keep: impl FnMut(&T) -> bool);
}

impl<T> RetainFrom<T> for Vec<T> {
    fn retain_mut_from(&mut self, from: usize, mut keep: impl FnMut(&T) -> bool) {
        let tail: Vec<T> = self.drain(from..).filter(|t| keep(t)).collect();
        self.extend(tail);
    }
}
