//! The shape of the code, checked: no import circle between the top-level modules of the three
//! crates, the CLI's layers import only downwards (values ← model ← scaffold ← commands), and no
//! command imports another. A module and its submodules count as one; `crate::<module>` paths
//! outside comments and unit tests are its imports.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The code of a file without comments and without its unit tests, which may reach anywhere.
fn code_of(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names `crate::<name>` refers to in `code`, also inside `use crate::{a, b::c}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let word = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = word(item.trim());
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        } else {
            names.insert(word(rest));
        }
    }
    names
}

/// The top-level module a file of `src` belongs to (`lib`/`main` for the roots).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_str().unwrap();
    name.strip_suffix(".rs").unwrap_or(name).to_string()
}

/// The imports between the top-level modules of the crate at `src`.
fn graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let module = module_of(src, &file);
        if module == "lib" || module == "main" {
            continue;
        }
        let edges = graph.entry(module.clone()).or_default();
        for name in crate_paths(&code_of(&file)) {
            let is_module = src.join(format!("{name}.rs")).is_file() || src.join(&name).is_dir();
            if is_module && name != module {
                edges.insert(name);
            }
        }
    }
    graph
}

/// A circle of imports, if there is one.
fn find_circle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut circle = path[at..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_crate_has_an_import_circle() {
    for krate in [".", "kube-operator-runtime", "kube-envtest"] {
        let src = workspace().join(krate).join("src");
        let graph = graph(&src);
        assert!(graph.len() > 3, "{}: {graph:?}", src.display());
        if let Some(circle) = find_circle(&graph) {
            panic!(
                "{}: modules import each other in a circle: {}",
                src.display(),
                circle.join(" → ")
            );
        }
    }
}

#[test]
fn the_clis_layers_import_only_downwards() {
    let graph = graph(&workspace().join("src"));
    // What each layer may import besides itself; `vendor` is the runtime's sources embedded at
    // build time, a leaf.
    let allowed: &[(&str, &[&str])] = &[
        ("vendor", &[]),
        ("values", &[]),
        ("model", &["values", "vendor"]),
        ("scaffold", &["values", "model", "vendor"]),
    ];
    for (layer, may) in allowed {
        let imports = &graph[*layer];
        let wrong: Vec<&String> = imports
            .iter()
            .filter(|name| !may.contains(&name.as_str()))
            .collect();
        assert!(
            wrong.is_empty(),
            "`{layer}` imports {wrong:?}; it may import only {may:?}"
        );
    }
}

#[test]
fn no_command_imports_another() {
    let commands = workspace().join("src/commands");
    let names: Vec<String> = rust_files(&commands)
        .iter()
        .map(|file| module_of(&commands, file))
        .filter(|name| name != "mod")
        .collect();
    assert!(names.len() > 5, "{names:?}");
    for file in rust_files(&commands) {
        let code = code_of(&file);
        for other in &names {
            if module_of(&commands, &file) == *other {
                continue;
            }
            for spelling in [format!("commands::{other}"), format!("super::{other}")] {
                assert!(
                    !code.contains(&spelling),
                    "{} uses `{spelling}`; move what they share to `src/scaffold/`",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn circles_are_found() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_circle(&graph).unwrap(),
        ["a", "b", "c", "a"].map(String::from)
    );
    let mut open = graph.clone();
    open.get_mut("c").unwrap().clear();
    assert_eq!(find_circle(&open), None);
    assert_eq!(
        crate_paths("use crate::{a, b::c};\nlet x = crate::d::e;"),
        ["a", "b", "d"].map(String::from).into()
    );
}
