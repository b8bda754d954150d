//! The OpenAPI 3.1 document, generated from the same Rust types the handlers use.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

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
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "fdg — Det Fælles Datagrundlag",
        description = "Web services of the common data foundation (Bekendtgørelse om det fælles datagrundlag, 2007, § 7, stk. 2, nr. 2). \
            Errors are application/problem+json (RFC 9457) naming each violated rule and its provision in Danish and English. \
            CPR numbers travel only in request bodies, never in URLs.",
        license(name = "EUPL-1.2")
    ),
    paths(
        api::register, api::deregister, api::first_contact, api::cessation,
        api::start_condition, api::end_condition, api::interview, api::assign, api::hand_over,
        api::correct,
        api::search, api::person, api::history, api::code_lists, api::rules_table,
        crate::feed::events, crate::feed::stream, crate::feed::get_cursor, crate::feed::put_cursor,
        crate::feed::next,
        crate::citizen::access_log,
        crate::supervision::api_report, crate::supervision::definitions,
    ),
    components(schemas(crate::error::Problem, crate::error::ViolationBody, fdg_domain::command::Replacement)),
    modifiers(&Bearer),
    tags(
        (name = "records", description = "Recording the facts of §§ 3–9"),
        (name = "persons", description = "Reading a person"),
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

#[cfg(test)]
mod tests {
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
}
