//! Build script of the app: Tauri's code generation (config, capabilities,
//! the embedded UI). Where `ui/dist` has not been built yet, a placeholder
//! page from the build folder is embedded instead, so `cargo build` works
//! on a fresh clone; build the UI (`npm ci && npm run build` in ui/) for
//! the real one.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=ui/dist/index.html");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let built_ui = PathBuf::from("ui/dist/index.html");
    if !built_ui.exists() && std::env::var_os("TAURI_CONFIG").is_none() {
        let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
        let placeholder = out_dir.join("ui-placeholder");
        std::fs::create_dir_all(&placeholder).expect("placeholder folder");
        std::fs::write(
            placeholder.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Stockroom</title>\
             <p>The UI is not built: run <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, \
             then build the app again.</p>",
        )
        .expect("placeholder page");
        let config = serde_json::json!({ "build": { "frontendDist": placeholder } }).to_string();
        // For tauri-build here, and for `generate_context!` when the crate compiles.
        std::env::set_var("TAURI_CONFIG", &config);
        println!("cargo:rustc-env=TAURI_CONFIG={config}");
    }
    let attributes = tauri_build::Attributes::new().capabilities_path_pattern("src-tauri/capabilities/*.json");
    tauri_build::try_build(attributes).expect("tauri build step");
}
