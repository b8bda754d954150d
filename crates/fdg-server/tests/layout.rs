//! The crate's layout is its architecture: no two modules use each other (directly or round a
//! longer circle), and the crate doc names every module. Read from the source text, so a new
//! `use` that closes a circle fails here, naming it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module of the crate: its path (`["api", "feed"]`) and the text that counts (comments
/// and unit tests left out: a test module may use what it tests' parent).
fn modules() -> BTreeMap<Vec<String>, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                files.push(p);
            }
        }
    }
    files
        .into_iter()
        .map(|p: PathBuf| {
            let rel = p.strip_prefix(&root).unwrap().with_extension("");
            let mut path: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if path.last().is_some_and(|l| l == "mod" || l == "lib") {
                path.pop();
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| format!("{l}\n"))
                .collect();
            (path, code)
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a module's text names that start at `crate::`, `super::` or a child module,
/// made absolute; `{a, b::c}` groups are opened one level deep.
fn named_paths(me: &[String], text: &str, children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i])
            || (i > 0 && (is_ident(chars[i - 1]) || matches!(chars[i - 1], ':' | '.')))
        {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && is_ident(chars[j]) {
            j += 1;
        }
        let first: String = chars[i..j].iter().collect();
        let base: Option<Vec<String>> = match first.as_str() {
            "crate" => Some(Vec::new()),
            "super" => Some(me[..me.len().saturating_sub(1)].to_vec()),
            // A child module named bare, as a path (`feed::routes`), not a word (`csv`).
            name if children.contains(name) && chars.get(j..j + 2) == Some(&[':', ':']) => {
                Some([me, &[name.to_owned()]].concat())
            }
            _ => None,
        };
        let Some(mut base) = base else {
            i = j;
            continue;
        };
        // Follow `::segment` and a final `::{...}` group.
        let mut k = j;
        let mut groups = Vec::new();
        while chars.get(k) == Some(&':') && chars.get(k + 1) == Some(&':') {
            k += 2;
            if chars.get(k) == Some(&'{') {
                let end = chars[k..]
                    .iter()
                    .position(|&c| c == '}')
                    .map_or(chars.len(), |e| k + e);
                let inner: String = chars[k + 1..end].iter().collect();
                groups = inner
                    .split(',')
                    .map(|g| {
                        g.trim()
                            .split("::")
                            .map(|s| s.trim().to_owned())
                            .take_while(|s| !s.is_empty() && s.chars().all(is_ident))
                            .collect::<Vec<_>>()
                    })
                    .filter(|g| !g.is_empty())
                    .collect();
                k = end;
                break;
            }
            let s = k;
            while k < chars.len() && is_ident(chars[k]) {
                k += 1;
            }
            if s == k {
                break;
            }
            base.push(chars[s..k].iter().collect());
        }
        if groups.is_empty() {
            out.push(base);
        } else {
            out.extend(groups.into_iter().map(|g| [base.clone(), g].concat()));
        }
        i = k.max(i + 1);
    }
    out
}

/// Which modules each module uses: the longest known module a named path starts with, when it
/// is neither the module itself nor the crate root (the composition root that wires them).
fn uses() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mods = modules();
    let known: BTreeSet<Vec<String>> = mods.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (me, text) in &mods {
        let children: BTreeSet<String> = known
            .iter()
            .filter(|k| k.len() == me.len() + 1 && k.starts_with(me))
            .map(|k| k[me.len()].clone())
            .collect();
        let mut to = BTreeSet::new();
        for path in named_paths(me, text, &children) {
            let Some(target) = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| known.contains(p))
            else {
                continue;
            };
            if !target.is_empty() && &target != me {
                to.insert(target);
            }
        }
        graph.insert(me.clone(), to);
    }
    graph
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = uses();
    let mut circles = Vec::new();
    for start in graph.keys().filter(|k| !k.is_empty()) {
        // Shortest way back to `start`, breadth first.
        let mut seen: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        'search: while let Some(at) = queue.pop_front() {
            for next in &graph[&at] {
                if next == start {
                    let mut way = vec![name(start)];
                    let mut back = at.clone();
                    while &back != start {
                        way.push(name(&back));
                        back = seen[&back].clone();
                    }
                    way.push(name(start));
                    way.reverse();
                    circles.push(way.join(" → "));
                    break 'search;
                }
                if !seen.contains_key(next) && graph.contains_key(next) {
                    seen.insert(next.clone(), at.clone());
                    queue.push_back(next.clone());
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "modules in a circle:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_layers_use_each_other_one_way() {
    // Folders as layers: `service` below `edge`, both below `api` and `web`; `report` below
    // the two that show reports. A use the other way round fails, naming it.
    let rank = |m: &[String]| match m.first().map(String::as_str) {
        Some("service") => 0,
        Some("report") => 0,
        Some("edge") => 1,
        Some("api" | "web") => 2,
        _ => 3,
    };
    let upward: Vec<String> = uses()
        .iter()
        .flat_map(|(from, to)| to.iter().map(move |t| (from, t)))
        .filter(|(from, to)| from.first() != to.first() && rank(to) >= rank(from))
        .map(|(from, to)| format!("{} uses {}", name(from), name(to)))
        .collect();
    assert!(
        upward.is_empty(),
        "uses against the layers:\n{}",
        upward.join("\n")
    );
    let with_http: Vec<String> = modules()
        .iter()
        .filter(|(m, text)| {
            m.first().is_some_and(|f| f == "service" || f == "report") && text.contains("axum")
        })
        .map(|(m, _)| name(m))
        .collect();
    assert!(
        with_http.is_empty(),
        "application services that know HTTP: {with_http:?}"
    );
}

#[test]
fn the_crate_doc_names_every_module() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let doc: String = lib
        .lines()
        .filter(|l| l.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let missing: Vec<String> = modules()
        .keys()
        .filter(|m| !m.is_empty())
        .map(|m| m.join("::"))
        .filter(|m| !doc.contains(&format!("`{m}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "modules the crate doc's layout does not name: {missing:?}"
    );
}

#[test]
fn the_reader_sees_a_use_and_a_circle() {
    // The check above is only as good as its reading of `use`: a circle made on purpose.
    let me = vec!["a".to_owned()];
    let children = BTreeSet::from(["b".to_owned()]);
    let paths = named_paths(
        &me,
        "use crate::{x::Y, z};\nuse super::w::V;\nfn f() { b::g(); self.b(); let b = 1; }\n",
        &children,
    );
    assert_eq!(
        paths,
        vec![
            vec!["x".to_owned(), "Y".to_owned()],
            vec!["z".to_owned()],
            vec!["w".to_owned(), "V".to_owned()],
            vec!["a".to_owned(), "b".to_owned(), "g".to_owned()],
        ]
    );
}
