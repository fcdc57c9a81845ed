//! Build script of the bare window: Tauri's code generation (config, page).

fn main() {
    tauri_build::build();
}
