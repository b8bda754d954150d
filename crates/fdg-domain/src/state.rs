//! A person's state, folded from their events, and the views derived from it.
//!
//! The state keeps every fact, annulled or not; everything "current" (registered or not, the
//! match category, open conditions) is derived from the facts that still count. A correction
//! therefore takes effect everywhere at once, and the original stays visible.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::event::{Consequence, ContactRecord, Event};
use crate::{Cpr, codes_const};

/// Who recorded an event and when (transaction time), as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// The event's number in the person's stream (1-based).
    pub version: u64,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The acting organisation, as `kind:code`.
    pub recorded_by: String,
}

/// One recorded fact in a person's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// Its number in the person's stream.
    pub id: u64,
    /// Transaction time.
    pub recorded_at: Timestamp,
    /// Acting organisation.
    pub recorded_by: String,
    /// The correction that annulled it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annulled_by: Option<u64>,
    /// What was recorded.
    pub event: Event,
}

/// Everything the registry knows about one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonState {
    /// Number of events in the stream (the optimistic-concurrency version).
    pub version: u64,
    /// CPR number, once known.
    pub cpr: Option<Cpr>,
    /// Latest name recorded.
    pub name: Option<String>,
    /// Responsible municipality (kommunekode), once known.
    pub municipality: Option<String>,
    /// Every fact, in stream order.
    pub facts: Vec<Fact>,
}

/// A registration period derived from registrations and deregistrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period<'a> {
    /// The registration fact.
    pub registration: &'a Fact,
    /// Its deregistration, if any.
    pub deregistration: Option<&'a Fact>,
    /// Changes of its details (`Event::RegistrationChanged`), in date order.
    pub changes: Vec<&'a Fact>,
}

/// A registration's details (§ 8, stk. 1, nr. 4–7) as in force from a day: the registration's
/// own or a change's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Details<'a> {
    /// The first day they apply (the registration or change date).
    pub since: Date,
    /// The fact that recorded them.
    pub fact: u64,
    /// § 8, stk. 1, nr. 4.
    pub benefit_category: &'a str,
    /// § 8, stk. 1, nr. 5.
    pub unemployment_degree: &'a str,
    /// § 8, stk. 1, nr. 5 (partly unemployed).
    pub hours_per_week: Option<u8>,
    /// § 8, stk. 1, nr. 6.
    pub job_titles: &'a [String],
    /// § 8, stk. 1, nr. 7.
    pub unemployment_fund: Option<&'a str>,
}

impl<'a> Details<'a> {
    /// The details a registration or change fact recorded.
    pub fn of(fact: &'a Fact) -> Option<Details<'a>> {
        match &fact.event {
            Event::JobSeekerRegistered {
                registration_date: since,
                benefit_category,
                unemployment_degree,
                hours_per_week,
                job_titles,
                unemployment_fund,
                ..
            }
            | Event::RegistrationChanged {
                change_date: since,
                benefit_category,
                unemployment_degree,
                hours_per_week,
                job_titles,
                unemployment_fund,
                ..
            } => Some(Details {
                since: *since,
                fact: fact.id,
                benefit_category,
                unemployment_degree,
                hours_per_week: *hours_per_week,
                job_titles,
                unemployment_fund: unemployment_fund.as_deref(),
            }),
            _ => None,
        }
    }
}

impl<'a> Period<'a> {
    /// The first day of the period.
    pub fn start(&self) -> Option<Date> {
        Details::of(self.registration).map(|d| d.since)
    }

    /// The day it ended, if it has.
    pub fn end(&self) -> Option<Date> {
        self.deregistration.and_then(|d| match &d.event {
            Event::JobSeekerDeregistered {
                deregistration_date,
                ..
            } => Some(*deregistration_date),
            _ => None,
        })
    }

    /// The latest details (changes are never dated after the day they are recorded).
    pub fn latest_details(&self) -> Option<Details<'a>> {
        self.changes
            .last()
            .and_then(|f| Details::of(f))
            .or_else(|| Details::of(self.registration))
    }

    /// The details one after another, each with the day the next began (`None` for the last):
    /// the registration's, then each change's.
    pub fn details_spans(&self) -> Vec<(Details<'a>, Option<Date>)> {
        let all: Vec<Details<'a>> = std::iter::once(self.registration)
            .chain(self.changes.iter().copied())
            .filter_map(Details::of)
            .collect();
        all.iter()
            .enumerate()
            .map(|(i, d)| (*d, all.get(i + 1).map(|n| n.since)))
            .collect()
    }
}

/// A periodic condition with its effective end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionState {
    /// Fact number of the start.
    pub id: u64,
    /// Kind code.
    pub kind: String,
    /// Start date.
    pub start: Date,
    /// Effective end date.
    pub end: Option<Date>,
    /// The fact that ended it, when ended separately.
    pub ended_by: Option<u64>,
    /// Why it was ended, when the registry ended it.
    pub end_consequence: Option<Consequence>,
}

impl ConditionState {
    /// Whether the condition is in force on `day`.
    pub fn in_force_on(&self, day: Date) -> bool {
        self.start <= day && self.end.is_none_or(|e| day <= e)
    }

    /// Whether two periods share a day.
    pub fn overlaps(&self, start: Date, end: Option<Date>) -> bool {
        self.start <= end.unwrap_or(Date::MAX) && start <= self.end.unwrap_or(Date::MAX)
    }
}

/// How a match category came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MatchSource {
    /// Set by a registration.
    Registration,
    /// The § 6 default at registration.
    RegistrationDefault,
    /// Assessed at first contact (§ 3, stk. 2).
    FirstContact,
    /// Assessed at a contact interview (§ 9, nr. 6).
    Interview,
}

/// One entry of the match-category history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchEntry {
    /// The category.
    pub category: u8,
    /// The business date it applies from.
    pub valid_from: Date,
    /// Where it came from.
    pub source: MatchSource,
    /// The fact that set it.
    pub fact: u64,
}

impl PersonState {
    /// Applies one event (already decided) to the state.
    pub fn apply(&mut self, meta: &EventMeta, event: &Event) {
        self.version = meta.version;
        match event {
            Event::PersonIdentified { cpr, name } => {
                self.cpr = Some(cpr.clone());
                self.name = Some(name.clone());
                return;
            }
            Event::MunicipalitySet { municipality, .. } => {
                self.municipality = Some(municipality.clone());
                return;
            }
            Event::FactCorrected { annulled, .. } => {
                for f in &mut self.facts {
                    if annulled.contains(&f.id) {
                        f.annulled_by = Some(meta.version);
                    }
                }
            }
            _ => {}
        }
        self.facts.push(Fact {
            id: meta.version,
            recorded_at: meta.recorded_at,
            recorded_by: meta.recorded_by.clone(),
            annulled_by: None,
            event: event.clone(),
        });
    }

    /// Whether the registry has ever heard of this person.
    pub fn exists(&self) -> bool {
        self.version > 0
    }

    /// Facts that still count (not annulled), corrections excluded.
    pub fn live(&self) -> impl Iterator<Item = &Fact> {
        self.facts
            .iter()
            .filter(|f| f.annulled_by.is_none() && !matches!(f.event, Event::FactCorrected { .. }))
    }

    /// The fact with this number.
    pub fn fact(&self, id: u64) -> Option<&Fact> {
        self.facts.iter().find(|f| f.id == id)
    }

    /// Registration periods in date order.
    pub fn periods(&self) -> Vec<Period<'_>> {
        let mut items: Vec<(Date, u64, &Fact)> = self
            .live()
            .filter_map(|f| match &f.event {
                Event::JobSeekerRegistered {
                    registration_date, ..
                } => Some((*registration_date, f.id, f)),
                Event::JobSeekerDeregistered {
                    deregistration_date,
                    ..
                } => Some((*deregistration_date, f.id, f)),
                _ => None,
            })
            .collect();
        items.sort_by_key(|(d, id, _)| (*d, *id));
        let mut out: Vec<Period<'_>> = Vec::new();
        for (_, _, f) in items {
            match &f.event {
                Event::JobSeekerRegistered { .. } => out.push(Period {
                    registration: f,
                    deregistration: None,
                    changes: Vec::new(),
                }),
                _ => {
                    if let Some(last) = out.last_mut().filter(|p| p.deregistration.is_none()) {
                        last.deregistration = Some(f);
                    }
                }
            }
        }
        let mut changes: Vec<(Date, u64, u64, &Fact)> = self
            .live()
            .filter_map(|f| match &f.event {
                Event::RegistrationChanged {
                    registration,
                    change_date,
                    ..
                } => Some((*change_date, f.id, *registration, f)),
                _ => None,
            })
            .collect();
        changes.sort_by_key(|(d, id, _, _)| (*d, *id));
        for (_, _, registration, f) in changes {
            if let Some(p) = out.iter_mut().find(|p| p.registration.id == registration) {
                p.changes.push(f);
            }
        }
        out
    }

    /// The details of the open registration as they are now (after any change), if the person
    /// is registered.
    pub fn current_details(&self) -> Option<Details<'_>> {
        self.periods()
            .last()
            .filter(|p| p.deregistration.is_none())?
            .latest_details()
    }

    /// The open registration, if the person is registered as a job seeker now.
    pub fn current_registration(&self) -> Option<&Fact> {
        self.periods()
            .last()
            .filter(|p| p.deregistration.is_none())
            .map(|p| p.registration)
    }

    /// The latest deregistration date.
    pub fn last_deregistration_date(&self) -> Option<Date> {
        self.live()
            .filter_map(|f| match &f.event {
                Event::JobSeekerDeregistered {
                    deregistration_date,
                    ..
                } => Some(*deregistration_date),
                _ => None,
            })
            .max()
    }

    /// The date the current cash or start benefit case began, if one is open.
    pub fn cash_benefit_since(&self) -> Option<Date> {
        match self.cash_benefit_cases().last() {
            Some((since, None)) => Some(*since),
            _ => None,
        }
    }

    /// Every cash or start benefit case in date order, as `(first day, cessation date)`: a case
    /// opens at a first contact or a registration with cash or start benefit, and closes at the
    /// cessation (§ 3, § 8, stk. 3–4). The last one may be open.
    pub fn cash_benefit_cases(&self) -> Vec<(Date, Option<Date>)> {
        let mut items: Vec<(Date, u64, bool)> = self
            .live()
            .filter_map(|f| match &f.event {
                Event::FirstContactRecorded {
                    first_contact_date, ..
                } => Some((*first_contact_date, f.id, true)),
                Event::JobSeekerRegistered {
                    registration_date,
                    benefit_category,
                    ..
                } if codes_const::is_cash_benefit(benefit_category) => {
                    Some((*registration_date, f.id, true))
                }
                Event::CashBenefitCeased { cessation_date } => Some((*cessation_date, f.id, false)),
                _ => None,
            })
            .collect();
        items.sort_by_key(|(d, id, _)| (*d, *id));
        let mut out: Vec<(Date, Option<Date>)> = Vec::new();
        let mut open: Option<Date> = None;
        for (d, _, opens) in items {
            match (opens, open) {
                (true, None) => open = Some(d),
                (false, Some(o)) => {
                    out.push((o, Some(d)));
                    open = None;
                }
                _ => {}
            }
        }
        out.extend(open.map(|o| (o, None)));
        out
    }

    /// The match-category history in date order.
    pub fn match_history(&self) -> Vec<MatchEntry> {
        let mut out: Vec<MatchEntry> = self
            .live()
            .filter_map(|f| match &f.event {
                Event::JobSeekerRegistered {
                    registration_date,
                    match_category: Some(c),
                    match_rule,
                    ..
                } => Some(MatchEntry {
                    category: *c,
                    valid_from: *registration_date,
                    source: if match_rule.is_some() {
                        MatchSource::RegistrationDefault
                    } else {
                        MatchSource::Registration
                    },
                    fact: f.id,
                }),
                Event::FirstContactRecorded {
                    first_contact_date,
                    contact,
                    ..
                } => Some(MatchEntry {
                    category: contact.match_category,
                    valid_from: *first_contact_date,
                    source: MatchSource::FirstContact,
                    fact: f.id,
                }),
                Event::ContactInterviewRecorded {
                    interview_date,
                    contact,
                    ..
                } => Some(MatchEntry {
                    category: contact.match_category,
                    valid_from: *interview_date,
                    source: MatchSource::Interview,
                    fact: f.id,
                }),
                _ => None,
            })
            .collect();
        out.sort_by_key(|m| (m.valid_from, m.fact));
        out
    }

    /// The current match category.
    pub fn current_match(&self) -> Option<u8> {
        self.match_history().last().map(|m| m.category)
    }

    /// Every live periodic condition with its effective end.
    pub fn conditions(&self) -> Vec<ConditionState> {
        let mut out: Vec<ConditionState> = self
            .live()
            .filter_map(|f| match &f.event {
                Event::PeriodicConditionStarted {
                    kind,
                    start_date,
                    end_date,
                } => Some(ConditionState {
                    id: f.id,
                    kind: kind.clone(),
                    start: *start_date,
                    end: *end_date,
                    ended_by: None,
                    end_consequence: None,
                }),
                _ => None,
            })
            .collect();
        for f in self.live() {
            if let Event::PeriodicConditionEnded {
                condition,
                end_date,
                consequence_of,
            } = &f.event
                && let Some(c) = out.iter_mut().find(|c| c.id == *condition)
            {
                c.end = Some(*end_date);
                c.ended_by = Some(f.id);
                c.end_consequence = consequence_of.clone();
            }
        }
        out
    }

    /// Whether an exemption from availability is in force on `day` (§ 5).
    pub fn exempted_from_availability_on(&self, day: Date) -> bool {
        self.conditions()
            .iter()
            .any(|c| c.kind == codes_const::EXEMPT_AVAILABILITY && c.in_force_on(day))
            || self.exempted_by_reason_on(day).is_some()
    }

    /// The contact record (first contact or interview) whose reason for exemption from
    /// registration (§ 9, nr. 9, under rådighedsbekendtgørelsen § 15) is in force on `day`:
    /// the latest record dated on or before it, when it gives a reason. Such an exemption has
    /// the effect of an exemption from availability (§ 5) and lasts until a later record that
    /// gives none — the order names no period, so the next assessment says whether it holds.
    pub fn exempted_by_reason_on(&self, day: Date) -> Option<u64> {
        self.exemptions_by_reason()
            .into_iter()
            .find(|(_, from, until)| *from <= day && until.is_none_or(|u| day < u))
            .map(|(fact, _, _)| fact)
    }

    /// Every § 9, nr. 9 exemption as `(record, first day, the next record's day)`: from a
    /// first contact or interview that gives a reason until the next one (exclusive), which
    /// says again whether it holds. The one rule [`Self::exempted_by_reason_on`] and the
    /// supervision figures read.
    pub fn exemptions_by_reason(&self) -> Vec<(u64, Date, Option<Date>)> {
        let mut records: Vec<(Date, u64, bool)> = self.contact_records().collect();
        records.sort_unstable();
        records
            .iter()
            .enumerate()
            .filter(|(_, (_, _, reason))| *reason)
            .map(|(i, (from, fact, _))| {
                (*fact, *from, records.get(i + 1).map(|(next, _, _)| *next))
            })
            .collect()
    }

    /// Every first contact and interview that counts: its date, fact number and whether it
    /// gives a § 9, nr. 9 exemption reason.
    pub fn contact_records(&self) -> impl Iterator<Item = (Date, u64, bool)> + '_ {
        self.live().filter_map(|f| match &f.event {
            Event::FirstContactRecorded {
                first_contact_date: d,
                contact,
                ..
            }
            | Event::ContactInterviewRecorded {
                interview_date: d,
                contact,
                ..
            } => Some((*d, f.id, contact.exemption_reason.is_some())),
            _ => None,
        })
    }

    /// The exemption from availability (§ 5) that is to end the current registration with
    /// cash or start benefit when it takes effect: its fact number and first day. `None` when
    /// the person is not registered on cash or start benefit, or no exemption begins during
    /// the registration. Recorded ahead of its start, it falls due on that day
    /// (`Command::TakeEffect`); in force when recorded, it deregistered at once.
    pub fn exemption_pending(&self) -> Option<(u64, Date)> {
        let reg = self.current_registration()?;
        let Event::JobSeekerRegistered {
            registration_date,
            benefit_category,
            ..
        } = &reg.event
        else {
            return None;
        };
        if !codes_const::is_cash_benefit(benefit_category) || self.cash_benefit_since().is_none() {
            return None;
        }
        self.conditions()
            .into_iter()
            .filter(|c| c.kind == codes_const::EXEMPT_AVAILABILITY && c.start >= *registration_date)
            .map(|c| (c.id, c.start))
            .min_by_key(|(id, start)| (*start, *id))
    }

    /// Live contact interviews.
    pub fn interviews(&self) -> impl Iterator<Item = (&Fact, Date, &str, &ContactRecord)> {
        self.live().filter_map(|f| match &f.event {
            Event::ContactInterviewRecorded {
                interview_date,
                interview_type,
                contact,
            } => Some((f, *interview_date, interview_type.as_str(), contact)),
            _ => None,
        })
    }

    /// Whether the registration and the match category are out of step (§ 4, stk. 1, § 5),
    /// judged on `day` with what the match categories mean (`meaning`, from the match
    /// category list). Returns the rule that is broken.
    pub fn out_of_step(
        &self,
        day: Date,
        meaning: &crate::codes::MatchMeaning,
    ) -> Option<&'static crate::rules::Rule> {
        use crate::rules;
        let cash = self.cash_benefit_since().is_some();
        if !cash {
            return None;
        }
        let exempted = self.exempted_from_availability_on(day);
        let ready = self.current_match().map(|m| meaning.only_unemployment(m));
        match self.current_registration() {
            Some(reg) => {
                let on_cash = matches!(&reg.event, Event::JobSeekerRegistered { benefit_category, .. }
                    if codes_const::is_cash_benefit(benefit_category));
                if on_cash && exempted {
                    Some(&rules::S5_EXEMPTED)
                } else if on_cash && ready == Some(false) {
                    Some(&rules::S4_1_NOT_READY)
                } else {
                    None
                }
            }
            None if ready == Some(true) && !exempted => Some(&rules::S4_1_MUST_REGISTER),
            None => None,
        }
    }

    /// The state as it was in force on `day` (valid time): facts dated after `day` are left
    /// out, and conditions ending after it are open. What was known is unchanged: combine with
    /// folding only the events recorded up to a moment for "what did we believe then".
    pub fn in_force_on(&self, day: Date) -> PersonState {
        let mut s = self.clone();
        s.facts.retain(|f| match &f.event {
            Event::JobSeekerRegistered {
                registration_date: d,
                ..
            }
            | Event::JobSeekerDeregistered {
                deregistration_date: d,
                ..
            }
            | Event::RegistrationChanged { change_date: d, .. }
            | Event::FirstContactRecorded {
                first_contact_date: d,
                ..
            }
            | Event::CashBenefitCeased { cessation_date: d }
            | Event::PeriodicConditionStarted { start_date: d, .. }
            | Event::PeriodicConditionEnded { end_date: d, .. }
            | Event::ContactInterviewRecorded {
                interview_date: d, ..
            }
            | Event::OtherActorAssigned { from_date: d, .. } => *d <= day,
            _ => true,
        });
        for f in &mut s.facts {
            if let Event::PeriodicConditionStarted { end_date, .. }
            | Event::OtherActorAssigned {
                to_date: end_date, ..
            } = &mut f.event
                && end_date.is_some_and(|e| e > day)
            {
                *end_date = None;
            }
        }
        s
    }

    /// Contradictions in the history (used to check a correction before accepting it).
    pub fn timeline_contradictions(&self) -> bool {
        // Registrations and deregistrations must alternate, starting with a registration.
        let mut items: Vec<(Date, u64, bool)> = self
            .live()
            .filter_map(|f| match &f.event {
                Event::JobSeekerRegistered {
                    registration_date, ..
                } => Some((*registration_date, f.id, true)),
                Event::JobSeekerDeregistered {
                    deregistration_date,
                    ..
                } => Some((*deregistration_date, f.id, false)),
                _ => None,
            })
            .collect();
        items.sort_by_key(|(d, id, _)| (*d, *id));
        let mut registered = false;
        for (_, _, is_reg) in items {
            if is_reg == registered {
                return true;
            }
            registered = is_reg;
        }
        // A change of registration lies within its period, after the registration date and
        // not after the deregistration.
        let periods = self.periods();
        let changed_outside = periods.iter().any(|p| {
            p.changes.iter().filter_map(|f| Details::of(f)).any(|c| {
                p.start().is_some_and(|s| c.since < s) || p.end().is_some_and(|e| c.since > e)
            })
        });
        let live_changes = self
            .live()
            .filter(|f| matches!(f.event, Event::RegistrationChanged { .. }))
            .count();
        let attached: usize = periods.iter().map(|p| p.changes.len()).sum();
        if changed_outside || attached != live_changes {
            return true;
        }
        // Conditions: end not before start, and no overlap within a kind.
        let conds = self.conditions();
        for (i, a) in conds.iter().enumerate() {
            if a.end.is_some_and(|e| e < a.start) {
                return true;
            }
            if conds[i + 1..]
                .iter()
                .any(|b| b.kind == a.kind && b.overlaps(a.start, a.end))
            {
                return true;
            }
        }
        false
    }
}
