//! The bad-input campaign: generated requests through the real router, in process — every
//! operation of the OpenAPI document with bodies built from its schema and then broken
//! (fields missing, of the wrong type, far too long, with control characters, unknown keys,
//! truncated or nested JSON, bytes that are not JSON), odd path and query parameters, odd
//! headers, and form posts to the browser pages. Not one answer may be a 5xx, and nothing may
//! panic.
//!
//! `FDG_FUZZ_CASES` sets the number of requests (default 3,000, as `.ci/run` runs it; the
//! full campaign in docs/reliability.md sends 1,000,000), `FDG_FUZZ_SEED` repeats a run (each
//! run prints its seed).

#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Method, Request};
use fdg_domain::OrgKind;
use fdg_server::ServerConfig;
use fdg_store::testing::TestDatabase;
use serde_json::{Map, Value, json};

mod common;

/// A small, seedable generator (xorshift64*): repeatable runs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Strings a caller might send where text is expected.
fn odd_string(rng: &mut Rng) -> String {
    let pool = [
        "010190-1234",
        "0101901234",
        "311299-9999",
        "2026-11-02",
        "2026-02-30",
        "9999-99-99",
        "101",
        "STAT",
        "a_dagpenge",
        "fuld",
        "4110",
        "",
        " ",
        "null",
        "true",
        "-1",
        "1e309",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "%00",
        "\u{0}",
        "\u{7}\u{1b}[31m",
        "\u{feff}",
        "\u{202e}",
        "Ærø Ås Østergård",
        "👩‍👩‍👧",
        "\u{10ffff}",
    ];
    match rng.below(6) {
        0 => "x".repeat(rng.below(20_000)),
        1 => "ø".repeat(rng.below(5_000)),
        2 => (0..rng.below(40))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
        _ => (*rng.pick(&pool)).to_owned(),
    }
}

fn odd_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(rng.next() as i64),
        3 => json!(f64::from(rng.below(1000) as u32) / 7.0),
        4 if depth < 4 => Value::Array(
            (0..rng.below(4))
                .map(|_| odd_value(rng, depth + 1))
                .collect(),
        ),
        5 if depth < 4 => {
            let mut m = Map::new();
            for _ in 0..rng.below(4) {
                m.insert(odd_string(rng), odd_value(rng, depth + 1));
            }
            Value::Object(m)
        }
        _ => json!(odd_string(rng)),
    }
}

/// A schema, with `$ref` resolved against the document.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A value for `schema`: mostly of its shape, often broken.
fn from_schema(rng: &mut Rng, doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if depth > 5 || rng.chance(8) {
        return odd_value(rng, depth);
    }
    for alt in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[alt].as_array().filter(|o| !o.is_empty()) {
            let option = &options[rng.below(options.len())];
            return from_schema(rng, doc, option, depth + 1);
        }
    }
    if let Some(values) = schema["enum"].as_array().filter(|v| !v.is_empty()) {
        return rng.pick(values).clone();
    }
    let kind = match &schema["type"] {
        Value::Array(types) => types.first().and_then(Value::as_str).unwrap_or("object"),
        t => t.as_str().unwrap_or("object"),
    };
    match kind {
        "object" => {
            let mut m = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    if rng.chance(80) {
                        m.insert(name.clone(), from_schema(rng, doc, prop, depth + 1));
                    }
                }
            }
            if rng.chance(10) {
                m.insert(odd_string(rng), odd_value(rng, depth + 1));
            }
            Value::Object(m)
        }
        "array" => Value::Array(
            (0..rng.below(4))
                .map(|_| from_schema(rng, doc, &schema["items"], depth + 1))
                .collect(),
        ),
        "integer" => json!(match rng.below(4) {
            0 => -(rng.below(100) as i64),
            1 => rng.next() as i64,
            _ => rng.below(10) as i64,
        }),
        "number" => json!(rng.below(100)),
        "boolean" => json!(rng.chance(50)),
        _ => json!(odd_string(rng)),
    }
}

/// A request body: from the schema, or not JSON at all.
fn body(rng: &mut Rng, doc: &Value, schema: Option<&Value>) -> Vec<u8> {
    let value = match schema {
        Some(s) => from_schema(rng, doc, s, 0),
        None => odd_value(rng, 0),
    };
    let text = value.to_string();
    match rng.below(20) {
        0 => text.as_bytes()[..rng.below(text.len())].to_vec(),
        1 => format!(
            "{}{}",
            "[".repeat(rng.below(5_000)),
            "]".repeat(rng.below(5_000))
        )
        .into_bytes(),
        2 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        3 => Vec::new(),
        4 => format!("{text}{text}").into_bytes(),
        _ => text.into_bytes(),
    }
}

/// A path or query parameter's value.
fn parameter(rng: &mut Rng) -> String {
    let raw = match rng.below(5) {
        0 => rng.below(1000).to_string(),
        1 => format!("-{}", rng.next()),
        2 => "p019ad3c6d2a1b2c3d4".to_owned(),
        _ => odd_string(rng),
    };
    let mut out = String::new();
    for b in raw.bytes().take(3000) {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every operation of the document: method, path template, query parameter names, body
/// schema.
fn operations(doc: &Value) -> Vec<(Method, String, Vec<String>, Option<Value>)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let query = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let schema = (!schema.is_null()).then_some(schema);
            out.push((
                method,
                format!("/api/v1{}", path.trim_start_matches("/api/v1")),
                query,
                schema,
            ));
        }
    }
    out
}

/// The browser's and citizen's form posts (no valid session or CSRF token: each must be
/// refused or redirected, never fail).
const FORMS: &[&str] = &[
    "/login",
    "/logout",
    "/find",
    "/password",
    "/borger/dev-login",
    "/borger/register",
    "/borger/deregister",
    "/borger/logout",
    "/admin/orgs",
    "/admin/users",
    "/admin/agreements/1",
    "/persons/p019ad3c6d2a1b2c3d4/first-contact",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_bad_input_never_gets_a_server_error() {
    let cases: u64 = std::env::var("FDG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let seed: u64 = std::env::var("FDG_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::UNIX_EPOCH
                .elapsed()
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    eprintln!("bad-input campaign: {cases} requests, FDG_FUZZ_SEED={seed}");
    // The cause of a server error is logged: shown with the failing case.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("error")
        .with_test_writer()
        .try_init();
    let db = TestDatabase::new("bad-input").unwrap();
    let (state, store) = common::app_state(&db, ServerConfig::default());
    let token = common::org_token(&store, OrgKind::MunicipalJobcenter, "101").await;
    let router = fdg_server::router(state);
    let doc: Value = serde_json::from_str(&fdg_server::openapi::json()).unwrap();
    let ops = operations(&doc);
    assert!(ops.len() > 15, "the document lists the operations");
    let mut rng = Rng(seed);
    let mut by_status = std::collections::BTreeMap::<u16, u64>::new();
    for case in 0..cases {
        let form = rng.chance(10);
        let (method, mut uri, body_bytes, json_body) = if form {
            let fields: Vec<String> = (0..rng.below(6))
                .map(|_| format!("{}={}", parameter(&mut rng), parameter(&mut rng)))
                .collect();
            (
                Method::POST,
                (*rng.pick(FORMS)).to_owned(),
                fields.join("&").into_bytes(),
                false,
            )
        } else {
            let (method, template, query, schema) = rng.pick(&ops).clone();
            let mut path = String::new();
            for segment in template.split('/').skip(1) {
                path.push('/');
                if segment.starts_with('{') {
                    path.push_str(&parameter(&mut rng));
                } else {
                    path.push_str(segment);
                }
            }
            let mut params = Vec::new();
            for name in &query {
                if rng.chance(50) {
                    // A long poll that is allowed to wait would only make the run slow.
                    let value = if name == "wait" {
                        (*rng.pick(&["0", "-1", "x", "1e3", "99999999999999999999999", ""]))
                            .to_owned()
                    } else {
                        parameter(&mut rng)
                    };
                    params.push(format!("{name}={value}"));
                }
            }
            if rng.chance(10) {
                params.push(format!("{}={}", parameter(&mut rng), parameter(&mut rng)));
            }
            if !params.is_empty() {
                path.push('?');
                path.push_str(&params.join("&"));
            }
            let bytes = if schema.is_some() || rng.chance(5) {
                body(&mut rng, &doc, schema.as_ref())
            } else {
                Vec::new()
            };
            (method, path, bytes, true)
        };
        if rng.chance(2) {
            uri.push_str(&"/x".repeat(rng.below(500)));
        }
        let mut req = Request::builder().method(method.clone()).uri(&uri);
        req = match rng.below(10) {
            0 => req,
            1 => req.header("Authorization", format!("Bearer {}", parameter(&mut rng))),
            2 => req.header("Authorization", "Basic Zm9vOmJhcg=="),
            _ => req.header("Authorization", format!("Bearer {token}")),
        };
        let content_type = match rng.below(12) {
            0 => None,
            1 => Some("text/plain".to_owned()),
            2 => Some("application/json; charset=latin1".to_owned()),
            3 => Some(parameter(&mut rng)),
            _ if json_body => Some("application/json".to_owned()),
            _ => Some("application/x-www-form-urlencoded".to_owned()),
        };
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        for name in [
            "If-Match",
            "Idempotency-Key",
            "X-Acting-Person",
            "X-On-Behalf-Of",
            "Cookie",
            "Accept-Language",
        ] {
            if rng.chance(8) {
                let value = parameter(&mut rng);
                req = req.header(name, value);
            }
        }
        let Ok(req) = req.body(Body::from(body_bytes.clone())) else {
            continue;
        };
        let answer = common::call(&router, req).await;
        let status = answer.status.as_u16();
        *by_status.entry(status).or_default() += 1;
        assert!(
            status < 500,
            "case {case} (FDG_FUZZ_SEED={seed}): {method} {} with {} body bytes {:?} → {status} {}",
            &uri[..uri.len().min(300)],
            body_bytes.len(),
            String::from_utf8_lossy(&body_bytes)
                .replace("xxxxxxxxxx", "")
                .chars()
                .take(600)
                .collect::<String>(),
            answer.text
        );
    }
    eprintln!("bad-input campaign: answers by status {by_status:?}");
}
