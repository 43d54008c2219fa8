//! Markdown for proposal bodies and comments, sanitised by construction: raw HTML in the source
//! is shown as text (never passed through), and links or images with a scheme other than http,
//! https or mailto lose their target. So no HTML sanitiser is needed on the output.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        // A colon before any slash marks a scheme; only these are allowed.
        Some((scheme, _)) if !scheme.contains('/') => matches!(scheme, "http" | "https" | "mailto"),
        _ => true,
    }
}

pub fn to_html(source: &str) -> String {
    let parser =
        Parser::new_ext(source, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS)
            .map(|event| match event {
                Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
                Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
                    Event::Start(Tag::Link { link_type, dest_url: CowStr::from("#"), title, id })
                }
                Event::Start(Tag::Image { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
                    Event::Start(Tag::Image { link_type, dest_url: CowStr::from("#"), title, id })
                }
                other => other,
            });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_renders_and_hostile_input_does_not() {
        assert!(to_html("**bold** and [link](https://x.org)").contains("<strong>bold</strong>"));
        let hostile = to_html("<script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!hostile.contains("<script") && !hostile.contains("<img"), "{hostile}");
        let link = to_html("Click [x](javascript:alert(1)) or ![i](data:text/html,x)");
        assert!(!link.contains("href=\"javascript") && !link.contains("src=\"data:"), "{link}");
        assert!(to_html("[ok](/relative/path)").contains("href=\"/relative/path\""));
    }
}
