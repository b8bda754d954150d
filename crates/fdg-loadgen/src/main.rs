//! `fdg-loadgen`: drives a realistic mix of writes and reads against a running `fdg serve`,
//! and serves/drives a trivial axum endpoint as the ceiling to compare with in the same run.
//!
//! Closed loop: each of `--clients` connections sends its next request when the previous one
//! is answered, for `--seconds`. Every request and its latency is counted; any answer other
//! than the expected status is an error (and reported).
//!
//! ```text
//! fdg-loadgen writes   --url http://127.0.0.1:8080 --token T --clients 64 --seconds 20
//! fdg-loadgen reads    --url http://127.0.0.1:8080 --token T --clients 64 --seconds 20
//! fdg-loadgen baseline --clients 64 --seconds 10
//! fdg-loadgen import-file --lines 100000 --out history.ndjson   # a file for `fdg import`
//! fdg-loadgen sqlite-ceiling --rows 100000 --dir /tmp/ceiling     # the same rows, raw INSERTs
//! ```

// A load generator reports on standard output.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

#[derive(Parser)]
#[command(about = "Load generator for fdg")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Concurrent clients (connections).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Duration of the measured run.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
}

#[derive(Subcommand)]
enum Cmd {
    /// Registrations, interviews, periodic condition starts and ends (25 % each), all durable.
    Writes {
        #[command(flatten)]
        common: Common,
        /// Base URL of fdg.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Bearer token of a state job centre.
        #[arg(long, env = "FDG_TOKEN")]
        token: String,
        /// Offset for generated CPR numbers, so repeated runs on one database use new persons.
        #[arg(long, default_value_t = 0)]
        cpr_offset: u64,
    },
    /// Person reads (GET /api/v1/persons/{id}) of persons created first (one per client × 50).
    Reads {
        #[command(flatten)]
        common: Common,
        /// Base URL of fdg.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Bearer token of a state job centre.
        #[arg(long, env = "FDG_TOKEN")]
        token: String,
        /// Offset for generated CPR numbers of the persons created for reading.
        #[arg(long, default_value_t = 900_000_000)]
        cpr_offset: u64,
    },
    /// Serve a trivial axum endpoint in-process and drive it with GETs and JSON POSTs.
    Baseline {
        #[command(flatten)]
        common: Common,
    },
    /// Write an NDJSON file for `fdg import`: one registration per person, a second apart,
    /// from 2019-01-01.
    ImportFile {
        /// Lines to write.
        #[arg(long, default_value_t = 100_000)]
        lines: u64,
        /// Where.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The ceiling for `fdg import`: the same number of event rows (about the size of an
    /// imported registration's events) INSERTed into a fresh SQLite database, WAL and
    /// `synchronous=FULL` as fdg runs it, `--batch` rows per transaction, no rules.
    SqliteCeiling {
        /// Rows to insert.
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// Rows per transaction.
        #[arg(long, default_value_t = 1_000)]
        batch: u64,
        /// An empty directory for the database.
        #[arg(long)]
        dir: std::path::PathBuf,
    },
}

/// `import-file`: registrations of distinct persons in recording order.
fn import_file(lines: u64, out: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    let start = 1_546_300_800i64; // 2019-01-01T00:00:00Z
    for i in 0..lines {
        let at = start + i as i64;
        let (days, secs) = (at.div_euclid(86_400), at.rem_euclid(86_400));
        let (y, m, d) = civil(days);
        let mut record = registration(&cpr(i));
        record["registration_date"] = json!(format!("{y:04}-{m:02}-{d:02}"));
        let line = json!({
            "id": format!("bench-{i}"), "type": "jobseeker_registration",
            "organisation": "state-jobcenter:STAT",
            "recorded_at": format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60),
            "record": record
        });
        writeln!(w, "{line}")?;
    }
    w.flush()?;
    println!("{lines} lines in {}", out.display());
    Ok(())
}

/// The civil date of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `sqlite-ceiling`: raw INSERTs of event-sized rows, durable at the end of each batch.
fn sqlite_ceiling(rows: u64, batch: u64, dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut db = rusqlite::Connection::open(dir.join("ceiling.db"))?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE events (position INTEGER PRIMARY KEY, person_id TEXT NOT NULL,
             version INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
             recorded_at TEXT NOT NULL, org TEXT NOT NULL);",
    )?;
    let data = registration(&cpr(0)).to_string();
    let started = Instant::now();
    let mut i = 0;
    while i < rows {
        let tx = db.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO events (person_id, version, type, data, recorded_at, org)
                 VALUES (?1, 1, 'job_seeker_registered', ?2, '2019-01-01T00:00:00Z', 'state-jobcenter:STAT')",
            )?;
            for _ in 0..batch.min(rows - i) {
                insert.execute(rusqlite::params![format!("p{i:020}"), data])?;
                i += 1;
            }
        }
        tx.commit()?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<28} {:>10.0} rows/s   {rows} rows in {secs:.2} s, {batch} per transaction",
        "sqlite ceiling",
        rows as f64 / secs
    );
    Ok(())
}

/// Latencies in microseconds, one histogram bucket per microsecond up to 1 s.
struct Stats {
    ok: AtomicU64,
    errors: AtomicU64,
    buckets: Vec<AtomicU64>,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Stats {
    fn new() -> Self {
        Stats {
            ok: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            buckets: (0..1_000_001).map(|_| AtomicU64::new(0)).collect(),
            first_error: std::sync::Mutex::new(None),
        }
    }

    fn record(&self, started: Instant, ok: Result<(), String>) {
        let us = (started.elapsed().as_micros() as usize).min(1_000_000);
        self.buckets[us].fetch_add(1, Ordering::Relaxed);
        match ok {
            Ok(()) => self.ok.fetch_add(1, Ordering::Relaxed),
            Err(e) => {
                let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
                if first.is_none() {
                    *first = Some(e);
                }
                self.errors.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    fn percentile(&self, p: f64) -> f64 {
        let total: u64 = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum();
        let target = ((total as f64) * p).ceil() as u64;
        let mut seen = 0;
        for (us, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= target.max(1) {
                return us as f64 / 1000.0;
            }
        }
        1000.0
    }

    fn report(&self, name: &str, elapsed: Duration) {
        let ok = self.ok.load(Ordering::Relaxed);
        let errors = self.errors.load(Ordering::Relaxed);
        println!(
            "{name:<28} {:>10.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms   ok {ok}   errors {errors}",
            ok as f64 / elapsed.as_secs_f64(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.percentile(1.0),
        );
        if let Some(e) = self
            .first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            println!("{:<28} first error: {e}", "");
        }
    }
}

fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1)
        .build(connector)
}

async fn send(
    http: &HttpClient,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(StatusCode, Bytes), String> {
    let mut b = Request::builder().method(method).uri(url);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            b = b.header("content-type", "application/json");
            Full::new(Bytes::from(v.to_string()))
        }
        None => Full::new(Bytes::new()),
    };
    let req = b.body(body).map_err(|e| e.to_string())?;
    let res = http.request(req).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}

/// A distinct CPR number with a real date for every index below 28 · 12 · 100 · 10 000.
fn cpr(i: u64) -> String {
    let day = i % 28 + 1;
    let month = (i / 28) % 12 + 1;
    let yy = (i / 336) % 100;
    let seq = (i / 33_600) % 10_000;
    format!("{day:02}{month:02}{yy:02}-{seq:04}")
}

fn registration(cpr: &str) -> Value {
    json!({
        "cpr": cpr, "name": "Syntetisk Person", "registration_date": "2026-11-02",
        "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
        "job_titles": ["4110", "5223"], "unemployment_fund": "001", "municipality": "101"
    })
}

fn interview(cpr: &str) -> Value {
    json!({
        "cpr": cpr, "interview_date": "2026-11-16", "interview_type": "foerste",
        "name": "Syntetisk Person", "case_type": "dagpenge", "support": "a_dagpenge",
        "consent": {"obtain": true, "disclose": false, "date": "2026-11-16"},
        "contact_form": "personligt",
        "attention_areas": {"jobonsker": "Søger kontorarbejde i hovedstadsområdet."},
        "match_category": 2, "decisive_areas": ["erhvervserfaring"],
        "further_course": "Jobsøgningskursus; ny samtale om 3 måneder."
    })
}

fn expect(status: StatusCode, want: StatusCode, body: &Bytes) -> Result<(), String> {
    if status == want {
        Ok(())
    } else {
        Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ))
    }
}

/// One person's first weeks: registration, first interview, sickness start, sickness end.
async fn write_cycle(
    http: &HttpClient,
    base: &str,
    token: &str,
    index: u64,
    stats: &Stats,
    stop: &AtomicBool,
) {
    let cpr = cpr(index);
    let t = Instant::now();
    let r = send(
        http,
        Method::POST,
        &format!("{base}/api/v1/jobseeker-registrations"),
        Some(token),
        Some(&registration(&cpr)),
    )
    .await;
    let r = r.and_then(|(s, b)| expect(s, StatusCode::CREATED, &b));
    let failed = r.is_err();
    stats.record(t, r);
    if failed || stop.load(Ordering::Relaxed) {
        return;
    }
    let t = Instant::now();
    let r = send(
        http,
        Method::POST,
        &format!("{base}/api/v1/contact-interviews"),
        Some(token),
        Some(&interview(&cpr)),
    )
    .await
    .and_then(|(s, b)| expect(s, StatusCode::CREATED, &b));
    stats.record(t, r);
    if stop.load(Ordering::Relaxed) {
        return;
    }
    let t = Instant::now();
    let started = send(
        http,
        Method::POST,
        &format!("{base}/api/v1/periodic-conditions"),
        Some(token),
        Some(&json!({"cpr": cpr, "kind": "sygdom", "start_date": "2026-11-20"})),
    )
    .await;
    let fact_id = match &started {
        Ok((StatusCode::CREATED, b)) => serde_json::from_slice::<Value>(b)
            .ok()
            .and_then(|v| v["facts"][0]["fact_id"].as_str().map(str::to_owned)),
        _ => None,
    };
    stats.record(
        t,
        started.and_then(|(s, b)| expect(s, StatusCode::CREATED, &b)),
    );
    let Some(fact_id) = fact_id else { return };
    if stop.load(Ordering::Relaxed) {
        return;
    }
    let t = Instant::now();
    let r = send(
        http,
        Method::POST,
        &format!("{base}/api/v1/periodic-conditions/{fact_id}/end"),
        Some(token),
        Some(&json!({"end_date": "2026-11-24"})),
    )
    .await
    .and_then(|(s, b)| expect(s, StatusCode::CREATED, &b));
    stats.record(t, r);
}

async fn run_clients<F, Fut>(clients: usize, seconds: u64, name: &str, f: F) -> anyhow::Result<()>
where
    F: Fn(usize, Arc<Stats>, Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let stats = Arc::new(Stats::new());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| tokio::spawn(f(c, stats.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let elapsed = started.elapsed();
    for t in tasks {
        t.await.context("client task")?;
    }
    stats.report(name, elapsed);
    Ok(())
}

async fn writes(common: Common, url: String, token: String, offset: u64) -> anyhow::Result<()> {
    let base: Arc<str> = url.trim_end_matches('/').into();
    let token: Arc<str> = token.into();
    run_clients(
        common.clients,
        common.seconds,
        "durable writes (mix)",
        |c, stats, stop| {
            let (base, token) = (base.clone(), token.clone());
            async move {
                let http = client();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let index = offset + (c as u64) * 1_000_000 + i;
                    write_cycle(&http, &base, &token, index, &stats, &stop).await;
                    i += 1;
                }
            }
        },
    )
    .await
}

async fn reads(common: Common, url: String, token: String, offset: u64) -> anyhow::Result<()> {
    let base: Arc<str> = url.trim_end_matches('/').into();
    let http = client();
    let mut ids = Vec::new();
    for i in 0..(common.clients as u64 * 50) {
        let cpr = cpr(offset + i);
        let (s, b) = send(
            &http,
            Method::POST,
            &format!("{base}/api/v1/jobseeker-registrations"),
            Some(&token),
            Some(&registration(&cpr)),
        )
        .await
        .map_err(anyhow::Error::msg)?;
        let id = if s == StatusCode::CREATED {
            serde_json::from_slice::<Value>(&b)?["person_id"]
                .as_str()
                .map(str::to_owned)
        } else {
            // Already there from an earlier run: find it.
            let (_, b) = send(
                &http,
                Method::POST,
                &format!("{base}/api/v1/persons/search"),
                Some(&token),
                Some(&json!({"cpr": cpr})),
            )
            .await
            .map_err(anyhow::Error::msg)?;
            serde_json::from_slice::<Value>(&b)?["person_id"]
                .as_str()
                .map(str::to_owned)
        };
        match id {
            Some(id) => ids.push(id),
            None => bail!("could not create persons to read: {s}"),
        }
    }
    let ids: Arc<Vec<String>> = Arc::new(ids);
    let token: Arc<str> = token.into();
    run_clients(
        common.clients,
        common.seconds,
        "person reads",
        |c, stats, stop| {
            let (base, token, ids) = (base.clone(), token.clone(), ids.clone());
            async move {
                let http = client();
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let url = format!("{base}/api/v1/persons/{}", ids[i % ids.len()]);
                    let t = Instant::now();
                    let r = send(&http, Method::GET, &url, Some(&token), None)
                        .await
                        .and_then(|(s, b)| expect(s, StatusCode::OK, &b));
                    stats.record(t, r);
                    i += 7;
                }
            }
        },
    )
    .await
}

async fn baseline(common: Common) -> anyhow::Result<()> {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/",
        get(|| async { "ok" }).post(|axum::Json(v): axum::Json<Value>| async move {
            axum::Json(json!({"received": v.as_object().map_or(0, |o| o.len())}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base: Arc<str> = format!("http://{addr}").into();
    run_clients(
        common.clients,
        common.seconds,
        "trivial axum GET",
        |_, stats, stop| {
            let base = base.clone();
            async move {
                let http = client();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = send(&http, Method::GET, &base, None, None)
                        .await
                        .and_then(|(s, b)| expect(s, StatusCode::OK, &b));
                    stats.record(t, r);
                }
            }
        },
    )
    .await?;
    let body = Arc::new(registration("010190-1234"));
    run_clients(
        common.clients,
        common.seconds,
        "trivial axum JSON POST",
        |_, stats, stop| {
            let (base, body) = (base.clone(), body.clone());
            async move {
                let http = client();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = send(&http, Method::POST, &base, None, Some(&body))
                        .await
                        .and_then(|(s, b)| expect(s, StatusCode::OK, &b));
                    stats.record(t, r);
                }
            }
        },
    )
    .await
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.cmd {
            Cmd::Writes {
                common,
                url,
                token,
                cpr_offset,
            } => writes(common, url, token, cpr_offset).await,
            Cmd::Reads {
                common,
                url,
                token,
                cpr_offset,
            } => reads(common, url, token, cpr_offset).await,
            Cmd::Baseline { common } => baseline(common).await,
            Cmd::ImportFile { lines, out } => import_file(lines, &out),
            Cmd::SqliteCeiling { rows, batch, dir } => sqlite_ceiling(rows, batch, &dir),
        }
    })
}
