//! The browser: the registration tool for caseworkers, its administration pages, the
//! supervisor's pages and the citizen's own pages, server-rendered and usable without
//! JavaScript.

pub mod admin;
pub mod citizen;
pub mod forms;
pub mod i18n;
pub mod login;
pub mod pages;
pub mod supervision;
pub mod timeline;
pub mod worklist;

use axum::Router;
use axum::routing::get;

use crate::AppState;

/// Every page and form.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(pages::routes())
        .merge(forms::routes())
        .merge(admin::routes())
        .merge(citizen::routes())
        .merge(supervision::routes())
        .merge(worklist::routes())
        .route("/lang/{lang}", get(i18n::switch_lang))
}
