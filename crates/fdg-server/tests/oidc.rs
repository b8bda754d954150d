//! The citizen's login through an OpenID Connect provider: the whole round trip against a
//! provider played by this test (discovery, authorize, token with PKCE, JWKS, ES256 ID token).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use fdg_server::ServerConfig;
use fdg_server::oidc::{OidcConfig, b64url_encode};
use http_body_util::BodyExt;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;
use tower::ServiceExt;

/// The provider: its address, signing key (id and pair; it may rotate), the login in progress
/// (nonce, PKCE challenge), how often its keys were fetched, and whether its metadata names
/// another issuer.
struct Provider {
    base: String,
    key: Mutex<(String, EcdsaKeyPair)>,
    login: Mutex<Option<(String, String)>>,
    jwks_fetches: std::sync::atomic::AtomicUsize,
    other_issuer: bool,
}

fn new_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

/// The test clock's now (`common::app_state`), in seconds: when the provider says it issued.
fn issued_at() -> i64 {
    "2026-11-27T10:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
}

type P = State<Arc<Provider>>;

async fn discovery(State(p): P) -> axum::Json<Value> {
    axum::Json(json!({
        "issuer": if p.other_issuer { "https://evil.example" } else { p.base.as_str() },
        "authorization_endpoint": format!("{}/authorize", p.base),
        "token_endpoint": format!("{}/token", p.base),
        "jwks_uri": format!("{}/jwks", p.base),
    }))
}

async fn authorize(State(p): P, Query(q): Query<HashMap<String, String>>) -> Redirect {
    assert_eq!(q["client_id"], "fdg");
    assert_eq!(q["code_challenge_method"], "S256");
    *p.login.lock().unwrap() = Some((q["nonce"].clone(), q["code_challenge"].clone()));
    Redirect::to(&format!(
        "{}?code=c-123&state={}",
        q["redirect_uri"], q["state"]
    ))
}

async fn token(
    State(p): P,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> impl IntoResponse {
    let (nonce, challenge) = p.login.lock().unwrap().clone().unwrap();
    let verifier_ok =
        b64url_encode(&sha2::Sha256::digest(f["code_verifier"].as_bytes())) == challenge;
    if f["code"] != "c-123" || f["client_secret"] != "s3cret" || !verifier_ok {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        );
    }
    let key = p.key.lock().unwrap();
    let signed = format!(
        "{}.{}",
        b64url_encode(json!({"alg": "ES256", "kid": key.0}).to_string().as_bytes()),
        b64url_encode(
            json!({"iss": p.base, "aud": "fdg", "exp": 4_000_000_000_i64, "iat": issued_at(),
                   "nonce": nonce, "cpr": "070761-4285", "sub": "mitid-erhverv-7",
                   "acr": "https://data.gov.dk/concept/core/nsis/loa/Substantial"})
            .to_string()
            .as_bytes()
        )
    );
    let sig = key.1.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
    let id_token = format!("{signed}.{}", b64url_encode(sig.as_ref()));
    (
        StatusCode::OK,
        axum::Json(json!({"id_token": id_token, "token_type": "Bearer"})),
    )
}

async fn jwks(State(p): P) -> axum::Json<Value> {
    p.jwks_fetches
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let key = p.key.lock().unwrap();
    let point = key.1.public_key().as_ref();
    axum::Json(json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": key.0,
        "x": b64url_encode(&point[1..33]), "y": b64url_encode(&point[33..65])}]}))
}

async fn provider(other_issuer: bool) -> Arc<Provider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let p = Arc::new(Provider {
        base,
        key: Mutex::new(("k1".into(), new_key())),
        login: Mutex::new(None),
        jwks_fetches: 0.into(),
        other_issuer,
    });
    let provider = p.clone();
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/jwks", get(jwks))
        .with_state(p);
    tokio::spawn(async move { axum::serve(listener, app).await });
    provider
}

fn provider_config(issuer: &str, callback: &str, subject_claim: &str) -> OidcConfig {
    OidcConfig {
        issuer: issuer.to_owned(),
        client_id: "fdg".into(),
        client_secret: "s3cret".into(),
        redirect_url: format!("http://fdg.test{callback}"),
        subject_claim: subject_claim.into(),
        ca_file: "/nonexistent".into(),
        acr_values: vec!["https://data.gov.dk/concept/core/nsis/loa/Substantial".into()],
    }
}

fn citizen_app(db: &fdg_store::testing::TestDatabase, issuer: &str) -> Router {
    let (state, _) = common::app_state(
        db,
        ServerConfig {
            oidc: Some(provider_config(issuer, "/borger/callback", "cpr")),
            ..Default::default()
        },
    );
    fdg_server::router(state)
}

fn req(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).unwrap()
}

/// One whole login: to the provider and back; the callback's status and the citizen cookie.
async fn log_in(app: &Router) -> (StatusCode, Option<String>) {
    round_trip(app, "/borger/login", "fdg_oidc", "fdg_citizen").await
}

/// From `start` to the provider and back; the callback's status and the `session` cookie.
async fn round_trip(
    app: &Router,
    start: &str,
    flow_cookie: &str,
    session: &str,
) -> (StatusCode, Option<String>) {
    let (_, headers, _) = call(app, req(start, None)).await;
    let to = headers[header::LOCATION].to_str().unwrap().to_owned();
    let flow = cookie(&headers, flow_cookie);
    let back = location_of(&to)
        .await
        .trim_start_matches("http://fdg.test")
        .to_owned();
    let (status, headers, _) = call(app, req(&back, Some(&flow))).await;
    let session = (status == StatusCode::OK).then(|| cookie(&headers, session));
    (status, session)
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn cookie(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_logs_in_through_the_identity_provider() {
    let provider = provider(false).await;
    let issuer = provider.base.clone();
    let db = fdg_store::testing::TestDatabase::new("oidc-test").unwrap();
    let app = citizen_app(&db, &issuer);

    // The citizen page offers the provider's login.
    let (_, _, page) = call(&app, req("/borger", None)).await;
    assert!(page.contains(r#"<a class="button" href="/borger/login">Log ind med MitID</a>"#));
    // To the provider, with state, nonce and a PKCE challenge; the flow's secrets in a cookie.
    let (status, headers, _) = call(&app, req("/borger/login", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("{issuer}/authorize?")), "{to}");
    assert!(
        to.contains("acr_values=https"),
        "the assurance level is asked for: {to}"
    );
    let flow = cookie(&headers, "fdg_oidc");

    // The provider authenticates the citizen and sends them back with a code.
    let back = location_of(&to)
        .await
        .trim_start_matches("http://fdg.test")
        .to_owned();
    assert!(
        back.starts_with("/borger/callback?code=c-123&state="),
        "{back}"
    );

    // Back without the flow's cookie, or with another login's state: not logged in.
    assert_eq!(
        call(&app, req(&back, None)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = back.replace("state=", "state=0");
    assert_eq!(
        call(&app, req(&other, Some(&flow))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // With it: the code is exchanged, the ID token checked, the session started.
    let (status, headers, body) = call(&app, req(&back, Some(&flow))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = cookie(&headers, "fdg_citizen");
    let (_, _, page) = call(&app, req("/borger", Some(&session))).await;
    assert!(page.contains("Registrér dig som arbejdssøgende"), "{page}");
    let fetched = || {
        provider
            .jwks_fetches
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(fetched(), 1);

    // The next login uses the cached metadata and keys…
    assert_eq!(log_in(&app).await.0, StatusCode::OK);
    assert_eq!(fetched(), 1, "keys are cached");
    // …until the provider rotates its key: a token with an unknown key id fetches them again.
    *provider.key.lock().unwrap() = ("k2".into(), new_key());
    assert_eq!(log_in(&app).await.0, StatusCode::OK);
    assert_eq!(fetched(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_whose_metadata_names_another_issuer_is_not_used() {
    let provider = provider(true).await;
    let db = fdg_store::testing::TestDatabase::new("oidc-issuer").unwrap();
    let app = citizen_app(&db, &provider.base);
    let (status, _, _) = call(&app, req("/borger/login", None)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        provider
            .jwks_fetches
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}

/// The Location the provider's authorize endpoint answers with.
async fn location_of(url: &str) -> String {
    let uri: axum::http::Uri = url.parse().unwrap();
    let addr = format!("{}:{}", uri.host().unwrap(), uri.port_u16().unwrap());
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = Request::get(uri.path_and_query().unwrap().as_str())
        .header(header::HOST, uri.authority().unwrap().as_str())
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caseworker_linked_by_the_operator_logs_in_through_mitid_erhverv() {
    use fdg_domain::{OrgKind, Role};
    let provider = provider(false).await;
    let db = fdg_store::testing::TestDatabase::new("oidc-staff").unwrap();
    let (state, store) = common::app_state(
        &db,
        ServerConfig {
            staff_oidc: Some(provider_config(&provider.base, "/login/callback", "sub")),
            ..Default::default()
        },
    );
    let app = fdg_server::router(state);
    store
        .create_org(OrgKind::MunicipalJobcenter, "101", "København")
        .await
        .unwrap();
    let (user, _) = store
        .create_user(
            "101",
            Some(OrgKind::MunicipalJobcenter),
            Role::Caseworker,
            "Anne Berg",
            None,
        )
        .await
        .unwrap();
    // The login page offers the provider.
    let (_, _, page) = call(&app, req("/login", None)).await;
    assert!(page.contains(r#"href="/login/mitid""#), "{page}");

    // An identity linked to nobody logs nobody in.
    let (status, _) = round_trip(&app, "/login/mitid", "fdg_staff_oidc", "fdg_session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Linked by the operator: a session of that user, with no password to choose.
    let linked = store
        .link_user(&user.username, Some("mitid-erhverv-7"))
        .await
        .unwrap();
    assert!(!linked.must_change_password);
    let (status, session) = round_trip(&app, "/login/mitid", "fdg_staff_oidc", "fdg_session").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, me) = call(&app, req("/session", session.as_deref())).await;
    assert_eq!(status, StatusCode::OK);
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["user"]["username"], user.username.as_str());
    // The one-time password no longer works: the linked user logs in through the provider only.
    assert!(
        store
            .login(&user.username, "anything")
            .await
            .unwrap()
            .is_none()
    );
    // One identity, one user.
    let (other, _) = store
        .create_user(
            "101",
            Some(OrgKind::MunicipalJobcenter),
            Role::Caseworker,
            "Bo Ib",
            None,
        )
        .await
        .unwrap();
    assert!(
        store
            .link_user(&other.username, Some("mitid-erhverv-7"))
            .await
            .is_err()
    );
}
