//! Identicons: every member has an avatar from the first day, drawn from their handle. A 5×5
//! grid mirrored left to right (so it reads as a face or an emblem), in one of the brand's
//! accent hues, on angled corners like the rest of the interface. The same handle always
//! gives the same picture; nothing is stored.

use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Hues the avatars use: the brand's accents, never lime (lime means "good" everywhere else).
const HUES: [&str; 6] = ["#22f0ff", "#ff3cc7", "#ffc13b", "#9d7bff", "#ff7a45", "#3bd5ff"];

/// The identicon of `handle` as an SVG document (48 units square, scaled by the page).
pub fn identicon(handle: &str) -> String {
    let digest = Sha256::digest(handle.trim().to_lowercase().as_bytes());
    let hue = HUES[usize::from(digest[0]) % HUES.len()];
    let mut cells = String::new();
    for row in 0..5u8 {
        for column in 0..3u8 {
            let bit = usize::from(row * 3 + column);
            if digest[1 + bit / 8] >> (bit % 8) & 1 == 0 {
                continue;
            }
            for x in [column, 4 - column] {
                let _ = write!(cells, "<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\"/>", 4 + x * 8, 4 + row * 8);
                if column == 2 {
                    break;
                }
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 48 48\"><path d=\"M0 0h40l8 8v40H8l-8-8z\" \
         fill=\"#1a1630\"/><g fill=\"{hue}\">{cells}</g></svg>"
    )
}

/// `GET /avatars/{handle}.svg`: the picture the member uploaded, else their identicon (public:
/// the directory shows both to every member). An upload is served with the type read from its
/// bytes and `nosniff`; it may change, so it is cached briefly.
pub async fn avatar(
    axum::extract::State(state): axum::extract::State<commune_app::AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let handle = file.strip_suffix(".svg").unwrap_or(&file).to_ascii_lowercase();
    if handle.is_empty() || handle.len() > 64 {
        return super::WebError(commune_app::AppError::NotFound("avatar")).into_response();
    }
    match state.store.avatar(&handle).await {
        Ok(Some(upload)) => (
            [
                (header::CONTENT_TYPE, upload.content_type),
                (header::CACHE_CONTROL, "public, max-age=60".to_owned()),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            ],
            upload.bytes,
        )
            .into_response(),
        Ok(None) => (
            [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=3600")],
            identicon(&handle),
        )
            .into_response(),
        Err(e) => super::WebError(e.into()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::identicon;

    #[test]
    fn the_same_handle_draws_the_same_picture_and_others_differ() {
        assert_eq!(identicon("ada"), identicon("ADA "));
        assert_ne!(identicon("ada"), identicon("bruno"));
        assert!(identicon("ada").starts_with("<svg") && identicon("ada").ends_with("</svg>"));
    }
}
