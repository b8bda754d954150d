//! `fdg demo --persons N --seed S --years Y`: a deterministic synthetic national population,
//! recorded day by day through the same commands and rules as real use.
//!
//! Time is simulated: the run starts `Y` years ago and moves one day at a time; every command
//! carries its day as its recording time (`WriteRequest::recorded`, the bulk path `fdg import`
//! uses), so every fact is recorded on the day it happened and the rules judge it against
//! that day, as they would have then. A day's commands go to the writer in order, many to a
//! commit, while the next day is generated. Nothing bypasses `decide`; a refused command is
//! counted and named.
//!
//! - Persons are spread over the 98 municipalities in proportion to their population
//!   (`codes/municipality_population.csv`), one of the three target groups each: insured
//!   unemployed (registered with unemployment benefit), cash or start benefit recipients
//!   unemployed and nothing else (first contact in match 1–3, registered the same day), and
//!   cash or start benefit recipients with other problems (match 4–5, not registered).
//! - Each person has spells in a contact course with gaps between them. In a spell they are
//!   interviewed at intervals that depend on their municipality: about a third are punctual,
//!   a third somewhat late, a third late. Match categories move at interviews (group 3 may
//!   become ready and is then registered, § 4, stk. 1; group 2 may become not ready and is then
//!   deregistered, § 5). Holidays, sickness and exemptions come and go.
//! - The same `--seed` gives the same persons, facts and figures: each person draws from a
//!   random stream of their own, so the order the writer happens to commit in does not matter.
//! - Every name ends in "(syntetisk)", and every event carries the acting person
//!   "fdg demo (syntetiske data)". CPR numbers have real dates and century digits.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use fdg_domain::command::*;
use fdg_domain::{Actor, CodeLists, Command, ListName, OrgKind};
use fdg_store::{Recorded, Store, TimeSource, WriteOutcome, WriteRequest};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// A clock the generator moves forward one day at a time.
pub struct SimClock {
    day: AtomicI64,
}

impl SimClock {
    /// Starts on `day`.
    pub fn new(day: Date) -> Self {
        SimClock {
            day: AtomicI64::new(day_index(day)),
        }
    }

    fn set(&self, day: Date) {
        self.day.store(day_index(day), Ordering::SeqCst);
    }
}

fn day_index(d: Date) -> i64 {
    i64::from((d - Date::constant(1970, 1, 1)).get_days())
}

fn from_index(i: i64) -> Date {
    Date::constant(1970, 1, 1)
        .checked_add(i.days())
        .unwrap_or(Date::MAX)
}

impl TimeSource for SimClock {
    fn now(&self) -> jiff::Timestamp {
        // Business hours in Copenhagen on the simulated day.
        let day = from_index(self.day.load(Ordering::SeqCst));
        TimeZone::get("Europe/Copenhagen")
            .unwrap_or(TimeZone::UTC)
            .to_timestamp(day.at(10, 0, 0, 0))
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
    fn today(&self) -> Date {
        from_index(self.day.load(Ordering::SeqCst))
    }
}

/// SplitMix64: a small, well-mixed, deterministic random stream (one per person).
#[derive(Clone, Copy)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.next() % items.len() as u64).unwrap_or(0)]
    }
    /// An exponential draw with the given mean, in days (at least 1).
    fn days(&mut self, mean: f64) -> i64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((-(1.0 - u).ln() * mean) as i64).max(1)
    }
}

/// How punctual a municipality's job centre is with contact interviews.
#[derive(Clone, Copy)]
struct Habit {
    /// Days between interviews: lowest and highest.
    gap: (i64, i64),
    /// Days from the start of a course to the first interview: lowest and highest.
    first: (i64, i64),
}

const HABITS: [Habit; 3] = [
    Habit {
        gap: (55, 88),
        first: (3, 21),
    },
    Habit {
        gap: (70, 105),
        first: (7, 35),
    },
    Habit {
        gap: (85, 150),
        first: (14, 70),
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Out,
    In,
}

/// One synthetic person's situation, as the generator sees it.
struct Person {
    rng: Rng,
    cpr: String,
    name: String,
    municipality: u16,
    group: u8,
    phase: Phase,
    category: u8,
    registered: bool,
    spell_end: i64,
    next_interview: i64,
    interviews: u32,
    condition_until: i64,
}

/// What the generator did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Commands accepted.
    pub accepted: u64,
    /// Commands refused (should be none), by rule.
    pub refused: HashMap<String, u64>,
    /// Contact interviews recorded.
    pub interviews: u64,
    /// Persons created.
    pub persons: u64,
}

const FORMS: [(&str, u64); 5] = [
    ("personligt", 58),
    ("telefon", 25),
    ("digitalt", 11),
    ("brev", 3),
    ("andet", 3),
];
const DECISIVE: [&str; 4] = [
    "helbred",
    "erhvervserfaring",
    "uddannelse",
    "sociale_forhold",
];
const FREQUENT: [&str; 5] = [
    "risiko_langtidsledighed",
    "borgerens_oenske",
    "under_25",
    "tvivl_om_raadighed",
    "andet",
];
const EXEMPTION: [&str; 6] = [
    "sygdom",
    "barsel",
    "pasning_naertstaaende",
    "pasning_born",
    "tilbud",
    "andet",
];
const LEAVE_REASONS: [&str; 5] = [
    "beskaeftigelse",
    "beskaeftigelse",
    "uddannelse",
    "sygdom",
    "andet",
];

/// The generator's settings.
pub struct Settings {
    /// Persons to create.
    pub persons: u64,
    /// Seed of every random stream.
    pub seed: u64,
    /// Years of history, ending today.
    pub years: u16,
    /// The last day simulated.
    pub today: Date,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

/// The municipalities and their weights, from the shipped population list.
fn municipalities(codes: &CodeLists, on: Date) -> Vec<(String, u64)> {
    include_str!("../../fdg-domain/codes/municipality_population.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (code, pop) = l.split_once(',')?;
            let pop: u64 = pop.trim().parse().ok()?;
            codes
                .is_valid(ListName::Municipality, code, on)
                .then(|| (code.to_owned(), pop))
        })
        .collect()
}

/// Creates the organisations the population needs (98 municipal job centres and the
/// supervision authority) where they are missing. Returns the municipality codes and weights.
pub async fn prepare(
    store: &dyn Store,
    codes: &CodeLists,
    today: Date,
) -> anyhow::Result<Vec<(String, u64)>> {
    let known: std::collections::HashSet<(OrgKind, String)> = store
        .orgs()
        .await?
        .into_iter()
        .map(|o| (o.kind, o.code))
        .collect();
    let list = municipalities(codes, today);
    for (code, _) in &list {
        if !known.contains(&(OrgKind::MunicipalJobcenter, code.clone())) {
            let name = codes
                .get(ListName::Municipality, code, today)
                .map_or_else(|| code.clone(), |e| e.label_da.clone());
            store
                .create_org(
                    OrgKind::MunicipalJobcenter,
                    code,
                    &format!("Jobcenter {name}"),
                )
                .await?;
        }
    }
    if !known.contains(&(OrgKind::StateJobcenter, "STAT".to_owned())) {
        store
            .create_org(OrgKind::StateJobcenter, "STAT", "Staten i jobcenteret")
            .await?;
    }
    if !known.contains(&(OrgKind::Supervisor, "TILSYN".to_owned())) {
        store
            .create_org(OrgKind::Supervisor, "TILSYN", "Visitationstilsynet")
            .await?;
    }
    Ok(list)
}

/// Runs the generator. `clock` must be the store's clock.
pub async fn generate(
    store: Arc<dyn Store>,
    clock: Arc<SimClock>,
    codes: &CodeLists,
    settings: &Settings,
) -> anyhow::Result<Summary> {
    let last = day_index(settings.today);
    let first_date = settings
        .today
        .checked_sub(i32::from(settings.years).years())?;
    let first = day_index(first_date);
    let horizon = usize::try_from(last - first + 1)?;
    let munis = prepare(store.as_ref(), codes, settings.today).await?;
    let weights: Vec<u64> = munis
        .iter()
        .scan(0u64, |acc, (_, w)| {
            *acc += w;
            Some(*acc)
        })
        .collect();
    let total_weight = weights.last().copied().unwrap_or(1);
    let habits: Vec<Habit> = (0..munis.len())
        .map(|i| HABITS[Rng::new(settings.seed, 1_000_000_007 + i as u64).next() as usize % 3])
        .collect();

    // Persons and the day each first comes to the job centre.
    let mut persons: Vec<Person> = Vec::with_capacity(usize::try_from(settings.persons)?);
    let mut calendar: Vec<Vec<u32>> = vec![Vec::new(); horizon];
    let mut serials: HashMap<Date, u16> = HashMap::new();
    for i in 0..settings.persons {
        let mut rng = Rng::new(settings.seed, i);
        let pick = rng.next() % total_weight;
        let municipality = weights.partition_point(|w| *w <= pick);
        let group = match rng.next() % 100 {
            0..=54 => 1,
            55..=79 => 2,
            _ => 3,
        };
        let birth = from_index(rng.range(day_index(Date::constant(1952, 1, 1)), first - 18 * 365));
        let serial = serials.entry(birth).or_insert(0);
        *serial += 1;
        // Century digit 0–3 for the 1900s, 4 for 2000–2036.
        let base = if birth.year() >= 2000 { 4000 } else { 0 };
        let cpr = format!(
            "{:02}{:02}{:02}-{:04}",
            birth.day(),
            birth.month(),
            birth.year() % 100,
            base + *serial % 4000
        );
        let name = format!(
            "{} {} (syntetisk)",
            rng.pick(&crate::demo::FIRST),
            rng.pick(&crate::demo::LAST)
        );
        let start = rng.range(0, horizon as i64 - 1);
        calendar[usize::try_from(start)?].push(u32::try_from(i)?);
        persons.push(Person {
            rng,
            cpr,
            name,
            municipality: u16::try_from(municipality.min(munis.len() - 1))?,
            group,
            phase: Phase::Out,
            category: 1,
            registered: false,
            spell_end: 0,
            next_interview: 0,
            interviews: 0,
            condition_until: 0,
        });
    }

    let mut summary = Summary {
        persons: settings.persons,
        ..Summary::default()
    };
    let mut done = 0u64;
    let started = Instant::now();
    let mut progress = Progress::new(horizon);
    let occupations: Vec<(String, Date, Option<Date>)> = codes
        .entries(ListName::Occupation)
        .iter()
        .map(|e| (e.code.clone(), e.valid_from, e.valid_to))
        .collect();
    let tz = TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC);
    // The bulk path: a day's commands go to the writer in order (each person's in sequence),
    // many to a commit, each carrying its day as its recording time; the next day is
    // generated while the writer stores the previous one.
    let mut stored: Option<(Vec<bool>, Vec<WriteRequest>)> = None;
    for t in 0..=horizon {
        // The previous day goes to the writer (enqueued first, in order) ...
        let previous = stored.take();
        let storing = async {
            match previous {
                Some((interviews, writes)) => {
                    Some((interviews, store.execute_in_order(writes).await))
                }
                None => None,
            }
        };
        // ... while this day is generated.
        let generating = async {
            if t == horizon {
                return Ok::<_, anyhow::Error>(None);
            }
            let today = from_index(first + t as i64);
            clock.set(today);
            let recorded = Recorded {
                at: tz
                    .to_timestamp(today.at(10, 0, 0, 0))
                    .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
                day: today,
            };
            let due = std::mem::take(&mut calendar[t]);
            let mut interviews = Vec::new();
            let mut writes = Vec::new();
            for idx in due {
                let p = &mut persons[idx as usize];
                let municipality = &munis[usize::from(p.municipality)].0;
                // Insured unemployed are the state job centre's; cash and start benefit
                // recipients the municipality's (§ 2, § 4).
                let actor = if p.group == 1 {
                    Actor {
                        kind: OrgKind::StateJobcenter,
                        code: "STAT".into(),
                    }
                } else {
                    Actor {
                        kind: OrgKind::MunicipalJobcenter,
                        code: municipality.clone(),
                    }
                };
                let job_title = occupations
                    .iter()
                    .filter(|(_, from, to)| *from <= today && to.is_none_or(|t| today <= t))
                    .nth(usize::try_from(p.rng.next() % 20).unwrap_or(0))
                    .map_or_else(|| "4110".to_owned(), |(c, _, _)| c.clone());
                let habit = habits[usize::from(p.municipality)];
                let (commands, next) = step(
                    p,
                    Day {
                        date: today,
                        t: first + t as i64,
                        last,
                    },
                    habit,
                    &job_title,
                    municipality,
                );
                if let Some(n) = next
                    && n <= last
                {
                    calendar[usize::try_from(n - first)?].push(idx);
                }
                for command in commands {
                    interviews.push(matches!(command, Command::Interview(_)));
                    writes.push(WriteRequest {
                        recorded: Some(recorded),
                        ..crate::demo::synthetic(command, &actor, "fdg demo (syntetiske data)")
                    });
                }
            }
            Ok(Some((today, interviews, writes)))
        };
        let (answered, day) = tokio::join!(storing, generating);
        if let Some((interviews, outcomes)) = answered {
            for (interview, outcome) in interviews.into_iter().zip(outcomes?) {
                done += 1;
                match outcome {
                    Ok(WriteOutcome::Accepted(_)) => {
                        summary.accepted += 1;
                        summary.interviews += u64::from(interview);
                    }
                    Ok(WriteOutcome::Rejected(v)) => {
                        for r in v {
                            *summary.refused.entry(r.rule.id.to_owned()).or_default() += 1;
                        }
                    }
                    Ok(other) => {
                        *summary.refused.entry(format!("{other:?}")).or_default() += 1;
                    }
                    Err(e) => {
                        *summary.refused.entry(format!("store: {e}")).or_default() += 1;
                    }
                }
            }
        }
        if let Some((today, interviews, writes)) = day? {
            stored = Some((interviews, writes));
            if settings.progress {
                progress.show(t + 1, today, done, started);
            }
        }
    }
    if settings.progress {
        progress.finish(done, started);
    }
    Ok(summary)
}

fn registration_details(p: &Person, job_title: &str, cash: bool) -> RegistrationDetails {
    RegistrationDetails {
        benefit_category: Some(if cash { "kontanthjaelp" } else { "a_dagpenge" }.into()),
        unemployment_degree: Some("fuld".into()),
        hours_per_week: None,
        job_titles: vec![job_title.to_owned()],
        unemployment_fund: (!cash).then(|| format!("{:03}", 1 + p.cpr.len() % 3)),
    }
}

fn contact_fields(p: &mut Person, today: Date, category: u8) -> ContactFields {
    let cash = p.group != 1;
    let form = {
        let roll = p.rng.next() % 100;
        let mut acc = 0;
        FORMS
            .iter()
            .find(|(_, w)| {
                acc += w;
                roll < acc
            })
            .map_or("personligt", |(f, _)| f)
    };
    let decisive_areas = if category == 1 {
        Vec::new()
    } else {
        vec![(*p.rng.pick(&DECISIVE)).to_owned()]
    };
    ContactFields {
        name: Some(p.name.clone()),
        case_type: Some(if cash { "kontanthjaelp" } else { "dagpenge" }.into()),
        support: Some(if cash { "kontanthjaelp" } else { "a_dagpenge" }.into()),
        consent: Some(ConsentInput {
            obtain: Some(true),
            disclose: Some(p.rng.chance(80)),
            date: Some(today.to_string()),
        }),
        contact_form: Some(form.into()),
        match_category: Some(category),
        decisive_areas,
        frequent_contact_reason: p.rng.chance(8).then(|| (*p.rng.pick(&FREQUENT)).to_owned()),
        // Only while the person is not to be registered (match 4–5): a reason for exemption
        // from registration ends a registration with cash benefit (§ 9, nr. 9; § 5), which
        // the simulated course does not model.
        exemption_reason: (p.group == 3 && category >= 4 && p.rng.chance(10))
            .then(|| (*p.rng.pick(&EXEMPTION)).to_owned()),
        further_course: Some("Ny samtale aftalt.".into()),
        ..Default::default()
    }
}

/// The simulated day: its date, its number, and the number of the last day simulated.
struct Day {
    date: Date,
    t: i64,
    last: i64,
}

/// The person's commands for `today` and the day they next need attention.
fn step(
    p: &mut Person,
    day: Day,
    habit: Habit,
    job_title: &str,
    municipality: &str,
) -> (Vec<Command>, Option<i64>) {
    let Day {
        date: today,
        t,
        last,
    } = day;
    let date = Some(today.to_string());
    let cpr = p.cpr.clone();
    let mut out = Vec::new();
    match p.phase {
        Phase::Out => {
            // A new spell in a contact course.
            p.phase = Phase::In;
            p.interviews = 0;
            let mean = match p.group {
                1 => 300.0,
                2 => 420.0,
                _ => 720.0,
            };
            p.spell_end = t + 30 + p.rng.days(mean);
            p.next_interview = t + p.rng.range(habit.first.0, habit.first.1);
            match p.group {
                1 => {
                    p.category = if p.rng.chance(85) { 1 } else { 2 };
                    p.registered = true;
                    out.push(Command::Register(RegisterJobSeeker {
                        cpr,
                        name: Some(p.name.clone()),
                        registration_date: date,
                        details: registration_details(p, job_title, false),
                        municipality: Some(municipality.to_owned()),
                        match_category: (p.category != 1).then_some(p.category),
                    }));
                }
                group => {
                    p.category = if group == 2 {
                        u8::try_from(p.rng.range(1, 3)).unwrap_or(2)
                    } else {
                        u8::try_from(p.rng.range(4, 5)).unwrap_or(4)
                    };
                    p.registered = p.category <= 3;
                    let contact = contact_fields(p, today, p.category);
                    let registration = p
                        .registered
                        .then(|| registration_details(p, job_title, true));
                    out.push(Command::FirstContact(RecordFirstContact {
                        cpr,
                        first_contact_date: date,
                        contact,
                        municipality: Some(municipality.to_owned()),
                        registration,
                    }));
                }
            }
        }
        Phase::In if t >= p.spell_end => {
            // The spell ends: benefit ceases (§ 8, stk. 4) and the person is deregistered.
            p.phase = Phase::Out;
            if p.group != 1 {
                out.push(Command::Cessation(RecordBenefitCessation {
                    cpr: cpr.clone(),
                    cessation_date: date.clone(),
                }));
            }
            if p.registered {
                out.push(Command::Deregister(DeregisterJobSeeker {
                    cpr,
                    name: Some(p.name.clone()),
                    deregistration_date: date,
                    reason: Some((*p.rng.pick(&LEAVE_REASONS)).to_owned()),
                }));
            }
            p.registered = false;
            let gap = p.rng.days(540.0);
            return (out, Some(t + gap).filter(|n| *n <= last));
        }
        Phase::In => {
            // A contact interview; sometimes a holiday, sickness or exemption starts.
            let cash = p.group != 1;
            // Categories move, but not while a condition runs (an exemption changes what a
            // new assessment requires).
            if t >= p.condition_until && p.rng.chance(12) {
                p.category = match (p.group, p.category) {
                    (1, c) => (c % 3) + 1,
                    (2, _) if p.rng.chance(25) => 4,
                    (2, c) => (c % 3) + 1,
                    (_, c) if c >= 4 && p.rng.chance(40) => 3,
                    (_, c) if c >= 4 => 9 - c,
                    (_, _) => 4,
                };
            }
            let contact = contact_fields(p, today, p.category);
            // § 4, stk. 1 and § 5 follow the assessment of a cash-benefit recipient.
            let registration = if cash && !p.registered && p.category <= 3 {
                p.registered = true;
                Some(registration_details(p, job_title, true))
            } else {
                if cash && p.registered && p.category >= 4 {
                    p.registered = false;
                }
                None
            };
            out.push(Command::Interview(RecordContactInterview {
                cpr: cpr.clone(),
                interview_date: date,
                interview_type: Some(
                    if p.interviews == 0 {
                        "foerste"
                    } else {
                        "efterfoelgende"
                    }
                    .into(),
                ),
                contact,
                registration,
            }));
            p.interviews += 1;
            if t >= p.condition_until && p.rng.chance(9) {
                let (kind, length) = match p.rng.next() % 3 {
                    0 if !cash => ("ferie", p.rng.range(5, 21)),
                    2 if p.group == 3 => ("fritagelse_raadighed", p.rng.range(30, 180)),
                    _ => ("sygdom", p.rng.range(3, 40)),
                };
                let start = today.checked_add(1.day()).unwrap_or(today);
                let end = start.checked_add(length.days()).unwrap_or(start);
                p.condition_until = t + 1 + length + 1;
                out.push(Command::StartCondition(StartPeriodicCondition {
                    cpr,
                    kind: Some(kind.into()),
                    start_date: Some(start.to_string()),
                    end_date: Some(end.to_string()),
                }));
            }
            let gap = p.rng.range(habit.gap.0, habit.gap.1);
            // Late job centres sometimes miss an interview altogether.
            let gap = if habit.gap.1 > 120 && p.rng.chance(10) {
                gap + p.rng.range(30, 120)
            } else {
                gap
            };
            p.next_interview = t + gap;
        }
    }
    (out, Some(p.next_interview.min(p.spell_end)))
}

/// A progress bar on standard error: redrawn in place on a terminal, a line every 10 % when
/// logged to a file.
struct Progress {
    horizon: usize,
    tty: bool,
    last_draw: Instant,
    last_tenth: usize,
}

impl Progress {
    fn new(horizon: usize) -> Self {
        Progress {
            horizon,
            tty: std::io::stderr().is_terminal(),
            last_draw: Instant::now(),
            last_tenth: 0,
        }
    }

    fn show(&mut self, days: usize, today: Date, commands: u64, started: Instant) {
        let tenth = days * 10 / self.horizon.max(1);
        let draw = if self.tty {
            self.last_draw.elapsed().as_millis() >= 250 || days == self.horizon
        } else {
            tenth > self.last_tenth
        };
        if !draw {
            return;
        }
        self.last_draw = Instant::now();
        self.last_tenth = tenth;
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let rate = commands as f64 / secs;
        let share = days as f64 / self.horizon.max(1) as f64;
        let eta = if share > 0.0 {
            secs / share - secs
        } else {
            0.0
        };
        let width = 30;
        let filled = (share * width as f64) as usize;
        let bar: String = (0..width)
            .map(|i| if i < filled { '#' } else { '-' })
            .collect();
        let line = format!(
            "  [{bar}] {:>3.0}%  {today}  {commands} commands  {rate:.0}/s  {:.0}s left",
            share * 100.0,
            eta.max(0.0)
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn finish(&self, commands: u64, started: Instant) {
        if self.tty {
            eprintln!();
        }
        eprintln!(
            "  {commands} commands in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Arc;

    use fdg_domain::CodeLists;
    use fdg_store::testing::TestDatabase;
    use fdg_store::{StoreContext, SupervisionQuery};

    use super::*;

    /// A small population into a fresh directory: its summary and the supervision input.
    async fn population(seed: u64) -> (Summary, fdg_store::SupervisionInput, Vec<String>) {
        population_queued(seed, fdg_store::DEFAULT_WRITE_QUEUE).await
    }

    /// As [`population`], through a writer that holds at most `queue` waiting writes.
    async fn population_queued(
        seed: u64,
        queue: usize,
    ) -> (Summary, fdg_store::SupervisionInput, Vec<String>) {
        let db = TestDatabase::new("population-test").unwrap();
        let today: Date = "2026-11-27".parse().unwrap();
        let codes = Arc::new(CodeLists::shipped());
        let clock = Arc::new(SimClock::new(today));
        let config = fdg_store::StoreConfig {
            write_queue: queue,
            ..db.config().clone()
        };
        let store = fdg_store::open(
            &config,
            StoreContext {
                codes: codes.clone(),
                clock: clock.clone(),
            },
        )
        .unwrap();
        let settings = Settings {
            persons: 300,
            seed,
            years: 2,
            today,
            progress: false,
        };
        let summary = generate(store.clone(), clock, &codes, &settings)
            .await
            .unwrap();
        let input = store
            .supervision(&SupervisionQuery {
                from: "2025-01-01".parse().unwrap(),
                as_of: today,
            })
            .await
            .unwrap();
        let names = store
            .events_after(0, 2000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.data_json)
            .collect();
        (summary, input, names)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_population_goes_through_the_rules_and_the_same_seed_gives_the_same_figures() {
        let (first, figures, events) = population(7).await;
        assert!(first.refused.is_empty(), "{:?}", first.refused);
        assert!(first.interviews > 300, "{first:?}");
        assert!(first.accepted > first.interviews);
        // Every name recorded is marked synthetic.
        for e in events.iter().filter(|e| e.contains("\"name\"")) {
            assert!(e.contains("(syntetisk)"), "{e}");
        }
        // Every municipality is there in proportion; Copenhagen (the largest) has most rows.
        let copenhagen = figures
            .rows
            .iter()
            .filter(|r| &*r.municipality == "101")
            .count();
        let laesoe = figures
            .rows
            .iter()
            .filter(|r| &*r.municipality == "825")
            .count();
        assert!(copenhagen > laesoe, "{copenhagen} {laesoe}");
        // Deterministic: the same seed gives the same figures (the same input hash), another
        // seed other figures.
        let (_, again, _) = population(7).await;
        assert_eq!(again.input_hash, figures.input_hash);
        let (_, other, _) = population(8).await;
        assert_ne!(other.input_hash, figures.input_hash);
        // Through a writer whose queue holds 4 writes (it refuses the rest at once), the bulk
        // load waits instead of losing commands: the same population.
        let (queued, same, _) = population_queued(7, 4).await;
        assert!(queued.refused.is_empty(), "{:?}", queued.refused);
        assert_eq!(same.input_hash, figures.input_hash);
    }

    /// An embedded registry with a population and an audit trail moves to the backend under
    /// test (SQLite to PostgreSQL in CI's second run) with every person's overview and history
    /// the same, the same figures, and an audit chain that verifies; a second copy into the
    /// now full target is refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_embedded_registry_moves_to_another_database_unchanged() {
        let today: Date = "2026-11-27".parse().unwrap();
        let codes = Arc::new(CodeLists::shipped());
        let clock = Arc::new(SimClock::new(today));
        let ctx = || StoreContext {
            codes: codes.clone(),
            clock: clock.clone(),
        };
        let source = TestDatabase::sqlite("copy-source").unwrap();
        let store = source.open(ctx()).unwrap();
        let settings = Settings {
            persons: 120,
            seed: 3,
            years: 1,
            today,
            progress: false,
        };
        generate(store.clone(), clock.clone(), &codes, &settings)
            .await
            .unwrap();
        let audit = source.open_audit().unwrap();
        let events = store.events_after(0, 100_000).await.unwrap();
        let persons: std::collections::BTreeSet<String> =
            events.iter().map(|e| e.person_id.clone()).collect();
        for (i, p) in persons.iter().enumerate().take(40) {
            audit
                .append(vec![fdg_store::audit::AuditEntry {
                    at: clock.now(),
                    org: "municipal-jobcenter:101".into(),
                    credential: format!("agreement:{i}"),
                    acting_person: None,
                    on_behalf_of: None,
                    action: "person.read".into(),
                    person_id: Some(p.clone()),
                    purpose: "case handling".into(),
                    outcome: "ok".into(),
                }])
                .await
                .unwrap();
        }
        let query = SupervisionQuery {
            from: "2026-01-01".parse().unwrap(),
            as_of: today,
        };
        let figures = store.supervision(&query).await.unwrap();
        drop((store, audit));

        let target = TestDatabase::new("copy-target").unwrap();
        let report = fdg_store::copy::copy(source.config(), target.config(), |_, _, _| {})
            .await
            .unwrap();
        assert_eq!(report.rebuilt_events, events.len() as u64);
        assert_eq!(report.audit_entries, 40);
        let (before, after) = (source.open(ctx()).unwrap(), target.open(ctx()).unwrap());
        assert_eq!(after.events_after(0, 100_000).await.unwrap(), events);
        for p in &persons {
            let (a, b) = (
                before.person(p).await.unwrap().unwrap(),
                after.person(p).await.unwrap().unwrap(),
            );
            assert_eq!(
                serde_json::to_value(&a.overview).unwrap(),
                serde_json::to_value(&b.overview).unwrap()
            );
            assert_eq!((a.version, a.scope), (b.version, b.scope));
        }
        let moved = after.supervision(&query).await.unwrap();
        assert_eq!(moved.input_hash, figures.input_hash);
        assert_eq!(moved.position, figures.position);
        assert!(
            target
                .open_audit()
                .unwrap()
                .verify()
                .await
                .unwrap()
                .problems
                .is_empty()
        );
        // A registry keeps going where it left off: the next write follows the copied log.
        assert_eq!(after.orgs().await.unwrap(), before.orgs().await.unwrap());
        let org = after
            .create_org(OrgKind::OtherActor, "87654321", "Ny aktør")
            .await
            .unwrap();
        assert!(before.orgs().await.unwrap().iter().all(|o| o.id < org.id));
        drop((before, after));
        let again = fdg_store::copy::copy(source.config(), target.config(), |_, _, _| {}).await;
        assert!(
            matches!(&again, Err(fdg_store::StoreError::Copy(m)) if m.contains("not empty")),
            "{again:?}"
        );
    }
}
