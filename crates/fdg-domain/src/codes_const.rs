//! The few codes the rules themselves refer to. Labels live in the code lists; only these
//! meanings are fixed in code, each with the provision that gives it meaning.

/// Benefit category for insured unemployed (target group 1, § 6; § 8, stk. 1, nr. 7).
pub const A_DAGPENGE: &str = "a_dagpenge";
/// Benefit categories that make a person a cash or start benefit recipient (§ 3, § 4, stk. 1).
pub const CASH_BENEFITS: [&str; 2] = ["kontanthjaelp", "starthjaelp"];
/// Case types of a cash or start benefit case (§ 3, stk. 1).
pub const CASH_CASE_TYPES: [&str; 2] = ["kontanthjaelp", "starthjaelp"];
/// Degree of unemployment "partly" (§ 8, stk. 1, nr. 5): hours per week required.
pub const PARTLY_UNEMPLOYED: &str = "delvis";
/// Periodic condition kind "exemption from availability" (§ 5).
pub const EXEMPT_AVAILABILITY: &str = "fritagelse_raadighed";
/// Deregistration reason when the benefit is no longer received solely because of unemployment (§ 5).
pub const REASON_NOT_ONLY_UNEMPLOYMENT: &str = "ikke_alene_ledighed";
/// Deregistration reason when exempted from availability (§ 5).
pub const REASON_EXEMPTED: &str = "fritaget_raadighed";
/// Interview type "first contact interview" (§ 9, nr. 2), the default at first contact.
pub const FIRST_INTERVIEW: &str = "foerste";

/// Whether a benefit category is cash or start benefit.
pub fn is_cash_benefit(category: &str) -> bool {
    CASH_BENEFITS.contains(&category)
}
