//! The supervisor's pages (`/tilsyn`): the national overview and one page per municipality,
//! with downloads.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use fdg_domain::supervision::{Indicator, KEY_FIGURES, NATIONAL, Unit};
use fdg_domain::{CodeLists, ListName, Role};
use jiff::civil::Date;

use crate::edge::session::SessionUser;
use crate::report::chart::line_chart;
use crate::report::{Cutoff, Report, ReportParams};
use crate::web::i18n::SvTexts;
use crate::web::i18n::{Texts, texts};
use crate::web::pages::{UserView, signed_in, user_view};
use crate::{ApiError, AppState};

/// Routes of the pages and the API (the API is nested under `/api/v1` by the caller).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tilsyn", get(national_page))
        .route("/tilsyn/kommune/{code}", get(municipality_page))
        .route("/tilsyn/rapport/{scope}", get(page_download))
}

/// A key figure as a page shows it.
pub struct KeyView {
    /// Title.
    pub title: &'static str,
    /// Provision.
    pub provision: &'static str,
    /// The values per month, formatted.
    pub values: Vec<String>,
    /// The national values per month, formatted (municipal page).
    pub national: Vec<String>,
    /// The chart (inline SVG).
    pub chart: String,
}

/// An indicator as a page shows it: a table of dimension values by month.
pub struct IndicatorView {
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// Provision.
    pub provision: &'static str,
    /// The counting rule.
    pub counting: &'static str,
    /// Rows: dimension label and values per month.
    pub rows: Vec<(String, Vec<i64>)>,
}

/// The supervision page.
#[derive(Template)]
#[template(path = "supervision.html")]
pub struct SupervisionPage {
    /// Layout words.
    pub t: &'static Texts,
    /// Supervision words.
    pub s: &'static SvTexts,
    /// The user.
    pub user: Option<UserView>,
    /// Heading.
    pub title: String,
    /// Scope code.
    pub scope: String,
    /// Whether this is the national page.
    pub national: bool,
    /// The report's months.
    pub months: Vec<String>,
    /// Cut-off.
    pub cutoff: Cutoff,
    /// Definitions and parameters.
    pub definitions: String,
    /// Hash.
    pub input_hash: String,
    /// The first month shown, for the period form.
    pub from: String,
    /// The last month shown.
    pub last_month: String,
    /// Key figures.
    pub keys: Vec<KeyView>,
    /// The last month's key figures: title, provision, this scope, the country.
    pub summary: Vec<(&'static str, &'static str, String, String)>,
    /// Key figure titles (columns of the municipalities table).
    pub key_titles: Vec<&'static str>,
    /// The municipalities: code, name, values (national page).
    pub municipalities: Vec<(String, String, Vec<String>)>,
    /// Every indicator.
    pub indicators: Vec<IndicatorView>,
    /// The query string of the download links.
    pub query: String,
}

fn shown(v: Option<f64>, unit: Unit) -> String {
    match (v, unit) {
        (None, _) => "–".into(),
        (Some(x), Unit::Percent) => format!("{x:.1} %"),
        (Some(x), Unit::Days | Unit::Rate) => format!("{x:.1}"),
        (Some(x), Unit::Count) if x.fract() == 0.0 => format!("{x:.0}"),
        (Some(x), Unit::Count) => format!("{x:.1}"),
    }
}

fn dim_label(codes: &CodeLists, ind: &Indicator, dim: &str, on: Date, en: bool) -> String {
    let list = ind.dim_list.and_then(ListName::from_name);
    match list.and_then(|l| {
        codes
            .get(l, dim, on)
            .or_else(|| codes.entries(l).iter().find(|e| e.code == dim))
    }) {
        Some(e) if en => format!("{} ({dim})", e.label_en),
        Some(e) => format!("{} ({dim})", e.label_da),
        None if dim.is_empty() => "–".into(),
        None => dim.to_owned(),
    }
}

fn page(
    state: &AppState,
    headers: &HeaderMap,
    user: &SessionUser,
    report: &Report,
    names: &[(String, String)],
) -> SupervisionPage {
    let t = texts(headers);
    let en = t.en();
    let s = t.supervision;
    let national = report.scope == NATIONAL;
    let name = names
        .iter()
        .find(|(c, _)| *c == report.scope)
        .map_or_else(|| report.scope.clone(), |(_, n)| n.clone());
    let as_of: Date = report.cutoff.as_of.parse().unwrap_or(Date::MIN);
    let keys = report
        .key_figures
        .iter()
        .map(|k| {
            let title = if en { k.title_en } else { k.title_da };
            let mut series: Vec<(&[Option<f64>], &str)> = vec![(&k.values, "own")];
            // Shares and rates compare with the country on one axis; head counts do not.
            if let Some(n) = k.national.as_ref().filter(|_| k.unit != Unit::Count) {
                series.push((n, "national"));
            }
            KeyView {
                title,
                provision: k.provision,
                values: k.values.iter().map(|v| shown(*v, k.unit)).collect(),
                national: k
                    .national
                    .iter()
                    .flatten()
                    .map(|v| shown(*v, k.unit))
                    .collect(),
                chart: line_chart(title, &report.months, &series),
            }
        })
        .collect();
    let municipalities = report
        .municipalities
        .iter()
        .map(|m| {
            let name = names
                .iter()
                .find(|(c, _)| *c == m.code)
                .map_or_else(|| m.code.clone(), |(_, n)| n.clone());
            let values = m
                .values
                .iter()
                .zip(KEY_FIGURES)
                .map(|(v, k)| shown(*v, k.unit))
                .collect();
            (m.code.clone(), name, values)
        })
        .collect();
    let indicators = report
        .indicators
        .iter()
        .map(|row| IndicatorView {
            id: row.definition.id,
            title: if en {
                row.definition.title_en
            } else {
                row.definition.title_da
            },
            provision: row.definition.provision,
            counting: row.definition.counting,
            rows: row
                .dims
                .iter()
                .map(|d| {
                    (
                        dim_label(&state.codes, &row.definition, &d.dim, as_of, en),
                        d.n.clone(),
                    )
                })
                .collect(),
        })
        .collect();
    let from = report.months.first().cloned().unwrap_or_default();
    let query = serde_urlencoded::to_string([
        ("from", from.as_str()),
        ("as_of", report.cutoff.as_of.as_str()),
    ])
    .unwrap_or_default();
    SupervisionPage {
        t,
        s,
        user: Some(user_view(user)),
        title: if national {
            s.national_title.to_owned()
        } else {
            format!("{} — {name} ({})", s.municipality_title, report.scope)
        },
        scope: report.scope.clone(),
        national,
        months: report.months.clone(),
        cutoff: report.cutoff.clone(),
        definitions: format!("{} ({})", report.definitions_version, report.params),
        input_hash: report.input_hash.clone(),
        last_month: report.months.last().cloned().unwrap_or_default(),
        summary: report
            .key_figures
            .iter()
            .map(|k| {
                let last = |v: &[Option<f64>]| shown(v.last().copied().flatten(), k.unit);
                (
                    if en { k.title_en } else { k.title_da },
                    k.provision,
                    last(&k.values),
                    last(k.national.as_deref().unwrap_or(&k.values)),
                )
            })
            .collect(),
        from,
        keys,
        key_titles: KEY_FIGURES
            .iter()
            .map(|k| if en { k.title_en } else { k.title_da })
            .collect(),
        municipalities,
        indicators,
        query,
    }
}

/// The logged-in supervisor, or where to send the browser.
fn supervisor(user: Result<SessionUser, ApiError>) -> Result<SessionUser, Box<Response>> {
    let user = signed_in(user).map_err(|r| Box::new(r.into_response()))?;
    if user.session.user.role == Role::Supervisor {
        Ok(user)
    } else {
        Err(Box::new(ApiError::Forbidden(Vec::new()).into_response()))
    }
}

async fn show(
    state: AppState,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    scope: &str,
    p: ReportParams,
) -> Response {
    let user = match supervisor(user) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    match crate::report::read(&state, scope, &p).await {
        Ok((report, names)) => {
            let view = page(&state, &headers, &user, &report, &names);
            match view.render() {
                Ok(html) => (StatusCode::OK, Html(html)).into_response(),
                Err(e) => ApiError::internal(e).into_response(),
            }
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `GET /tilsyn`: the national overview.
async fn national_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    Query(p): Query<ReportParams>,
) -> Response {
    show(state, headers, user, NATIONAL, p).await
}

/// `GET /tilsyn/kommune/{code}`: one municipality against the country.
async fn municipality_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: Result<SessionUser, ApiError>,
    Path(code): Path<String>,
    Query(p): Query<ReportParams>,
) -> Response {
    if code == NATIONAL {
        return Redirect::to("/tilsyn").into_response();
    }
    show(state, headers, user, &code, p).await
}

/// `GET /tilsyn/rapport/{scope}?format=csv|xlsx|json`: the page's report as a download.
async fn page_download(
    State(state): State<AppState>,
    user: Result<SessionUser, ApiError>,
    Path(scope): Path<String>,
    Query(p): Query<ReportParams>,
) -> Response {
    if let Err(r) = supervisor(user) {
        return *r;
    }
    let result = async {
        let format = crate::report::format_of(&p)?;
        let (report, names) = crate::report::read(&state, &scope, &p).await?;
        Ok::<_, ApiError>(report.download(&names, format).into_response())
    };
    match result.await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
