//! Who may see whom (DESIGN.md §4; `docs/access.md`): decided here, once, for the web services,
//! the event feed and the pages alike.
//!
//! The inputs are the acting organisation and a person's [`PersonScope`] — the few facts that
//! decide visibility, derived from the person's state and stored beside the projection so a read
//! need not fold the whole history.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, OrgKind};
use crate::codes_const as k;
use crate::event::Event;
use crate::state::PersonState;

/// The facts about a person that decide who may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonScope {
    /// Responsible municipality (kommunekode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    /// Has been registered as a job seeker (the state job centre's people).
    #[serde(default, skip_serializing_if = "is_false")]
    pub job_seeker: bool,
    /// Has cash or start benefit facts (first contact, cash registration, cessation).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cash_benefit: bool,
    /// Unemployment funds named on registrations (membership).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funds: Vec<String>,
    /// Other actors assigned by a job centre: CVR, from, to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<Assignment>,
    /// The latest recorded consent to disclose information (§ 9, nr. 1).
    #[serde(default, skip_serializing_if = "is_false")]
    pub consent_to_disclose: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An other actor's assignment to a person, with its period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The other actor's CVR number.
    pub actor: String,
    /// First day.
    pub from: Date,
    /// Last day, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
}

impl Assignment {
    /// Whether the assignment is in force on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.from <= day && self.to.is_none_or(|t| day <= t)
    }
}

impl PersonScope {
    /// Derives the scope from a person's state (facts that still count).
    pub fn of(state: &PersonState) -> Self {
        let mut s = PersonScope {
            municipality: state.municipality.clone(),
            ..Default::default()
        };
        let mut consent: Option<(Date, u64, bool)> = None;
        for f in state.live() {
            match &f.event {
                Event::JobSeekerRegistered {
                    benefit_category,
                    unemployment_fund,
                    ..
                } => {
                    s.job_seeker = true;
                    if k::is_cash_benefit(benefit_category) {
                        s.cash_benefit = true;
                    }
                    if let Some(fund) = unemployment_fund
                        && !s.funds.contains(fund)
                    {
                        s.funds.push(fund.clone());
                    }
                }
                Event::FirstContactRecorded { contact, .. }
                | Event::ContactInterviewRecorded { contact, .. } => {
                    if matches!(f.event, Event::FirstContactRecorded { .. }) {
                        s.cash_benefit = true;
                    }
                    let c = &contact.consent;
                    if consent.is_none_or(|(d, id, _)| (c.date, f.id) > (d, id)) {
                        consent = Some((c.date, f.id, c.disclose));
                    }
                }
                Event::CashBenefitCeased { .. } => s.cash_benefit = true,
                Event::OtherActorAssigned {
                    actor,
                    from_date,
                    to_date,
                } => s.assignments.push(Assignment {
                    actor: actor.clone(),
                    from: *from_date,
                    to: *to_date,
                }),
                _ => {}
            }
        }
        s.consent_to_disclose = consent.is_some_and(|(_, _, d)| d);
        s
    }
}

/// How much of a person an organisation may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Nothing; the person's existence is not revealed (404).
    Hidden,
    /// Everything recorded.
    Full,
    /// Everything except the content of interviews and first contacts (notes, assessments,
    /// comments), because the person has not consented to disclosure (§ 9, nr. 1).
    WithoutInterviewDetails,
    /// The benefit centre's view: identity, registration status and the cash-benefit facts
    /// (§ 3, stk. 4).
    CashBenefitFacts,
}

/// What `actor` may see of a person with `scope`, on `today`.
pub fn visibility(actor: &Actor, scope: &PersonScope, today: Date) -> Visibility {
    let consented = |v: Visibility| {
        if scope.consent_to_disclose {
            v
        } else {
            Visibility::WithoutInterviewDetails
        }
    };
    match actor.kind {
        OrgKind::StateJobcenter if scope.job_seeker => Visibility::Full,
        OrgKind::MunicipalJobcenter if scope.municipality.as_deref() == Some(&actor.code) => {
            Visibility::Full
        }
        OrgKind::OtherActor
            if scope
                .assignments
                .iter()
                .any(|a| a.actor == actor.code && a.in_force_on(today)) =>
        {
            consented(Visibility::Full)
        }
        OrgKind::BenefitCenter
            if scope.cash_benefit && scope.municipality.as_deref() == Some(&actor.code) =>
        {
            Visibility::CashBenefitFacts
        }
        OrgKind::UnemploymentFund if scope.funds.contains(&actor.code) => {
            consented(Visibility::Full)
        }
        _ => Visibility::Hidden,
    }
}

/// Whether `actor` may record facts about a person with `scope` (`None` for a person the
/// registry does not know yet). `sets_municipality` is the municipality the command itself
/// records (a municipality taking over a person who moved in does so by recording it).
/// `registers` is true for a registration as a job seeker. A write outside scope is answered as
/// if the person did not exist.
pub fn may_write(
    actor: &Actor,
    scope: Option<&PersonScope>,
    sets_municipality: Option<&str>,
    registers: bool,
    today: Date,
) -> bool {
    let Some(scope) = scope else {
        // New persons: the rules decide who may create which record.
        return true;
    };
    match actor.kind {
        // The state job centre's people are job seekers; it makes someone one by registering.
        OrgKind::StateJobcenter => scope.job_seeker || registers,
        OrgKind::MunicipalJobcenter => {
            scope.municipality.is_none()
                || scope.municipality.as_deref() == Some(&actor.code)
                || sets_municipality == Some(&actor.code)
        }
        OrgKind::OtherActor => scope
            .assignments
            .iter()
            .any(|a| a.actor == actor.code && a.in_force_on(today)),
        // These record nothing; let the rules name the refusal.
        OrgKind::BenefitCenter
        | OrgKind::UnemploymentFund
        | OrgKind::Operator
        | OrgKind::Supervisor => true,
    }
}
