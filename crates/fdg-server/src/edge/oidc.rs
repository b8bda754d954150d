//! Logging in through an OpenID Connect provider: citizens with MitID through NemLog-in
//! (`/borger/login`), staff with MitID Erhverv (`/login/mitid`), through the same code. The
//! authorization code flow with PKCE, and the ID token's signature (RS256 or
//! ES256, from the provider's JWKS), issuer, audience and authorized party, times (`exp`,
//! `iat`, `nbf`), nonce and assurance level (`acr`) checked before the subject claim starts a
//! session: the CPR number a citizen session, the identifier an operator linked to a user
//! (`fdg user link`) a staff session.
//!
//! State, nonce and PKCE verifier travel in a short-lived `HttpOnly; SameSite=Lax` cookie
//! scoped to the flow's path (`/borger`, `/login`). The provider's metadata (whose `issuer` must be the configured one)
//! and keys are cached for [`CACHE_SECONDS`]; a token signed with a key id the cache does not
//! know fetches the keys again once (the provider rotated them).

use std::path::PathBuf;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest;

use crate::{ApiError, AppState};

/// A login flow: the cookie carrying state, nonce and verifier between the start and the
/// callback, and the path it is scoped to.
pub(crate) struct Flow {
    cookie: &'static str,
    path: &'static str,
}

/// The citizen's login (`/borger/login` → `/borger/callback`).
pub(crate) const CITIZEN: Flow = Flow {
    cookie: "fdg_oidc",
    path: "/borger",
};

/// A caseworker's or operator's login (`/login/mitid` → `/login/callback`).
pub(crate) const STAFF: Flow = Flow {
    cookie: "fdg_staff_oidc",
    path: "/login",
};

/// How long the provider's metadata and keys are kept before they are fetched again.
pub const CACHE_SECONDS: u64 = 3600;

/// Clock difference tolerated between this service and the provider, in seconds.
const SKEW: i64 = 120;

/// How old an ID token may be when it arrives (`iat`), in seconds.
const MAX_AGE: i64 = 600;

/// The provider's metadata and keys, as last fetched.
#[derive(Debug, Default)]
pub struct ProviderCache {
    /// Per issuer (only the configured ones): when fetched, metadata, keys.
    inner:
        tokio::sync::Mutex<std::collections::HashMap<String, (tokio::time::Instant, Value, Value)>>,
}

/// How the service reaches the identity provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The issuer (its `/.well-known/openid-configuration` is read at each login).
    pub issuer: String,
    /// This service's client id at the provider.
    pub client_id: String,
    /// Its client secret (sent to the token endpoint).
    pub client_secret: String,
    /// Where the provider sends the citizen back: this service's `/borger/callback`.
    pub redirect_url: String,
    /// The claim naming whom the login is for: the CPR number (citizens), or the person's
    /// identifier at the provider that the operator linked to a user (staff).
    pub subject_claim: String,
    /// Trusted roots (PEM) for the provider's TLS certificate.
    pub ca_file: PathBuf,
    /// Assurance levels accepted in the ID token's `acr` claim (asked for with `acr_values`);
    /// empty accepts any. With MitID through NemLog-in, e.g.
    /// `https://data.gov.dk/concept/core/nsis/loa/Substantial`.
    pub acr_values: Vec<String>,
}

/// What an ID token must match besides its signature.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The configured issuer.
    pub issuer: &'a str,
    /// This service's client id.
    pub client_id: &'a str,
    /// The nonce of this login.
    pub nonce: &'a str,
    /// Accepted `acr` values (empty: any).
    pub acr_values: &'a [String],
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// Base64url without padding (RFC 7515, appendix C).
pub fn b64url_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(A[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// Decodes base64url without padding; `None` for anything else.
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let sextet = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let (mut out, mut acc, mut bits) = (Vec::with_capacity(text.len() * 3 / 4), 0u32, 0);
    for c in text.bytes() {
        acc = ((acc << 6) | u32::from(sextet(c)?)) & 0xFF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Why an ID token was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub &'static str);

/// Checks an ID token against the provider's keys and this login, and returns its claims:
/// signature (RS256 or ES256 only), `iss`, `aud` and `azp`, `exp`, `iat` (not in the future,
/// at most ten minutes old) and `nbf`, with two minutes' tolerance, `nonce`, and `acr` when
/// levels are required. `Refused("unknown key")` means no key has the token's `kid`: fetch the
/// keys again.
pub fn verify_id_token(token: &str, jwks: &Value, want: Expected<'_>) -> Result<Value, Refused> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused("not a signed JWT"));
    };
    let json = |part: &str| -> Result<Value, Refused> {
        b64url_decode(part)
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(Refused("not a signed JWT"))
    };
    let head = json(h)?;
    let sig = b64url_decode(s).ok_or(Refused("not a signed JWT"))?;
    let kty = match head["alg"].as_str() {
        Some("RS256") => "RSA",
        Some("ES256") => "EC",
        _ => return Err(Refused("signature algorithm not accepted")),
    };
    let kid = head["kid"].as_str();
    let signed = &token.as_bytes()[..h.len() + 1 + p.len()];
    let candidates: Vec<&Value> = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["kty"] == kty && kid.is_none_or(|kid| k["kid"] == kid))
        .collect();
    if candidates.is_empty() && kid.is_some() {
        return Err(Refused("unknown key"));
    }
    if !candidates.iter().any(|k| verify_with(k, kty, signed, &sig)) {
        return Err(Refused("signature does not verify"));
    }
    let claims = json(p)?;
    if claims["iss"] != want.issuer {
        return Err(Refused("wrong issuer"));
    }
    let audience = match &claims["aud"] {
        Value::String(a) => a == want.client_id,
        Value::Array(a) => a.iter().any(|a| a == want.client_id),
        _ => false,
    };
    if !audience {
        return Err(Refused("not issued to this service"));
    }
    // With several audiences the authorized party must be this service; if named, always.
    let several = claims["aud"].as_array().is_some_and(|a| a.len() > 1);
    match claims.get("azp") {
        Some(azp) if azp != want.client_id => return Err(Refused("issued to another party")),
        None if several => return Err(Refused("issued to another party")),
        _ => {}
    }
    let now = want.now;
    if claims["exp"].as_i64().is_none_or(|exp| exp + SKEW <= now) {
        return Err(Refused("expired"));
    }
    match claims["iat"].as_i64() {
        Some(iat) if iat <= now + SKEW && iat >= now - MAX_AGE - SKEW => {}
        _ => return Err(Refused("issued at the wrong time")),
    }
    if claims
        .get("nbf")
        .is_some_and(|nbf| nbf.as_i64().is_none_or(|nbf| nbf > now + SKEW))
    {
        return Err(Refused("not valid yet"));
    }
    if claims["nonce"] != want.nonce {
        return Err(Refused("not issued for this login"));
    }
    if !want.acr_values.is_empty()
        && !claims["acr"]
            .as_str()
            .is_some_and(|acr| want.acr_values.iter().any(|a| a == acr))
    {
        return Err(Refused("assurance level too low"));
    }
    Ok(claims)
}

fn verify_with(key: &Value, kty: &str, signed: &[u8], sig: &[u8]) -> bool {
    let part = |name: &str| key[name].as_str().and_then(b64url_decode);
    match kty {
        "RSA" => match (part("n"), part("e")) {
            (Some(n), Some(e)) => ring::signature::RsaPublicKeyComponents { n, e }
                .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed, sig)
                .is_ok(),
            _ => false,
        },
        _ => match (key["crv"].as_str(), part("x"), part("y")) {
            (Some("P-256"), Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                let point = [&[4u8][..], &x, &y].concat();
                ring::signature::UnparsedPublicKey::new(
                    &ring::signature::ECDSA_P256_SHA256_FIXED,
                    point,
                )
                .verify(signed, sig)
                .is_ok()
            }
            _ => false,
        },
    }
}

async fn get_json(config: &OidcConfig, url: &str) -> Result<Value, ApiError> {
    let (status, body) = crate::edge::http::exchange(
        &config.ca_file,
        crate::edge::http::Policy::TRUSTED,
        "GET",
        url,
        &[],
        Bytes::new(),
    )
    .await
    .map_err(|e| ApiError::internal(format!("identity provider: {e}")))?;
    if status != 200 {
        return Err(ApiError::internal(format!(
            "identity provider: {url} answered {status}"
        )));
    }
    serde_json::from_slice(&body).map_err(|e| ApiError::internal(format!("identity provider: {e}")))
}

/// The provider's metadata and keys: cached for [`CACHE_SECONDS`], or fetched afresh when
/// `fresh` (after a token named a key the cache does not hold). Metadata whose `issuer` is not
/// the configured one is refused (OpenID Connect Discovery, section 4.3).
async fn provider(
    state: &AppState,
    config: &OidcConfig,
    fresh: bool,
) -> Result<(Value, Value), ApiError> {
    let mut cached = state.oidc_cache.inner.lock().await;
    if let Some((at, meta, jwks)) = cached.get(&config.issuer)
        && !fresh
        && at.elapsed() < std::time::Duration::from_secs(CACHE_SECONDS)
    {
        return Ok((meta.clone(), jwks.clone()));
    }
    let url = format!(
        "{}/.well-known/openid-configuration",
        config.issuer.trim_end_matches('/')
    );
    let meta = get_json(config, &url).await?;
    if meta["issuer"] != config.issuer.as_str() {
        return Err(ApiError::internal(
            "identity provider: its metadata names another issuer",
        ));
    }
    let jwks = get_json(config, endpoint(&meta, "jwks_uri")?).await?;
    cached.insert(
        config.issuer.clone(),
        (tokio::time::Instant::now(), meta.clone(), jwks.clone()),
    );
    Ok((meta, jwks))
}

fn endpoint<'a>(meta: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    meta[name]
        .as_str()
        .ok_or_else(|| ApiError::internal(format!("identity provider: no {name}")))
}

pub(crate) fn oidc(state: &AppState) -> Result<&OidcConfig, ApiError> {
    state.config.oidc.as_ref().ok_or(ApiError::NotFound)
}

pub(crate) fn staff_oidc(state: &AppState) -> Result<&OidcConfig, ApiError> {
    state.config.staff_oidc.as_ref().ok_or(ApiError::NotFound)
}

fn flow_cookie(state: &AppState, flow: &Flow, value: &str, max_age: i64) -> HeaderValue {
    let path = format!("{}; SameSite=Lax", flow.path);
    crate::edge::session::cookie_header(state, flow.cookie, value, &path, max_age)
}

/// Sends the browser to the provider, with state, nonce and a PKCE challenge; the flow's
/// secrets go in its cookie.
pub(crate) async fn begin(
    state: &AppState,
    config: &OidcConfig,
    flow: &Flow,
) -> Result<Response, ApiError> {
    let (meta, _) = provider(state, config, false).await?;
    let (flow_state, nonce, verifier) = (
        crate::edge::session::random_hex(16)?,
        crate::edge::session::random_hex(16)?,
        crate::edge::session::random_hex(32)?,
    );
    let challenge = b64url_encode(&sha2::Sha256::digest(verifier.as_bytes()));
    let acr_values = config.acr_values.join(" ");
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", config.client_id.as_str()),
        ("redirect_uri", config.redirect_url.as_str()),
        ("scope", "openid"),
        ("state", flow_state.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if !acr_values.is_empty() {
        params.push(("acr_values", acr_values.as_str()));
    }
    let query = serde_urlencoded::to_string(params).map_err(ApiError::internal)?;
    let to = format!("{}?{query}", endpoint(&meta, "authorization_endpoint")?);
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        flow_cookie(
            state,
            flow,
            &format!("{flow_state}.{nonce}.{verifier}"),
            600,
        ),
    );
    Ok(res)
}

/// What the provider sends back.
#[derive(Debug, Deserialize)]
pub struct Callback {
    /// The authorization code.
    pub code: Option<String>,
    /// The state this service sent.
    pub state: Option<String>,
}

/// Back from the provider: checks the state against the flow's cookie, exchanges the code,
/// checks the ID token and returns its subject claim.
pub(crate) async fn finish(
    state: &AppState,
    config: &OidcConfig,
    flow: &Flow,
    headers: &HeaderMap,
    back: Callback,
) -> Result<String, ApiError> {
    let cookie =
        crate::edge::session::cookie(headers, flow.cookie).ok_or(ApiError::Unauthenticated)?;
    let mut parts = cookie.splitn(3, '.');
    let (Some(flow_state), Some(nonce), Some(verifier)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(ApiError::Unauthenticated);
    };
    let (Some(code), true) = (back.code, back.state.as_deref() == Some(flow_state)) else {
        return Err(ApiError::Unauthenticated);
    };
    let (meta, jwks) = provider(state, config, false).await?;
    let form = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", config.redirect_url.as_str()),
        ("client_id", config.client_id.as_str()),
        ("client_secret", config.client_secret.as_str()),
        ("code_verifier", verifier),
    ])
    .map_err(ApiError::internal)?;
    let (status, body) = crate::edge::http::exchange(
        &config.ca_file,
        crate::edge::http::Policy::TRUSTED,
        "POST",
        endpoint(&meta, "token_endpoint")?,
        &[(
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        )],
        Bytes::from(form),
    )
    .await
    .map_err(|e| ApiError::internal(format!("identity provider: {e}")))?;
    if status != 200 {
        return Err(ApiError::Unauthenticated);
    }
    let tokens: Value = serde_json::from_slice(&body).map_err(ApiError::internal)?;
    let id_token = tokens["id_token"]
        .as_str()
        .ok_or(ApiError::Unauthenticated)?;
    let want = Expected {
        issuer: &config.issuer,
        client_id: &config.client_id,
        nonce,
        acr_values: &config.acr_values,
        now: state.clock.now().as_second(),
    };
    let claims = match verify_id_token(id_token, &jwks, want) {
        // The provider has rotated its keys since they were cached.
        Err(Refused("unknown key")) => {
            let (_, jwks) = provider(state, config, true).await?;
            verify_id_token(id_token, &jwks, want)
        }
        other => other,
    }
    .map_err(|Refused(why)| {
        tracing::warn!(why, "ID token refused");
        ApiError::Unauthenticated
    })?;
    claims[config.subject_claim.as_str()]
        .as_str()
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .map(str::to_owned)
        .ok_or(ApiError::Unauthenticated)
}

/// The answer that ends a login: a page on this site moving on to `to`, with `cookie` set and
/// the flow's cookie cleared. The session cookie is `SameSite=Strict`, and this answer ends a
/// navigation that began at the provider: a redirect would arrive without it.
pub(crate) fn moving_on(state: &AppState, flow: &Flow, to: &str, cookie: HeaderValue) -> Response {
    let page = format!(
        r#"<!doctype html><html lang="da"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={to}"><title>Logget ind</title></head><body><p><a href="{to}">Fortsæt</a></p></body></html>"#
    );
    let mut res = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response();
    res.headers_mut().insert(header::SET_COOKIE, cookie);
    res.headers_mut()
        .append(header::SET_COOKIE, flow_cookie(state, flow, "", 0));
    res
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::json;

    fn key() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
    }

    fn jwks(k: &EcdsaKeyPair) -> Value {
        let p = k.public_key().as_ref();
        json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1",
            "x": b64url_encode(&p[1..33]), "y": b64url_encode(&p[33..65])}]})
    }

    fn sign(k: &EcdsaKeyPair, head: Value, claims: Value) -> String {
        let signed = format!(
            "{}.{}",
            b64url_encode(head.to_string().as_bytes()),
            b64url_encode(claims.to_string().as_bytes())
        );
        let sig = k.sign(&SystemRandom::new(), signed.as_bytes()).unwrap();
        format!("{signed}.{}", b64url_encode(sig.as_ref()))
    }

    fn claims() -> Value {
        json!({"iss": "https://idp", "aud": "fdg", "exp": 2000, "iat": 990, "nonce": "n1",
            "cpr": "070761-4285", "acr": "https://data.gov.dk/concept/core/nsis/loa/Substantial"})
    }

    const HEAD: fn() -> Value = || json!({"alg": "ES256", "kid": "k1"});

    #[test]
    fn base64url_round_trips() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(b64url_decode(&b64url_encode(&bytes)).unwrap(), bytes);
        }
        // RFC 7636, appendix B: the S256 challenge of the example verifier.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            b64url_encode(&sha2::Sha256::digest(verifier.as_bytes())),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_good_token_gives_its_claims_and_every_bad_one_is_refused() {
        let k = key();
        let keys = jwks(&k);
        let levels = ["https://data.gov.dk/concept/core/nsis/loa/Substantial".to_owned()];
        let want = Expected {
            issuer: "https://idp",
            client_id: "fdg",
            nonce: "n1",
            acr_values: &levels,
            now: 1000,
        };
        let check = |t: &str| verify_id_token(t, &keys, want);
        assert_eq!(
            check(&sign(&k, HEAD(), claims())).unwrap()["cpr"],
            "070761-4285"
        );
        let with = |f: &dyn Fn(&mut Value)| {
            let mut c = claims();
            f(&mut c);
            check(&sign(&k, HEAD(), c)).unwrap_err().0
        };
        assert_eq!(with(&|c| c["iss"] = json!("https://evil")), "wrong issuer");
        assert_eq!(
            with(&|c| c["aud"] = json!(["other"])),
            "not issued to this service"
        );
        assert_eq!(with(&|c| c["exp"] = json!(800)), "expired");
        assert_eq!(
            with(&|c| c["iat"] = json!(1500)),
            "issued at the wrong time"
        );
        assert_eq!(with(&|c| c["iat"] = json!(100)), "issued at the wrong time");
        assert_eq!(
            with(&|c| drop(c.as_object_mut().unwrap().remove("iat"))),
            "issued at the wrong time"
        );
        assert_eq!(with(&|c| c["nbf"] = json!(1500)), "not valid yet");
        assert_eq!(
            with(&|c| c["azp"] = json!("other")),
            "issued to another party"
        );
        assert_eq!(
            with(&|c| c["aud"] = json!(["fdg", "other"])),
            "issued to another party"
        );
        assert!(
            check(&sign(&k, HEAD(), {
                let mut c = claims();
                c["aud"] = json!(["fdg", "other"]);
                c["azp"] = json!("fdg");
                c
            }))
            .is_ok()
        );
        assert_eq!(
            with(&|c| c["acr"] = json!("https://data.gov.dk/concept/core/nsis/loa/Low")),
            "assurance level too low"
        );
        assert_eq!(
            with(&|c| drop(c.as_object_mut().unwrap().remove("acr"))),
            "assurance level too low"
        );
        assert_eq!(
            with(&|c| c["nonce"] = json!("n2")),
            "not issued for this login"
        );
        // Signed by another key, by a key the set does not hold, or not signed at all.
        assert_eq!(
            check(&sign(&key(), HEAD(), claims())).unwrap_err().0,
            "signature does not verify"
        );
        assert_eq!(
            check(&sign(&k, json!({"alg": "ES256", "kid": "k2"}), claims()))
                .unwrap_err()
                .0,
            "unknown key"
        );
        let unsigned = format!(
            "{}.{}.",
            b64url_encode(json!({"alg": "none"}).to_string().as_bytes()),
            b64url_encode(claims().to_string().as_bytes())
        );
        assert_eq!(
            check(&unsigned).unwrap_err().0,
            "signature algorithm not accepted"
        );
        // The claims changed after signing.
        let good = sign(&k, HEAD(), claims());
        let mut parts: Vec<&str> = good.split('.').collect();
        let mut forged = claims();
        forged["cpr"] = json!("020285-2345");
        let forged = b64url_encode(forged.to_string().as_bytes());
        parts[1] = &forged;
        assert_eq!(
            check(&parts.join(".")).unwrap_err().0,
            "signature does not verify"
        );
    }
}
