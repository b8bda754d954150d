//! JSON request bodies: parsed strictly (a field the types do not know is refused by name),
//! described in English and Danish without echoing the offending value (it may be a CPR
//! number), and hashed with method and path for idempotency.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Digest;

use crate::ApiError;

/// A JSON body, parsed without echoing input values in errors, with the request's hash
/// (method, path and body) for idempotency.
pub struct JsonBody<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of method, path and body.
    pub hash: [u8; 32],
}

/// Describes a JSON error without the offending value (it may be a CPR number), in English
/// and Danish.
fn describe(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    // serde names an unknown field of a struct that denies them; say which (not_known echoes
    // only what looks like a field name).
    if let Some(field) = e
        .to_string()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        return not_known(field);
    }
    let (line, column) = (e.line(), e.column());
    let (en, da) = match e.classify() {
        Category::Syntax => (
            format!("JSON syntax error at line {line}, column {column}"),
            format!("fejl i JSON-syntaksen i linje {line}, kolonne {column}"),
        ),
        Category::Eof => (
            "the body ended before the JSON was complete".to_owned(),
            "indholdet sluttede, før JSON'en var færdig".to_owned(),
        ),
        Category::Io => (
            "the body could not be read".to_owned(),
            "indholdet kunne ikke læses".to_owned(),
        ),
        // serde's own text can quote the offending value (a CPR number in the wrong field):
        // say only where.
        Category::Data => (
            format!(
                "a field has the wrong type, or a field is not known, at line {line}, column {column}"
            ),
            format!("et felt har forkert type eller findes ikke, i linje {line}, kolonne {column}"),
        ),
    };
    ApiError::Malformed { en, da }
}

/// The first field of `given` (the body as sent) that `known` (the body as understood) does
/// not have, as a dotted path: a misspelt optional field would otherwise be dropped silently.
/// Only field names that look like field names are echoed.
pub fn unknown_field(
    given: &serde_json::Value,
    known: &serde_json::Value,
    at: &str,
) -> Option<String> {
    let (serde_json::Value::Object(given), serde_json::Value::Object(known)) = (given, known)
    else {
        return None;
    };
    for (key, value) in given {
        let path = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        match known.get(key) {
            None => return Some(path),
            Some(k) => {
                if let Some(deeper) = unknown_field(value, k, &path) {
                    return Some(deeper);
                }
            }
        }
    }
    None
}

fn not_known(path: &str) -> ApiError {
    // Field names are lowercase words; anything else (a CPR number as a key, say) is not
    // echoed.
    let plain = path.len() <= 64
        && path.split('.').all(|segment| {
            segment
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        && !path
            .as_bytes()
            .windows(4)
            .any(|w| w.iter().all(u8::is_ascii_digit));
    let (en, da) = if plain {
        (
            format!("the field `{path}` is not known"),
            format!("feltet `{path}` findes ikke"),
        )
    } else {
        (
            "a field is not known".to_owned(),
            "et felt findes ikke".to_owned(),
        )
    };
    ApiError::Malformed { en, da }
}

impl<T: DeserializeOwned + Serialize, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || v.contains("+json")
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let mut hasher = sha2::Sha256::new();
        hasher.update(req.method().as_str().as_bytes());
        hasher.update(b" ");
        hasher.update(req.uri().path().as_bytes());
        hasher.update(b"\n");
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Malformed {
                    en: "the body could not be read".into(),
                    da: "indholdet kunne ikke læses".into(),
                }
            }
        })?;
        hasher.update(&bytes);
        let value: T = serde_json::from_slice(&bytes).map_err(|e| describe(&e))?;
        // Fields the types do not know are refused by name, also where `flatten` keeps serde
        // from doing it.
        let given: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| describe(&e))?;
        let known = serde_json::to_value(&value).map_err(ApiError::internal)?;
        if let Some(path) = unknown_field(&given, &known, "") {
            return Err(not_known(&path));
        }
        Ok(JsonBody {
            value,
            hash: hasher.finalize().into(),
        })
    }
}
