//! The library: lessons and principles as Markdown documents, their revisions and the diffs
//! between any two, which suggested revision a maintainer may merge and which goes to a vote,
//! links between documents, and the review cards a document's text defines.

use crate::validation::{self, Invalid, Violations};
use similar::{ChangeTag, TextDiff};

pub const MAX_BODY_CHARS: usize = 50_000;
pub const MAX_TAGS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Lesson,
    Principle,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Lesson => "lesson",
            Kind::Principle => "principle",
        }
    }

    pub fn parse(raw: &str) -> Result<Kind, Invalid> {
        match raw.trim() {
            "lesson" | "" => Ok(Kind::Lesson),
            "principle" => Ok(Kind::Principle),
            _ => Err(Invalid::new("kind", "lesson or principle")),
        }
    }
}

/// What a revision holds: a lesson's title and body; a principle's statement (its title), its
/// reasoning (the body), examples and counter-examples.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Text {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub examples: String,
    #[serde(default)]
    pub counter_examples: String,
}

impl Text {
    /// Checks a revision's text: a title of 3–160 characters, a body of 1–50,000 (a principle
    /// also needs at least one example).
    pub fn checked(&self, kind: Kind) -> Result<Text, Violations> {
        let mut v = Violations::default();
        let title = v.check(validation::text("title", &self.title, 3, 160, false));
        let body = v.check(validation::text("body", &self.body, 1, MAX_BODY_CHARS, true));
        let examples = v.check(validation::text("examples", &self.examples, 0, 10_000, true));
        let counter = v.check(validation::text("counter_examples", &self.counter_examples, 0, 10_000, true));
        if kind == Kind::Principle && examples.as_deref().is_some_and(str::is_empty) {
            v.0.push(Invalid::new("examples", "a principle shows at least one example"));
        }
        v.into_result()?;
        Ok(Text {
            title: title.unwrap_or_default(),
            body: body.unwrap_or_default(),
            examples: examples.unwrap_or_default(),
            counter_examples: counter.unwrap_or_default(),
        })
    }

    /// The whole text as one Markdown document (what diffs and search see).
    pub fn document(&self) -> String {
        let mut out = format!("# {}\n\n{}\n", self.title, self.body);
        if !self.examples.is_empty() {
            out.push_str(&format!("\n## Examples\n\n{}\n", self.examples));
        }
        if !self.counter_examples.is_empty() {
            out.push_str(&format!("\n## Counter-examples\n\n{}\n", self.counter_examples));
        }
        out
    }
}

/// Tags: lowercase words, at most eight, no repeats.
pub fn tags(raw: &str) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for word in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()) {
        let name = validation::identifier("tags", &word.to_ascii_lowercase(), 2, 32, &['-'])?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Invalid::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    /// `+` added, `-` removed, ` ` kept.
    pub tag: char,
    pub text: String,
}

/// The line diff from `old` to `new` (Myers, via `similar`).
pub fn diff(old: &str, new: &str) -> Vec<Line> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| Line {
            tag: match c.tag() {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

/// Characters added plus removed between two texts.
pub fn change_size(old: &str, new: &str) -> usize {
    diff(old, new).iter().filter(|l| l.tag != ' ').map(|l| l.text.chars().count() + 1).sum()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// A maintainer merges it (or rejects it).
    Maintainer,
    /// A vote of the organisation decides.
    Vote,
}

/// How a suggested revision is decided: every change to a principle, and any change of more
/// than `vote_chars` characters (the policy `learn_vote_chars`), goes to a vote; the rest to a
/// maintainer.
pub fn route(kind: Kind, change: usize, vote_chars: usize) -> Route {
    if kind == Kind::Principle || change > vote_chars { Route::Vote } else { Route::Maintainer }
}

/// The ids of library documents a body links to (`/learn/<id>` links).
pub fn links(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (at, _) in body.match_indices("/learn/") {
        let id: String = body[at + 7..].chars().take_while(|c| c.is_ascii_hexdigit() || *c == '-').collect();
        if id.len() == 36 && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardText {
    /// `cloze` or `qa`.
    pub kind: &'static str,
    pub front: String,
    pub back: String,
}

/// The review cards a text defines: a cloze for every `{{hidden words}}` in a line (the line
/// with that gap), and a question/answer pair for every `Q: …` line followed by an `A: …` line.
/// A principle without either gives one card: its statement from its reasoning's first line.
pub fn cards(kind: Kind, text: &Text) -> Vec<CardText> {
    let mut out = Vec::new();
    let whole = format!("{}\n{}\n{}", text.body, text.examples, text.counter_examples);
    let lines: Vec<&str> = whole.lines().map(str::trim).collect();
    for (i, line) in lines.iter().enumerate() {
        let mut rest = *line;
        let mut gaps = Vec::new();
        while let Some(open) = rest.find("{{") {
            let Some(close) = rest[open..].find("}}") else { break };
            gaps.push(rest[open + 2..open + close].to_owned());
            rest = &rest[open + close + 2..];
        }
        for (k, gap) in gaps.iter().enumerate() {
            let mut front = String::new();
            let mut back = String::new();
            let mut rest = *line;
            let mut n = 0;
            while let Some(open) = rest.find("{{") {
                let Some(close) = rest[open..].find("}}") else { break };
                front.push_str(&rest[..open]);
                back.push_str(&rest[..open]);
                let inner = &rest[open + 2..open + close];
                front.push_str(if n == k { "[…]" } else { inner });
                back.push_str(inner);
                rest = &rest[open + close + 2..];
                n += 1;
            }
            front.push_str(rest);
            back.push_str(rest);
            if !gap.trim().is_empty() {
                out.push(CardText { kind: "cloze", front, back });
            }
        }
        if let Some(q) = line.strip_prefix("Q:")
            && let Some(a) = lines.get(i + 1).and_then(|l| l.strip_prefix("A:"))
            && !q.trim().is_empty()
            && !a.trim().is_empty()
        {
            out.push(CardText { kind: "qa", front: q.trim().to_owned(), back: a.trim().to_owned() });
        }
    }
    if out.is_empty() && kind == Kind::Principle {
        let why = text.body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
        out.push(CardText { kind: "qa", front: format!("The principle behind: {why}"), back: text.title.clone() });
    }
    out.truncate(100);
    out
}

#[cfg(test)]
mod tests;
