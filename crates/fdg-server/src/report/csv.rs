//! A report as CSV.

use fdg_domain::supervision::{Kind, NATIONAL};

use crate::report::Report;

impl Report {
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
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
