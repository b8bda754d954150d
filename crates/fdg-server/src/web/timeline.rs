//! The person page's timeline, as inline SVG readable without JavaScript.

use fdg_domain::ListName;
use fdg_domain::view::PersonOverview;
use jiff::civil::Date;

use crate::AppState;
use crate::web::i18n::Texts;
use crate::web::i18n::label;

/// The person's history drawn as an inline SVG: registration periods, periodic conditions (one
/// row per kind), first contacts and interviews, and match-category changes. Every shape has a
/// `<title>`, so screen readers and tooltips tell what it is.
pub fn svg(o: &PersonOverview, today: Date, t: &Texts, state: &AppState) -> String {
    let mut dates: Vec<Date> = o
        .registrations
        .iter()
        .map(|r| r.registration_date)
        .collect();
    dates.extend(o.periodic_conditions.iter().map(|c| c.start_date));
    dates.extend(o.first_contacts.iter().chain(&o.interviews).map(|c| c.date));
    let start = dates.iter().min().copied().unwrap_or(today);
    let start = start
        .checked_sub(jiff::Span::new().days(7))
        .unwrap_or(start);
    let end = today
        .checked_add(jiff::Span::new().days(7))
        .unwrap_or(today);
    let span = (end - start).get_days().max(1) as f64;
    let (left, width) = (150.0, 620.0);
    let x = |d: Date| left + width * ((d - start).get_days() as f64 / span).clamp(0.0, 1.0);
    let esc = crate::report::xlsx::escape;
    let mut kinds: Vec<&str> = o
        .periodic_conditions
        .iter()
        .map(|c| c.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let rows = 3 + kinds.len();
    let height = 46 + rows * 28;
    let mut svg = format!(
        r#"<svg class="timeline" role="img" aria-labelledby="timeline-h" viewBox="0 0 800 {height}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let row_y = |i: usize| 20 + i * 28;
    let row_label = |svg: &mut String, i: usize, text: &str| {
        svg.push_str(&format!(
            r#"<text x="8" y="{}">{}</text>"#,
            row_y(i) + 14,
            esc(text)
        ));
    };
    row_label(&mut svg, 0, t.row_registered);
    for r in &o.registrations {
        let until = r
            .deregistration
            .as_ref()
            .map_or(today, |d| d.deregistration_date);
        let (x0, x1) = (x(r.registration_date), x(until));
        svg.push_str(&format!(
            r##"<rect x="{x0:.1}" y="{}" width="{:.1}" height="16" fill="#0b4f8a"><title>{} {} – {}</title></rect>"##,
            row_y(0) + 2,
            (x1 - x0).max(2.0),
            esc(t.row_registered),
            r.registration_date,
            r.deregistration.as_ref().map_or(String::new(), |d| d.deregistration_date.to_string())
        ));
    }
    row_label(&mut svg, 1, t.row_contact);
    for c in o.first_contacts.iter().chain(&o.interviews) {
        svg.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{}" r="6" fill="#1a1a1a"><title>{} {}</title></circle>"##,
            x(c.date),
            row_y(1) + 10,
            esc(&label(
                state,
                t,
                ListName::InterviewType,
                &c.interview_type,
                today
            )),
            c.date
        ));
    }
    row_label(&mut svg, 2, t.match_category);
    for m in &o.match_history {
        svg.push_str(&format!(
            r##"<text x="{:.1}" y="{}" font-weight="700">{}<title>{} {} ({})</title></text>"##,
            x(m.valid_from),
            row_y(2) + 14,
            m.category,
            esc(t.match_category),
            m.category,
            m.valid_from
        ));
    }
    for (i, kind) in kinds.iter().enumerate() {
        let name = label(state, t, ListName::PeriodicConditionKind, kind, today);
        row_label(&mut svg, 3 + i, &name);
        for c in o.periodic_conditions.iter().filter(|c| c.kind == *kind) {
            let (x0, x1) = (x(c.start_date), x(c.end_date.unwrap_or(today)));
            svg.push_str(&format!(
                r##"<rect x="{x0:.1}" y="{}" width="{:.1}" height="16" fill="#8a5a00"><title>{} {} – {}</title></rect>"##,
                row_y(3 + i) + 2,
                (x1 - x0).max(2.0),
                esc(&name),
                c.start_date,
                c.end_date.map_or(String::new(), |d| d.to_string())
            ));
        }
    }
    // The span, at the foot.
    svg.push_str(&format!(
        r##"<text x="{left}" y="{}" fill="#4a4a4a">{start}</text><text x="{}" y="{}" text-anchor="end" fill="#4a4a4a">{end}</text>"##,
        height - 4,
        left + width,
        height - 4
    ));
    // Today.
    svg.push_str(&format!(
        r##"<line x1="{x:.1}" x2="{x:.1}" y1="10" y2="{}" stroke="#a4161a" stroke-dasharray="4 3"><title>{today}</title></line>"##,
        height - 6,
        x = x(today)
    ));
    svg.push_str("</svg>");
    svg
}
