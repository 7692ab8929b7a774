//! The pipeline runs one way down: a library module may import only the modules listed
//! above it in ARCHITECTURE.md's layer order, and `sim`, listed last, is imported by no
//! pipeline module. This test reads every `crate::` path in `src/` (comments left out)
//! against that order, so a new upward import fails CI with the file and the module.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The module order of ARCHITECTURE.md: the lines of the fenced block that follows the
/// line `<!-- layer order -->`, first word of each.
fn layer_order() -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let after = text
        .split("<!-- layer order -->")
        .nth(1)
        .expect("ARCHITECTURE.md has a `<!-- layer order -->` block");
    let block = after
        .split("```")
        .nth(1)
        .expect("a fenced block after the marker");
    block
        .lines()
        .skip(1) // the fence's info string
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A source text with everything from `//` to the end of each line removed.
fn without_line_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The crate's top-level modules a source text names through `crate::`, including
/// grouped imports over several lines (`use crate::{\n    io,\n    panel::{A, B},\n};`).
fn imported_modules(text: &str) -> BTreeSet<String> {
    let code = without_line_comments(text);
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of the group: split at depth-0 commas.
            let (mut depth, mut start) = (0usize, 0usize);
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(ident(&group[start..k]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(ident(&group[start..k]));
                        start = k + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.remove("");
    found
}

/// The top-level module a source file belongs to (`src/panel/build.rs` -> `panel`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn pipeline_modules_import_only_modules_above_them() {
    let order = layer_order();
    assert!(order.len() > 10, "layer order too short: {order:?}");
    assert_eq!(
        order.last().map(String::as_str),
        Some("sim"),
        "sim must be last"
    );
    let src = repo().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut modules = BTreeSet::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "cli" || module == "main" || module == "lib" {
            continue; // the binary sits above every module
        }
        modules.insert(module.clone());
        let Some(rank) = order.iter().position(|m| *m == module) else {
            violations.push(format!(
                "{}: module '{module}' is not in ARCHITECTURE.md's layer order",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for imported in imported_modules(&text) {
            if imported == module || imported == "self" || imported == "super" {
                continue;
            }
            match order.iter().position(|m| *m == imported) {
                Some(r) if r < rank => {}
                Some(_) => violations.push(format!(
                    "{}: '{module}' imports '{imported}', which is not above it",
                    file.display()
                )),
                None => violations.push(format!(
                    "{}: imports '{imported}', which is not in the layer order",
                    file.display()
                )),
            }
        }
    }
    // Every listed module exists, so the map stays true.
    for m in &order {
        assert!(
            modules.contains(m),
            "ARCHITECTURE.md lists '{m}', which src/ lacks"
        );
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_reader_sees_grouped_and_plain_imports_and_skips_comments() {
    let text = "use crate::{io, panel::Panel};\nlet x = crate::score::run();\n// crate::sim::x\n\
                use crate::{\n    encode::{A, B},\n    util,\n};\n";
    let found: Vec<String> = imported_modules(text).into_iter().collect();
    assert_eq!(found, ["encode", "io", "panel", "score", "util"]);
}

/// Whether a source text (comments aside) reaches into `sim::architecture`, plainly or
/// through a grouped import (`use crate::sim::{self, architecture::OUTCOMES}`).
fn names_sim_architecture(text: &str) -> bool {
    let target = ["sim", "::"].concat();
    let inner = "architecture";
    let code = without_line_comments(text);
    code.match_indices(&target).any(|(i, _)| {
        let rest = code[i + target.len()..].trim_start();
        rest.starts_with(inner)
            || rest
                .strip_prefix('{')
                .is_some_and(|g| g.split('}').next().unwrap_or("").contains(inner))
    })
}

/// Issue 15: the simulator's generative truth (its outcome weights, its trait catalogue)
/// must never reach the model path; only `sim` itself may read `sim::architecture`.
#[test]
fn nothing_outside_sim_reads_the_simulators_architecture() {
    let root = repo();
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        if root.join(dir).is_dir() {
            rust_files(&root.join(dir), &mut files);
        }
    }
    let sim = root.join("src").join("sim");
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&sim))
        .filter(|f| names_sim_architecture(&std::fs::read_to_string(f).unwrap()))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "outside src/sim, these read the simulator's architecture module:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_architecture_probe_sees_plain_and_grouped_paths_and_skips_comments() {
    let s = ["sim", "::"].concat();
    assert!(names_sim_architecture(&format!(
        "let o = medgem_prs::{s}architecture::OUTCOMES;"
    )));
    assert!(names_sim_architecture(&format!(
        "use crate::{s}{{self, architecture::X}};"
    )));
    assert!(!names_sim_architecture(&format!(
        "// {s}architecture\nuse crate::{s}phantom;"
    )));
}
