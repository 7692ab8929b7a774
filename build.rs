//! Embeds the shipped default model with its panel (`models/default`, `models/default/panel`) in the
//! binary, so that `medgem-prs score x.vcf` works from any folder (ARCHITECTURE.md, "Embedded
//! defaults"). Generates `$OUT_DIR/embedded.rs`: a list of (relative path, bytes).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.is_file() {
            files.push(path.strip_prefix(root).expect("inside root").to_path_buf());
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    let dir = "models/default";
    println!("cargo:rerun-if-changed={dir}");
    collect(&root, &root.join(dir), &mut files);
    let mut code =
        String::from("/// Embedded default files: (path relative to the repository, contents).\n");
    code.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let relative = file.to_string_lossy().replace('\\', "/");
        println!("cargo:rerun-if-changed={relative}");
        let absolute = root.join(file);
        writeln!(
            code,
            "    ({relative:?}, include_bytes!({:?})),",
            absolute.to_string_lossy()
        )
        .expect("string write");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}
