//! The app binary's headless start: it creates the database in the data folder, adds
//! the demo shop once when asked, and reports the shop's state.

use std::process::Command;

const APP: &str = env!("CARGO_BIN_EXE_stockroom");

fn start(data_dir: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new(APP)
        .env("STOCKROOM_DATA_DIR", data_dir)
        .arg("--headless")
        .args(args)
        .output()
        .expect("start the app");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn first_start_with_demo_then_a_plain_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path(), &["--demo"]);
    assert!(dir.path().join("stockroom.db").exists());
    assert!(
        first.contains("demo shop added: 24 products, 4 locations, 2 customers, 4 sales"),
        "{first}"
    );
    assert!(first.contains("sale D01-000004"), "{first}");
    let again = start(dir.path(), &["--demo"]);
    assert!(again.contains("already has products"), "{again}");
    let plain = start(dir.path(), &[]);
    assert!(plain.contains("Main Street Store"), "{plain}");
    assert!(!plain.contains("no users yet"), "{plain}");
}

#[test]
fn an_empty_start_says_how_to_begin() {
    let dir = tempfile::tempdir().unwrap();
    let output = start(dir.path(), &[]);
    assert!(output.contains("no users yet"), "{output}");
}
