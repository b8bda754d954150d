//! Who may see whom (`docs/access.md`): decided here, once, for the web services,
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
use crate::view::{CessationView, ContactView, PersonOverview, RegistrationView};

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
    /// Unemployment funds named on any registration, current or past. Only read from scopes
    /// stored before `member_of` existed; no longer written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funds: Vec<String>,
    /// The unemployment fund named on the person's current registration (membership now,
    /// § 8, stk. 1, nr. 7). `None` in scopes stored before this field existed, which fall
    /// back to `funds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_of: Option<Vec<String>>,
    /// Other actors assigned by a job centre: CVR, from, to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<Assignment>,
    /// Whether the latest recorded consent (§ 9, nr. 1) allows disclosure. A "no" withdraws
    /// what earlier consents allowed; a "yes" discloses only the contact it was given on.
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
            member_of: Some(
                // The a-kasse in force now: a change of registration moves the person to the
                // new fund (§ 8, stk. 1, nr. 7).
                state
                    .current_details()
                    .and_then(|d| d.unemployment_fund.map(str::to_owned))
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        };
        let mut consent: Option<(Date, u64, bool)> = None;
        for f in state.live() {
            match &f.event {
                Event::JobSeekerRegistered {
                    benefit_category, ..
                } => {
                    s.job_seeker = true;
                    if k::is_cash_benefit(benefit_category) {
                        s.cash_benefit = true;
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
///
/// First-contact details (§ 3: recorded "with a view to the communication with the benefit
/// centre") are the responsible municipality's; every other organisation that sees the person
/// gets a first contact's basics only. Interview details reach other actors and a-kasser only
/// where the person consented to disclosure on that interview and has not withdrawn it since
/// (§ 9, nr. 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Nothing; the person's existence is not revealed (404).
    Hidden,
    /// Everything recorded: the responsible municipality.
    Full,
    /// Everything except first-contact details: the state job centre.
    WithoutFirstContactDetails,
    /// Everything except first-contact details, and the details of each interview whose own
    /// consent does not allow disclosure, or whose consent a later "no" withdrew (§ 9, nr. 1):
    /// other actors and a-kasser.
    ByConsent,
    /// The benefit centre's view: identity, registration status and the cash-benefit facts
    /// (§ 3, stk. 4).
    CashBenefitFacts,
}

impl Visibility {
    /// Whether a first contact's details (beyond the basics) are shown.
    pub fn first_contact_details(self) -> bool {
        self == Visibility::Full
    }

    /// Whether the details of an interview recorded with consent `disclose` are shown, given
    /// the person's latest consent `latest_disclose` (a "no" withdraws earlier consents).
    pub fn interview_details(self, disclose: bool, latest_disclose: bool) -> bool {
        match self {
            Visibility::Full | Visibility::WithoutFirstContactDetails => true,
            Visibility::ByConsent => disclose && latest_disclose,
            Visibility::Hidden | Visibility::CashBenefitFacts => false,
        }
    }
}

/// What `actor` may see of a person with `scope`, on `today`.
pub fn visibility(actor: &Actor, scope: &PersonScope, today: Date) -> Visibility {
    let member = scope.member_of.as_ref().unwrap_or(&scope.funds);
    match actor.kind {
        OrgKind::StateJobcenter if scope.job_seeker => Visibility::WithoutFirstContactDetails,
        OrgKind::MunicipalJobcenter if scope.municipality.as_deref() == Some(&actor.code) => {
            Visibility::Full
        }
        OrgKind::OtherActor
            if scope
                .assignments
                .iter()
                .any(|a| a.actor == actor.code && a.in_force_on(today)) =>
        {
            Visibility::ByConsent
        }
        OrgKind::BenefitCenter
            if scope.cash_benefit && scope.municipality.as_deref() == Some(&actor.code) =>
        {
            Visibility::CashBenefitFacts
        }
        OrgKind::UnemploymentFund if member.contains(&actor.code) => Visibility::ByConsent,
        _ => Visibility::Hidden,
    }
}

/// Whether `actor` may record facts about a person with `scope` (`None` for a person the
/// registry does not know yet). `residence` is the person's municipality of residence
/// according to the CPR register, when it knows the person: a municipality may write about
/// a person who lives there, and the write records the move. `registers` is true for a
/// registration as a job seeker. A write outside scope is answered as if the person did not
/// exist.
///
/// A write never widens what the writer may read beyond what the order gives its kind: a
/// municipality cannot take a person by naming itself (the municipality follows the CPR
/// register or a hand-over), and the state job centre, which may register anyone (§ 4,
/// stk. 2), never sees first-contact details.
pub fn may_write(
    actor: &Actor,
    scope: Option<&PersonScope>,
    residence: Option<&str>,
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
            scope.municipality.as_deref() == Some(&actor.code) || residence == Some(&actor.code)
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

/// What an organisation is shown of a person: the overview, cut as its visibility allows, or
/// the benefit centre's own view. Decided on the types, field by field: a field added to the
/// overview or to a contact does not reach anyone until it is placed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Shown {
    /// The overview, whole or with details cut.
    Overview(PersonOverview),
    /// The benefit centre's view (§ 3, stk. 4).
    BenefitCentre(BenefitCentreView),
}

impl Shown {
    /// As an overview (the benefit centre's withheld lists empty), for pages that render one.
    pub fn into_overview(self) -> PersonOverview {
        match self {
            Shown::Overview(o) => o,
            Shown::BenefitCentre(b) => PersonOverview {
                person_id: b.person_id,
                version: b.version,
                cpr: b.cpr,
                name: b.name,
                birth_date: b.birth_date,
                municipality: b.municipality,
                registered: b.registered,
                first_registration_date: b.first_registration_date,
                latest_registration_date: b.latest_registration_date,
                cash_benefit_since: b.cash_benefit_since,
                match_category: b.match_category,
                registrations: b.registrations,
                match_history: Vec::new(),
                periodic_conditions: Vec::new(),
                first_contacts: b.first_contacts,
                cessations: b.cessations,
                interviews: Vec::new(),
                other_actor_assignments: Vec::new(),
                corrections: Vec::new(),
                annulled: Vec::new(),
            },
        }
    }
}

/// What the benefit centre sees of a person (§ 3, stk. 4): identity, registration status and
/// the cash-benefit facts, first contacts cut to their basics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BenefitCentreView {
    pub person_id: String,
    pub version: u64,
    pub cpr: String,
    pub name: Option<String>,
    pub birth_date: Date,
    pub municipality: Option<String>,
    pub registered: bool,
    pub first_registration_date: Option<Date>,
    pub latest_registration_date: Option<Date>,
    pub cash_benefit_since: Option<Date>,
    pub match_category: Option<u8>,
    /// Every registration period, including any not in a cash-benefit category.
    pub registrations: Vec<RegistrationView>,
    /// First contacts, basics only.
    pub first_contacts: Vec<ContactView>,
    /// Cessations of cash benefit.
    pub cessations: Vec<CessationView>,
}

impl BenefitCentreView {
    /// The benefit centre's view of `o`.
    pub fn of(o: &PersonOverview) -> Self {
        let PersonOverview {
            person_id,
            version,
            cpr,
            name,
            birth_date,
            municipality,
            registered,
            first_registration_date,
            latest_registration_date,
            cash_benefit_since,
            match_category,
            registrations,
            first_contacts,
            cessations,
            // Withheld from the benefit centre: not cash-benefit facts.
            match_history: _,
            periodic_conditions: _,
            interviews: _,
            other_actor_assignments: _,
            corrections: _,
            annulled: _,
        } = o;
        BenefitCentreView {
            person_id: person_id.clone(),
            version: *version,
            cpr: cpr.clone(),
            name: name.clone(),
            birth_date: *birth_date,
            municipality: municipality.clone(),
            registered: *registered,
            first_registration_date: *first_registration_date,
            latest_registration_date: *latest_registration_date,
            cash_benefit_since: *cash_benefit_since,
            match_category: *match_category,
            registrations: registrations.clone(),
            first_contacts: first_contacts.iter().map(ContactView::basics).collect(),
            cessations: cessations.clone(),
        }
    }
}

impl ContactView {
    /// The contact with its record cut to the basics.
    pub fn basics(&self) -> ContactView {
        ContactView {
            contact: self.contact.basics(),
            ..self.clone()
        }
    }
}

/// What `visibility` shows of the overview `o`, or `None` when the person is hidden.
/// `latest_disclose` is the person's latest consent to disclose (§ 9, nr. 1).
pub fn shown(o: &PersonOverview, visibility: Visibility, latest_disclose: bool) -> Option<Shown> {
    match visibility {
        Visibility::Hidden => None,
        Visibility::Full => Some(Shown::Overview(o.clone())),
        Visibility::CashBenefitFacts => Some(Shown::BenefitCentre(BenefitCentreView::of(o))),
        Visibility::WithoutFirstContactDetails | Visibility::ByConsent => {
            let mut s = o.clone();
            for c in &mut s.first_contacts {
                *c = c.basics();
            }
            for i in &mut s.interviews {
                if !visibility.interview_details(i.contact.consent.disclose, latest_disclose) {
                    *i = i.basics();
                }
            }
            s.annulled.retain(|a| {
                shown_event(&a.event, visibility, latest_disclose).as_ref() == Some(&a.event)
            });
            Some(Shown::Overview(s))
        }
    }
}

/// Whether the benefit centre receives events of this kind (§ 3, stk. 4). Every kind is
/// named, so a new one is decided here.
pub fn benefit_centre_receives(e: &Event) -> bool {
    match e {
        Event::PersonIdentified { .. }
        | Event::MunicipalitySet { .. }
        | Event::JobSeekerRegistered { .. }
        | Event::JobSeekerDeregistered { .. }
        | Event::RegistrationChanged { .. }
        | Event::FirstContactRecorded { .. }
        | Event::CashBenefitCeased { .. } => true,
        // Corrections are withheld: they can concern facts it may not see and carry a reason.
        Event::PeriodicConditionStarted { .. }
        | Event::PeriodicConditionEnded { .. }
        | Event::ContactInterviewRecorded { .. }
        | Event::OtherActorAssigned { .. }
        | Event::FactCorrected { .. } => false,
    }
}

/// Whether [`shown_event`] can withhold or change an event of type `type_name` for
/// `visibility`. When it cannot, the stored event is sent as it is, without being read: only
/// the contacts of first contacts and interviews are ever cut, and only the benefit centre's
/// view withholds whole kinds of event. Kept beside `shown_event`, whose arms it mirrors.
pub fn may_change_event(type_name: &str, visibility: Visibility) -> bool {
    match visibility {
        Visibility::Full => false,
        Visibility::Hidden | Visibility::CashBenefitFacts => true,
        Visibility::WithoutFirstContactDetails | Visibility::ByConsent => matches!(
            type_name,
            "first_contact_recorded" | "contact_interview_recorded"
        ),
    }
}

/// What `visibility` shows of one event (in the feed, a webhook or the person history), or
/// `None` when it is not delivered: a first contact's or an interview's contact cut to its
/// basics where the details are not shown. `latest_disclose` is the latest consent as it
/// applies (as it stood when the event was recorded, in the feed; now, in the history).
pub fn shown_event(e: &Event, visibility: Visibility, latest_disclose: bool) -> Option<Event> {
    match visibility {
        Visibility::Hidden => return None,
        Visibility::Full => return Some(e.clone()),
        Visibility::CashBenefitFacts if !benefit_centre_receives(e) => return None,
        _ => {}
    }
    let mut shown = e.clone();
    match &mut shown {
        Event::FirstContactRecorded { contact, .. } if !visibility.first_contact_details() => {
            *contact = contact.basics();
        }
        Event::ContactInterviewRecorded { contact, .. }
            if !visibility.interview_details(contact.consent.disclose, latest_disclose) =>
        {
            *contact = contact.basics();
        }
        _ => {}
    }
    Some(shown)
}
