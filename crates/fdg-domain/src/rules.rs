//! The rules of the order, each with a stable id, its provision and Danish and English messages.
//!
//! A rule id never changes meaning once published: clients match on it. `fdg rules` prints this
//! table and `docs/compliance.md` maps every provision of the order to the rules below.

use serde::Serialize;

/// What breaking a rule means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RuleKind {
    /// The request breaks a rule of the order: refused (HTTP 422).
    Input,
    /// The acting organisation may not do this (HTTP 403).
    Permission,
    /// Not a refusal: something the registry does by itself, named on the events it causes.
    Consequence,
    /// Not a refusal: accepted, with a remark for the caller.
    Warning,
}

/// One rule of the order as the software enforces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rule {
    /// Stable id, e.g. `fdg.s8.1.nr4.benefit_category_required`.
    pub id: &'static str,
    /// The provision it comes from, e.g. `§ 8, stk. 1, nr. 4`.
    pub provision: &'static str,
    /// What kind of rule it is.
    pub kind: RuleKind,
    /// Message in Danish.
    pub message_da: &'static str,
    /// Message in English.
    pub message_en: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $prov:literal, $kind:ident, $da:literal, $en:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "` (", $prov, "): ", $en)]
            pub const $name: Rule = Rule {
                id: $id,
                provision: $prov,
                kind: RuleKind::$kind,
                message_da: $da,
                message_en: $en,
            };
        )*
        /// Every rule, in the order of the law.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    // CPR and dates: common to every record.
    CPR_FORMAT = "fdg.cpr.format", "§ 8, stk. 1, nr. 2; § 8, stk. 2, nr. 2; § 9, nr. 1", Input,
        "CPR-nummeret skal bestå af 10 cifre (DDMMÅÅ-LLLL).",
        "The CPR number must be 10 digits (DDMMYY-SSSS).";
    CPR_DATE = "fdg.cpr.date", "§ 8, stk. 1, nr. 2; § 8, stk. 2, nr. 2; § 9, nr. 1", Input,
        "CPR-nummerets første seks cifre er ikke en gyldig dato.",
        "The first six digits of the CPR number are not a real date.";
    CPR_MODULUS_11 = "fdg.cpr.modulus11", "§ 8, stk. 1, nr. 2", Warning,
        "CPR-nummeret opfylder ikke modulus 11-kontrollen. Det er gyldigt (numre uden kontrolciffer udstedes siden 1. oktober 2007), men kontroller det.",
        "The CPR number fails the modulus-11 check. It is valid (numbers without a check digit are issued since 1 October 2007), but please verify it.";
    DATE_FORMAT = "fdg.date.format", "§ 8; § 9, nr. 2", Input,
        "Datoen skal angives som ÅÅÅÅ-MM-DD og være en gyldig dato.",
        "The date must be given as YYYY-MM-DD and be a real date.";
    DATE_IN_FUTURE = "fdg.date.not_in_future", "§ 8; § 9, nr. 2", Input,
        "Datoen må ikke ligge efter dags dato.",
        "The date must not be later than today.";
    DATE_BEFORE_BIRTH = "fdg.date.before_birth", "§ 8; § 9", Input,
        "Datoen ligger før personens fødselsdato (ifølge CPR-nummeret).",
        "The date is before the person's date of birth (according to the CPR number).";
    MUNICIPALITY_UNKNOWN = "fdg.s2.municipality_unknown", "§ 2, stk. 2", Input,
        "Kommunekoden findes ikke eller var ikke gyldig på datoen.",
        "The municipality code does not exist or was not valid on the date.";
    MUNICIPALITY_NOT_RESPONSIBLE = "fdg.s2.municipality_not_responsible", "§ 2, stk. 2", Input,
        "Den angivne kommune er ikke personens ansvarlige kommune. Kommunen følger CPR-registeret og skifter ellers kun ved en overdragelse fra den ansvarlige kommune.",
        "The municipality given is not the person's responsible municipality. It follows the CPR register and otherwise changes only when the responsible municipality hands the person over.";
    NAME_TOO_LONG = "fdg.input.name_too_long", "§ 8, stk. 1, nr. 1; § 9, nr. 1", Input,
        "Navnet er for langt (højst 200 tegn).",
        "The name is too long (at most 200 characters).";
    TEXT_TOO_LONG = "fdg.input.text_too_long", "§ 9, nr. 3–5, 10–11; § 1, nr. 1", Input,
        "Teksten er for lang (højst 4000 tegn).",
        "The text is too long (at most 4000 characters).";
    CONTROL_CHARACTERS = "fdg.input.control_characters", "§ 8; § 9", Input,
        "Teksten indeholder styretegn (fx et NUL-tegn); kun linjeskift og tabulatorer er tilladt i fritekst, og ingen i navne.",
        "The text contains control characters (e.g. a NUL byte); only line breaks and tabs are allowed in free text, and none in names.";
    NAME_KEPT = "fdg.identity.name_kept", "§ 8, stk. 1, nr. 1; § 9, nr. 1", Warning,
        "Navnet afviger fra det registrerede. Det registrerede navn er bevaret: en registrering omdøber aldrig en person.",
        "The name differs from the one recorded. The recorded name is kept: a record never renames a person.";
    HANDOVER_ACTOR = "fdg.s2.2.handover_actor", "§ 2, stk. 2", Permission,
        "Kun den ansvarlige kommune i jobcenteret kan overdrage en person til en anden kommune.",
        "Only the responsible municipal job centre can hand a person over to another municipality.";
    HANDOVER_MUNICIPALITY_REQUIRED = "fdg.s2.2.handover_municipality_required", "§ 2, stk. 2", Input,
        "Den modtagende kommune skal angives.",
        "The receiving municipality must be given.";
    HANDOVER_SAME_MUNICIPALITY = "fdg.s2.2.handover_same_municipality", "§ 2, stk. 2", Input,
        "Personen hører allerede til den kommune.",
        "The person already belongs to that municipality.";
    HANDOVER_REASON_REQUIRED = "fdg.s2.2.handover_reason_required", "§ 2, stk. 2", Input,
        "En overdragelse skal begrundes.",
        "A hand-over must state its reason.";

    // § 8, stk. 1: registration as a job seeker.
    S8_1_NAME_REQUIRED = "fdg.s8.1.nr1.name_required", "§ 8, stk. 1, nr. 1", Input,
        "Navn skal registreres ved registrering som arbejdssøgende.",
        "The name must be recorded when registering a job seeker.";
    S8_1_DATE_REQUIRED = "fdg.s8.1.nr3.registration_date_required", "§ 8, stk. 1, nr. 3", Input,
        "Dato for registrering som arbejdssøgende skal angives.",
        "The registration date must be given.";
    S8_1_BENEFIT_REQUIRED = "fdg.s8.1.nr4.benefit_category_required", "§ 8, stk. 1, nr. 4", Input,
        "Ydelseskategori skal angives.",
        "The benefit category must be given.";
    S8_1_BENEFIT_UNKNOWN = "fdg.s8.1.nr4.benefit_category_unknown", "§ 8, stk. 1, nr. 4", Input,
        "Ydelseskategorien findes ikke i kodelisten.",
        "The benefit category is not in the code list.";
    S8_1_DEGREE_REQUIRED = "fdg.s8.1.nr5.unemployment_degree_required", "§ 8, stk. 1, nr. 5", Input,
        "Ledighedsgrad skal angives.",
        "The degree of unemployment must be given.";
    S8_1_DEGREE_UNKNOWN = "fdg.s8.1.nr5.unemployment_degree_unknown", "§ 8, stk. 1, nr. 5", Input,
        "Ledighedsgraden findes ikke i kodelisten.",
        "The degree of unemployment is not in the code list.";
    S8_1_HOURS = "fdg.s8.1.nr5.hours_for_partial", "§ 8, stk. 1, nr. 5", Input,
        "Ved delvis ledighed skal antal ledige timer pr. uge (1–36) angives; ved fuld ledighed må timer ikke angives.",
        "Partly unemployed requires the hours of unemployment per week (1–36); fully unemployed must not give hours.";
    S8_1_JOB_TITLE_REQUIRED = "fdg.s8.1.nr6.job_title_required", "§ 8, stk. 1, nr. 6", Input,
        "Mindst én stillingsbetegnelse, som personen søger job som, skal angives.",
        "At least one job title the person seeks work as must be given.";
    S8_1_JOB_TITLE_UNKNOWN = "fdg.s8.1.nr6.job_title_unknown", "§ 8, stk. 1, nr. 6", Input,
        "Stillingsbetegnelsen findes ikke i stillingskodelisten.",
        "The job title is not in the occupation code list.";
    S8_1_FUND_REQUIRED = "fdg.s8.1.nr7.unemployment_fund_required", "§ 8, stk. 1, nr. 7", Input,
        "A-kasse skal angives, når ydelseskategorien er arbejdsløshedsdagpenge (personen er medlem).",
        "The unemployment fund must be given when the benefit category is unemployment insurance benefit (the person is a member).";
    S8_1_FUND_UNKNOWN = "fdg.s8.1.nr7.unemployment_fund_unknown", "§ 8, stk. 1, nr. 7", Input,
        "A-kassen findes ikke i kodelisten.",
        "The unemployment fund is not in the code list.";
    S8_1_ALREADY_REGISTERED = "fdg.s8.1.already_registered", "§ 8, stk. 1; § 4", Input,
        "Personen er allerede registreret som arbejdssøgende.",
        "The person is already registered as a job seeker.";
    S8_1_BEFORE_LAST_DEREGISTRATION = "fdg.s8.1.before_last_deregistration", "§ 8, stk. 1, nr. 3", Input,
        "Registreringsdatoen ligger før personens seneste afmelding.",
        "The registration date is before the person's latest deregistration.";
    S8_1_ACTOR = "fdg.s4.registration_actor", "§ 4, stk. 1–2; § 2, stk. 1–2", Permission,
        "Kun staten i jobcenteret registrerer arbejdssøgende; kommunen kun kontant- og starthjælpsmodtagere.",
        "Only the state job centre registers job seekers; the municipality only cash and start benefit recipients.";

    // § 8, stk. 1, nr. 4–7: changing an open registration's details.
    S8_1_CHANGE_NOT_REGISTERED = "fdg.s8.1.change_not_registered", "§ 8, stk. 1", Input,
        "Personen er ikke registreret som arbejdssøgende; der er ingen registrering at ændre.",
        "The person is not registered as a job seeker; there is no registration to change.";
    S8_1_CHANGE_DATE_REQUIRED = "fdg.s8.1.change_date_required", "§ 8, stk. 1", Input,
        "Datoen for ændringen skal angives.",
        "The date of the change must be given.";
    S8_1_CHANGE_BEFORE = "fdg.s8.1.change_before_registration", "§ 8, stk. 1, nr. 3", Input,
        "Ændringsdatoen ligger før registreringsdatoen eller før registreringens seneste ændring.",
        "The change date is before the registration date or the registration's latest change.";
    S8_1_CHANGE_CASH = "fdg.s8.1.change_cash_benefit", "§ 3; § 8, stk. 1, nr. 4; § 8, stk. 4", Input,
        "Kontant- eller starthjælp kan ikke vælges til eller fra ved en ændring af registreringen: sagen åbnes ved første henvendelse (§ 3), og ophøret meddeles efter § 3, stk. 3.",
        "Cash or start benefit cannot be changed to or from by a change of registration: the case opens at first contact (§ 3), and its end is notified under § 3, stk. 3.";
    S8_1_CHANGE_NOTHING = "fdg.s8.1.change_nothing", "§ 8, stk. 1, nr. 4–7", Input,
        "Ændringen er den samme som registreringens nuværende oplysninger.",
        "The change is the same as the registration's current details.";
    S8_2_BEFORE_CHANGE = "fdg.s8.2.before_change", "§ 8, stk. 2, nr. 3", Input,
        "Afmeldingsdatoen ligger før en ændring af registreringen.",
        "The deregistration date is before a change of the registration.";

    // § 4 and § 5: registration must follow the match category of cash-benefit recipients.
    S4_1_MUST_REGISTER = "fdg.s4.1.must_be_registered", "§ 4, stk. 1", Input,
        "Personen modtager kontant- eller starthjælp alene på grund af ledighed (matchkategori 1–3) og skal registreres som arbejdssøgende samtidig: angiv registreringsoplysningerne (ydelseskategori, ledighedsgrad, stillingsbetegnelser).",
        "The person receives cash or start benefit solely because of unemployment (match category 1–3) and must be registered as a job seeker at the same time: give the registration details (benefit category, degree of unemployment, job titles).";
    S4_1_NOT_READY = "fdg.s4.1.not_ready_for_registration", "§ 4, stk. 1; § 5", Input,
        "En kontant- eller starthjælpsmodtager i matchkategori 4–5 skal ikke registreres som arbejdssøgende.",
        "A cash or start benefit recipient in match category 4–5 is not to be registered as a job seeker.";
    S4_1_REGISTRATION_NOT_EXPECTED = "fdg.s4.1.registration_not_expected", "§ 4, stk. 1", Input,
        "Registreringsoplysninger angives kun, når en kontant- eller starthjælpsmodtager i matchkategori 1–3 skal registreres som arbejdssøgende samtidig.",
        "Registration details are given only when a cash or start benefit recipient in match category 1–3 is to be registered as a job seeker at the same time.";
    S5_EXEMPTED = "fdg.s5.exempted_from_availability", "§ 5", Input,
        "Personen er fritaget for at stå til rådighed og kan ikke registreres som arbejdssøgende med kontant- eller starthjælp.",
        "The person is exempted from availability and cannot be registered as a job seeker on cash or start benefit.";
    S4_1_REGISTERED_AS_CONSEQUENCE = "fdg.s4.1.registered_at_assessment", "§ 4, stk. 1", Consequence,
        "Registreret som arbejdssøgende, fordi personen er vurderet til matchkategori 1–3 og modtager kontant- eller starthjælp.",
        "Registered as a job seeker because the person was assessed as match category 1–3 and receives cash or start benefit.";
    S5_DEREGISTERED_AS_CONSEQUENCE = "fdg.s5.deregistered", "§ 5", Consequence,
        "Afmeldt som arbejdssøgende, fordi hjælpen ikke længere modtages alene på grund af ledighed, eller personen er fritaget for rådighed. Meddelelsen til staten sker ved denne afmelding.",
        "Deregistered as a job seeker because the benefit is no longer received solely because of unemployment, or the person is exempted from availability. This deregistration is the notification to the state.";
    S5_DATED_ACTOR = "fdg.s5.dated_consequence_actor", "§ 5", Input,
        "Kun registret selv gennemfører følger, der indtræder på en dato.",
        "Only the registry itself records consequences that take effect on a date.";
    S5_NOTHING_DUE = "fdg.s5.nothing_due", "§ 5", Input,
        "Der indtræder ingen følge for personen i dag.",
        "No consequence takes effect for the person today.";
    S6_DEFAULT_MATCH = "fdg.s6.default_immediate_match", "§ 6", Consequence,
        "Forsikret ledig uden matchkategori er automatisk i straksmatch (kategori 1).",
        "An insured unemployed person without a match category is automatically in immediate match (category 1).";

    // § 8, stk. 2: deregistration.
    S8_2_NAME_REQUIRED = "fdg.s8.2.nr1.name_required", "§ 8, stk. 2, nr. 1", Input,
        "Navn skal registreres ved afmelding.",
        "The name must be recorded at deregistration.";
    S8_2_DATE_REQUIRED = "fdg.s8.2.nr3.deregistration_date_required", "§ 8, stk. 2, nr. 3", Input,
        "Dato for afmelding skal angives.",
        "The deregistration date must be given.";
    S8_2_REASON_REQUIRED = "fdg.s8.2.nr4.reason_required", "§ 8, stk. 2, nr. 4", Input,
        "Årsag til afmelding skal angives.",
        "The reason for deregistration must be given.";
    S8_2_REASON_UNKNOWN = "fdg.s8.2.nr4.reason_unknown", "§ 8, stk. 2, nr. 4", Input,
        "Afmeldingsårsagen findes ikke i kodelisten.",
        "The deregistration reason is not in the code list.";
    S8_2_NOT_REGISTERED = "fdg.s8.2.not_registered", "§ 8, stk. 2", Input,
        "Personen er ikke registreret som arbejdssøgende og kan ikke afmeldes.",
        "The person is not registered as a job seeker and cannot be deregistered.";
    S8_2_BEFORE_REGISTRATION = "fdg.s8.2.before_registration", "§ 8, stk. 2, nr. 3", Input,
        "Afmeldingsdatoen ligger før registreringsdatoen.",
        "The deregistration date is before the registration date.";
    S8_2_ACTOR = "fdg.s5.deregistration_actor", "§ 5; § 8, stk. 2", Permission,
        "Kun staten i jobcenteret afmelder arbejdssøgende; kommunen kun kontant- og starthjælpsmodtagere.",
        "Only the state job centre deregisters job seekers; the municipality only cash and start benefit recipients.";

    // § 3 and § 8, stk. 3: first contact of a cash-benefit applicant.
    S8_3_DATE_REQUIRED = "fdg.s8.3.first_contact_date_required", "§ 8, stk. 3", Input,
        "Dato for første henvendelse skal angives.",
        "The date of first contact must be given.";
    S3_CASE_AT_FIRST_CONTACT = "fdg.s3.case_opens_at_first_contact", "§ 3, stk. 1–2; § 4, stk. 1", Input,
        "En sag om kontant- eller starthjælp åbnes kun ved første henvendelse med kommunens vurdering (§ 3). Registrér den første henvendelse; den kan bære registreringen (§ 4, stk. 1).",
        "A cash or start benefit case opens only at the first contact, with the municipality's assessment (§ 3). Record the first contact; it can carry the registration (§ 4, stk. 1).";
    S4_2_SELF_REGISTRATION_INSURED = "fdg.s4.2.self_registration_insured", "§ 4, stk. 2", Input,
        "Selvregistrering via Jobnet er for forsikrede ledige: ydelseskategorien skal være arbejdsløshedsdagpenge. Modtager du kontant- eller starthjælp, registrerer kommunen dig.",
        "Self-registration through Jobnet is for insured unemployed persons: the benefit category must be unemployment insurance benefit. If you receive cash or start benefit, the municipality registers you.";
    S3_1_ALREADY_OPEN = "fdg.s3.1.cash_benefit_case_open", "§ 3, stk. 1", Input,
        "Personen har allerede en åben sag om kontant- eller starthjælp; første henvendelse er registreret.",
        "The person already has an open cash or start benefit case; the first contact is already recorded.";
    S3_1_CASE_TYPE_CASH = "fdg.s3.1.case_type_cash", "§ 3, stk. 1", Input,
        "Første henvendelse gælder ansøgning om kontant- eller starthjælp: sagstypen skal være kontanthjælp eller starthjælp.",
        "A first contact concerns an application for cash or start benefit: the case type must be cash benefit or start benefit.";
    S3_ACTOR = "fdg.s3.first_contact_actor", "§ 3, stk. 1–3; § 8, stk. 3–4", Permission,
        "Kun kommunen i jobcenteret registrerer første henvendelse og ophør af kontant- eller starthjælp.",
        "Only the municipal job centre records first contacts and cessations of cash or start benefit.";

    // § 3, stk. 3 and § 8, stk. 4: cessation of cash benefit.
    S8_4_DATE_REQUIRED = "fdg.s8.4.cessation_date_required", "§ 8, stk. 4", Input,
        "Dato for ophør af udbetaling af hjælp skal angives.",
        "The date payment of benefit ceased must be given.";
    S3_3_NO_CASH_BENEFIT = "fdg.s3.3.no_cash_benefit", "§ 3, stk. 3", Input,
        "Personen modtager ikke kontant- eller starthjælp ifølge registret.",
        "According to the registry the person does not receive cash or start benefit.";
    S8_4_BEFORE_START = "fdg.s8.4.before_benefit_start", "§ 8, stk. 4", Input,
        "Ophørsdatoen ligger før første henvendelse.",
        "The cessation date is before the first contact.";

    // § 4, stk. 3 and § 8, stk. 5: periodic conditions.
    S8_5_KIND_REQUIRED = "fdg.s8.5.kind_required", "§ 8, stk. 5; § 4, stk. 3", Input,
        "Arten af periodisk forhold skal angives.",
        "The kind of periodic condition must be given.";
    S8_5_KIND_UNKNOWN = "fdg.s8.5.kind_unknown", "§ 8, stk. 5; § 4, stk. 3", Input,
        "Arten af periodisk forhold findes ikke i kodelisten.",
        "The kind of periodic condition is not in the code list.";
    S8_5_START_REQUIRED = "fdg.s8.5.start_date_required", "§ 8, stk. 5", Input,
        "Startdato skal angives.",
        "The start date must be given.";
    S8_5_END_BEFORE_START = "fdg.s8.5.end_before_start", "§ 8, stk. 5", Input,
        "Slutdatoen ligger før startdatoen.",
        "The end date is before the start date.";
    S8_5_END_REQUIRED = "fdg.s8.5.end_date_required", "§ 8, stk. 5", Input,
        "Slutdato skal angives, når et periodisk forhold afsluttes.",
        "The end date must be given when ending a periodic condition.";
    S8_5_TOO_FAR_AHEAD = "fdg.s8.5.too_far_ahead", "§ 8, stk. 5", Input,
        "Et periodisk forhold kan højst registreres et år frem i tiden.",
        "A periodic condition can be recorded at most one year ahead.";
    S8_5_OVERLAP = "fdg.s8.5.overlap", "§ 8, stk. 5", Input,
        "Perioden overlapper et andet periodisk forhold af samme art.",
        "The period overlaps another periodic condition of the same kind.";
    S8_5_NOT_FOUND = "fdg.s8.5.condition_not_found", "§ 8, stk. 5", Input,
        "Det periodiske forhold findes ikke.",
        "The periodic condition does not exist.";
    S8_5_ALREADY_ENDED = "fdg.s8.5.already_ended", "§ 8, stk. 5", Input,
        "Det periodiske forhold har allerede en slutdato; ret den med en rettelse.",
        "The periodic condition already has an end date; change it with a correction.";
    S4_3_NOT_COVERED = "fdg.s4.3.person_not_covered", "§ 4, stk. 3; § 2, stk. 3", Input,
        "Periodiske forhold registreres kun for personer, der er registreret som arbejdssøgende eller modtager kontant- eller starthjælp.",
        "Periodic conditions are recorded only for persons registered as job seekers or receiving cash or start benefit.";
    S8_5_CLOSED_BY_DEREGISTRATION = "fdg.s8.5.closed_by_deregistration", "§ 8, stk. 5", Consequence,
        "Det periodiske forhold er afsluttet, fordi personen er afmeldt.",
        "The periodic condition was ended because the person was deregistered.";
    S4_3_ACTOR = "fdg.s4.3.condition_actor", "§ 4, stk. 3; § 2, stk. 3", Permission,
        "Kun staten og kommunen i jobcenteret registrerer periodiske forhold.",
        "Only the state and the municipal job centre record periodic conditions.";

    // § 9: contact interviews (and the § 9 fields of a first contact, § 8, stk. 3).
    S9_1_NAME_REQUIRED = "fdg.s9.nr1.name_required", "§ 9, nr. 1", Input,
        "Navn skal angives (stamdata).",
        "The name must be given (master data).";
    S9_1_CASE_TYPE_REQUIRED = "fdg.s9.nr1.case_type_required", "§ 9, nr. 1", Input,
        "Sagstype skal angives (stamdata).",
        "The case type must be given (master data).";
    S9_1_CASE_TYPE_UNKNOWN = "fdg.s9.nr1.case_type_unknown", "§ 9, nr. 1", Input,
        "Sagstypen findes ikke i kodelisten.",
        "The case type is not in the code list.";
    S9_1_SUPPORT_REQUIRED = "fdg.s9.nr1.support_required", "§ 9, nr. 1", Input,
        "Forsørgelse (ydelseskategori) skal angives (stamdata).",
        "The means of support (benefit category) must be given (master data).";
    S9_1_SUPPORT_UNKNOWN = "fdg.s9.nr1.support_unknown", "§ 9, nr. 1", Input,
        "Forsørgelsen (ydelseskategori) findes ikke i kodelisten.",
        "The means of support (benefit category) is not in the code list.";
    S9_1_CONSENT_REQUIRED = "fdg.s9.nr1.consent_required", "§ 9, nr. 1", Input,
        "Samtykke til at indhente og til at videregive oplysninger skal angives (ja/nej) med dato for samtykket.",
        "Consent to obtain and to disclose information must be stated (yes/no) with the date of consent.";
    S9_2_DATE_REQUIRED = "fdg.s9.nr2.interview_date_required", "§ 9, nr. 2", Input,
        "Dato for afholdt kontaktsamtale skal angives.",
        "The date the contact interview was held must be given.";
    S9_2_TYPE_REQUIRED = "fdg.s9.nr2.interview_type_required", "§ 9, nr. 2", Input,
        "Samtaletype (første eller efterfølgende kontaktsamtale) skal angives.",
        "The interview type (first or subsequent contact interview) must be given.";
    S9_2_TYPE_UNKNOWN = "fdg.s9.nr2.interview_type_unknown", "§ 9, nr. 2", Input,
        "Samtaletypen findes ikke i kodelisten.",
        "The interview type is not in the code list.";
    S9_2_FIRST_INTERVIEW_ONCE = "fdg.s9.nr2.first_interview_once", "§ 9, nr. 2", Input,
        "Personen har allerede haft sin første kontaktsamtale i dette forløb; samtalen er en efterfølgende kontaktsamtale.",
        "The person has already had the first contact interview of this course; this interview is a subsequent one.";
    S9_3_CONTACT_FORM_REQUIRED = "fdg.s9.nr3.contact_form_required", "§ 9, nr. 3", Input,
        "Kontaktform skal angives.",
        "The contact form must be given.";
    S9_3_CONTACT_FORM_UNKNOWN = "fdg.s9.nr3.contact_form_unknown", "§ 9, nr. 3", Input,
        "Kontaktformen findes ikke i kodelisten.",
        "The contact form is not in the code list.";
    S9_4_AREA_UNKNOWN = "fdg.s9.nr4.attention_area_unknown", "§ 9, nr. 4", Input,
        "Opmærksomhedsområdet er ikke et af dialogguidens fem områder.",
        "The attention area is not one of the dialogue guide's five areas.";
    S9_4_NOTE_EMPTY = "fdg.s9.nr4.attention_note_empty", "§ 9, nr. 4", Input,
        "Der registreres kun for opmærksomhedsområder, hvor det er relevant: en tom bemærkning skal udelades.",
        "Record only the attention areas that are relevant: leave out an empty note.";
    S9_6_MATCH_REQUIRED = "fdg.s9.nr6.match_category_required", "§ 9, nr. 6; § 3, stk. 2", Input,
        "Matchkategori (vurdering af beskæftigelsespotentiale) skal angives.",
        "The match category (assessment of employability) must be given.";
    S9_6_MATCH_UNKNOWN = "fdg.s9.nr6.match_category_unknown", "§ 9, nr. 6", Input,
        "Matchkategorien skal være 1–5.",
        "The match category must be 1–5.";
    S9_7_DECISIVE_REQUIRED = "fdg.s9.nr7.decisive_areas_required", "§ 8, stk. 3; § 9, nr. 7", Input,
        "Ved første henvendelse skal de udslagsgivende opmærksomhedsområder angives, når personen ikke er vurderet som umiddelbar match.",
        "At the first contact, the decisive attention areas must be given when the person is not assessed as an immediate match.";
    S9_7_DECISIVE_NOT_ALLOWED = "fdg.s9.nr7.decisive_areas_only_when_not_immediate", "§ 9, nr. 7", Input,
        "Udslagsgivende opmærksomhedsområder angives kun, når personen ikke er umiddelbar match (kategori 1).",
        "Decisive attention areas are given only when the person is not an immediate match (category 1).";
    S9_7_AREA_UNKNOWN = "fdg.s9.nr7.decisive_area_unknown", "§ 9, nr. 7", Input,
        "Det udslagsgivende område er ikke et af dialogguidens fem områder.",
        "The decisive area is not one of the dialogue guide's five areas.";
    S9_8_REASON_UNKNOWN = "fdg.s9.nr8.frequent_contact_reason_unknown", "§ 9, nr. 8", Input,
        "Årsagen til hyppigere kontakt findes ikke i kodelisten.",
        "The reason for more frequent contact is not in the code list.";
    S9_9_REASON_UNKNOWN = "fdg.s9.nr9.exemption_reason_unknown", "§ 9, nr. 9", Input,
        "Årsagen til fritagelse for registrering findes ikke i kodelisten.",
        "The reason for exemption from registration is not in the code list.";
    S9_11_FURTHER_COURSE_REQUIRED = "fdg.s9.nr11.further_course_required", "§ 9, nr. 11", Input,
        "Det videre forløb skal angives ved registrering af en kontaktsamtale.",
        "The further course must be given when recording a contact interview.";
    S2_4_NOT_COVERED = "fdg.s2.4.person_not_covered", "§ 2, stk. 4–5", Input,
        "Kontaktforløbet registreres for personer, der er registreret som arbejdssøgende eller modtager kontant- eller starthjælp; personen er ingen af delene.",
        "The contact course is recorded for persons registered as job seekers or receiving cash or start benefit; the person is neither.";
    S2_4_ACTOR = "fdg.s2.interview_actor", "§ 2, stk. 4–5", Permission,
        "Kun staten, kommunen og andre aktører i jobcenteret registrerer kontaktsamtaler.",
        "Only the state, the municipality and other actors of the job centre record contact interviews.";

    // § 2, stk. 5: other actors record for the persons a job centre has assigned to them.
    S2_5_ACTOR_CVR = "fdg.s2.5.other_actor_cvr", "§ 2, stk. 5", Input,
        "Den anden aktørs CVR-nummer (8 cifre) skal angives.",
        "The other actor's CVR number (8 digits) must be given.";
    S2_5_FROM_REQUIRED = "fdg.s2.5.assignment_from_required", "§ 2, stk. 5", Input,
        "Startdato for henvisningen til den anden aktør skal angives.",
        "The start date of the assignment to the other actor must be given.";
    S2_5_END_BEFORE_START = "fdg.s2.5.assignment_end_before_start", "§ 2, stk. 5", Input,
        "Henvisningens slutdato ligger før startdatoen.",
        "The assignment's end date is before its start date.";
    S2_5_ASSIGNMENT_ACTOR = "fdg.s2.5.assignment_actor", "§ 2, stk. 5", Permission,
        "Kun jobcenteret (staten eller kommunen) henviser personer til andre aktører.",
        "Only the job centre (state or municipality) assigns persons to other actors.";

    // Corrections: a correction never overwrites; it names the fact and why (§ 1, nr. 1: data reused by all must be reliable).
    CORRECTION_REASON_REQUIRED = "fdg.correction.reason_required", "§ 1, nr. 1", Input,
        "En rettelse skal begrundes.",
        "A correction must state its reason.";
    CORRECTION_NOT_FOUND = "fdg.correction.fact_not_found", "§ 1, nr. 1", Input,
        "Oplysningen, der skal rettes, findes ikke.",
        "The fact to be corrected does not exist.";
    CORRECTION_ALREADY_ANNULLED = "fdg.correction.already_annulled", "§ 1, nr. 1", Input,
        "Oplysningen er allerede annulleret eller rettet.",
        "The fact has already been annulled or corrected.";
    CORRECTION_WRONG_TYPE = "fdg.correction.replacement_type", "§ 1, nr. 1", Input,
        "Erstatningen skal være af samme slags som den oplysning, der rettes, og gælde samme person.",
        "The replacement must be of the same kind as the fact it corrects, and concern the same person.";
    CORRECTION_BREAKS_TIMELINE = "fdg.correction.breaks_timeline", "§ 8, stk. 2; § 8, stk. 5", Input,
        "Rettelsen ville efterlade personens forløb selvmodsigende (fx en afmelding uden registrering eller overlappende forhold).",
        "The correction would leave the person's history contradictory (e.g. a deregistration without a registration, or overlapping conditions).";
    CORRECTION_ACTOR = "fdg.correction.actor", "§ 1, nr. 1; § 7", Permission,
        "Organisationen må ikke registrere denne slags oplysning og kan derfor heller ikke rette den.",
        "The organisation may not record this kind of fact and so may not correct it either.";
}

/// Looks a rule up by id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().find(|r| r.id == id)
}

/// A broken rule, with the request field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule that is broken (or, for warnings, remarked).
    pub rule: &'static Rule,
    /// JSON path of the offending field, e.g. `job_titles[1]`, when there is one.
    pub field: Option<String>,
}

impl Violation {
    /// A violation of `rule` concerning `field`.
    pub fn new(rule: &'static Rule, field: impl Into<String>) -> Self {
        Violation {
            rule,
            field: Some(field.into()),
        }
    }

    /// A violation of `rule` concerning the request as a whole.
    pub fn whole(rule: &'static Rule) -> Self {
        Violation { rule, field: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule id");
        for r in ALL {
            assert!(r.id.starts_with("fdg."), "{}", r.id);
            assert!(r.provision.starts_with('§'), "{}", r.id);
            assert!(!r.message_da.is_empty() && !r.message_en.is_empty());
        }
    }
}
