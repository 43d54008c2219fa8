//! `/style`: every component of the interface on one page, with what each colour means, for
//! people building on Commune and for checking the look in both themes and at phone width.

use crate::web::frame::{Page, Web, WebResult, render};
use askama::Template;

#[derive(Template)]
#[template(path = "style.html")]
pub(crate) struct StylePage {
    pub(crate) page: Page,
    pub(crate) now: i64,
}

pub async fn style(web: Web) -> WebResult {
    Ok(render(&StylePage { page: web.page("Style", ""), now: commune_store::now_ms() }))
}
