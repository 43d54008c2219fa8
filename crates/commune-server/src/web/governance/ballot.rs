//! The vote: the ballot form read by the domain's codec (`ballot_form`), then cast.

use super::form::{Fields, field};
use super::page::then_redirect;
use crate::web::frame::{Form, Web, WebResult};
use axum::extract::{Path, State};
use commune_app::governance;
use commune_app::state::AppState;
use commune_domain::governance::ballot_form;

pub async fn vote(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> WebResult {
    web.check_csrf(field(&fields, "csrf"))?;
    // The ballot form is read against the proposal's method (from the voting path's cache); the
    // cast then authorizes and checks everything itself. A form that does not parse is answered
    // only after the full visibility check, so it tells an outsider nothing.
    let (method, options) = governance::ballot_shape(&state, &id).await?;
    let result = match ballot_form::read(&method, options, &fields) {
        Ok(ballot) => governance::cast(&state, &web.caller, &id, &ballot).await.map(|_| ()),
        Err(invalid) => {
            governance::visible(&state, &web.caller, &id).await?;
            Err(invalid.into())
        }
    };
    then_redirect(&state, &web, &id, result, format!("/p/{id}?done=voted#receipt")).await
}
