//! The words of every page, in Danish and English: one [`Texts`] per language, chosen per
//! request by the language cookie ([`texts`]), Danish by default.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use fdg_domain::ListName;
use jiff::civil::Date;

use crate::AppState;
use crate::edge::session::cookie;

/// The language cookie.
pub const LANG_COOKIE: &str = "fdg_lang";

/// The words of the pages, in one language.
#[derive(Debug)]
pub struct Texts {
    /// `da` or `en`.
    pub lang: &'static str,
    /// The other language's code and name, for the switch.
    pub other_lang: &'static str,
    /// The other language's name, in that language.
    pub other_lang_name: &'static str,
    /// The words of the supervision pages.
    pub supervision: &'static SvTexts,
    /// The words of the worklist page.
    pub worklist: &'static WlTexts,
    /// Application name.
    pub app: &'static str,
    /// Skip link.
    pub skip: &'static str,
    /// Navigation label.
    pub nav: &'static str,
    /// Log out.
    pub logout: &'static str,
    /// Footer.
    pub footer: &'static str,
    /// Login page title.
    pub login_title: &'static str,
    /// Error summary heading.
    pub problem: &'static str,
    /// Username label.
    pub username: &'static str,
    /// Password label.
    pub password: &'static str,
    /// Log in button.
    pub login: &'static str,
    /// The staff identity provider's button.
    pub login_mitid: &'static str,
    /// Wrong login.
    pub login_failed: &'static str,
    /// Locked login.
    pub login_locked: &'static str,
    /// The login form came without its token (expired, or posted from elsewhere).
    pub login_expired: &'static str,
    /// Find page title.
    pub find_title: &'static str,
    /// CPR label.
    pub cpr: &'static str,
    /// CPR hint.
    pub cpr_hint: &'static str,
    /// Why the CPR number is sent in a form.
    pub cpr_privacy: &'static str,
    /// Find button.
    pub find: &'static str,
    /// Nobody found.
    pub not_found: &'static str,
    /// Status heading.
    pub status: &'static str,
    /// Registered label.
    pub registered: &'static str,
    /// Benefit label.
    pub benefit: &'static str,
    /// A registration's cash benefit that has ceased (§ 3, stk. 3).
    pub benefit_ceased: &'static str,
    /// Match category label.
    pub match_category: &'static str,
    /// Open conditions label.
    pub open_conditions: &'static str,
    /// Next interview label.
    pub next_interview: &'static str,
    /// Municipality label.
    pub municipality: &'static str,
    /// Timeline heading.
    pub timeline: &'static str,
    /// History heading.
    pub history: &'static str,
    /// Date column.
    pub date: &'static str,
    /// What column.
    pub what: &'static str,
    /// Recorded-by column.
    pub recorded_by: &'static str,
    /// Yes, since.
    pub yes_since: &'static str,
    /// No.
    pub no: &'static str,
    /// None.
    pub none: &'static str,
    /// Registration period row.
    pub row_registered: &'static str,
    /// Contact row.
    pub row_contact: &'static str,
    /// "required", for screen readers.
    pub required: &'static str,
    /// Link to the registration form.
    pub register_link: &'static str,
    /// Heading over the record forms.
    pub record_heading: &'static str,
    /// Link to the deregistration form.
    pub deregister_link: &'static str,
    /// Link to the form changing a registration's details.
    pub change_registration_link: &'static str,
    /// History row: a registration's details changed.
    pub row_registration_changed: &'static str,
    /// Link to the periodic condition form.
    pub condition_link: &'static str,
    /// Link to the cessation form.
    pub cessation_link: &'static str,
    /// Link that ends a periodic condition.
    pub end_condition: &'static str,
    /// Link that annuls a record.
    pub annul: &'static str,
    /// Link that corrects a record's content.
    pub correct: &'static str,
    /// Link to the first-contact form.
    pub first_contact_link: &'static str,
    /// Link to the other-actor assignment form.
    pub assignment_link: &'static str,
    /// Link to the interview form.
    pub interview_link: &'static str,
    /// Citizen page title.
    pub citizen_title: &'static str,
    /// The identity provider's login button.
    pub citizen_mitid: &'static str,
    /// The citizen's deregistration button.
    pub citizen_deregister_button: &'static str,
    /// What deregistering means.
    pub citizen_deregister_hint: &'static str,
    /// A periodic condition in the citizen's history.
    pub citizen_condition: &'static str,
    /// How citizens log in.
    pub citizen_login_intro: &'static str,
    /// The development login's warning.
    pub citizen_dev_hint: &'static str,
    /// "My registration".
    pub citizen_me: &'static str,
    /// Self-registration heading.
    pub citizen_register: &'static str,
    /// Name field.
    pub citizen_name: &'static str,
    /// Job sought.
    pub citizen_job: &'static str,
    /// More jobs (optional).
    pub citizen_job_more: &'static str,
    /// Degree of unemployment.
    pub citizen_degree: &'static str,
    /// Hours a week, when partly unemployed.
    pub citizen_hours: &'static str,
    /// A-kasse.
    pub citizen_fund: &'static str,
    /// Register button.
    pub citizen_register_button: &'static str,
    /// Access log heading.
    pub citizen_log: &'static str,
    /// Who column.
    pub citizen_who: &'static str,
    /// Why column.
    pub citizen_why: &'static str,
    /// Password page text.
    pub password_title: &'static str,
    /// Password page text.
    pub password_intro: &'static str,
    /// Password page text.
    pub password_new: &'static str,
    /// Password page text.
    pub password_hint: &'static str,
    /// Password page text.
    pub password_repeat: &'static str,
    /// Password page text.
    pub password_save: &'static str,
    /// Password page text.
    pub password_mismatch: &'static str,
    /// Password page text.
    pub password_short: &'static str,
    /// Changing one's password (not a one-time one).
    pub password_intro_change: &'static str,
    /// The current password.
    pub password_current: &'static str,
    /// The current password was wrong.
    pub password_current_wrong: &'static str,
    /// The new password is too easy to guess.
    pub password_weak: &'static str,
    /// Link to the password page.
    pub password_link: &'static str,
    pub admin_title: &'static str,
    pub admin_shown_once: &'static str,
    pub admin_agreements: &'static str,
    pub admin_org: &'static str,
    pub admin_state: &'static str,
    pub admin_change: &'static str,
    pub admin_reason: &'static str,
    pub admin_activate: &'static str,
    pub admin_suspend: &'static str,
    pub admin_reinstate: &'static str,
    pub admin_terminate: &'static str,
    pub admin_new_token: &'static str,
    pub admin_do: &'static str,
    pub admin_new_org: &'static str,
    pub admin_kind: &'static str,
    pub admin_code: &'static str,
    pub admin_with_agreement: &'static str,
    pub admin_create: &'static str,
    pub admin_new_user: &'static str,
    pub admin_role: &'static str,
    pub admin_token_for: &'static str,
    pub admin_password_for: &'static str,
}

/// Danish.
pub const DA: Texts = Texts {
    lang: "da",
    other_lang: "en",
    other_lang_name: "English",
    supervision: &SV_DA,
    worklist: &WL_DA,
    app: "Det Fælles Datagrundlag",
    skip: "Gå til indhold",
    nav: "Hovedmenu",
    logout: "Log ud",
    footer: "Bekendtgørelse om det fælles datagrundlag (2007). Alle opslag logges.",
    login_title: "Log ind",
    problem: "Der er et problem",
    username: "Brugernavn",
    password: "Adgangskode",
    login: "Log ind",
    login_mitid: "Log ind med MitID Erhverv",
    login_failed: "Brugernavnet eller adgangskoden er forkert.",
    login_locked: "For mange mislykkede forsøg. Prøv igen om 15 minutter.",
    login_expired: "Loginformularen var udløbet. Log ind igen.",
    find_title: "Find en person",
    cpr: "CPR-nummer",
    cpr_hint: "10 cifre, fx 010190-1234",
    cpr_privacy: "CPR-nummeret sendes i formularen og står aldrig i adresselinjen eller i logfiler.",
    find: "Find",
    not_found: "Der findes ingen person med dette CPR-nummer, som du har adgang til.",
    status: "Status",
    registered: "Registreret som arbejdssøgende",
    benefit: "Ydelse",
    benefit_ceased: "ophørt",
    match_category: "Matchkategori",
    open_conditions: "Åbne periodiske forhold",
    next_interview: "Næste kontaktsamtale senest",
    municipality: "Kommune",
    timeline: "Forløb",
    history: "Historik",
    date: "Dato",
    what: "Hvad",
    recorded_by: "Registreret af",
    yes_since: "Ja, siden",
    no: "Nej",
    none: "Ingen",
    row_registered: "Registreret",
    row_contact: "Kontakt",
    required: "skal udfyldes",
    register_link: "Registrér en arbejdssøgende (§ 8, stk. 1)",
    record_heading: "Registrér",
    deregister_link: "Afmeld en arbejdssøgende (§ 8, stk. 2)",
    change_registration_link: "Ændr en registrerings oplysninger (§ 8, stk. 1, nr. 4–7)",
    row_registration_changed: "Registrering ændret",
    condition_link: "Periodisk forhold (§ 8, stk. 5)",
    cessation_link: "Ophør af kontant- eller starthjælp (§ 8, stk. 4)",
    end_condition: "Afslut",
    annul: "Annullér",
    correct: "Ret",
    first_contact_link: "Første henvendelse om kontant- eller starthjælp (§ 8, stk. 3)",
    assignment_link: "Overdrag til anden aktør (§ 2, stk. 5)",
    interview_link: "Kontaktsamtale (§ 9)",
    citizen_title: "Min registrering som arbejdssøgende",
    citizen_mitid: "Log ind med MitID",
    citizen_deregister_button: "Afmeld mig som arbejdssøgende",
    citizen_deregister_hint: "Du afmeldes fra i dag. Får du arbejdsløshedsdagpenge, kontanthjælp eller starthjælp, skal du være registreret som arbejdssøgende for at få udbetalt ydelsen.",
    citizen_condition: "Periodisk forhold",
    citizen_login_intro: "Log ind med MitID for at se og ændre din registrering og se, hvem der har set dine oplysninger.",
    citizen_dev_hint: "Udviklings- og demologin: CPR-nummeret bevises ikke. Bruges aldrig i drift.",
    citizen_me: "Min registrering",
    citizen_register: "Registrér dig som arbejdssøgende (§ 4, stk. 2)",
    citizen_name: "Navn",
    citizen_job: "Job du søger",
    citizen_job_more: "Andet job du søger (valgfrit)",
    citizen_degree: "Ledighedsgrad",
    citizen_hours: "Timer om ugen du er ledig (kun ved delvis ledighed)",
    citizen_fund: "Din a-kasse (hvis du er medlem)",
    citizen_register_button: "Registrér mig",
    citizen_log: "Hvem har set mine oplysninger",
    citizen_who: "Hvem",
    citizen_why: "Hvorfor",
    password_title: "Vælg en ny adgangskode",
    password_intro: "Du er logget ind med en engangsadgangskode. Vælg din egen, før du fortsætter.",
    password_new: "Ny adgangskode",
    password_hint: "Mindst 12 tegn.",
    password_repeat: "Gentag adgangskoden",
    password_save: "Gem adgangskoden",
    password_mismatch: "De to adgangskoder er ikke ens.",
    password_short: "Adgangskoden skal have mindst 12 tegn.",
    password_intro_change: "Vælg en ny adgangskode. Dine andre sessioner bliver logget ud.",
    password_current: "Nuværende adgangskode",
    password_current_wrong: "Den nuværende adgangskode er forkert.",
    password_weak: "Adgangskoden er for let at gætte (almindelig, gentagende, fortløbende eller med brugernavnet). Vælg fx nogle tilfældige ord.",
    password_link: "Skift adgangskode",
    admin_title: "Administration",
    admin_shown_once: "Vises kun denne ene gang. Gem den nu.",
    admin_agreements: "Tilslutningsaftaler (§ 10–§ 13)",
    admin_org: "Organisation",
    admin_state: "Tilstand",
    admin_change: "Ændring",
    admin_reason: "Begrundelse",
    admin_activate: "Aktivér (test bestået, § 10)",
    admin_suspend: "Luk adgangen (§ 13)",
    admin_reinstate: "Genåbn",
    admin_terminate: "Ophør",
    admin_new_token: "Nyt adgangstoken",
    admin_do: "Udfør",
    admin_new_org: "Ny organisation",
    admin_kind: "Art",
    admin_code: "Kode (kommunekode, CVR, …)",
    admin_with_agreement: "Med en tilslutningsaftale i test (§ 10)",
    admin_create: "Opret",
    admin_new_user: "Ny bruger",
    admin_role: "Rolle",
    admin_token_for: "Adgangstoken for aftale",
    admin_password_for: "Engangsadgangskode for",
};

/// English.
pub const EN: Texts = Texts {
    lang: "en",
    other_lang: "da",
    other_lang_name: "Dansk",
    supervision: &SV_EN,
    worklist: &WL_EN,
    app: "The Common Data Foundation",
    skip: "Skip to content",
    nav: "Main menu",
    logout: "Log out",
    footer: "Executive order on the common data foundation (2007). Every look-up is logged.",
    login_title: "Log in",
    problem: "There is a problem",
    username: "Username",
    password: "Password",
    login: "Log in",
    login_mitid: "Log in with MitID Erhverv",
    login_failed: "The username or the password is wrong.",
    login_locked: "Too many failed attempts. Try again in 15 minutes.",
    login_expired: "The login form had expired. Please log in again.",
    find_title: "Find a person",
    cpr: "CPR number",
    cpr_hint: "10 digits, e.g. 010190-1234",
    cpr_privacy: "The CPR number is sent in the form and never appears in the address bar or in logs.",
    find: "Find",
    not_found: "There is no person with this CPR number that you may see.",
    status: "Status",
    registered: "Registered as a job seeker",
    benefit: "Benefit",
    benefit_ceased: "ceased",
    match_category: "Match category",
    open_conditions: "Open periodic conditions",
    next_interview: "Next contact interview due",
    municipality: "Municipality",
    timeline: "Timeline",
    history: "History",
    date: "Date",
    what: "What",
    recorded_by: "Recorded by",
    yes_since: "Yes, since",
    no: "No",
    none: "None",
    row_registered: "Registered",
    row_contact: "Contact",
    required: "required",
    register_link: "Register a job seeker (§ 8, stk. 1)",
    record_heading: "Record",
    deregister_link: "Deregister a job seeker (§ 8, stk. 2)",
    change_registration_link: "Change a registration's details (§ 8, stk. 1, nr. 4–7)",
    row_registration_changed: "Registration changed",
    condition_link: "Periodic condition (§ 8, stk. 5)",
    cessation_link: "Cash or start benefit ceased (§ 8, stk. 4)",
    end_condition: "End",
    annul: "Annul",
    correct: "Correct",
    first_contact_link: "First contact about cash or start benefit (§ 8, stk. 3)",
    assignment_link: "Assign to an other actor (§ 2, stk. 5)",
    interview_link: "Contact interview (§ 9)",
    citizen_title: "My registration as a job seeker",
    citizen_mitid: "Log in with MitID",
    citizen_deregister_button: "Deregister me as a job seeker",
    citizen_deregister_hint: "You are deregistered from today. If you receive unemployment benefit, cash benefit or start benefit, you must be registered as a job seeker to be paid.",
    citizen_condition: "Periodic condition",
    citizen_login_intro: "Log in with MitID to see and change your registration and to see who has looked at your data.",
    citizen_dev_hint: "Development and demo login: the CPR number is not proven. Never used in production.",
    citizen_me: "My registration",
    citizen_register: "Register as a job seeker (§ 4, stk. 2)",
    citizen_name: "Name",
    citizen_job: "Job you are looking for",
    citizen_job_more: "Another job you are looking for (optional)",
    citizen_degree: "Degree of unemployment",
    citizen_hours: "Hours a week you are unemployed (only when partly unemployed)",
    citizen_fund: "Your unemployment fund (if you are a member)",
    citizen_register_button: "Register me",
    citizen_log: "Who has looked at my data",
    citizen_who: "Who",
    citizen_why: "Why",
    password_title: "Choose a new password",
    password_intro: "You logged in with a one-time password. Choose your own before you go on.",
    password_new: "New password",
    password_hint: "At least 12 characters.",
    password_repeat: "Repeat the password",
    password_save: "Save the password",
    password_mismatch: "The two passwords differ.",
    password_short: "The password needs at least 12 characters.",
    password_intro_change: "Choose a new password. Your other sessions will be logged out.",
    password_current: "Current password",
    password_current_wrong: "The current password is wrong.",
    password_weak: "The password is too easy to guess (common, repetitive, a sequence or containing your username). Try a few random words.",
    password_link: "Change password",
    admin_title: "Administration",
    admin_shown_once: "Shown this once only. Store it now.",
    admin_agreements: "Connection agreements (§ 10–§ 13)",
    admin_org: "Organisation",
    admin_state: "State",
    admin_change: "Change",
    admin_reason: "Reason",
    admin_activate: "Activate (test passed, § 10)",
    admin_suspend: "Close access (§ 13)",
    admin_reinstate: "Reinstate",
    admin_terminate: "Terminate",
    admin_new_token: "New token",
    admin_do: "Apply",
    admin_new_org: "New organisation",
    admin_kind: "Kind",
    admin_code: "Code (kommunekode, CVR, …)",
    admin_with_agreement: "With a connection agreement in test (§ 10)",
    admin_create: "Create",
    admin_new_user: "New user",
    admin_role: "Role",
    admin_token_for: "Token for agreement",
    admin_password_for: "One-time password for",
};

/// The language of a request: the cookie, else Danish.
pub fn texts(headers: &HeaderMap) -> &'static Texts {
    match cookie(headers, LANG_COOKIE).as_deref() {
        Some("en") => &EN,
        _ => &DA,
    }
}

/// A code's label in the page's language (the code itself if the list does not know it).
pub fn label(state: &AppState, t: &Texts, list: ListName, code: &str, on: Date) -> String {
    match state.codes.get(list, code, on) {
        Some(e) if t.en() => e.label_en.clone(),
        Some(e) => e.label_da.clone(),
        None => code.to_owned(),
    }
}

/// What an audited action means, in words a citizen understands.
pub fn plain_action(action: &str, en: bool) -> &str {
    let (da, en_text) = match action.split_once('.').map_or(action, |(kind, _)| kind) {
        "person" if action == "person.search" => (
            "Slog dig op på dit CPR-nummer",
            "Looked you up by your CPR number",
        ),
        "person" => ("Så dine oplysninger", "Looked at your data"),
        "write" => ("Registrerede oplysninger om dig", "Recorded data about you"),
        "feed" | "webhook" => (
            "Modtog ændringer i dine oplysninger",
            "Received changes in your data",
        ),
        "me" => ("Du så dine egne oplysninger", "You looked at your own data"),
        _ => return action,
    };
    if en { en_text } else { da }
}

/// Why, in the citizen's language where the purpose is one of the service's own.
pub fn plain_purpose(purpose: &str, en: bool) -> String {
    let da = match purpose {
        "case handling" => "Sagsbehandling",
        "registration" => "Registrering",
        "the citizen's own insight" => "Din egen indsigt",
        "self-registration (§ 4, stk. 2)" => "Din egen registrering (§ 4, stk. 2)",
        "self-deregistration" => "Din egen afmelding",
        "reuse of registered data (§ 1, nr. 1)" => {
            "Genbrug af registrerede oplysninger (§ 1, nr. 1)"
        }
        other => other,
    };
    if en { purpose } else { da }.to_owned()
}

impl Texts {
    /// Whether the page is in English.
    pub fn en(&self) -> bool {
        self.lang == "en"
    }
}

/// The words of the supervision pages.
#[derive(Debug)]
pub struct SvTexts {
    /// National title.
    pub national_title: &'static str,
    /// Municipality page title prefix.
    pub municipality_title: &'static str,
    /// Cut-off line.
    pub cutoff: &'static str,
    /// As-of label.
    pub as_of: &'static str,
    /// Position label.
    pub position: &'static str,
    /// Definitions label.
    pub definitions: &'static str,
    /// Input hash label.
    pub input_hash: &'static str,
    /// Key figures heading.
    pub key_figures: &'static str,
    /// Key figures by month heading.
    pub by_month: &'static str,
    /// The municipality column.
    pub municipality: &'static str,
    /// The country.
    pub country: &'static str,
    /// Municipalities heading.
    pub municipalities: &'static str,
    /// Download heading.
    pub download: &'static str,
    /// Small counts note.
    pub small_counts: &'static str,
    /// Indicators heading.
    pub indicators: &'static str,
    /// Counting rule label.
    pub counting: &'static str,
    /// Period form: from.
    pub from: &'static str,
    /// Period form: show.
    pub show: &'static str,
    /// Back to the overview.
    pub back: &'static str,
    /// Month column.
    pub month: &'static str,
    /// Whole country vs. municipality chart caption.
    pub compare: &'static str,
    /// Reproduce hint.
    pub reproduce: &'static str,
}

pub const SV_DA: SvTexts = SvTexts {
    national_title: "Visitationstilsyn — hele landet",
    municipality_title: "Visitationstilsyn",
    cutoff: "Datagrundlag",
    as_of: "opgjort pr.",
    position: "til og med hændelse",
    definitions: "indikatordefinitioner",
    input_hash: "input-hash",
    key_figures: "Nøgletal",
    by_month: "Nøgletal måned for måned",
    municipality: "Kommune",
    country: "Hele landet",
    municipalities: "Kommunerne",
    download: "Hent rapporten",
    small_counts: "Små tal vises som de er. Ingen tal i tilsynet fører til en person, og der vises hverken CPR-numre eller navne.",
    indicators: "Alle indikatorer",
    counting: "Optælling",
    from: "Fra måned",
    show: "Vis",
    back: "Til landsoversigten",
    month: "Måned",
    compare: "kommunen (fuld linje) og hele landet (stiplet)",
    reproduce: "Rapporten kan genskabes fra hændelsesloggen med",
};

pub const SV_EN: SvTexts = SvTexts {
    national_title: "Supervision — the whole country",
    municipality_title: "Supervision",
    cutoff: "Data",
    as_of: "as of",
    position: "up to event",
    definitions: "indicator definitions",
    input_hash: "input hash",
    key_figures: "Key figures",
    by_month: "Key figures month by month",
    municipality: "Municipality",
    country: "Whole country",
    municipalities: "The municipalities",
    download: "Download the report",
    small_counts: "Small numbers are shown as they are. No figure in the supervision leads to a person, and neither CPR numbers nor names are shown.",
    indicators: "Every indicator",
    counting: "Counting rule",
    from: "From month",
    show: "Show",
    back: "To the national overview",
    month: "Month",
    compare: "the municipality (solid line) and the whole country (dashed)",
    reproduce: "The report can be reproduced from the event log with",
};

/// GET /lang/{da|en}: switches the language and goes back.
pub async fn switch_lang(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let lang = if lang == "en" { "en" } else { "da" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned());
    let mut res = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// The words of the worklist page.
#[derive(Debug)]
pub struct WlTexts {
    /// Page title and the link to it.
    pub title: &'static str,
    /// What the page shows.
    pub intro: &'static str,
    /// The horizon field.
    pub within_days: &'static str,
    /// Show button.
    pub show: &'static str,
    /// The lists' headings: interviews due, open first contacts, exemptions.
    pub headings: [&'static str; 3],
    /// The day column of each list.
    pub day_columns: [&'static str; 3],
    /// The days column.
    pub days_from_today: &'static str,
    /// An empty list.
    pub empty: &'static str,
    /// A list holding more than shown.
    pub more: &'static str,
    /// Overdue by (days).
    pub overdue: &'static str,
    /// An organisation without a worklist.
    pub none_for_org: &'static str,
}

/// Danish.
pub const WL_DA: WlTexts = WlTexts {
    title: "Arbejdsliste",
    intro: "Personer med samtaler, der er overskredet eller forfalder, åbne første kontakter uden tilmelding, og fritagelser for rådighed, der snart træder i kraft. Kun personer, din organisation har adgang til; opslaget logges.",
    within_days: "Inden for antal dage",
    show: "Vis",
    headings: [
        "Kontaktsamtaler, der forfalder (§ 9, kontaktforløbet)",
        "Åbne sager om kontant- eller starthjælp uden tilmelding (§ 3, § 4, stk. 1)",
        "Fritagelser for rådighed, der træder i kraft (§ 5)",
    ],
    day_columns: ["Forfalder", "Åben siden", "Træder i kraft"],
    days_from_today: "Dage fra i dag",
    empty: "Ingen.",
    more: "Der er flere end vist.",
    overdue: "overskredet",
    none_for_org: "Arbejdslisten er jobcentrenes og de andre aktørers.",
};

/// English.
pub const WL_EN: WlTexts = WlTexts {
    title: "Worklist",
    intro: "Persons whose contact interview is overdue or due, open first contacts without a registration, and exemptions from availability about to take effect. Only persons your organisation may see; the lookup is logged.",
    within_days: "Within days",
    show: "Show",
    headings: [
        "Contact interviews due (§ 9, the contact course)",
        "Open cash or start benefit cases without a registration (§ 3, § 4, stk. 1)",
        "Exemptions from availability taking effect (§ 5)",
    ],
    day_columns: ["Due", "Open since", "Takes effect"],
    days_from_today: "Days from today",
    empty: "None.",
    more: "There are more than shown.",
    overdue: "overdue",
    none_for_org: "The worklist is the job centres' and the other actors'.",
};
