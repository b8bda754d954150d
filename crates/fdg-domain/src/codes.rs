//! Code lists (kodelister) as versioned data.
//!
//! Every list is a CSV file shipped in `crates/fdg-domain/codes/` with the header
//! `code,label_da,label_en,valid_from,valid_to` (an empty `valid_to` means still valid),
//! optionally followed by a sixth column `attributes`: the meanings the rules read from a code
//! ([`Attribute`], space-separated), so that a replaced list changes behaviour where it should
//! instead of the rules holding code numbers. The files are compiled into the binary as
//! defaults; a deployment may replace a list with its own file (for example the full official
//! occupation table) through [`CodeLists::replace_from_csv`] — the caller reads the file, this
//! module only parses text.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

/// The code lists the rules refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ListName {
    /// Matchkategori 1–5 (§ 9, nr. 6).
    MatchCategory,
    /// Målgruppe, lov om en aktiv beskæftigelsesindsats § 2, nr. 1–3.
    TargetGroup,
    /// Sagstype (§ 9, nr. 1).
    CaseType,
    /// Ydelseskategori (§ 8, stk. 1, nr. 4).
    BenefitCategory,
    /// Ledighedsgrad (§ 8, stk. 1, nr. 5).
    UnemploymentDegree,
    /// Kontaktform (§ 9, nr. 3).
    ContactForm,
    /// Samtaletype (§ 9, nr. 2).
    InterviewType,
    /// Dialogguidens fem opmærksomhedsområder (§ 9, nr. 4 and 7).
    AttentionArea,
    /// Årsag til afmelding (§ 8, stk. 2, nr. 4).
    DeregistrationReason,
    /// Periodisk forhold (§ 4, stk. 3, § 8, stk. 5).
    PeriodicConditionKind,
    /// Årsag til hyppigere kontakt (§ 9, nr. 8).
    FrequentContactReason,
    /// Årsag til fritagelse for registrering (§ 9, nr. 9).
    ExemptionReason,
    /// Kommunekode, the 98 municipalities from 1 January 2007.
    Municipality,
    /// A-kasse (§ 8, stk. 1, nr. 7).
    UnemploymentFund,
    /// Stillingsbetegnelse, DISCO occupation codes (§ 8, stk. 1, nr. 6).
    Occupation,
}

/// Where a code list's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The source, in a sentence.
    pub source: &'static str,
    /// The values are stand-ins (codes of fdg's own where an authority's list is needed).
    pub synthetic: bool,
}

/// A meaning a code carries that a rule reads. Each belongs to one list; a code's attributes
/// are the same in every validity period of the code (the parser refuses otherwise), so the
/// meaning of a recorded code never depends on which period is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Attribute {
    /// Match category: the person is matched "alene pga. ledighed" — ready for a job, so a
    /// cash or start benefit recipient in it is registered as a job seeker (§ 4, stk. 1) and
    /// one outside it is deregistered (§ 5). Categories 1–3 in the shipped list.
    OnlyUnemployment,
    /// Match category: "straksmatch", the category an insured unemployed person without one
    /// gets at registration (§ 6). Category 1 in the shipped list.
    Immediate,
}

impl Attribute {
    /// Every attribute.
    pub const ALL: [Attribute; 2] = [Attribute::OnlyUnemployment, Attribute::Immediate];

    /// The name used in the CSV files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::OnlyUnemployment => "only_unemployment",
            Attribute::Immediate => "immediate",
        }
    }

    /// The list whose codes may carry it.
    pub fn list(self) -> ListName {
        match self {
            Attribute::OnlyUnemployment | Attribute::Immediate => ListName::MatchCategory,
        }
    }

    fn from_name(name: &str) -> Option<Attribute> {
        Attribute::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// A set of match categories (codes 0–255, as recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategorySet([u64; 4]);

impl CategorySet {
    /// The set of the given categories.
    pub const fn of(categories: &[u8]) -> CategorySet {
        let mut bits = [0u64; 4];
        let mut i = 0;
        while i < categories.len() {
            let c = categories[i];
            bits[(c / 64) as usize] |= 1 << (c % 64);
            i += 1;
        }
        CategorySet(bits)
    }

    /// Whether `category` is in the set.
    pub const fn contains(&self, category: u8) -> bool {
        self.0[(category / 64) as usize] & (1 << (category % 64)) != 0
    }

    fn insert(&mut self, category: u8) {
        self.0[(category / 64) as usize] |= 1 << (category % 64);
    }

    /// The categories, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(|c| self.contains(*c))
    }
}

impl Serialize for CategorySet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// What the match categories mean to the rules, read from the match category list's
/// attributes: which are "alene pga. ledighed" (§ 4, stk. 1, § 5) and which is straksmatch
/// (§ 6). Small and `Copy`, so the supervision parameters and the person's state can carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MatchMeaning {
    /// Categories with [`Attribute::OnlyUnemployment`].
    pub only_unemployment: CategorySet,
    /// Categories with [`Attribute::Immediate`].
    pub immediate: CategorySet,
}

impl MatchMeaning {
    /// The meaning of the shipped match category list (1–3 only because of unemployment,
    /// 1 straksmatch); a test keeps it equal to what the shipped file says.
    pub const SHIPPED: MatchMeaning = MatchMeaning {
        only_unemployment: CategorySet::of(&[1, 2, 3]),
        immediate: CategorySet::of(&[1]),
    };

    /// Whether a person in `category` is matched only because of unemployment (§ 4, stk. 1).
    pub fn only_unemployment(&self, category: u8) -> bool {
        self.only_unemployment.contains(category)
    }

    /// The straksmatch category (§ 6): the lowest with [`Attribute::Immediate`], if any.
    pub fn immediate(&self) -> Option<u8> {
        self.immediate.iter().next()
    }
}

impl Default for MatchMeaning {
    fn default() -> Self {
        MatchMeaning::SHIPPED
    }
}

impl ListName {
    /// Every list, in a stable order.
    pub const ALL: [ListName; 15] = [
        ListName::MatchCategory,
        ListName::TargetGroup,
        ListName::CaseType,
        ListName::BenefitCategory,
        ListName::UnemploymentDegree,
        ListName::ContactForm,
        ListName::InterviewType,
        ListName::AttentionArea,
        ListName::DeregistrationReason,
        ListName::PeriodicConditionKind,
        ListName::FrequentContactReason,
        ListName::ExemptionReason,
        ListName::Municipality,
        ListName::UnemploymentFund,
        ListName::Occupation,
    ];

    /// The snake_case name used in files, the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ListName::MatchCategory => "match_category",
            ListName::TargetGroup => "target_group",
            ListName::CaseType => "case_type",
            ListName::BenefitCategory => "benefit_category",
            ListName::UnemploymentDegree => "unemployment_degree",
            ListName::ContactForm => "contact_form",
            ListName::InterviewType => "interview_type",
            ListName::AttentionArea => "attention_area",
            ListName::DeregistrationReason => "deregistration_reason",
            ListName::PeriodicConditionKind => "periodic_condition_kind",
            ListName::FrequentContactReason => "frequent_contact_reason",
            ListName::ExemptionReason => "exemption_reason",
            ListName::Municipality => "municipality",
            ListName::UnemploymentFund => "unemployment_fund",
            ListName::Occupation => "occupation",
        }
    }

    /// Where the shipped list's values come from, and whether they are synthetic (stand-ins a
    /// deployment must replace with the authority's list before production).
    pub fn provenance(self) -> Provenance {
        let (source, synthetic) = match self {
            ListName::MatchCategory => (
                "the five match categories of the contact course (LAB; § 6, § 9, nr. 6)",
                false,
            ),
            ListName::TargetGroup => ("LAB § 2, nr. 1–3, as the order uses them", false),
            ListName::Municipality => (
                "the 98 municipality codes in force from 1 January 2007",
                false,
            ),
            ListName::Occupation => (
                "a subset of DISCO-88 (to 2010) and DISCO-08 (from 2011) occupation codes",
                false,
            ),
            ListName::UnemploymentFund => (
                "the names of unemployment funds; the three-digit numbers are fdg's own, not the funds' official numbers",
                true,
            ),
            ListName::BenefitCategory
            | ListName::CaseType
            | ListName::UnemploymentDegree
            | ListName::ContactForm
            | ListName::InterviewType
            | ListName::AttentionArea
            | ListName::DeregistrationReason
            | ListName::PeriodicConditionKind
            | ListName::FrequentContactReason
            | ListName::ExemptionReason => (
                "fdg's codes for the values the order names or implies (§§ 4–9); not the incumbent's code values, which are not published with the order",
                true,
            ),
        };
        Provenance { source, synthetic }
    }

    /// Looks a list up by its snake_case name.
    pub fn from_name(name: &str) -> Option<ListName> {
        ListName::ALL.into_iter().find(|l| l.as_str() == name)
    }

    fn default_csv(self) -> &'static str {
        match self {
            ListName::MatchCategory => include_str!("../codes/match_category.csv"),
            ListName::TargetGroup => include_str!("../codes/target_group.csv"),
            ListName::CaseType => include_str!("../codes/case_type.csv"),
            ListName::BenefitCategory => include_str!("../codes/benefit_category.csv"),
            ListName::UnemploymentDegree => include_str!("../codes/unemployment_degree.csv"),
            ListName::ContactForm => include_str!("../codes/contact_form.csv"),
            ListName::InterviewType => include_str!("../codes/interview_type.csv"),
            ListName::AttentionArea => include_str!("../codes/attention_area.csv"),
            ListName::DeregistrationReason => include_str!("../codes/deregistration_reason.csv"),
            ListName::PeriodicConditionKind => {
                include_str!("../codes/periodic_condition_kind.csv")
            }
            ListName::FrequentContactReason => {
                include_str!("../codes/frequent_contact_reason.csv")
            }
            ListName::ExemptionReason => include_str!("../codes/exemption_reason.csv"),
            ListName::Municipality => include_str!("../codes/municipality.csv"),
            ListName::UnemploymentFund => include_str!("../codes/unemployment_fund.csv"),
            ListName::Occupation => include_str!("../codes/occupation.csv"),
        }
    }
}

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One code with its labels and validity period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeEntry {
    /// The code as stored and sent over the API.
    pub code: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// First day the code may be used.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: Date,
    /// Last day the code may be used; `None` while still valid.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
    /// The meanings the rules read from this code (empty for most codes).
    pub attributes: Vec<Attribute>,
}

impl CodeEntry {
    /// Whether the code may be used for a fact dated `on`.
    pub fn valid_on(&self, on: Date) -> bool {
        self.valid_from <= on && self.valid_to.is_none_or(|to| on <= to)
    }
}

/// A CSV file that is not a valid code list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeListError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CodeListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CodeListError {}

/// All code lists in force in this deployment.
#[derive(Debug, Clone)]
pub struct CodeLists {
    lists: BTreeMap<ListName, Vec<CodeEntry>>,
    /// What the match categories mean, derived from the list once when it is read (every
    /// command reads it).
    meaning: MatchMeaning,
}

impl CodeLists {
    /// The lists shipped with fdg.
    pub fn shipped() -> Self {
        let mut lists = BTreeMap::new();
        for name in ListName::ALL {
            let entries = parse_csv(name, name.default_csv())
                .unwrap_or_else(|e| panic!("shipped code list {name} is broken: {e}"));
            lists.insert(name, entries);
        }
        let mut codes = CodeLists {
            lists,
            meaning: MatchMeaning::SHIPPED,
        };
        codes.meaning = codes.derive_match_meaning();
        codes
    }

    /// Replaces one list with the entries of a CSV text (same header as the shipped files).
    /// What its attributes say replaces what the old list's said: a match category list
    /// without `only_unemployment` on a code means no one in that category is registered
    /// because of § 4, stk. 1.
    pub fn replace_from_csv(&mut self, name: ListName, csv: &str) -> Result<usize, CodeListError> {
        let entries = parse_csv(name, csv)?;
        let n = entries.len();
        self.lists.insert(name, entries);
        self.meaning = self.derive_match_meaning();
        Ok(n)
    }

    /// The entries of a list.
    pub fn entries(&self, name: ListName) -> &[CodeEntry] {
        self.lists.get(&name).map_or(&[], Vec::as_slice)
    }

    /// The entry for a code valid on `on`, or else the latest entry for that code.
    pub fn get(&self, name: ListName, code: &str, on: Date) -> Option<&CodeEntry> {
        let matching = || self.entries(name).iter().filter(move |e| e.code == code);
        matching()
            .find(|e| e.valid_on(on))
            .or_else(|| matching().max_by_key(|e| e.valid_from))
    }

    /// What the match categories mean to the rules, from the match category list's attributes.
    pub fn match_meaning(&self) -> MatchMeaning {
        self.meaning
    }

    fn derive_match_meaning(&self) -> MatchMeaning {
        let mut m = MatchMeaning {
            only_unemployment: CategorySet::default(),
            immediate: CategorySet::default(),
        };
        for e in self.entries(ListName::MatchCategory) {
            // The parser keeps only codes that are numbers 0–255 in this list.
            let Ok(c) = e.code.parse::<u8>() else {
                continue;
            };
            for a in &e.attributes {
                match a {
                    Attribute::OnlyUnemployment => m.only_unemployment.insert(c),
                    Attribute::Immediate => m.immediate.insert(c),
                }
            }
        }
        m
    }

    /// Whether `code` is in the list and valid on `on`.
    pub fn is_valid(&self, name: ListName, code: &str, on: Date) -> bool {
        self.entries(name)
            .iter()
            .any(|e| e.code == code && e.valid_on(on))
    }
}

/// Splits one CSV line into fields (RFC 4180 quoting, no embedded newlines).
pub fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (false, '"') if cur.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("unterminated quote".into());
    }
    fields.push(cur);
    Ok(fields)
}

fn parse_csv(list: ListName, text: &str) -> Result<Vec<CodeEntry>, CodeListError> {
    const HEADER: &str = "code,label_da,label_en,valid_from,valid_to";
    let mut lines = text.lines().enumerate();
    let header = lines
        .next()
        .map(|(_, l)| l.trim_start_matches('\u{feff}').trim());
    let fields = match header {
        Some(HEADER) => 5,
        Some(h) if h.strip_prefix(HEADER) == Some(",attributes") => 6,
        _ => {
            return Err(CodeListError {
                line: 1,
                message: format!("header must be {HEADER} (optionally ,attributes)"),
            });
        }
    };
    let mut out: Vec<CodeEntry> = Vec::new();
    for (i, raw) in lines {
        let line_no = i + 1;
        let err = |message: String| CodeListError {
            line: line_no,
            message,
        };
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let f = split_csv_line(line).map_err(err)?;
        if f.len() != fields {
            return Err(err(format!("expected {fields} fields, found {}", f.len())));
        }
        let date = |s: &str| -> Result<Date, CodeListError> {
            s.trim()
                .parse::<Date>()
                .map_err(|_| err(format!("not a date: {s:?}")))
        };
        let code = f[0].trim().to_owned();
        if code.is_empty() {
            return Err(err("empty code".into()));
        }
        // Match categories are recorded as numbers (§ 9, nr. 6).
        if list == ListName::MatchCategory && code.parse::<u8>().is_err() {
            return Err(err(format!(
                "a match category is a number from 0 to 255, not {code:?}"
            )));
        }
        let mut attributes = Vec::new();
        for name in f.get(5).map_or("", |a| a.as_str()).split_whitespace() {
            let a = Attribute::from_name(name)
                .ok_or_else(|| err(format!("unknown attribute {name:?}")))?;
            if a.list() != list {
                return Err(err(format!(
                    "attribute {name:?} belongs to the list {}, not {list}",
                    a.list()
                )));
            }
            if !attributes.contains(&a) {
                attributes.push(a);
            }
        }
        attributes.sort();
        let valid_from = date(&f[3])?;
        let valid_to = if f[4].trim().is_empty() {
            None
        } else {
            Some(date(&f[4])?)
        };
        if valid_to.is_some_and(|to| to < valid_from) {
            return Err(err("valid_to is before valid_from".into()));
        }
        // A code may be reused by a later version of the list (e.g. DISCO-88 -> DISCO-08),
        // but never with overlapping validity.
        let overlaps = |e: &CodeEntry| {
            e.code == code
                && e.valid_from <= valid_to.unwrap_or(Date::MAX)
                && valid_from <= e.valid_to.unwrap_or(Date::MAX)
        };
        if out.iter().any(overlaps) {
            return Err(err(format!(
                "code {code:?} appears twice with overlapping validity"
            )));
        }
        if out
            .iter()
            .any(|e| e.code == code && e.attributes != attributes)
        {
            return Err(err(format!(
                "code {code:?} has other attributes in another validity period; a code keeps its meaning"
            )));
        }
        out.push(CodeEntry {
            code,
            label_da: f[1].trim().to_owned(),
            label_en: f[2].trim().to_owned(),
            valid_from,
            valid_to,
            attributes,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_list_says_where_it_comes_from_as_docs_compliance_md_has_it() {
        let doc = include_str!("../../../docs/compliance.md");
        for list in ListName::ALL {
            let p = list.provenance();
            assert!(!p.source.is_empty(), "{}", list.as_str());
            let row = format!(
                "| `{}` | {} | {} |",
                list.as_str(),
                p.source,
                if p.synthetic { "yes" } else { "no" }
            );
            assert!(
                doc.contains(&row),
                "docs/compliance.md lacks the row\n{row}"
            );
        }
    }

    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn shipped_lists_load_and_have_entries() {
        let c = CodeLists::shipped();
        for name in ListName::ALL {
            assert!(!c.entries(name).is_empty(), "{name} is empty");
        }
        assert_eq!(c.entries(ListName::Municipality).len(), 98);
        assert_eq!(c.entries(ListName::AttentionArea).len(), 5);
        assert!(c.is_valid(ListName::Municipality, "101", d("2007-06-01")));
        assert!(!c.is_valid(ListName::Municipality, "101", d("2006-12-31")));
    }

    #[test]
    fn replacing_a_list_from_csv() {
        let mut c = CodeLists::shipped();
        let n = c
            .replace_from_csv(
                ListName::Occupation,
                "code,label_da,label_en,valid_from,valid_to\n\"2512\",\"Softwareudvikler, senior\",Software developer,2010-01-01,\n",
            )
            .expect("valid csv");
        assert_eq!(n, 1);
        let e = c
            .get(ListName::Occupation, "2512", d("2012-01-01"))
            .expect("present");
        assert_eq!(e.label_da, "Softwareudvikler, senior");
        assert!(c.is_valid(ListName::Occupation, "2512", d("2011-01-01")));
        assert!(!c.is_valid(ListName::Occupation, "2512", d("2009-01-01")));
    }

    #[test]
    fn bad_csv_names_the_line() {
        let mut c = CodeLists::shipped();
        let e = c
            .replace_from_csv(
                ListName::Occupation,
                "code,label_da,label_en,valid_from,valid_to\n1,a,b,2010-01-01,\n2,a,b,notadate,\n",
            )
            .expect_err("bad date");
        assert_eq!(e.line, 3);
        let e = c
            .replace_from_csv(ListName::Occupation, "x,y\n")
            .expect_err("bad header");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn the_shipped_match_categories_mean_what_the_rules_assumed() {
        let m = CodeLists::shipped().match_meaning();
        assert_eq!(m, MatchMeaning::SHIPPED);
        assert!((1..=3).all(|c| m.only_unemployment(c)));
        assert!(!m.only_unemployment(4) && !m.only_unemployment(5));
        assert_eq!(m.immediate(), Some(1));
        let e = CodeLists::shipped();
        let one = e
            .get(ListName::MatchCategory, "1", d("2026-01-01"))
            .expect("category 1");
        assert_eq!(
            one.attributes,
            [Attribute::OnlyUnemployment, Attribute::Immediate]
        );
    }

    #[test]
    fn attributes_are_checked_when_a_list_is_read() {
        let header = "code,label_da,label_en,valid_from,valid_to,attributes\n";
        let refuse = |list: ListName, rows: &str| {
            CodeLists::shipped()
                .replace_from_csv(list, &format!("{header}{rows}"))
                .expect_err("refused")
                .message
        };
        let m = ListName::MatchCategory;
        assert!(refuse(m, "1,a,b,2005-01-01,,ready\n").contains("unknown attribute"));
        assert!(
            refuse(ListName::Occupation, "2512,a,b,2005-01-01,,immediate\n")
                .contains("belongs to the list match_category")
        );
        assert!(refuse(m, "x,a,b,2005-01-01,,\n").contains("number"));
        assert!(
            refuse(
                m,
                "4,a,b,2005-01-01,2009-12-31,\n4,a,b,2010-01-01,,only_unemployment\n"
            )
            .contains("keeps its meaning")
        );
        // Five fields still read (no attributes), and a sixth needs the header.
        let mut c = CodeLists::shipped();
        c.replace_from_csv(
            m,
            "code,label_da,label_en,valid_from,valid_to\n1,a,b,2005-01-01,\n",
        )
        .expect("five fields");
        assert_eq!(c.match_meaning().immediate(), None);
        assert!(
            c.replace_from_csv(
                m,
                "code,label_da,label_en,valid_from,valid_to\n1,a,b,2005-01-01,,immediate\n"
            )
            .is_err()
        );
    }
}
