//! Supervision reports (visitationstilsyn, § 1, nr. 3): the national overview and one report
//! per municipality, as pages for the supervisor role (`/tilsyn`), JSON for the supervision
//! authority's systems (`/api/v1/supervision/{scope}`), and CSV and XLSX downloads.
//!
//! Every report is made from the pre-summed figures of `fdg_domain::supervision` and states its
//! data cut-off (the newest event position and when it was recorded), the as-of day, the
//! indicator definitions' version and parameters, and a hash of its inputs;
//! `fdg supervision reproduce` makes the same report again from the event log. No report holds
//! a CPR number or a name, and no figure links to a person, however small it is.

pub mod chart;
mod csv;
pub mod xlsx;

use fdg_domain::supervision::{self, DimFigures, Figures, Indicator, KEY_FIGURES, NATIONAL, Unit};
use fdg_domain::{CodeLists, ListName};
use fdg_store::{SupervisionInput, SupervisionQuery};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::report::xlsx::{Cell, Sheet};

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

fn period(p: &ReportParams, today: Date) -> Result<Period, ReportError> {
    let as_of = match p.as_of.as_deref().filter(|s| !s.is_empty()) {
        None => today,
        Some(s) => s.parse::<Date>().map_err(|_| {
            ReportError::query(
                "as_of must be a date, YYYY-MM-DD",
                "as_of skal være en dato, ÅÅÅÅ-MM-DD",
            )
        })?,
    };
    if as_of > today {
        return Err(ReportError::query(
            "as_of may not be after today: the figures describe what has happened",
            "as_of må ikke ligge efter i dag: tallene beskriver det, der er sket",
        ));
    }
    let month = as_of.first_of_month();
    let from = match p.from.as_deref().filter(|s| !s.is_empty()) {
        None => month.checked_sub(11.months()).unwrap_or(month),
        Some(s) => format!("{s}-01").parse::<Date>().map_err(|_| {
            ReportError::query(
                "from must be a month, YYYY-MM",
                "from skal være en måned, ÅÅÅÅ-MM",
            )
        })?,
    };
    if from > month {
        return Err(ReportError::query(
            "from must be the as-of month or earlier",
            "from skal være as_of-måneden eller tidligere",
        ));
    }
    if months_between(from, month) >= MAX_MONTHS {
        return Err(ReportError::query(
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

/// Reads and builds the report of `scope` (`DK` or a municipality in force).
pub async fn read(
    state: &AppState,
    scope: &str,
    p: &ReportParams,
) -> Result<(Report, Vec<(String, String)>), ReportError> {
    let period = period(p, state.clock.today())?;
    let names = municipalities(&state.codes, period.as_of);
    if scope != NATIONAL && !names.iter().any(|(c, _)| c == scope) {
        return Err(ReportError::NoSuchScope);
    }
    let query = SupervisionQuery {
        from: period.from,
        as_of: period.as_of,
    };
    let input = state.store.supervision(&query).await?;
    Ok((Report::build(scope, &input, period.from), names))
}

/// A report as a file: JSON, CSV or XLSX.
#[derive(Debug)]
pub struct Download {
    /// Its media type.
    pub content_type: &'static str,
    /// The file name a browser saves it under (`None` for JSON, shown where it is fetched).
    pub file_name: Option<String>,
    /// The file.
    pub body: Vec<u8>,
}

impl Report {
    /// The report as a file in `format` (`json`, `csv` or `xlsx`, from `format_of`).
    pub fn download(&self, names: &[(String, String)], format: &str) -> Download {
        let file = format!("tilsyn-{}-{}", self.scope.to_lowercase(), self.cutoff.as_of);
        match format {
            "csv" => Download {
                content_type: "text/csv; charset=utf-8",
                file_name: Some(format!("{file}.csv")),
                body: self.csv().into_bytes(),
            },
            "xlsx" => Download {
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file_name: Some(format!("{file}.xlsx")),
                body: self.xlsx(names),
            },
            _ => Download {
                content_type: "application/json",
                file_name: None,
                // A report is plain data: it always serialises.
                body: serde_json::to_vec(self).unwrap_or_default(),
            },
        }
    }
}

/// Why a report cannot be made.
#[derive(Debug)]
pub enum ReportError {
    /// The query asks for something no report is: what to fix, in English and Danish.
    Query {
        /// In English.
        en: String,
        /// In Danish.
        da: String,
    },
    /// The scope is neither `DK` nor a municipality in force.
    NoSuchScope,
    /// The store failed.
    Store(fdg_store::StoreError),
}

impl ReportError {
    fn query(en: impl Into<String>, da: impl Into<String>) -> Self {
        ReportError::Query {
            en: en.into(),
            da: da.into(),
        }
    }
}

impl From<fdg_store::StoreError> for ReportError {
    fn from(e: fdg_store::StoreError) -> Self {
        ReportError::Store(e)
    }
}

pub fn format_of(p: &ReportParams) -> Result<&'static str, ReportError> {
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok("json"),
        "csv" => Ok("csv"),
        "xlsx" => Ok("xlsx"),
        _ => Err(ReportError::query(
            "format must be json, csv or xlsx",
            "format skal være json, csv eller xlsx",
        )),
    }
}
