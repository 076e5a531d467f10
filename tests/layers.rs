//! The layers of `src/lib.rs` point one way: no module uses a module above it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `crate::NAME` references in Rust source, outside comments.
fn references(text: &str) -> Vec<String> {
    let mut out = vec![];
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn no_module_uses_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let order: Vec<String> = lib
        .lines()
        .find_map(|l| l.trim_start_matches("//!").trim().strip_prefix("layers:"))
        .expect("lib.rs states the layers")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    // Every module declared in lib.rs has a place in the order.
    for line in lib.lines() {
        if let Some(m) = line.strip_prefix("pub mod ") {
            let m = m.trim_end_matches(';');
            assert!(
                rank.contains_key(m),
                "module {m} is missing from the layers"
            );
        }
    }
    let mut violations = vec![];
    for (module, &level) in &rank {
        let mut paths = vec![];
        let dir = src.join(module);
        if dir.is_dir() {
            files(&dir, &mut paths);
        }
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            paths.push(file);
        }
        assert!(!paths.is_empty(), "no source for module {module}");
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("read source");
            for used in references(&text) {
                match rank.get(used.as_str()) {
                    Some(&l) if l > level => violations.push(format!(
                        "{} uses crate::{used}, a layer above {module}",
                        path.strip_prefix(&src).unwrap_or(&path).display()
                    )),
                    _ => {}
                }
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

/// `super::NAME` references of one file in `src/agent/`, outside comments and its tests.
fn agent_references(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = vec![];
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(i) = rest.find("super::") {
            rest = &rest[i + "super::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != "super" {
                out.push(name);
            }
        }
    }
    out
}

#[test]
fn the_agent_modules_use_one_another_without_a_circle() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/agent");
    let mut uses: HashMap<String, Vec<String>> = HashMap::new();
    for entry in std::fs::read_dir(&dir).expect("src/agent").flatten() {
        let path = entry.path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if name == "mod" || path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut refs = agent_references(&text);
        refs.retain(|r| r != name);
        refs.sort();
        refs.dedup();
        uses.insert(name.to_string(), refs);
    }
    assert!(uses.len() > 5, "{uses:?}");
    // Depth-first: a module met again while its own uses are being walked closes a circle.
    fn walk<'a>(
        m: &'a str,
        uses: &'a HashMap<String, Vec<String>>,
        path: &mut Vec<&'a str>,
        done: &mut Vec<&'a str>,
    ) {
        if done.contains(&m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| *p == m) {
            panic!("an import circle in src/agent: {:?}", &path[at..]);
        }
        path.push(m);
        for next in uses.get(m).into_iter().flatten() {
            if uses.contains_key(next) {
                walk(next, uses, path, done);
            }
        }
        path.pop();
        done.push(m);
    }
    let mut done = vec![];
    for m in uses.keys() {
        walk(m, &uses, &mut vec![], &mut done);
    }
}
