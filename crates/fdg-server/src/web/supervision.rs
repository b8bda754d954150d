//! Supervision reports (visitationstilsyn, § 1, nr. 3): the national overview and one report
//! per municipality, as pages for the supervisor role (`/tilsyn`), JSON for the supervision
//! authority's systems (`/api/v1/supervision/{scope}`), and CSV and XLSX downloads.
//!
//! Every report is made from the pre-summed figures of `fdg_domain::supervision` and states its
//! data cut-off (the newest event position and when it was recorded), the as-of day, the
//! indicator definitions' version and parameters, and a hash of its inputs;
//! `fdg supervision reproduce` makes the same report again from the event log. No report holds
//! a CPR number or a name, and no figure links to a person, however small it is.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use fdg_domain::supervision::{
    self, DimFigures, Figures, Indicator, KEY_FIGURES, Kind, NATIONAL, Unit,
};
use fdg_domain::{CodeLists, ListName, OrgKind, Role};
use fdg_store::{SupervisionInput, SupervisionQuery};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::edge::auth::Caller;
use crate::edge::session::SessionUser;
use crate::report::xlsx::{Cell, Sheet};
use crate::web::pages::{Texts, UserView, signed_in, texts, user_view};
use crate::{ApiError, AppState};

/// Routes of the pages and the API (the API is nested under `/api/v1` by the caller).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tilsyn", get(national_page))
        .route("/tilsyn/kommune/{code}", get(municipality_page))
        .route("/tilsyn/rapport/{scope}", get(page_download))
}

/// The API routes.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/indicators", get(definitions))
        .route("/supervision/{scope}", get(api_report))
}

/// The query of every report: which months, as of which day, in which format.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First month, `YYYY-MM` (default: eleven months before the as-of month).
    pub from: Option<String>,
    /// The day described, `YYYY-MM-DD` (default: today).
    pub as_of: Option<String>,
    /// `json` (default for the API), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The most months one report covers.
const MAX_MONTHS: i32 = 120;

/// The validated months and day of a report.
struct Period {
    from: Date,
    as_of: Date,
}

fn period(p: &ReportParams, today: Date) -> Result<Period, ApiError> {
    let as_of = match p.as_of.as_deref().filter(|s| !s.is_empty()) {
        None => today,
        Some(s) => s.parse::<Date>().map_err(|_| {
            ApiError::bad(
                "as_of must be a date, YYYY-MM-DD",
                "as_of skal være en dato, ÅÅÅÅ-MM-DD",
            )
        })?,
    };
    if as_of > today {
        return Err(ApiError::bad(
            "as_of may not be after today: the figures describe what has happened",
            "as_of må ikke ligge efter i dag: tallene beskriver det, der er sket",
        ));
    }
    let month = as_of.first_of_month();
    let from = match p.from.as_deref().filter(|s| !s.is_empty()) {
        None => month.checked_sub(11.months()).unwrap_or(month),
        Some(s) => format!("{s}-01").parse::<Date>().map_err(|_| {
            ApiError::bad(
                "from must be a month, YYYY-MM",
                "from skal være en måned, ÅÅÅÅ-MM",
            )
        })?,
    };
    if from > month {
        return Err(ApiError::bad(
            "from must be the as-of month or earlier",
            "from skal være as_of-måneden eller tidligere",
        ));
    }
    if months_between(from, month) >= MAX_MONTHS {
        return Err(ApiError::bad(
            format!("from may be at most {MAX_MONTHS} months before the as-of month"),
            format!("from må højst ligge {MAX_MONTHS} måneder før as_of-måneden"),
        ));
    }
    Ok(Period { from, as_of })
}

fn months_between(a: Date, b: Date) -> i32 {
    (i32::from(b.year()) - i32::from(a.year())) * 12 + i32::from(b.month()) - i32::from(a.month())
}

/// The months of a report, first days, ascending.
fn months(from: Date, as_of: Date) -> Vec<Date> {
    let last = as_of.first_of_month();
    let mut out = Vec::new();
    let mut m = from;
    while m <= last {
        out.push(m);
        match m.checked_add(1.month()) {
            Ok(n) => m = n,
            Err(_) => break,
        }
    }
    out
}

/// The municipalities in force on `on`: code and name.
fn municipalities(codes: &CodeLists, on: Date) -> Vec<(String, String)> {
    codes
        .entries(ListName::Municipality)
        .iter()
        .filter(|e| e.valid_on(on))
        .map(|e| (e.code.clone(), e.label_da.clone()))
        .collect()
}

/// The data cut-off a report states.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cutoff {
    /// The newest event position included.
    pub position: u64,
    /// When that event was recorded.
    pub recorded_at: Option<String>,
    /// The day the report describes (stocks in its month are counted on this day).
    pub as_of: String,
}

/// One key figure over the report's months, with the national figure beside it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KeyRow {
    /// Key figure id.
    pub id: &'static str,
    /// Provision.
    pub provision: &'static str,
    /// Danish title.
    pub title_da: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Unit.
    pub unit: Unit,
    /// How it is computed.
    pub formula: &'static str,
    /// Per month (`null` where the denominator is zero).
    pub values: Vec<Option<f64>>,
    /// The national figure per month (municipal reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national: Option<Vec<Option<f64>>>,
}

/// One indicator's figures over the report's months.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndicatorRow {
    /// The definition.
    #[serde(flatten)]
    pub definition: Indicator,
    /// Per dimension value.
    pub dims: Vec<DimFigures>,
    /// The national figures (municipal reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national: Option<Vec<DimFigures>>,
}

/// A municipality's key figures in the report's last month (national report only).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MunicipalityRow {
    /// Kommunekode.
    pub code: String,
    /// Key figures, in the order of `key_figures`.
    pub values: Vec<Option<f64>>,
}

/// A whole report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Kommunekode or `DK`.
    pub scope: String,
    /// The data cut-off.
    pub cutoff: Cutoff,
    /// The indicator definitions' version.
    pub definitions_version: String,
    /// The counting parameters.
    pub params: String,
    /// SHA-256 of the inputs (see `docs/supervision.md`).
    pub input_hash: String,
    /// The months, `YYYY-MM`.
    pub months: Vec<String>,
    /// Key figures.
    pub key_figures: Vec<KeyRow>,
    /// Every indicator.
    pub indicators: Vec<IndicatorRow>,
    /// Per municipality (national report only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub municipalities: Vec<MunicipalityRow>,
}

fn rounded(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 10.0).round() / 10.0)
}

impl Report {
    /// Builds the report of `scope` from what the store read.
    pub fn build(scope: &str, input: &SupervisionInput, from: Date) -> Report {
        let ms = months(from, input.as_of);
        let own = Figures::compute(scope, &input.rows, &ms, input.as_of);
        let national =
            (scope != NATIONAL).then(|| Figures::compute(NATIONAL, &input.rows, &ms, input.as_of));
        let series = |f: &Figures, k: &supervision::KeyFigure| -> Vec<Option<f64>> {
            (0..ms.len()).map(|m| rounded(k.value(f, m))).collect()
        };
        let key_figures = KEY_FIGURES
            .iter()
            .map(|k| KeyRow {
                id: k.id,
                provision: k.provision,
                title_da: k.title_da,
                title_en: k.title_en,
                unit: k.unit,
                formula: k.formula,
                values: series(&own, k),
                national: national.as_ref().map(|n| series(n, k)),
            })
            .collect();
        let indicators = supervision::ALL
            .iter()
            .map(|ind| IndicatorRow {
                definition: *ind,
                dims: own.of(ind).dims.clone(),
                national: national.as_ref().map(|n| n.of(ind).dims.clone()),
            })
            .collect();
        let mut municipalities = Vec::new();
        if scope == NATIONAL {
            let last = ms.len().saturating_sub(1);
            let mut by: std::collections::BTreeMap<&str, Vec<&supervision::Row>> =
                std::collections::BTreeMap::new();
            for r in input.rows.iter().filter(|r| !r.municipality.is_empty()) {
                by.entry(&*r.municipality).or_default().push(r);
            }
            // Only the last month is needed per municipality.
            let one = &ms[last..];
            for (code, rows) in by {
                let f = Figures::compute(code, rows, one, input.as_of);
                municipalities.push(MunicipalityRow {
                    code: code.to_owned(),
                    values: KEY_FIGURES
                        .iter()
                        .map(|k| rounded(k.value(&f, 0)))
                        .collect(),
                });
            }
        }
        Report {
            scope: scope.to_owned(),
            cutoff: Cutoff {
                position: input.position,
                recorded_at: input.recorded_at.map(|t| t.to_string()),
                as_of: input.as_of.to_string(),
            },
            definitions_version: input.definitions.clone(),
            params: input.params.clone(),
            input_hash: input.input_hash.clone(),
            months: own.months,
            key_figures,
            indicators,
            municipalities,
        }
    }

    /// The report as CSV: one line per indicator, dimension value and month, for the scope
    /// and (on a municipality's report) the country, each line carrying the cut-off and hash.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "scope,indicator,provision,kind,month,dim,n,total_days,cutoff_position,as_of,definitions,input_hash\r\n",
        );
        for row in &self.indicators {
            let kind = match row.definition.kind {
                Kind::Flow => "flow",
                Kind::Stock => "stock",
            };
            let scoped = std::iter::once((self.scope.as_str(), &row.dims))
                .chain(row.national.iter().map(|n| (NATIONAL, n)));
            for (scope, dims) in scoped {
                for d in dims {
                    for (i, month) in self.months.iter().enumerate() {
                        out.push_str(&format!(
                            "{scope},{},{},{kind},{month},{},{},{},{},{},{},{}\r\n",
                            row.definition.id,
                            csv_field(row.definition.provision),
                            csv_field(&d.dim),
                            d.n[i],
                            d.total[i],
                            self.cutoff.position,
                            self.cutoff.as_of,
                            csv_field(&self.definitions_version),
                            self.input_hash
                        ));
                    }
                }
            }
        }
        out
    }

    /// The report as an XLSX workbook: key figures, every indicator, and what the report is.
    pub fn xlsx(&self, names: &[(String, String)]) -> Vec<u8> {
        let text = |s: &str| Cell::Text(s.to_owned());
        let num = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
        let mut key = vec![
            std::iter::once(text("Nøgletal / key figure"))
                .chain(std::iter::once(text("§")))
                .chain(self.months.iter().map(|m| text(m)))
                .collect::<Vec<_>>(),
        ];
        for k in &self.key_figures {
            key.push(
                [text(k.title_da), text(k.provision)]
                    .into_iter()
                    .chain(k.values.iter().map(|v| num(*v)))
                    .collect(),
            );
            if let Some(n) = &k.national {
                key.push(
                    [
                        text(&format!("{} (hele landet)", k.title_da)),
                        text(k.provision),
                    ]
                    .into_iter()
                    .chain(n.iter().map(|v| num(*v)))
                    .collect(),
                );
            }
        }
        let mut long = vec![
            [
                "scope",
                "indicator",
                "provision",
                "month",
                "dim",
                "n",
                "total_days",
            ]
            .iter()
            .map(|s| text(s))
            .collect::<Vec<_>>(),
        ];
        for row in &self.indicators {
            let scoped = std::iter::once((self.scope.as_str(), &row.dims))
                .chain(row.national.iter().map(|n| (NATIONAL, n)));
            for (scope, dims) in scoped {
                for d in dims {
                    for (i, month) in self.months.iter().enumerate() {
                        long.push(vec![
                            text(scope),
                            text(row.definition.id),
                            text(row.definition.provision),
                            text(month),
                            text(&d.dim),
                            Cell::Number(d.n[i] as f64),
                            Cell::Number(d.total[i] as f64),
                        ]);
                    }
                }
            }
        }
        let mut sheets = vec![
            Sheet {
                name: "Nøgletal".into(),
                rows: key,
            },
            Sheet {
                name: "Indikatorer".into(),
                rows: long,
            },
        ];
        if !self.municipalities.is_empty() {
            let mut rows = vec![
                ["kommunekode", "kommune"]
                    .iter()
                    .map(|s| text(s))
                    .chain(KEY_FIGURES.iter().map(|k| text(k.title_da)))
                    .collect::<Vec<_>>(),
            ];
            for m in &self.municipalities {
                let name = names
                    .iter()
                    .find(|(c, _)| *c == m.code)
                    .map_or("", |(_, n)| n.as_str());
                rows.push(
                    [text(&m.code), text(name)]
                        .into_iter()
                        .chain(m.values.iter().map(|v| num(*v)))
                        .collect(),
                );
            }
            sheets.push(Sheet {
                name: "Kommuner".into(),
                rows,
            });
        }
        let mut about = vec![
            vec![text("Område / scope"), text(&self.scope)],
            vec![
                text("Datagrundlag til og med hændelse / cut-off position"),
                Cell::Number(self.cutoff.position as f64),
            ],
            vec![
                text("Registreret / recorded at"),
                text(self.cutoff.recorded_at.as_deref().unwrap_or("")),
            ],
            vec![text("Opgjort pr. / as of"), text(&self.cutoff.as_of)],
            vec![
                text("Definitioner / definitions"),
                text(&self.definitions_version),
            ],
            vec![text("Parametre / parameters"), text(&self.params)],
            vec![text("Input-hash (SHA-256)"), text(&self.input_hash)],
            vec![],
            vec![
                text("Indikator"),
                text("§"),
                text("Optælling / counting rule"),
            ],
        ];
        for ind in supervision::ALL {
            about.push(vec![text(ind.id), text(ind.provision), text(ind.counting)]);
        }
        sheets.push(Sheet {
            name: "Om rapporten".into(),
            rows: about,
        });
        crate::report::xlsx::workbook(&sheets)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Reads and builds the report of `scope`, or 404 for a scope that is no municipality.
async fn report(
    state: &AppState,
    scope: &str,
    p: &ReportParams,
) -> Result<(Report, Vec<(String, String)>), ApiError> {
    let period = period(p, state.clock.today())?;
    let names = municipalities(&state.codes, period.as_of);
    if scope != NATIONAL && !names.iter().any(|(c, _)| c == scope) {
        return Err(ApiError::NotFound);
    }
    let query = SupervisionQuery {
        from: period.from,
        as_of: period.as_of,
    };
    let input = state.store.supervision(&query).await?;
    Ok((Report::build(scope, &input, period.from), names))
}

fn download(report: &Report, names: &[(String, String)], format: &str) -> Response {
    let file = format!(
        "tilsyn-{}-{}",
        report.scope.to_lowercase(),
        report.cutoff.as_of
    );
    match format {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}.csv\""),
                ),
            ],
            report.csv(),
        )
            .into_response(),
        "xlsx" => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}.xlsx\""),
                ),
            ],
            report.xlsx(names),
        )
            .into_response(),
        _ => axum::Json(report).into_response(),
    }
}

fn format_of(p: &ReportParams) -> Result<&str, ApiError> {
    match p.format.as_deref().unwrap_or("json") {
        f @ ("json" | "csv" | "xlsx") => Ok(f),
        _ => Err(ApiError::bad(
            "format must be json, csv or xlsx",
            "format skal være json, csv eller xlsx",
        )),
    }
}

/// Only the supervision authority reads supervision reports through the API.
fn supervisor_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.principal.org.kind == OrgKind::Supervisor {
        Ok(())
    } else {
        Err(ApiError::Forbidden(Vec::new()))
    }
}

/// A supervision report for the country (`DK`) or one municipality (its kommunekode), as JSON,
/// CSV or XLSX (`format`), with its data cut-off, as-of day, definitions version and input hash.
/// Only for agreements of the supervision authority.
#[utoipa::path(get, path = "/api/v1/supervision/{scope}", tag = "supervision",
    params(("scope" = String, Path, description = "`DK` or a kommunekode"), ReportParams),
    responses(
        (status = 200, body = Report, description = "The report (CSV or XLSX with `format`)"),
        (status = 400, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::edge::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(scope): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, ApiError> {
    supervisor_only(&caller)?;
    let format = format_of(&p)?;
    let (report, names) = report(&state, &scope, &p).await?;
    Ok(download(&report, &names, format))
}

/// The indicator definitions, with the version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Definitions {
    /// The version.
    pub version: &'static str,
    /// Every indicator.
    #[schema(value_type = Vec<Indicator>)]
    pub indicators: &'static [Indicator],
    /// Every key figure.
    #[schema(value_type = Vec<supervision::KeyFigure>)]
    pub key_figures: &'static [supervision::KeyFigure],
}

/// The indicator definitions and key figures, with the definitions version.
#[utoipa::path(get, path = "/api/v1/supervision/indicators", tag = "supervision",
    responses((status = 200, body = Definitions),
        (status = 403, body = crate::edge::error::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn definitions(caller: Caller) -> Result<axum::Json<Definitions>, ApiError> {
    supervisor_only(&caller)?;
    Ok(axum::Json(Definitions {
        version: supervision::DEFINITIONS_VERSION,
        indicators: supervision::ALL,
        key_figures: KEY_FIGURES,
    }))
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

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

const SV_DA: SvTexts = SvTexts {
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

const SV_EN: SvTexts = SvTexts {
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

/// A line chart of one or two series over the months, as inline SVG with a `<title>` on every
/// point, readable without JavaScript (the table beside it has the same numbers).
fn line_chart(label: &str, months: &[String], series: &[(&[Option<f64>], &str)]) -> String {
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
    let en = t.lang == "en";
    let s = if en { &SV_EN } else { &SV_DA };
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
    match report(&state, scope, &p).await {
        Ok((report, names)) => {
            let view = page(&state, &headers, &user, &report, &names);
            match view.render() {
                Ok(html) => (StatusCode::OK, Html(html)).into_response(),
                Err(e) => ApiError::internal(e).into_response(),
            }
        }
        Err(e) => e.into_response(),
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
        let format = format_of(&p)?;
        let (report, names) = report(&state, &scope, &p).await?;
        Ok::<_, ApiError>(download(&report, &names, format))
    };
    match result.await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
