//! The module graph of every crate has no circle: if file A imports from file B (by `use`, by a
//! `crate::`/`super::`/`self::` path, or by a child module's name), B does not import from A, by
//! any route. Declaring a child (`mod b;`) is not an import; re-exporting one (`pub use b::X`) is.
//! This is the check CI runs for "arrows point down".

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path inside one crate (`["payments", "movement"]`), and the file it lives in.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn workspace_crates() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("crates/");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&crates)
        .expect("crates/")
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`; `lib.rs` and `main.rs` are the root.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") || !parts.is_empty() && stem != "mod" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The code without comments, string and char literals, and `#[cfg(test)]` modules (their
/// `super` is the file itself).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'r' if bytes.get(i + 1) == Some(&b'#')
                || (bytes.get(i + 1) == Some(&b'"') && !ident_byte(prev(bytes, i))) =>
            {
                // A raw string: r"..." or r#"..."#.
                let mut j = i + 1;
                let mut hashes = 0;
                while bytes.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if bytes.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                while j < bytes.len() && !bytes[j..].starts_with(&close) {
                    j += 1;
                }
                i = j + close.len();
                out.push_str("\"\"");
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') || bytes.get(i + 1) == Some(&b'\\') => {
                // A char literal ('a', '\n', '\''); lifetimes ('a) are left alone.
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b => {
                out.push(b as char);
                i += 1;
            }
        }
    }
    out
}

fn prev(bytes: &[u8], i: usize) -> u8 {
    if i == 0 { b' ' } else { bytes[i - 1] }
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// What a module hands on: `pub use a::b::C as D` makes `D` name `a::b::C`.
type Reexports = BTreeMap<String, Vec<String>>;

/// Every path written in `code` (the trees of `use` items expanded, and paths used inline), and
/// the names its public `use` items hand on.
fn paths_in(code: &str) -> (Vec<Vec<String>>, Reexports) {
    let mut out = Vec::new();
    let mut reexports = Reexports::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !ident_byte(bytes[i]) || (i > 0 && (ident_byte(bytes[i - 1]) || bytes[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && ident_byte(bytes[i]) {
            i += 1;
        }
        let word = &code[start..i];
        if word == "use" {
            let end = code[i..].find(';').map_or(code.len(), |e| i + e);
            let mut items = Vec::new();
            expand_use(code[i..end].trim(), &mut Vec::new(), &mut items);
            let public = code[..start]
                .trim_end()
                .rsplit(['\n', ';', '}', '{'])
                .next()
                .is_some_and(|p| p.trim_start().starts_with("pub"));
            for (path, visible) in items {
                if public {
                    reexports.insert(visible, path.clone());
                }
                out.push(path);
            }
            i = end;
            continue;
        }
        // An inline path: word(::word)*.
        let mut path = vec![word.to_owned()];
        while code[i..].starts_with("::") {
            let from = i + 2;
            let mut j = from;
            while j < bytes.len() && ident_byte(bytes[j]) {
                j += 1;
            }
            if j == from {
                break;
            }
            path.push(code[from..j].to_owned());
            i = j;
        }
        if path.len() > 1 {
            out.push(path);
        }
    }
    (out, reexports)
}

/// Expands a use tree (`a::b::{c, d::{e as f, self}}`) into full paths and the names they bind.
fn expand_use(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        for part in split_top(inner) {
            expand_use(part, &mut prefix.clone(), out);
        }
        return;
    }
    match tree.split_once("::") {
        Some((head, rest)) => {
            prefix.push(head.trim().to_owned());
            expand_use(rest, prefix, out);
        }
        None => {
            let mut words = tree.split_whitespace();
            let name = words.next().unwrap_or("");
            let alias = match (words.next(), words.next()) {
                (Some("as"), Some(alias)) => alias.to_owned(),
                _ => name.to_owned(),
            };
            let mut path = prefix.clone();
            if !name.is_empty() && name != "self" && name != "*" {
                path.push(name.to_owned());
            }
            let visible = if name == "self" { prefix.last().cloned().unwrap_or_default() } else { alias };
            if !path.is_empty() {
                out.push((path, visible));
            }
        }
    }
}

/// Splits on commas outside braces.
fn split_top(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// The file a path written in module `here` points into, if it is in this crate. A name a module
/// only hands on (`pub use`) is followed to the module that defines it: a facade is not a room.
fn target(
    modules: &Modules,
    reexports: &BTreeMap<Vec<String>, Reexports>,
    here: &[String],
    path: &[String],
) -> Option<PathBuf> {
    let absolute = absolute(modules, here, path)?;
    let depth = (0..=absolute.len()).rev().find(|n| modules.contains_key(&absolute[..*n]))?;
    let module = &absolute[..depth];
    if let Some(name) = absolute.get(depth)
        && let Some(handed_on) = reexports.get(module).and_then(|r| r.get(name))
        && handed_on.as_slice() != path
    {
        let mut followed = handed_on.clone();
        followed.extend_from_slice(&absolute[depth + 1..]);
        if let Some(found) = target(modules, reexports, module, &followed) {
            return Some(found);
        }
    }
    modules.get(module).cloned()
}

/// A path as seen from the crate root, when it is one of this crate's.
fn absolute(modules: &Modules, here: &[String], path: &[String]) -> Option<Vec<String>> {
    Some(match path[0].as_str() {
        "crate" => path[1..].to_vec(),
        "self" => here.iter().chain(&path[1..]).cloned().collect(),
        "super" => {
            let ups = path.iter().take_while(|p| *p == "super").count();
            let base = &here[..here.len().checked_sub(ups)?];
            base.iter().chain(&path[ups..]).cloned().collect()
        }
        first => {
            let mut child = here.to_vec();
            child.push(first.to_owned());
            if !modules.contains_key(&child) {
                return None;
            }
            here.iter().chain(path).cloned().collect()
        }
    })
}

/// One file as read: its path, its module, the paths it names, and the names it hands on.
type ReadFile = (PathBuf, Vec<String>, Vec<Vec<String>>, Reexports);

/// Files importing files, in one crate.
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: Modules = files.iter().map(|f| (module_of(src, f), f.clone())).collect();
    let read: Vec<ReadFile> = files
        .iter()
        .map(|file| {
            let (paths, handed_on) = paths_in(&code_of(&std::fs::read_to_string(file).expect("readable source")));
            (file.clone(), module_of(src, file), paths, handed_on)
        })
        .collect();
    let reexports: BTreeMap<Vec<String>, Reexports> =
        read.iter().map(|(_, module, _, handed_on)| (module.clone(), handed_on.clone())).collect();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (file, here, paths, _) in &read {
        let out = edges.entry(file.clone()).or_default();
        for path in paths {
            if let Some(to) = target(&modules, &reexports, here, path)
                && &to != file
            {
                out.insert(to);
            }
        }
    }
    edges
}

/// Strongly connected components with more than one file (Tarjan).
fn circles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a PathBuf) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        for to in w.edges.get(v).into_iter().flatten() {
            if !w.index.contains_key(to) {
                visit(w, to);
                let low = w.low[v].min(w.low[to]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(to) {
                let low = w.low[v].min(w.index[to]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut component = Vec::new();
            while let Some(top) = w.stack.pop() {
                w.on_stack.remove(top);
                component.push(top.clone());
                if top == v {
                    break;
                }
            }
            if component.len() > 1 {
                w.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

#[test]
fn no_crate_has_a_module_circle() {
    let crates = workspace_crates();
    assert!(crates.len() >= 5, "found the workspace's crates: {crates:?}");
    let mut problems = Vec::new();
    for src in &crates {
        let edges = graph(src);
        assert!(edges.len() > 1 || src.join("main.rs").exists(), "read {}", src.display());
        for circle in circles(&edges) {
            let names: Vec<String> = circle.iter().map(|p| p.display().to_string()).collect();
            problems.push(names.join(" <-> "));
        }
    }
    assert!(problems.is_empty(), "module circles:\n{}", problems.join("\n"));
}

/// The checker itself sees circles, through each kind of path it reads.
#[test]
fn the_circle_check_catches_circles() {
    let dir = std::env::temp_dir().join(format!("commune-circles-{}", std::process::id()));
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("room")).expect("temp dir");
    let write = |name: &str, text: &str| std::fs::write(src.join(name), text).expect("write");
    write("lib.rs", "mod a;\nmod b;\nmod room;\npub use a::A;\n");
    write("a.rs", "use crate::b::{B, other::{C}};\n// use crate::room::Ignored;\npub struct A;\n");
    write("b.rs", "pub fn b() { let s = \"crate::room::x\"; crate::a::A; }\n");
    write("room/mod.rs", "mod inner;\npub use inner::I;\n");
    write("room/inner.rs", "use super::Shared;\n#[cfg(test)]\nmod tests { use crate::a::A; }\n");
    let edges = graph(&src);
    let found = circles(&edges);
    let _ = std::fs::remove_dir_all(&dir);
    let as_names = |c: &Vec<PathBuf>| -> BTreeSet<String> {
        c.iter().map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect()
    };
    let names: Vec<BTreeSet<String>> = found.iter().map(as_names).collect();
    assert!(names.contains(&["a.rs", "b.rs"].into_iter().map(String::from).collect()), "{names:?}");
    assert!(names.contains(&["mod.rs", "inner.rs"].into_iter().map(String::from).collect()), "{names:?}");
    assert_eq!(found.len(), 2, "comments, strings and test modules are not imports: {names:?}");
}
