// A build script reports failure by panicking: the build stops with the message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Lists every handlebars template under the repository's `templates/` so the registry compiles them all into
//! the binary; adding a template needs no code change.

use std::path::Path;

fn collect(dir: &Path, root: &Path, found: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("templates/ is readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, found);
        } else if let Some(name) = path.to_str().and_then(|p| p.strip_suffix(".hbs")) {
            let relative = Path::new(name)
                .strip_prefix(root)
                .expect("inside templates/")
                .to_string_lossy()
                .replace('\\', "/");
            // `home.html.hbs` → "home"; `email/welcome.txt.hbs` → "email/welcome.txt".
            let name = relative
                .strip_suffix(".html")
                .unwrap_or(&relative)
                .to_string();
            // Relative to the crate, resolved by the compiler from CARGO_MANIFEST_DIR: the generated
            // list never points at another checkout that shared the build folder.
            let relative_path = path.to_string_lossy().replace('\\', "/");
            found.push((name, relative_path));
        }
    }
}

fn main() {
    let root = Path::new("../templates");
    println!("cargo:rerun-if-changed=../templates");
    let mut found = Vec::new();
    collect(root, root, &mut found);
    let mut code = String::from(
        "/// (name, source) of every template under templates/.\npub const TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &found {
        code.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/\", {path:?}))),\n"
        ));
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out).join("templates.rs"), code).expect("write templates.rs");
}
