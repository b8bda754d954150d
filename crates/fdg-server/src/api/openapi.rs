//! The OpenAPI 3.1 document, generated from the same Rust types the handlers use.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi};

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::api::{
    citizen, feed, persons, records, reference, subscriptions, supervision, worklist,
};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from `fdg token create --org CODE` (shown once, stored hashed).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "clientCertificate",
            SecurityScheme::MutualTls {
                description: Some(
                    "A TLS client certificate bound to the agreement (`fdg agreement certificate`), \
                     when the registry serves HTTPS: instead of a bearer token."
                        .into(),
                ),
                deprecated: None,
                extensions: None,
            },
        );
        // Every operation that takes a token takes a bound client certificate instead.
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if let Some(security) = op.security.as_mut() {
                    security.push(SecurityRequirement::new(
                        "clientCertificate",
                        Vec::<String>::new(),
                    ));
                }
            }
        }
        // A problem's `type` is one of the registry's problem types, each in docs/problems.md.
        if let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem")
            && let Some(RefOr::T(Schema::Object(kind))) = problem.properties.get_mut("type")
        {
            kind.enum_values = Some(
                crate::edge::error::PROBLEM_TYPES
                    .iter()
                    .map(|t| format!("urn:fdg:problem:{}", t.code).into())
                    .collect(),
            );
        }
    }
}

/// Links from what returns a `person_id` (every record's `201`, a search's `200`) to the
/// person reads, so a generated client (and schemathesis's stateful phase) can follow them.
struct Links;

impl Modify for Links {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::link::LinkBuilder;
        for item in doc.paths.paths.values_mut() {
            let Some(op) = item.post.as_mut() else {
                continue;
            };
            for status in ["201", "200"] {
                let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) else {
                    continue;
                };
                for (name, target) in [("person", "person"), ("history", "history")] {
                    response.links.insert(
                        name.to_owned(),
                        RefOr::T(
                            LinkBuilder::new()
                                .operation_id(target)
                                .parameter("person_id", "$response.body#/person_id")
                                .description("The person the answer names")
                                .build(),
                        ),
                    );
                }
            }
        }
    }
}

/// Every operation documents the problem documents it can answer with (RFC 9457, schema
/// `Problem`, `docs/problems.md`), so a generated client gets every answer typed: added here
/// where the operation's own `responses` does not name the status.
struct Problems;

impl Modify for Problems {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |what: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(format!(
                        "{what} (application/problem+json; see docs/problems.md)"
                    ))
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in &mut doc.paths.paths {
            if path.ends_with("/openapi.json") {
                continue;
            }
            let has_path_params = path.contains('{');
            let ops = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, false),
            ];
            for (op, writes) in ops {
                let Some(op) = op.as_mut() else { continue };
                let body = op.request_body.is_some();
                let mut add = |code: &str, what: &str| {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(what));
                };
                add(
                    "400",
                    "Malformed request, or a bad header, path or query parameter",
                );
                add("401", "No valid credentials");
                add(
                    "403",
                    "Not permitted: the organisation may not, or the connection agreement is suspended, ended or does not cover it",
                );
                add("500", "Internal error, with a reference");
                add(
                    "503",
                    "The registry cannot take the request just now (a full write queue, a full or read-only disk); retry after Retry-After seconds",
                );
                if has_path_params {
                    add("404", "Not found, or not visible to the caller");
                }
                if body {
                    add("413", "Request body too large");
                    add("415", "The body must be JSON");
                    add(
                        "422",
                        "The rules refuse it (violations), or the idempotency key was reused",
                    );
                }
                if writes && body {
                    add("409", "Version conflict (If-Match)");
                    add("404", "Not found, or not visible to the caller");
                }
            }
        }
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fdg — Det Fælles Datagrundlag",
        description = "Web services of the common data foundation (Bekendtgørelse om det fælles datagrundlag, 2007, § 7, stk. 2, nr. 2). \
            Errors are application/problem+json (RFC 9457) naming each violated rule and its provision in Danish and English. \
            CPR numbers travel only in request bodies, never in URLs. \
            What the schemas cannot express, and a request that matches them may still be refused for: \
            the rules of the order, each a 422 naming the rule and provision (GET /api/v1/rules lists every one) — \
            a CPR number's date and check digits, code values valid on the record's date, dates in the right order, \
            what the person's registration already holds, which organisation may record what; \
            a person or fact id the caller may not see or the registry does not hold (404); \
            a feed cursor beyond the newest event (400); \
            and a long poll (`wait`) holds the request up to 30 seconds, so a client's read timeout must be longer.",
        license(name = "EUPL-1.2")
    ),
    paths(
        records::register, records::deregister, records::change_registration, records::first_contact, records::cessation,
        records::start_condition, records::end_condition, records::interview, records::assign,
        records::hand_over, records::correct,
        persons::search, persons::person, persons::history,
        reference::code_lists, reference::rules_table,
        feed::events, feed::stream, feed::get_cursor, feed::put_cursor, feed::next,
        subscriptions::put, subscriptions::get, subscriptions::delete,
        citizen::access_log,
        worklist::worklist,
        supervision::api_report, supervision::definitions,
    ),
    components(schemas(crate::edge::error::Problem, crate::edge::error::ViolationBody, fdg_domain::command::Replacement)),
    modifiers(&Bearer, &Problems, &Links),
    tags(
        (name = "records", description = "Recording the facts of §§ 3–9"),
        (name = "persons", description = "Reading a person"),
        (name = "worklist", description = "The caseworkers' worklist: interviews due, open first contacts, exemptions taking effect"),
        (name = "feed", description = "The event log"),
        (name = "reference", description = "Code lists and rules"),
        (name = "citizen", description = "The citizen's own view (self-service)"),
        (name = "supervision", description = "Supervision reports (§ 1, nr. 3), for the supervision authority"),
    )
)]
pub struct ApiDoc;

/// The document as JSON (generated once).
pub fn json() -> String {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
        .clone()
}

/// The OpenAPI 3.1 document of this API.
pub async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_names_every_problem_type_and_the_client_certificate() {
        let doc: serde_json::Value = serde_json::from_str(&super::json()).expect("the document");
        let types: Vec<String> =
            doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
                .as_array()
                .expect("the problem types as an enum")
                .iter()
                .map(|t| t.as_str().unwrap_or_default().to_owned())
                .collect();
        let known: Vec<String> = crate::edge::error::PROBLEM_TYPES
            .iter()
            .map(|t| format!("urn:fdg:problem:{}", t.code))
            .collect();
        assert_eq!(types, known);
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["clientCertificate"]["type"], "mutualTLS");
        let mut with_token = 0;
        for item in doc["paths"].as_object().expect("paths").values() {
            for op in item.as_object().expect("operations").values() {
                let Some(security) = op["security"].as_array() else {
                    continue;
                };
                with_token += 1;
                let names: Vec<&str> = security
                    .iter()
                    .flat_map(|r| r.as_object().into_iter().flat_map(|o| o.keys()))
                    .map(String::as_str)
                    .collect();
                assert_eq!(names, ["bearer", "clientCertificate"], "{op}");
            }
        }
        assert!(with_token > 20, "{with_token} operations take a token");
        // A record's answer links to the person it names.
        let links =
            &doc["paths"]["/api/v1/jobseeker-registrations"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["person"]["operationId"], "person");
        assert_eq!(
            links["person"]["parameters"]["person_id"],
            "$response.body#/person_id"
        );
    }

    #[test]
    fn query_parameters_are_declared_in_the_query_and_path_parameters_in_the_path() {
        let doc: serde_json::Value = serde_json::from_str(&super::json()).expect("the document");
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for op in item.as_object().expect("operations").values() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let (name, place) = (p["name"].as_str().unwrap_or(""), p["in"].as_str());
                    if place == Some("path") {
                        assert!(
                            path.contains(&format!("{{{name}}}")),
                            "{path}: `{name}` is declared in the path but is not in it"
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 10, "{checked} parameters");
    }

    #[test]
    fn every_operation_documents_its_problem_answers() {
        let doc: serde_json::Value = serde_json::from_str(&super::json()).expect("the document");
        for (path, item) in doc["paths"].as_object().expect("paths") {
            if path.ends_with("/openapi.json") {
                continue;
            }
            for (method, op) in item.as_object().expect("operations") {
                let responses = &op["responses"];
                let mut must = vec!["400", "401", "403", "500", "503"];
                if !op["requestBody"].is_null() {
                    must.extend(["413", "415", "422"]);
                }
                for code in must {
                    assert!(
                        responses.get(code).is_some(),
                        "{method} {path} does not document {code}"
                    );
                }
            }
        }
    }
}
