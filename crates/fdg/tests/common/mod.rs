//! What the tests that run the real `fdg` binary share: a server process, the CLI, and plain
//! HTTP/1.1 requests on their own connections.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// The binary under test.
pub const FDG: &str = env!("CARGO_BIN_EXE_fdg");

/// A fresh database of the backend under test (`FDG_TEST_BACKEND`) with the state job centre
/// (`STAT`) in it: its URL for `--database`, and a token of the job centre's.
pub fn registry(label: &str) -> (fdg_store::testing::TestDatabase, String, String) {
    let db = fdg_store::testing::TestDatabase::new(label).unwrap();
    let url = match db.config().database.clone() {
        fdg_store::Database::Postgres { url } => url,
        fdg_store::Database::Sqlite { dir } => format!("sqlite://{}", dir.display()),
        other => panic!("no URL for {other:?}"),
    };
    let token = state_jobcenter(&url);
    (db, url, token)
}

/// Migrates the database at `url` and creates the state job centre (`STAT`) in it; a token of
/// the job centre's.
pub fn state_jobcenter(url: &str) -> String {
    fdg(url, &["migrate"]);
    fdg(
        url,
        &[
            "org",
            "create",
            "--kind",
            "state-jobcenter",
            "--code",
            "STAT",
            "--name",
            "Staten",
        ],
    );
    fdg(url, &["token", "create", "--org", "STAT"])
        .trim()
        .to_owned()
}

/// The person overview `addr` serves under `token`.
pub fn person(addr: &str, token: &str, person_id: &str) -> Answer {
    http(
        addr,
        "GET",
        &format!("/api/v1/persons/{person_id}"),
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    )
}

/// Registers person `i` through `addr` (a fresh registration each `i`); an error when the
/// server cannot be reached.
pub fn try_register(addr: &str, token: &str, i: usize) -> std::io::Result<Answer> {
    try_http(
        addr,
        "POST",
        "/api/v1/jobseeker-registrations",
        &[
            ("Authorization", &format!("Bearer {token}")),
            ("Content-Type", "application/json"),
        ],
        &registration(i),
    )
}

/// One `fdg serve` process.
pub struct Node {
    pub child: Child,
    pub addr: String,
}

impl Node {
    pub fn start(url: &str) -> Node {
        Node::start_with(url, &[])
    }

    /// A node with more `fdg serve` options.
    pub fn start_with(url: &str, options: &[&str]) -> Node {
        let mut child = Command::new(FDG)
            .args(["serve", "--database", url, "--listen", "127.0.0.1:0"])
            .args(options)
            // The webhook receiver is this test, on loopback over plain HTTP.
            .args(["--webhook-allow-http", "--webhook-allow-private"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                // Warnings and errors show in the test's output (printed when it fails).
                if sent {
                    eprintln!("[fdg serve] {line}");
                } else if let Some(rest) = line.split("serving on http://").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send(addr);
                    sent = true;
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(60)).unwrap();
        Node { child, addr }
    }

    /// SIGTERM, as an orchestrator stops a node; its exit status once it has stopped, or
    /// `None` if it is still running after `within`.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn kill(&mut self) {
        // SIGKILL: no shutdown, no flush.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs the CLI on the database; its standard output.
pub fn fdg(url: &str, args: &[&str]) -> String {
    cli(&[args, &["--database", url]].concat())
}

/// Runs the CLI with exactly `args`; its standard output (it must succeed).
pub fn cli(args: &[&str]) -> String {
    let out = Command::new(FDG)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fdg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on its own connection.
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    try_http(addr, method, path, headers, body).unwrap()
}

/// One HTTP/1.1 request on its own connection; an error when the server cannot be reached
/// or the connection breaks (a killed server).
pub fn try_http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = text
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    Ok(Answer {
        status,
        headers,
        body: if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        },
    })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

pub fn registration(i: usize) -> String {
    let day = i % 28 + 1;
    let month = (i / 28) % 12 + 1;
    let yy = 50 + (i / 336) % 40;
    json!({"cpr": format!("{day:02}{month:02}{yy:02}-{:04}", 1000 + i / 13440),
           "name": "Test Person", "registration_date": "2026-11-02",
           "benefit_category": "a_dagpenge", "unemployment_degree": "fuld",
           "job_titles": ["4110"], "unemployment_fund": "001", "municipality": "101"})
    .to_string()
}

pub fn register(addr: &str, token: &str, i: usize, key: Option<&str>) -> Answer {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    if let Some(k) = key {
        headers.push(("Idempotency-Key", k));
    }
    http(
        addr,
        "POST",
        "/api/v1/jobseeker-registrations",
        &headers,
        &registration(i),
    )
}

/// Every event the feed gives through `addr`, paged by position.
pub fn feed(addr: &str, token: &str) -> Vec<u64> {
    let auth = format!("Bearer {token}");
    let (mut after, mut seen) = (0u64, Vec::new());
    loop {
        let page = http(
            addr,
            "GET",
            &format!("/api/v1/events?after={after}&limit=500"),
            &[("Authorization", &auth)],
            "",
        );
        assert_eq!(page.status, 200, "{}", page.body);
        let events = page.json()["events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if events.is_empty() {
            return seen;
        }
        for e in &events {
            seen.push(e["position"].as_u64().unwrap());
        }
        after = page.json()["next_after"].as_u64().unwrap();
    }
}
