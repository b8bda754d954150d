//! The caseworker's worklist: what a job centre opens every morning. Three lists, each of
//! persons with a day that puts them on it:
//!
//! - [`Kind::InterviewDue`]: the next contact interview of the contact course the person is in
//!   is due on the day (overdue once it has passed) — the same computation as the supervision
//!   figure `overdue` (`supervision::contributions_and_due`), so the two never disagree;
//! - [`Kind::FirstContactOpen`]: a cash or start benefit case is open since the day (§ 3) and
//!   the person is not registered as a job seeker now (§ 4, stk. 1);
//! - [`Kind::ExemptionFrom`]: an exemption from availability begins on the day (§ 5) — it is
//!   "about to take effect" while the day is still ahead.
//!
//! The days are derived from a person's state when it is written and stored beside it, so a
//! worklist is an index lookup, not a fold of every person.

use jiff::civil::Date;
use serde::Serialize;

use crate::codes_const;
use crate::state::PersonState;
use crate::supervision::Params;

/// One of the worklist's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The next contact interview is due (or overdue).
    InterviewDue,
    /// An open cash or start benefit case without a registration as a job seeker.
    FirstContactOpen,
    /// An exemption from availability takes effect.
    ExemptionFrom,
}

impl Kind {
    /// Every list, in the order they are shown.
    pub const ALL: [Kind; 3] = [
        Kind::InterviewDue,
        Kind::FirstContactOpen,
        Kind::ExemptionFrom,
    ];

    /// The list's stable name (API field, stored column).
    pub fn name(self) -> &'static str {
        match self {
            Kind::InterviewDue => "interview_due",
            Kind::FirstContactOpen => "first_contact_open",
            Kind::ExemptionFrom => "exemption_from",
        }
    }

    /// The provision that makes the day matter.
    pub fn provision(self) -> &'static str {
        match self {
            Kind::InterviewDue => "§ 9 (kontaktforløbet)",
            Kind::FirstContactOpen => "§ 3, § 4, stk. 1",
            Kind::ExemptionFrom => "§ 5",
        }
    }

    /// Which of a list's days are shown on `today` with a horizon of `within_days`: the
    /// first and last day (inclusive), `None` for no bound. Interviews: every one due by the
    /// horizon, overdue ones first; open first contacts: all of them, oldest first;
    /// exemptions: those beginning from today to the horizon.
    pub fn window(self, today: Date, within_days: u16) -> (Option<Date>, Option<Date>) {
        let horizon = today
            .checked_add(jiff::Span::new().days(i64::from(within_days)))
            .ok();
        match self {
            Kind::InterviewDue => (None, horizon),
            Kind::FirstContactOpen => (None, None),
            Kind::ExemptionFrom => (Some(today), horizon),
        }
    }
}

/// The days that put one person on the worklist, each `None` when they are not on that list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Days {
    /// When the next contact interview is due.
    pub interview_due: Option<Date>,
    /// Since when a cash or start benefit case is open without a registration.
    pub first_contact_open: Option<Date>,
    /// When the latest exemption from availability begins.
    pub exemption_from: Option<Date>,
    /// When a consequence falls due that the registry records by itself (§ 5: an exemption
    /// recorded ahead of its start ends the registration with cash benefit that day;
    /// `PersonState::exemption_pending`). Not a list of its own.
    pub consequence_due: Option<Date>,
}

impl Days {
    /// The days of a person whose next interview `interview_due` gives (from
    /// `supervision::contributions_and_due`).
    pub fn of(state: &PersonState, interview_due: Option<Date>) -> Days {
        let first_contact_open = state
            .cash_benefit_since()
            .filter(|_| state.current_registration().is_none());
        let exemption_from = state
            .conditions()
            .iter()
            .filter(|c| c.kind == codes_const::EXEMPT_AVAILABILITY)
            .map(|c| c.start)
            .max();
        Days {
            interview_due,
            first_contact_open,
            exemption_from,
            consequence_due: state.exemption_pending().map(|(_, day)| day),
        }
    }

    /// The days of a person, computed afresh (for recomputing stored days).
    pub fn compute(state: &PersonState, params: &Params) -> Days {
        let (_, due) = crate::supervision::contributions_and_due(state, params);
        Days::of(state, due)
    }

    /// The day on one list.
    pub fn get(&self, kind: Kind) -> Option<Date> {
        match kind {
            Kind::InterviewDue => self.interview_due,
            Kind::FirstContactOpen => self.first_contact_open,
            Kind::ExemptionFrom => self.exemption_from,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::state::EventMeta;
    use jiff::civil::date;

    /// Whether `day` is shown on `kind`'s list on `today` with a horizon of `within_days`.
    fn shown(kind: Kind, day: Date, today: Date, within_days: u16) -> bool {
        let (from, to) = kind.window(today, within_days);
        from.is_none_or(|f| day >= f) && to.is_none_or(|t| day <= t)
    }

    fn state_of(events: &[Event]) -> PersonState {
        let mut s = PersonState::default();
        for (i, e) in events.iter().enumerate() {
            let meta = EventMeta {
                version: i as u64 + 1,
                recorded_at: jiff::Timestamp::UNIX_EPOCH,
                recorded_by: "municipal-jobcenter:101".into(),
            };
            s.apply(&meta, e);
        }
        s
    }

    fn registered(day: Date, benefit: &str) -> Event {
        Event::JobSeekerRegistered {
            registration_date: day,
            benefit_category: benefit.into(),
            unemployment_degree: "fuld".into(),
            hours_per_week: None,
            job_titles: vec!["4110".into()],
            unemployment_fund: None,
            match_category: Some(1),
            match_rule: None,
            consequence_of: None,
        }
    }

    fn exemption(from: Date) -> Event {
        Event::PeriodicConditionStarted {
            kind: codes_const::EXEMPT_AVAILABILITY.into(),
            start_date: from,
            end_date: None,
        }
    }

    #[test]
    fn the_interview_due_day_is_the_one_the_overdue_figure_counts_from() {
        let s = state_of(&[registered(date(2026, 1, 10), "a_dagpenge")]);
        let days = Days::compute(&s, &Params::default());
        assert_eq!(days.interview_due, Some(date(2026, 4, 10)));
        assert_eq!(days.first_contact_open, None);
        assert!(shown(
            Kind::InterviewDue,
            date(2026, 4, 10),
            date(2026, 4, 1),
            14
        ));
        assert!(shown(
            Kind::InterviewDue,
            date(2026, 4, 10),
            date(2026, 6, 1),
            0
        ));
        assert!(!shown(
            Kind::InterviewDue,
            date(2026, 4, 10),
            date(2026, 3, 1),
            14
        ));
    }

    #[test]
    fn an_exemption_is_listed_until_it_takes_effect() {
        let s = state_of(&[
            registered(date(2026, 1, 10), "a_dagpenge"),
            exemption(date(2026, 5, 1)),
        ]);
        let day = Days::compute(&s, &Params::default())
            .exemption_from
            .unwrap();
        assert_eq!(day, date(2026, 5, 1));
        assert!(shown(Kind::ExemptionFrom, day, date(2026, 4, 25), 14));
        assert!(shown(Kind::ExemptionFrom, day, date(2026, 5, 1), 0));
        assert!(!shown(Kind::ExemptionFrom, day, date(2026, 5, 2), 14));
        assert!(!shown(Kind::ExemptionFrom, day, date(2026, 4, 1), 14));
    }

    #[test]
    fn a_cash_benefit_case_without_a_registration_is_listed_until_one_is_made() {
        let registered_now = state_of(&[registered(date(2026, 1, 10), "kontanthjaelp")]);
        assert_eq!(
            Days::compute(&registered_now, &Params::default()).first_contact_open,
            None
        );
        let deregistered = state_of(&[
            registered(date(2026, 1, 10), "kontanthjaelp"),
            Event::JobSeekerDeregistered {
                deregistration_date: date(2026, 2, 1),
                reason: "andet".into(),
                consequence_of: None,
            },
        ]);
        assert_eq!(
            Days::compute(&deregistered, &Params::default()).first_contact_open,
            Some(date(2026, 1, 10))
        );
    }
}
