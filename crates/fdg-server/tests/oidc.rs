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

/// The provider: its address, signing key, and the login in progress (nonce, PKCE challenge).
struct Provider {
    base: String,
    key: EcdsaKeyPair,
    login: Mutex<Option<(String, String)>>,
}

type P = State<Arc<Provider>>;

async fn discovery(State(p): P) -> axum::Json<Value> {
    axum::Json(json!({
        "issuer": p.base,
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
    let signed = format!(
        "{}.{}",
        b64url_encode(json!({"alg": "ES256", "kid": "k1"}).to_string().as_bytes()),
        b64url_encode(
            json!({"iss": p.base, "aud": "fdg", "exp": 4_000_000_000_i64, "nonce": nonce,
                   "cpr": "070761-4285"})
            .to_string()
            .as_bytes()
        )
    );
    let sig = p.key.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
    let id_token = format!("{signed}.{}", b64url_encode(sig.as_ref()));
    (
        StatusCode::OK,
        axum::Json(json!({"id_token": id_token, "token_type": "Bearer"})),
    )
}

async fn jwks(State(p): P) -> axum::Json<Value> {
    let point = p.key.public_key().as_ref();
    axum::Json(json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
        "x": b64url_encode(&point[1..33]), "y": b64url_encode(&point[33..65])}]}))
}

async fn provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let p = Arc::new(Provider {
        base: base.clone(),
        key,
        login: Mutex::new(None),
    });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/jwks", get(jwks))
        .with_state(p);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
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
    let issuer = provider().await;
    let db = fdg_store::testing::TestDatabase::new("oidc-test").unwrap();
    let (state, _) = common::app_state(
        &db,
        ServerConfig {
            secure_cookies: false,
            citizen_dev_login: false,
            oidc: Some(OidcConfig {
                issuer: issuer.clone(),
                client_id: "fdg".into(),
                client_secret: "s3cret".into(),
                redirect_url: "http://fdg.test/borger/callback".into(),
                cpr_claim: "cpr".into(),
                ca_file: "/nonexistent".into(),
            }),
        },
    );
    let app = fdg_server::router(state);
    let get = |uri: &str, cookie: Option<&str>| {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.body(Body::empty()).unwrap()
    };

    // The citizen page offers the provider's login.
    let (_, _, page) = call(&app, get("/borger", None)).await;
    assert!(page.contains(r#"<a class="button" href="/borger/login">Log ind med MitID</a>"#));
    // To the provider, with state, nonce and a PKCE challenge; the flow's secrets in a cookie.
    let (status, headers, _) = call(&app, get("/borger/login", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let to = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("{issuer}/authorize?")), "{to}");
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
        call(&app, get(&back, None)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = back.replace("state=", "state=0");
    assert_eq!(
        call(&app, get(&other, Some(&flow))).await.0,
        StatusCode::UNAUTHORIZED
    );

    // With it: the code is exchanged, the ID token checked, the session started.
    let (status, headers, body) = call(&app, get(&back, Some(&flow))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = cookie(&headers, "fdg_citizen");
    let (_, _, page) = call(&app, get("/borger", Some(&session))).await;
    assert!(page.contains("Registrér dig som arbejdssøgende"), "{page}");
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
    let req = hyper::Request::get(uri.path_and_query().unwrap().as_str())
        .header(header::HOST, uri.authority().unwrap().as_str())
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    res.headers()[header::LOCATION].to_str().unwrap().to_owned()
}
