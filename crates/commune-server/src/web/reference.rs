//! The API reference page, rendered from the generated OpenAPI document: it works offline and
//! cannot disagree with the API.

use super::frame::{Page, Web, WebResult, render};
use askama::Template;
use serde_json::Value;
use utoipa::OpenApi;

pub struct Operation {
    method: String,
    method_lower: String,
    path: String,
    summary: String,
    auth: String,
    request: Option<String>,
    responses: Vec<String>,
}

pub struct Tag {
    name: String,
    description: String,
    operations: Vec<Operation>,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ReferencePage {
    page: Page,
    description: String,
    version: String,
    tags: Vec<Tag>,
    schemas: Vec<(String, String)>,
}

/// Prose from the document as HTML: escaped, with `code` in backticks set as code.
pub fn prose(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut html = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        // Odd parts sat between backticks (an unpaired last backtick leaves its text as code too).
        if i % 2 == 1 {
            html.push_str("<code>");
            html.push_str(part);
            html.push_str("</code>");
        } else {
            html.push_str(part);
        }
    }
    html
}

/// The last path segment of a `$ref`, e.g. `MemberView`.
fn ref_name(value: &Value) -> Option<String> {
    let reference = value.get("$ref").or_else(|| value.get("items").and_then(|i| i.get("$ref")))?.as_str()?;
    let name = reference.rsplit('/').next()?.to_owned();
    Some(if value.get("items").is_some() { format!("[{name}]") } else { name })
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    let summary = {
        let s = text(op.get("summary"));
        if s.is_empty() { text(op.get("description")) } else { s }
    };
    let auth = op
        .get("security")
        .and_then(Value::as_array)
        .map(|reqs| {
            reqs.iter()
                .filter_map(Value::as_object)
                .flat_map(|o| {
                    o.iter().map(|(scheme, scopes)| {
                        let scopes: Vec<&str> =
                            scopes.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                        if scopes.is_empty() { scheme.clone() } else { format!("{scheme} ({})", scopes.join(", ")) }
                    })
                })
                .collect::<Vec<_>>()
                .join(" or ")
        })
        .unwrap_or_default();
    let request = op.pointer("/requestBody/content/application~1json/schema").and_then(ref_name);
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(code, r)| {
                    let body = r.pointer("/content/application~1json/schema").and_then(ref_name);
                    let description = text(r.get("description"));
                    match body {
                        Some(body) => format!("{code} {body} — {description}"),
                        None => format!("{code} — {description}"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Operation {
        method: method.to_ascii_uppercase(),
        method_lower: method.to_owned(),
        path: path.to_owned(),
        summary,
        auth,
        request,
        responses,
    }
}

pub async fn page(web: Web) -> WebResult {
    let doc = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap_or(Value::Null);
    let mut tags: Vec<Tag> = doc
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| Tag {
            name: t.get("name").and_then(Value::as_str).unwrap_or("").to_owned(),
            description: t.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("");
            if let Some(t) = tags.iter_mut().find(|t| t.name == tag) {
                t.operations.push(operation(method, path, op));
            }
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| (name.clone(), serde_json::to_string_pretty(schema).unwrap_or_default()))
        .collect();
    let page = ReferencePage {
        page: web.page("API reference", "api"),
        description: doc.pointer("/info/description").and_then(Value::as_str).unwrap_or("").to_owned(),
        version: doc.get("openapi").and_then(Value::as_str).unwrap_or("").to_owned(),
        tags,
        schemas,
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    #[test]
    fn backticks_become_code_and_markup_is_escaped() {
        assert_eq!(super::prose("send `X-CSRF-Token` <b>"), "send <code>X-CSRF-Token</code> &lt;b&gt;");
    }
}
