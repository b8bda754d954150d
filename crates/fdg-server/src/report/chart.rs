//! Charts as inline SVG.

/// A line chart of one or two series over the months, as inline SVG with a `<title>` on every
/// point, readable without JavaScript (the table beside it has the same numbers).
pub fn line_chart(label: &str, months: &[String], series: &[(&[Option<f64>], &str)]) -> String {
    let (w, h, left, bottom, top) = (640.0, 200.0, 48.0, 28.0, 12.0);
    let max = series
        .iter()
        .flat_map(|(s, _)| s.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let max = if max <= 0.0 { 1.0 } else { max * 1.1 };
    let n = months.len().max(2) as f64 - 1.0;
    let x = |i: usize| left + (w - left - 10.0) * i as f64 / n;
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}"><title>{}</title>"#,
        crate::report::xlsx::escape(label),
        crate::report::xlsx::escape(label)
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = max / 1.1 * frac;
        svg.push_str(&format!(
            r#"<line class="grid" x1="{left}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{v:.0}</text>"#,
            w - 10.0,
            y(v),
            y(v),
            left - 4.0,
            y(v) + 4.0
        ));
    }
    for (i, m) in months.iter().enumerate() {
        if months.len() <= 13 || i % 6 == 0 {
            svg.push_str(&format!(
                r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x(i),
                h - 8.0,
                &m[2..]
            ));
        }
    }
    for (s, class) in series {
        let points: Vec<String> = s
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        svg.push_str(&format!(
            r#"<polyline class="{class}" fill="none" points="{}"/>"#,
            points.join(" ")
        ));
        for (i, v) in s.iter().enumerate() {
            if let Some(v) = v {
                svg.push_str(&format!(
                    r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3"><title>{}: {v:.1}</title></circle>"#,
                    x(i),
                    y(*v),
                    months[i]
                ));
            }
        }
    }
    svg.push_str("</svg>");
    svg
}
