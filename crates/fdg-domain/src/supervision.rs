//! Supervision indicators (visitationstilsyn, § 1, nr. 3): what the supervision authority counts,
//! defined once, with the provision each figure supports and its exact counting rule.
//!
//! Every indicator is a function of one person's [`PersonState`]: [`contributions`] lists what a
//! person adds to the national and municipal figures. A store keeps the sum of every person's
//! contributions up to date incrementally — when a person's state changes it adds the
//! difference between the contributions after and before ([`difference`]) — so a report reads a
//! few thousand pre-summed rows instead of scanning the log, and a rebuild from the log gives
//! exactly the same figures.
//!
//! There are two kinds of indicator:
//! - a **flow** counts occurrences in a calendar month (interviews held in March);
//! - a **stock** counts persons in a situation on a day (overdue on 31 March). A person in the
//!   situation from day `a` up to, not including, day `b` contributes `+1` at `a` and `-1` at
//!   `b`, so the figure on any day is the sum of everything dated up to that day.
//!
//! Figures are counted for the person's responsible municipality as the registry knows it now;
//! a person who moves takes their history along (see `docs/supervision.md`).

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;

use crate::codes::MatchMeaning;
use crate::codes_const;
use crate::event::{ContactRecord, Event};
use crate::state::PersonState;

/// The version of the indicator definitions. Changing any counting rule changes it, and a store
/// whose figures were summed under another version recomputes them.
pub const DEFINITIONS_VERSION: &str = "fdg-supervision-2";

/// Parameters of the counting rules, configured for the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Params {
    /// A person in a contact course is overdue when more than this many months have passed
    /// since their last contact interview (or since the course began). Default 3.
    pub interval_months: u8,
    /// What the match categories mean (from the match category list in force): who is out
    /// of step, in target group 3, ready at first contact. The store sets it from its code
    /// lists when it opens ([`Params::with_codes`]).
    pub matches: MatchMeaning,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            interval_months: 3,
            matches: MatchMeaning::SHIPPED,
        }
    }
}

impl Params {
    /// The parameters with the match meaning of `codes`.
    pub fn with_codes(self, codes: &crate::CodeLists) -> Params {
        Params {
            matches: codes.match_meaning(),
            ..self
        }
    }

    /// The parameters as one stable text, stored beside the figures and named in reports.
    /// The match meaning is named only when it is not the shipped list's, so the figures of a
    /// deployment with the shipped lists are not recomputed for it; a replaced list that
    /// means something else makes the store recompute them at start.
    pub fn describe(&self) -> String {
        let mut text = format!("interval_months={}", self.interval_months);
        if self.matches != MatchMeaning::SHIPPED {
            let codes = |set: crate::codes::CategorySet| {
                set.iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            text.push_str(&format!(
                ";only_unemployment={};immediate={}",
                codes(self.matches.only_unemployment),
                codes(self.matches.immediate)
            ));
        }
        text
    }
}

/// Whether an indicator counts occurrences in a month or persons on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Occurrences dated in a calendar month.
    Flow,
    /// Persons in a situation at the end of a month (or on the report's as-of day).
    Stock,
}

/// One indicator: what it counts, for which provision, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    /// Stable id, used in the API, the downloads and the stored figures.
    pub id: &'static str,
    /// The provision of the order the figure supports.
    pub provision: &'static str,
    /// Flow or stock.
    pub kind: Kind,
    /// Title in Danish.
    pub title_da: &'static str,
    /// Title in English.
    pub title_en: &'static str,
    /// What one count is and what the dimension is (English; the exact rule as implemented).
    pub counting: &'static str,
    /// The code list that labels the dimension, if any.
    pub dim_list: Option<&'static str>,
}

macro_rules! indicators {
    ($($name:ident = $id:literal, $prov:literal, $kind:ident, $list:expr, $da:literal, $en:literal, $rule:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "` (", $prov, "): ", $en, ". ", $rule)]
            pub const $name: Indicator = Indicator {
                id: $id,
                provision: $prov,
                kind: Kind::$kind,
                title_da: $da,
                title_en: $en,
                counting: $rule,
                dim_list: $list,
            };
        )*
        /// Every indicator, in the order reports show them.
        pub const ALL: &[Indicator] = &[$($name),*];
    };
}

indicators! {
    FIRST_CONTACTS = "first_contacts", "§ 3, stk. 1–2; § 8, stk. 3", Flow, Some("match_category"),
        "Første henvendelser om kontant- eller starthjælp",
        "First contacts of cash or start benefit applicants",
        "One per first contact that still counts (not annulled), in the month of its first-contact date. Dimension: the match category assessed at the first contact.";
    FIRST_CONTACTS_READY = "first_contacts_ready", "§ 3, stk. 2; § 4, stk. 1", Flow, None,
        "Første henvendelser vurderet ledige og intet andet (match 1–3): registreret samme dag",
        "First contacts assessed unemployed and nothing else (match 1–3): registered the same day",
        "One per first contact whose assessed match category the code list marks `only_unemployment` (1, 2 or 3 in the shipped list), in the month of its first-contact date. Dimension `same_day` when the person is registered as a job seeker on the first-contact date (a registration period that still counts covers that day), otherwise `not_same_day`.";
    INTERVIEWS = "interviews", "§ 9, nr. 2–3", Flow, None,
        "Afholdte kontaktsamtaler efter type og kontaktform",
        "Contact interviews held, by type and contact form",
        "One per contact interview that still counts, in the month of its interview date. Dimension `type/form`: the interview type and the contact form codes.";
    IN_COURSE = "in_course", "§ 2; § 4; § 9", Stock, Some("target_group"),
        "Personer i kontaktforløb efter målgruppe",
        "Persons in a contact course, by target group",
        "A person is in a contact course on a day when a registration period as job seeker or an open cash or start benefit case (from first contact or a cash-benefit registration to cessation) covers it. Dimension: target group 1 (registered with unemployment insurance benefit), 2 (open cash/start benefit case, in a match category the code list marks `only_unemployment` — 1–3 in the shipped list — or none), 3 (open cash/start benefit case, in any other category — 4–5), `0` (registered without benefit). A change of the registration's benefit category moves the person from its day.";
    OVERDUE = "overdue", "§ 9 (kontaktforløbet)", Stock, None,
        "Personer uden kontaktsamtale inden for intervallet, efter mindst antal dage over tid",
        "Persons overdue for a contact interview, by at least so many days",
        "A person in a contact course is overdue on a day when more than the configured interval (default 3 calendar months) has passed since their last contact interview in the course, or since the course began if none has been held. Days overdue = the day minus the due date. Dimension: at least `1+`, `31+`, `91+`, `181+` days overdue; a person counts under every threshold passed, so `1+` is everyone overdue. Periodic conditions do not pause the interval.";
    TIME_TO_FIRST_INTERVIEW = "time_to_first_interview", "§ 9, nr. 2", Flow, None,
        "Tid fra registrering eller første henvendelse til første kontaktsamtale",
        "Time from registration or first contact to the first interview",
        "One per contact course that has an interview, in the month of the course's first interview; the total is the days from the course's first day to that interview. Dimension: `0-7`, `8-30`, `31-91`, `92+` days.";
    MATCH_CATEGORY = "match_category", "§ 9, nr. 6; § 6", Stock, Some("match_category"),
        "Personer i kontaktforløb efter matchkategori",
        "Persons in a contact course by match category",
        "A person in a contact course counts on a day under the match category in force that day (the latest assessment dated on or before it), or `none` if never assessed.";
    MATCH_TRANSITIONS = "match_transitions", "§ 9, nr. 6", Flow, None,
        "Skift i matchkategori",
        "Changes of match category",
        "One per assessment (registration, first contact or interview) whose category differs from the one in force the day before, in the month it applies from. Dimension `from>to`.";
    DECISIVE_AREAS = "decisive_areas", "§ 9, nr. 7", Flow, None,
        "Samtaler i matchkategori 2–5: afgørende områder angivet",
        "Interviews in match category 2–5: decisive areas recorded",
        "One per first contact or contact interview with a match category other than 1, in the month of its date. Dimension `recorded` when at least one decisive attention area is recorded, otherwise `missing`.";
    FREQUENT_CONTACT = "frequent_contact", "§ 9, nr. 8", Flow, Some("frequent_contact_reason"),
        "Årsager til hyppigere kontakt",
        "Reasons for more frequent contact",
        "One per first contact or contact interview that records a reason for more frequent contact, in the month of its date. Dimension: the reason.";
    EXEMPTION_REASONS = "exemption_reasons", "§ 9, nr. 9", Flow, Some("exemption_reason"),
        "Fritagelser for registrering efter årsag",
        "Exemptions from registration, by reason",
        "One per first contact or contact interview that records a reason for exemption from registration, in the month of its date. Dimension: the reason.";
    EXEMPTED = "exempted", "§ 4, stk. 3; § 5; § 8, stk. 5", Stock, Some("periodic_condition_kind"),
        "Personer med fritagelse i kraft",
        "Persons with an exemption in force",
        "A person counts on a day when a periodic condition of kind exemption from availability or exemption from activation that still counts is in force (start date to end date, both included). Dimension: the kind.";
    OUT_OF_STEP = "out_of_step", "§ 4, stk. 1; § 5", Stock, None,
        "Registrering ude af trit med matchkategorien",
        "Registration out of step with the match category",
        "A person with an open cash or start benefit case counts on a day when, that day: they are not registered although assessed in a match category marked `only_unemployment` (1–3) and not exempted (`must_register`); or registered on cash/start benefit although in another category (4–5, `not_ready`); or registered on cash/start benefit although exempted from availability (`exempted`). Exempted means a periodic condition `fritagelse_raadighed` in force, or a first contact or interview giving a § 9, nr. 9 exemption reason, until the next one that gives none.";
    OUT_OF_STEP_ENDED = "out_of_step_ended", "§ 4, stk. 1; § 5", Flow, None,
        "Afsluttede perioder ude af trit, efter varighed",
        "Ended periods out of step, by duration",
        "One per period out of step (see `out_of_step`) that has ended, in the month of its first day in step; the total is its length in days. Dimension: `1-7`, `8-30`, `31-91`, `92+` days.";
    REGISTRATIONS = "registrations", "§ 8, stk. 1", Flow, Some("benefit_category"),
        "Registreringer som arbejdssøgende",
        "Registrations as job seeker",
        "One per registration that still counts, in the month of its registration date. Dimension: the benefit category.";
    DEREGISTRATIONS = "deregistrations", "§ 8, stk. 2; § 5", Flow, Some("deregistration_reason"),
        "Afmeldinger som arbejdssøgende",
        "Deregistrations as job seeker",
        "One per deregistration that still counts, in the month of its deregistration date. Dimension: the reason.";
}

/// The indicators and key figures as Markdown tables, for `docs/supervision.md`
/// (`fdg supervision indicators`).
pub fn markdown() -> String {
    let mut out = format!(
        "Definitions version `{DEFINITIONS_VERSION}`.\n\n| Indicator | Provision | Kind | What is counted |\n|---|---|---|---|\n"
    );
    for i in ALL {
        let kind = match i.kind {
            Kind::Flow => "flow",
            Kind::Stock => "stock",
        };
        out.push_str(&format!(
            "| `{}` — {} | {} | {kind} | {} |\n",
            i.id, i.title_en, i.provision, i.counting
        ));
    }
    out.push_str("\n| Key figure | Provision | Computed as |\n|---|---|---|\n");
    for k in KEY_FIGURES {
        out.push_str(&format!(
            "| `{}` — {} | {} | {} |\n",
            k.id, k.title_en, k.provision, k.formula
        ));
    }
    out
}

/// The indicator with this id.
pub fn indicator(id: &str) -> Option<&'static Indicator> {
    ALL.iter().find(|i| i.id == id)
}

/// What one person adds to one figure: `n` counts and `total` (days, where the indicator sums
/// them). For a flow `day` is the first of the month; for a stock it is the day of the change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count {
    /// The indicator id.
    pub indicator: &'static str,
    /// The day (see above).
    pub day: Date,
    /// The dimension value (`""` when the indicator has none).
    pub dim: String,
    /// The count.
    pub n: i64,
    /// The summed days, where the indicator has them.
    pub total: i64,
}

/// Accumulates counts by key.
#[derive(Default)]
struct Counts(BTreeMap<(&'static str, Date, String), (i64, i64)>);

impl Counts {
    fn add(&mut self, ind: &Indicator, day: Date, dim: impl Into<String>, n: i64, total: i64) {
        let day = match ind.kind {
            Kind::Flow => day.first_of_month(),
            Kind::Stock => day,
        };
        let e = self.0.entry((ind.id, day, dim.into())).or_default();
        e.0 += n;
        e.1 += total;
    }

    /// A stock from `from` up to (not including) `until`.
    fn span(&mut self, ind: &Indicator, from: Date, until: Option<Date>, dim: &str) {
        if until.is_some_and(|u| u <= from) {
            return;
        }
        self.add(ind, from, dim, 1, 0);
        if let Some(u) = until {
            self.add(ind, u, dim, -1, 0);
        }
    }

    fn into_vec(self) -> Vec<Count> {
        self.0
            .into_iter()
            .filter(|(_, (n, t))| *n != 0 || *t != 0)
            .map(|((indicator, day, dim), (n, total))| Count {
                indicator,
                day,
                dim,
                n,
                total,
            })
            .collect()
    }
}

fn days_between(a: Date, b: Date) -> i64 {
    i64::from((b - a).get_days())
}

fn bucket(days: i64, edges: &[(i64, &'static str)], last: &'static str) -> &'static str {
    edges
        .iter()
        .find(|(upto, _)| days <= *upto)
        .map_or(last, |(_, name)| name)
}

const WAIT_BUCKETS: [(i64, &str); 3] = [(7, "0-7"), (30, "8-30"), (91, "31-91")];
const SPELL_BUCKETS: [(i64, &str); 3] = [(7, "1-7"), (30, "8-30"), (91, "31-91")];
/// Days-overdue buckets: (first day overdue in the bucket, name).
/// Days-overdue thresholds: (days overdue at least, name). A person counts under every
/// threshold they have passed, so `1+` is everyone overdue.
const OVERDUE_THRESHOLDS: [(i32, &str); 4] = [(1, "1+"), (31, "31+"), (91, "91+"), (181, "181+")];

/// The person's situation on the days of one segment of their timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Situation {
    registered: Option<String>,
    cash: bool,
    category: Option<u8>,
    /// Whether the match category in force is "alene pga. ledighed" (§ 4, stk. 1); `None`
    /// without a category.
    only_unemployment: Option<bool>,
    exempt_availability: bool,
}

impl Situation {
    fn in_course(&self) -> bool {
        self.registered.is_some() || self.cash
    }

    fn target_group(&self) -> &'static str {
        match (&self.registered, self.cash, self.only_unemployment) {
            (Some(b), _, _) if b == codes_const::A_DAGPENGE => "1",
            (_, true, Some(false)) => "3",
            (_, true, _) => "2",
            _ => "0",
        }
    }

    /// The same judgement as [`PersonState::out_of_step`], on this segment's situation.
    fn out_of_step(&self) -> Option<&'static str> {
        if !self.cash {
            return None;
        }
        match &self.registered {
            Some(b) if codes_const::is_cash_benefit(b) && self.exempt_availability => {
                Some("exempted")
            }
            Some(b) if codes_const::is_cash_benefit(b) && self.only_unemployment == Some(false) => {
                Some("not_ready")
            }
            Some(_) => None,
            None if self.only_unemployment == Some(true) && !self.exempt_availability => {
                Some("must_register")
            }
            None => None,
        }
    }
}

/// Half-open date intervals `[from, until)`.
type Span = (Date, Option<Date>);

fn covers((from, until): &Span, day: Date) -> bool {
    *from <= day && until.is_none_or(|u| day < u)
}

/// Every contact record of a person with its date: first contacts and interviews that count.
fn contacts(state: &PersonState) -> impl Iterator<Item = (Date, Option<&str>, &ContactRecord)> {
    state.live().filter_map(|f| match &f.event {
        Event::FirstContactRecorded {
            first_contact_date,
            contact,
            ..
        } => Some((*first_contact_date, None, contact)),
        Event::ContactInterviewRecorded {
            interview_date,
            interview_type,
            contact,
        } => Some((*interview_date, Some(interview_type.as_str()), contact)),
        _ => None,
    })
}

/// What this person adds to every figure, summed by key, zero entries left out, in key order.
pub fn contributions(state: &PersonState, params: &Params) -> Vec<Count> {
    contributions_and_due(state, params).0
}

/// [`contributions`], and the day the person's next contact interview is due in the contact
/// course they are in (open-ended), if any: the day after which the `overdue` stock counts them.
/// One computation serves both, so the caseworker's worklist and the supervision figures cannot
/// disagree about who is overdue.
pub fn contributions_and_due(state: &PersonState, params: &Params) -> (Vec<Count>, Option<Date>) {
    let mut c = Counts::default();
    let mut next_due = None;
    // Registration periods, with their benefit category: one span per registration and per
    // change of its details (§ 8, stk. 1, nr. 4), the last ending with the period.
    let periods: Vec<(Span, String)> = state
        .periods()
        .iter()
        .flat_map(|p| {
            let end = p.end();
            p.details_spans().into_iter().map(move |(d, next)| {
                // A span ends at the next change or the period's end, whichever is first.
                let until = match (next, end) {
                    (Some(n), Some(e)) => Some(n.min(e)),
                    (n, e) => n.or(e),
                };
                ((d.since, until), d.benefit_category.to_owned())
            })
        })
        .collect();
    let cash = state.cash_benefit_cases();
    let matches = state.match_history();
    let exemptions: Vec<(Span, String)> = state
        .conditions()
        .into_iter()
        .filter(|k| k.kind == codes_const::EXEMPT_AVAILABILITY || k.kind == "fritagelse_aktivering")
        .map(|k| {
            (
                (k.start, k.end.and_then(|e| e.checked_add(1.day()).ok())),
                k.kind,
            )
        })
        .collect();

    // § 9, nr. 9: a contact record's exemption reason holds until the next record, which says
    // again whether it does (`PersonState::exemptions_by_reason`, which `exempted_by_reason_on` reads too).
    let exempt_by_reason: Vec<Span> = state
        .exemptions_by_reason()
        .into_iter()
        .map(|(_, from, until)| (from, until))
        .collect();

    // Flows read straight from the facts.
    for f in state.live() {
        match &f.event {
            Event::JobSeekerRegistered {
                registration_date,
                benefit_category,
                ..
            } => c.add(
                &REGISTRATIONS,
                *registration_date,
                benefit_category.as_str(),
                1,
                0,
            ),
            Event::JobSeekerDeregistered {
                deregistration_date,
                reason,
                ..
            } => c.add(
                &DEREGISTRATIONS,
                *deregistration_date,
                reason.as_str(),
                1,
                0,
            ),
            _ => {}
        }
    }
    for (day, interview_type, contact) in contacts(state) {
        match interview_type {
            None => {
                c.add(
                    &FIRST_CONTACTS,
                    day,
                    contact.match_category.to_string(),
                    1,
                    0,
                );
                if params.matches.only_unemployment(contact.match_category) {
                    let registered = periods.iter().any(|(span, _)| covers(span, day));
                    let dim = if registered {
                        "same_day"
                    } else {
                        "not_same_day"
                    };
                    c.add(&FIRST_CONTACTS_READY, day, dim, 1, 0);
                }
            }
            Some(t) => c.add(
                &INTERVIEWS,
                day,
                format!("{t}/{}", contact.contact_form),
                1,
                0,
            ),
        }
        if contact.match_category != 1 {
            let dim = if contact.decisive_areas.is_empty() {
                "missing"
            } else {
                "recorded"
            };
            c.add(&DECISIVE_AREAS, day, dim, 1, 0);
        }
        if let Some(r) = &contact.frequent_contact_reason {
            c.add(&FREQUENT_CONTACT, day, r.as_str(), 1, 0);
        }
        if let Some(r) = &contact.exemption_reason {
            c.add(&EXEMPTION_REASONS, day, r.as_str(), 1, 0);
        }
    }
    let mut previous: Option<u8> = None;
    for (i, m) in matches.iter().enumerate() {
        // Several assessments on one day: only the last one is in force.
        if matches
            .get(i + 1)
            .is_some_and(|n| n.valid_from == m.valid_from)
        {
            continue;
        }
        if let Some(p) = previous.filter(|p| *p != m.category) {
            c.add(
                &MATCH_TRANSITIONS,
                m.valid_from,
                format!("{p}>{}", m.category),
                1,
                0,
            );
        }
        previous = Some(m.category);
    }
    for (span, kind) in &exemptions {
        c.span(&EXEMPTED, span.0, span.1, kind);
    }

    // The timeline: the days where anything changes, and the situation between them.
    let mut bounds: Vec<Date> = Vec::new();
    for ((from, until), _) in periods.iter().chain(exemptions.iter()) {
        bounds.push(*from);
        bounds.extend(until);
    }
    for (from, until) in cash.iter().chain(&exempt_by_reason) {
        bounds.push(*from);
        bounds.extend(until);
    }
    bounds.extend(matches.iter().map(|m| m.valid_from));
    bounds.sort();
    bounds.dedup();
    let category = |day: Date| {
        matches
            .iter()
            .rev()
            .find(|m| m.valid_from <= day)
            .map(|m| m.category)
    };
    let situation = |day: Date| Situation {
        registered: periods
            .iter()
            .find(|(span, _)| covers(span, day))
            .map(|(_, b)| b.clone()),
        cash: cash.iter().any(|s| covers(s, day)),
        category: category(day),
        only_unemployment: category(day).map(|c| params.matches.only_unemployment(c)),
        exempt_availability: exemptions
            .iter()
            .any(|(s, k)| k == codes_const::EXEMPT_AVAILABILITY && covers(s, day))
            || exempt_by_reason.iter().any(|s| covers(s, day)),
    };
    let segments: Vec<(Date, Option<Date>, Situation)> = bounds
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, bounds.get(i + 1).copied(), situation(*d)))
        .collect();

    let mut runs: Vec<Span> = Vec::new();
    let mut out_of_step: Option<(Date, &'static str)> = None;
    for (from, until, s) in &segments {
        if s.in_course() {
            c.span(&IN_COURSE, *from, *until, s.target_group());
            let cat = s
                .category
                .map_or_else(|| "none".to_owned(), |c| c.to_string());
            c.span(&MATCH_CATEGORY, *from, *until, &cat);
            match runs.last_mut() {
                Some(last) if last.1 == Some(*from) => last.1 = *until,
                _ => runs.push((*from, *until)),
            }
        }
        let now = s.out_of_step();
        if let Some(rule) = now {
            c.span(&OUT_OF_STEP, *from, *until, rule);
        }
        match (out_of_step, now) {
            (None, Some(_)) => out_of_step = Some((*from, "")),
            (Some((began, _)), None) => {
                let days = days_between(began, *from);
                c.add(
                    &OUT_OF_STEP_ENDED,
                    *from,
                    bucket(days, &SPELL_BUCKETS, "92+"),
                    1,
                    days,
                );
                out_of_step = None;
            }
            _ => {}
        }
    }

    // The contact course: waiting for the first interview, and overdue between interviews.
    let interview_days: Vec<Date> = {
        let mut v: Vec<Date> = state.interviews().map(|(_, d, _, _)| d).collect();
        v.sort();
        v.dedup();
        v
    };
    for run in &runs {
        let held: Vec<Date> = interview_days
            .iter()
            .copied()
            .filter(|d| covers(run, *d))
            .collect();
        if let Some(first) = held.first() {
            let days = days_between(run.0, *first);
            c.add(
                &TIME_TO_FIRST_INTERVIEW,
                *first,
                bucket(days, &WAIT_BUCKETS, "92+"),
                1,
                days,
            );
        }
        let references = std::iter::once(run.0).chain(held.iter().copied().filter(|d| *d > run.0));
        let references: Vec<Date> = references.collect();
        for (i, from) in references.iter().enumerate() {
            let next = references.get(i + 1).copied().or(run.1);
            let Ok(due) = from.checked_add(i32::from(params.interval_months).months()) else {
                continue;
            };
            if next.is_none() {
                next_due = Some(due);
            }
            for (days, name) in OVERDUE_THRESHOLDS {
                if let Ok(start) = due.checked_add(days.days()) {
                    c.span(&OVERDUE, start, next, name);
                }
            }
        }
    }
    (c.into_vec(), next_due)
}

/// `after − before`, for a store to add to its sums: entries in key order, zeros left out.
pub fn difference(before: &[Count], after: &[Count]) -> Vec<Count> {
    let mut sum: BTreeMap<(&'static str, Date, &str), (i64, i64)> = BTreeMap::new();
    for (sign, list) in [(-1, before), (1, after)] {
        for k in list {
            let e = sum.entry((k.indicator, k.day, &k.dim)).or_default();
            e.0 += sign * k.n;
            e.1 += sign * k.total;
        }
    }
    sum.into_iter()
        .filter(|(_, (n, t))| *n != 0 || *t != 0)
        .map(|((indicator, day, dim), (n, total))| Count {
            indicator,
            day,
            dim: dim.to_owned(),
            n,
            total,
        })
        .collect()
}

/// Where a stored figure row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Flows, by month (`day` is the first of the month).
    Flow,
    /// Stock changes, summed by month (`day` is the first of the month).
    StockMonth,
    /// Stock changes by day.
    StockDay,
}

/// One stored, pre-summed figure row, as a report reads it. A ten-year report reads about a
/// million of them, over a few hundred distinct texts, so the texts are shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Which table.
    pub table: Table,
    /// Kommunekode (`""` for persons without a responsible municipality).
    pub municipality: Arc<str>,
    /// Indicator id.
    pub indicator: Arc<str>,
    /// See [`Table`].
    pub day: Date,
    /// Dimension value.
    pub dim: Arc<str>,
    /// Count.
    pub n: i64,
    /// Summed days.
    pub total: i64,
}

/// The scope code of the national figures.
pub const NATIONAL: &str = "DK";

/// One dimension value's figures, one entry per month of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DimFigures {
    /// Dimension value (`""` when the indicator has none).
    pub dim: String,
    /// Counts per month (flows: in the month; stocks: at its end, or on the as-of day).
    pub n: Vec<i64>,
    /// Summed days per month (zero where the indicator sums none).
    pub total: Vec<i64>,
}

/// One indicator's figures for a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorFigures {
    /// Indicator id.
    pub id: &'static str,
    /// Per dimension value, sorted.
    pub dims: Vec<DimFigures>,
}

impl IndicatorFigures {
    /// The sum over dimension values, per month.
    pub fn sum(&self, month: usize) -> i64 {
        self.dims.iter().map(|d| d.n[month]).sum()
    }

    /// One dimension value's count in a month.
    pub fn get(&self, dim: &str, month: usize) -> i64 {
        self.dims
            .iter()
            .find(|d| d.dim == dim)
            .map_or(0, |d| d.n[month])
    }

    /// The summed days over dimension values, per month.
    pub fn total(&self, month: usize) -> i64 {
        self.dims.iter().map(|d| d.total[month]).sum()
    }
}

/// Every indicator's figures for one scope over a run of months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Kommunekode or [`NATIONAL`].
    pub scope: String,
    /// The months, `YYYY-MM`.
    pub months: Vec<String>,
    /// One entry per indicator, in the order of [`ALL`].
    pub indicators: Vec<IndicatorFigures>,
}

impl Figures {
    /// Sums the stored rows of `scope` (a kommunekode, or [`NATIONAL`] for every row) into monthly
    /// figures for `months` (first days, ascending), with stocks at each month's end, except the
    /// month of `as_of`, whose stocks are on `as_of`.
    pub fn compute<'a>(
        scope: &str,
        rows: impl IntoIterator<Item = &'a Row>,
        months: &[Date],
        as_of: Date,
    ) -> Figures {
        let as_of_month = as_of.first_of_month();
        let k = months.len();
        // The as-of month's place among the months, if it is one of them.
        let as_of_index = months.binary_search(&as_of_month).ok();
        /// One (indicator, dim)'s sums, each row added once (no loop over months per row).
        #[derive(Default)]
        struct Acc {
            /// Flows per month.
            flow: Vec<(i64, i64)>,
            /// Monthly stock changes, as a difference array over the months: a change dated
            /// on or before month `i` counts from `i` on.
            diff: Vec<(i64, i64)>,
            /// Monthly stock changes dated before the as-of month.
            before: (i64, i64),
            /// Daily stock changes in the as-of month up to the as-of day.
            day: (i64, i64),
        }
        let mut by: BTreeMap<(&str, &str), Acc> = BTreeMap::new();
        let national = scope == NATIONAL;
        for r in rows
            .into_iter()
            .filter(|r| national || &*r.municipality == scope)
        {
            let Some(ind) = indicator(&r.indicator) else {
                continue;
            };
            let acc = by.entry((ind.id, &*r.dim)).or_insert_with(|| Acc {
                flow: vec![(0, 0); k],
                diff: vec![(0, 0); k + 1],
                ..Acc::default()
            });
            let add = |slot: &mut (i64, i64)| {
                slot.0 += r.n;
                slot.1 += r.total;
            };
            match r.table {
                Table::Flow => {
                    if let Ok(i) = months.binary_search(&r.day) {
                        add(&mut acc.flow[i]);
                    }
                }
                Table::StockMonth => {
                    add(&mut acc.diff[months.partition_point(|m| *m < r.day)]);
                    if r.day < as_of_month {
                        add(&mut acc.before);
                    }
                }
                Table::StockDay => {
                    if r.day >= as_of_month && r.day <= as_of {
                        add(&mut acc.day);
                    }
                }
            }
        }
        // (indicator, dim) → (counts, summed days) per month.
        type Series = (Vec<i64>, Vec<i64>);
        let by: BTreeMap<(&str, &str), Series> = by
            .into_iter()
            .map(|(key, acc)| {
                let (mut n, mut total) = (vec![0; k], vec![0; k]);
                let mut running = (0, 0);
                for (i, m) in months.iter().enumerate() {
                    running.0 += acc.diff[i].0;
                    running.1 += acc.diff[i].1;
                    // Stocks at the month's end; from the as-of month on, as on the as-of day.
                    let stock = if *m < as_of_month {
                        running
                    } else if Some(i) == as_of_index {
                        (acc.before.0 + acc.day.0, acc.before.1 + acc.day.1)
                    } else {
                        acc.before
                    };
                    n[i] = acc.flow[i].0 + stock.0;
                    total[i] = acc.flow[i].1 + stock.1;
                }
                (key, (n, total))
            })
            .collect();
        let indicators = ALL
            .iter()
            .map(|ind| IndicatorFigures {
                id: ind.id,
                dims: by
                    .iter()
                    .filter(|((id, _), (n, t))| {
                        *id == ind.id && (n.iter().any(|v| *v != 0) || t.iter().any(|v| *v != 0))
                    })
                    .map(|((_, dim), (n, total))| DimFigures {
                        dim: (*dim).to_owned(),
                        n: n.clone(),
                        total: total.clone(),
                    })
                    .collect(),
            })
            .collect();
        Figures {
            scope: scope.to_owned(),
            months: months
                .iter()
                .map(|m| format!("{:04}-{:02}", m.year(), m.month()))
                .collect(),
            indicators,
        }
    }

    /// The figures of one indicator.
    pub fn of(&self, ind: &Indicator) -> &IndicatorFigures {
        // `compute` makes one entry per indicator of `ALL`, in order.
        let i = ALL.iter().position(|x| x.id == ind.id).unwrap_or(0);
        &self.indicators[i]
    }
}

/// How a key figure is expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share, in per cent.
    Percent,
    /// A number of days.
    Days,
    /// A number of persons or records.
    Count,
    /// A number per 100 persons.
    Rate,
}

/// A figure derived from indicators, for comparing a municipality with the country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyFigure {
    /// Stable id.
    pub id: &'static str,
    /// The provision it supports.
    pub provision: &'static str,
    /// Title in Danish.
    pub title_da: &'static str,
    /// Title in English.
    pub title_en: &'static str,
    /// How it is computed from the indicators.
    pub formula: &'static str,
    /// Its unit.
    pub unit: Unit,
}

/// The key figures, in the order reports show them.
pub const KEY_FIGURES: &[KeyFigure] = &[
    KeyFigure {
        id: "in_course",
        provision: "§ 2; § 4; § 9",
        title_da: "Personer i kontaktforløb",
        title_en: "Persons in a contact course",
        formula: "sum of `in_course` over target groups",
        unit: Unit::Count,
    },
    KeyFigure {
        id: "overdue_share",
        provision: "§ 9 (kontaktforløbet)",
        title_da: "Andel over tid til kontaktsamtale",
        title_en: "Share overdue for a contact interview",
        formula: "100 × `overdue` `1+` / sum of `in_course`",
        unit: Unit::Percent,
    },
    KeyFigure {
        id: "interviews_per_100",
        provision: "§ 9, nr. 2",
        title_da: "Kontaktsamtaler pr. 100 i forløb",
        title_en: "Contact interviews per 100 in a course",
        formula: "100 × sum of `interviews` / sum of `in_course`",
        unit: Unit::Rate,
    },
    KeyFigure {
        id: "same_day_share",
        provision: "§ 3, stk. 2; § 4, stk. 1",
        title_da: "Registreret samme dag ved match 1–3",
        title_en: "Registered the same day when match 1–3",
        formula: "100 × `first_contacts_ready` `same_day` / sum of `first_contacts_ready`",
        unit: Unit::Percent,
    },
    KeyFigure {
        id: "mean_days_to_first_interview",
        provision: "§ 9, nr. 2",
        title_da: "Gns. dage til første kontaktsamtale",
        title_en: "Mean days to the first interview",
        formula: "summed days / count of `time_to_first_interview`",
        unit: Unit::Days,
    },
    KeyFigure {
        id: "decisive_share",
        provision: "§ 9, nr. 7",
        title_da: "Afgørende områder angivet ved match 2–5",
        title_en: "Decisive areas recorded when match 2–5",
        formula: "100 × `decisive_areas` `recorded` / sum of `decisive_areas`",
        unit: Unit::Percent,
    },
    KeyFigure {
        id: "out_of_step",
        provision: "§ 4, stk. 1; § 5",
        title_da: "Registrering ude af trit med matchkategori",
        title_en: "Registration out of step with match category",
        formula: "sum of `out_of_step`",
        unit: Unit::Count,
    },
];

fn ratio(num: i64, den: i64, scale: f64) -> Option<f64> {
    // Counts are far below 2^52, so the conversion is exact.
    (den != 0).then(|| num as f64 * scale / den as f64)
}

impl KeyFigure {
    /// The figure in month `m` of `f`; `None` where its denominator is zero.
    pub fn value(&self, f: &Figures, m: usize) -> Option<f64> {
        let in_course = f.of(&IN_COURSE).sum(m);
        match self.id {
            "in_course" => ratio(in_course, 1, 1.0),
            "overdue_share" => ratio(f.of(&OVERDUE).get("1+", m), in_course, 100.0),
            "interviews_per_100" => ratio(f.of(&INTERVIEWS).sum(m), in_course, 100.0),
            "same_day_share" => {
                let ready = f.of(&FIRST_CONTACTS_READY);
                ratio(ready.get("same_day", m), ready.sum(m), 100.0)
            }
            "mean_days_to_first_interview" => {
                let t = f.of(&TIME_TO_FIRST_INTERVIEW);
                ratio(t.total(m), t.sum(m), 1.0)
            }
            "decisive_share" => {
                let d = f.of(&DECISIVE_AREAS);
                ratio(d.get("recorded", m), d.sum(m), 100.0)
            }
            "out_of_step" => ratio(f.of(&OUT_OF_STEP).sum(m), 1, 1.0),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::event::{Consent, ContactRecord};
    use crate::state::EventMeta;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn contact(category: u8, decisive: &[&str], form: &str) -> ContactRecord {
        ContactRecord {
            case_type: "kontanthjaelp".into(),
            support: "kontanthjaelp".into(),
            consent: Consent {
                obtain: true,
                disclose: true,
                date: d("2026-01-05"),
            },
            contact_form: form.into(),
            contact_form_comment: None,
            attention_areas: BTreeMap::new(),
            summary: None,
            match_category: category,
            decisive_areas: decisive.iter().map(|s| (*s).to_owned()).collect(),
            frequent_contact_reason: None,
            exemption_reason: None,
            citizen_comment: None,
            further_course: Some("Ny samtale.".into()),
        }
    }

    fn registered(on: &str, benefit: &str) -> Event {
        Event::JobSeekerRegistered {
            registration_date: d(on),
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

    fn interview(on: &str, category: u8) -> Event {
        Event::ContactInterviewRecorded {
            interview_date: d(on),
            interview_type: "efterfoelgende".into(),
            contact: contact(
                category,
                if category == 1 { &[] } else { &["helbred"] },
                "telefon",
            ),
        }
    }

    fn state(events: &[Event]) -> PersonState {
        let mut s = PersonState::default();
        for (i, e) in events.iter().enumerate() {
            s.apply(
                &EventMeta {
                    version: i as u64 + 1,
                    recorded_at: jiff::Timestamp::UNIX_EPOCH,
                    recorded_by: "municipal-jobcenter:101".into(),
                },
                e,
            );
        }
        s
    }

    /// The stock `indicator`/`dim` on `day`: everything dated up to that day, summed.
    fn stock_on(counts: &[Count], indicator: &str, dim: &str, day: &str) -> i64 {
        counts
            .iter()
            .filter(|c| c.indicator == indicator && c.dim == dim && c.day <= d(day))
            .map(|c| c.n)
            .sum()
    }

    fn flow(counts: &[Count], indicator: &str, dim: &str) -> Vec<(Date, i64, i64)> {
        counts
            .iter()
            .filter(|c| c.indicator == indicator && c.dim == dim)
            .map(|c| (c.day, c.n, c.total))
            .collect()
    }

    #[test]
    fn a_person_without_an_interview_is_overdue_the_day_after_three_months() {
        let s = state(&[registered("2026-01-10", "a_dagpenge")]);
        let c = contributions(&s, &Params::default());
        assert_eq!(stock_on(&c, "in_course", "1", "2026-01-10"), 1);
        assert_eq!(stock_on(&c, "in_course", "1", "2026-01-09"), 0);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-04-10"), 0);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-04-11"), 1);
        assert_eq!(stock_on(&c, "overdue", "31+", "2026-05-10"), 0);
        assert_eq!(stock_on(&c, "overdue", "31+", "2026-05-11"), 1);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-05-11"), 1);
        assert_eq!(stock_on(&c, "overdue", "181+", "2026-10-07"), 0);
        assert_eq!(stock_on(&c, "overdue", "181+", "2026-10-08"), 1);
    }

    #[test]
    fn an_interview_ends_the_overdue_period_and_starts_a_new_interval() {
        let params = Params::default();
        let before = state(&[registered("2026-01-10", "a_dagpenge")]);
        let after = state(&[
            registered("2026-01-10", "a_dagpenge"),
            interview("2026-05-01", 2),
        ]);
        let c = contributions(&after, &params);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-04-30"), 1);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-05-01"), 0);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-08-01"), 0);
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-08-02"), 1);
        // 111 days from registration to the first interview.
        assert_eq!(
            flow(&c, "time_to_first_interview", "92+"),
            vec![(d("2026-05-01"), 1, 111)]
        );
        assert_eq!(
            flow(&c, "match_transitions", "1>2"),
            vec![(d("2026-05-01"), 1, 0)]
        );
        assert_eq!(stock_on(&c, "match_category", "2", "2026-05-01"), 1);
        assert_eq!(stock_on(&c, "match_category", "1", "2026-05-01"), 0);
        // The difference, added to the sums kept for the person before, gives the sums after.
        let b = contributions(&before, &params);
        let diff = difference(&b, &c);
        let mut summed: BTreeMap<(&str, Date, String), (i64, i64)> = BTreeMap::new();
        for k in b.iter().chain(diff.iter()) {
            let e = summed
                .entry((k.indicator, k.day, k.dim.clone()))
                .or_default();
            e.0 += k.n;
            e.1 += k.total;
        }
        summed.retain(|_, v| *v != (0, 0));
        let direct: BTreeMap<_, _> = c
            .iter()
            .map(|k| ((k.indicator, k.day, k.dim.clone()), (k.n, k.total)))
            .collect();
        assert_eq!(summed, direct);
    }

    #[test]
    fn deregistration_ends_the_course_and_annulling_an_interview_takes_it_out() {
        let s = state(&[
            registered("2026-01-10", "a_dagpenge"),
            interview("2026-02-01", 1),
            Event::JobSeekerDeregistered {
                deregistration_date: d("2026-03-01"),
                reason: "beskaeftigelse".into(),
                consequence_of: None,
            },
        ]);
        let c = contributions(&s, &Params::default());
        assert_eq!(stock_on(&c, "in_course", "1", "2026-02-28"), 1);
        assert_eq!(stock_on(&c, "in_course", "1", "2026-03-01"), 0);
        assert_eq!(stock_on(&c, "overdue", "1+", "2030-01-01"), 0);
        assert_eq!(flow(&c, "interviews", "efterfoelgende/telefon").len(), 1);
        assert_eq!(flow(&c, "deregistrations", "beskaeftigelse").len(), 1);
        let annulled = state(&[
            registered("2026-01-10", "a_dagpenge"),
            interview("2026-02-01", 1),
            Event::FactCorrected {
                corrects: 2,
                reason: "Forkert person.".into(),
                annulled: vec![2],
                replaced: false,
            },
        ]);
        let c = contributions(&annulled, &Params::default());
        assert!(flow(&c, "interviews", "efterfoelgende/telefon").is_empty());
        assert_eq!(stock_on(&c, "overdue", "1+", "2026-04-11"), 1);
    }

    #[test]
    fn a_first_contact_in_match_1_to_3_counts_whether_registered_the_same_day() {
        let first_contact = |cat| Event::FirstContactRecorded {
            first_contact_date: d("2026-03-02"),
            interview_type: "foerste".into(),
            contact: contact(cat, &["helbred"], "personligt"),
        };
        let same = state(&[first_contact(2), registered("2026-03-02", "kontanthjaelp")]);
        let c = contributions(&same, &Params::default());
        assert_eq!(flow(&c, "first_contacts_ready", "same_day").len(), 1);
        assert_eq!(stock_on(&c, "in_course", "2", "2026-03-02"), 1);
        assert_eq!(
            stock_on(&c, "out_of_step", "must_register", "2026-03-02"),
            0
        );
        let not = state(&[first_contact(2)]);
        let c = contributions(&not, &Params::default());
        assert_eq!(flow(&c, "first_contacts_ready", "not_same_day").len(), 1);
        assert_eq!(
            stock_on(&c, "out_of_step", "must_register", "2026-03-02"),
            1
        );
        let later = state(&[first_contact(2), registered("2026-03-12", "kontanthjaelp")]);
        let c = contributions(&later, &Params::default());
        assert_eq!(
            stock_on(&c, "out_of_step", "must_register", "2026-03-12"),
            0
        );
        assert_eq!(
            flow(&c, "out_of_step_ended", "8-30"),
            vec![(d("2026-03-01"), 1, 10)]
        );
        let not_ready = state(&[first_contact(4)]);
        let c = contributions(&not_ready, &Params::default());
        assert!(flow(&c, "first_contacts_ready", "not_same_day").is_empty());
        assert_eq!(stock_on(&c, "in_course", "3", "2026-03-02"), 1);
    }

    #[test]
    fn figures_show_stocks_at_month_end_and_on_the_as_of_day() {
        let s = state(&[registered("2026-01-10", "a_dagpenge")]);
        let mut rows = Vec::new();
        for k in contributions(&s, &Params::default()) {
            let ind = indicator(k.indicator).unwrap();
            let mut row = Row {
                table: Table::Flow,
                municipality: "101".into(),
                indicator: k.indicator.into(),
                day: k.day.first_of_month(),
                dim: k.dim.as_str().into(),
                n: k.n,
                total: k.total,
            };
            if ind.kind == Kind::Stock {
                row.table = Table::StockMonth;
                rows.push(row.clone());
                row.table = Table::StockDay;
                row.day = k.day;
            }
            rows.push(row);
        }
        let months = [d("2026-03-01"), d("2026-04-01")];
        let f = Figures::compute("101", &rows, &months, d("2026-04-20"));
        assert_eq!(f.months, ["2026-03", "2026-04"]);
        assert_eq!(f.of(&IN_COURSE).sum(0), 1);
        // Not overdue at the end of March; overdue (10 days) on 20 April.
        assert_eq!(f.of(&OVERDUE).sum(0), 0);
        assert_eq!(f.of(&OVERDUE).get("1+", 1), 1);
        let share = KEY_FIGURES
            .iter()
            .find(|k| k.id == "overdue_share")
            .unwrap();
        assert_eq!(share.value(&f, 0), Some(0.0));
        assert_eq!(share.value(&f, 1), Some(100.0));
        // On 5 April the person is not yet overdue, although they are by the end of April.
        let early = Figures::compute("101", &rows, &months, d("2026-04-05"));
        assert_eq!(early.of(&OVERDUE).sum(1), 0);
        assert_eq!(
            Figures::compute("147", &rows, &months, d("2026-04-20"))
                .of(&IN_COURSE)
                .sum(0),
            0
        );
        // A stock that begins inside the months counts from its month's end on; a flow only in
        // its own month.
        let three = [d("2025-12-01"), d("2026-01-01"), d("2026-02-01")];
        let f = Figures::compute(NATIONAL, &rows, &three, d("2026-02-14"));
        assert_eq!(f.of(&IN_COURSE).get("1", 0), 0);
        assert_eq!(f.of(&IN_COURSE).get("1", 1), 1);
        assert_eq!(f.of(&IN_COURSE).get("1", 2), 1);
        assert_eq!(f.of(&REGISTRATIONS).get("a_dagpenge", 1), 1);
        assert_eq!(f.of(&REGISTRATIONS).get("a_dagpenge", 2), 0);
    }

    #[test]
    fn docs_supervision_md_lists_every_definition_as_the_code_has_it() {
        let docs = include_str!("../../../docs/supervision.md");
        assert!(
            docs.contains(&markdown()),
            "docs/supervision.md is out of date: paste `fdg supervision indicators` into it"
        );
    }

    #[test]
    fn every_indicator_has_a_provision_and_a_counting_rule() {
        let mut ids: Vec<&str> = ALL.iter().map(|i| i.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len(), "ids are unique");
        for i in ALL {
            assert!(i.provision.starts_with('§'), "{}", i.id);
            assert!(i.counting.len() > 40, "{}", i.id);
        }
    }
}
