//! The legal baseline: which rule set a record is decided by. A rule set has a name, the
//! legal text it implements and a validity period, and is chosen by the **business date** of
//! each record (the registration, contact or start date it carries), never by the day it is
//! sent — so a record dated before a new order took effect is decided by the old one. What
//! differs between rule sets is in [`RuleSet`]'s fields, which the rules read; a new order
//! adds a rule set with a later `valid_from` instead of changing the rules in place.
//!
//! fdg implements one: [`BEK_2007`], *Bekendtgørelse om det fælles datagrundlag*, in force
//! 1 January 2007 (§ 14). Its successors (e.g. BEK 442/2023, and the legislation from
//! 2026–2027) are not implemented; `docs/compliance.md` says what that means.

use jiff::civil::{Date, date};
use serde::Serialize;

/// A rule set: the rules of one legal text, for records dated in its validity period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleSet {
    /// Stable id, e.g. `bek-2007`.
    pub id: &'static str,
    /// The legal text, in Danish as published.
    pub name: &'static str,
    /// First business date it decides (inclusive).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub valid_from: Date,
    /// Last business date it decides (inclusive); `None` while in force.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub valid_to: Option<Date>,
    /// § 6: an insured unemployed person registered without a match category, who has none,
    /// is in straksmatch — the category the match category list marks `immediate`
    /// ([`crate::codes::Attribute::Immediate`]). `false` when the rule set has no such default.
    pub insured_default_immediate: bool,
}

/// *Bekendtgørelse om det fælles datagrundlag ved registrering og afmelding som arbejdssøgende
/// hos staten i jobcenteret og ved det individuelle kontaktforløb hos kommunen og staten i
/// jobcenteret*, in force 1 January 2007 (§ 14, stk. 1).
pub const BEK_2007: RuleSet = RuleSet {
    id: "bek-2007",
    name: "Bekendtgørelse om det fælles datagrundlag (i kraft 1. januar 2007)",
    valid_from: date(2007, 1, 1),
    valid_to: None,
    insured_default_immediate: true,
};

/// The rule sets this build implements, oldest first.
pub const SHIPPED: &[RuleSet] = &[BEK_2007];

/// The rule set in force on `day` among `sets` (oldest first): the latest whose period covers
/// it. `None` before the first — a record dated before 1 January 2007 is decided by the
/// first rule set, which is what [`for_day`] gives.
pub fn in_force(sets: &[RuleSet], day: Date) -> Option<&RuleSet> {
    sets.iter()
        .rev()
        .find(|s| s.valid_from <= day && s.valid_to.is_none_or(|t| day <= t))
}

/// The rule set a record dated `day` is decided by: the one in force then, or for a day before
/// every rule set's start (history older than the registry), the first.
///
/// # Panics
/// Never for a non-empty `sets`; `SHIPPED` is not empty.
pub fn for_day(sets: &[RuleSet], day: Date) -> &RuleSet {
    in_force(sets, day)
        .or_else(|| sets.first())
        .unwrap_or(&BEK_2007)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_set_is_chosen_by_the_business_date() {
        let later = RuleSet {
            id: "made-up-2027",
            name: "A made-up later order",
            valid_from: date(2027, 7, 1),
            valid_to: None,
            insured_default_immediate: false,
        };
        let mut first = BEK_2007;
        first.valid_to = Some(date(2027, 6, 30));
        let sets = [first, later];
        assert_eq!(for_day(&sets, date(2027, 6, 30)).id, "bek-2007");
        assert_eq!(for_day(&sets, date(2027, 7, 1)).id, "made-up-2027");
        assert_eq!(for_day(&sets, date(2001, 1, 1)).id, "bek-2007");
        assert_eq!(in_force(&sets, date(2001, 1, 1)), None);
        assert_eq!(for_day(SHIPPED, date(2026, 12, 4)).id, "bek-2007");
    }
}
