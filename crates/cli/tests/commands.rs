//! The command-line tool as a user runs it: demo data, barcode lookup,
//! search, stock listing, export and re-import, clear errors, and decoding
//! the barcodes in image files.

use std::path::Path;
use std::process::{Command, Output};

const CLI: &str = env!("CARGO_BIN_EXE_stockroom-cli");

fn run(db: &Path, args: &[&str]) -> Output {
    Command::new(CLI)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("run stockroom-cli")
}

fn stdout_of(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

#[test]
fn a_demo_shop_answers_lookups_searches_and_stock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let created = stdout_of(&run(&db, &["demo"]));
    assert!(
        created.starts_with("demo shop created: 24 products, 4 locations"),
        "{created}"
    );
    // The demo's first product has EAN-13 2000000000015; its case of 12 has its own code.
    let single = stdout_of(&run(&db, &["lookup", "2000000000015"]));
    assert!(
        single.contains("COF-250\tGround coffee 250 g\tpack 1\t4.49 EUR"),
        "{single}"
    );
    let case = stdout_of(&run(&db, &["lookup", "2000000010014"]));
    assert!(case.contains("pack 12"), "{case}");
    let found = stdout_of(&run(&db, &["search", "choc"]));
    let skus: Vec<&str> = found.lines().map(|line| line.split('\t').next().unwrap()).collect();
    assert_eq!(skus.len(), 2, "{found}");
    assert!(skus.contains(&"CHO-DRK") && skus.contains(&"CHO-MLK"), "{found}");
    let stock = stdout_of(&run(&db, &["stock"]));
    assert!(stock.contains("Main Street Store (store)"), "{stock}");
    assert!(stock.contains("Diesel Tank 1 (tank)"), "{stock}");
    // A second demo run adds nothing.
    let again = stdout_of(&run(&db, &["--pin", "1234", "demo"]));
    assert!(again.contains("already has products"), "{again}");
}

#[test]
fn products_export_and_import_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    stdout_of(&run(&db, &["demo"]));
    let csv = dir.path().join("products.csv");
    let csv_arg = csv.to_str().unwrap();
    let exported = stdout_of(&run(&db, &["--pin", "1234", "export", "products", "--out", csv_arg]));
    assert_eq!(exported.trim(), "24 rows exported");
    let imported = stdout_of(&run(&db, &["--pin", "1234", "import", "--preset", "export", csv_arg]));
    assert!(
        imported.starts_with("24 rows read: 0 created, 0 updated, 24 unchanged"),
        "{imported}"
    );
}

#[test]
fn mistakes_get_a_clear_error_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    stdout_of(&run(&db, &["demo"]));
    let unknown = run(&db, &["lookup", "4006381333931"]);
    assert!(!unknown.status.success());
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr).trim(),
        "error: no product has barcode \"4006381333931\""
    );
    let wrong_pin = run(&db, &["--pin", "0000", "export", "products"]);
    assert!(String::from_utf8_lossy(&wrong_pin.stderr).contains("wrong username or PIN"));
    let no_pin = run(&db, &["export", "products"]);
    assert!(String::from_utf8_lossy(&no_pin.stderr).contains("give --pin"));
    let broken = dir.path().join("broken.csv");
    let header = "sku,name,brand,unit,category,price,cost,currency,tax_rate_bp,barcodes,active";
    let rows = "ZQX-1,Quince,,pc,,1.00,0.50,EUR,700,,true\nB-2,Pear,,pc,,one euro,0.50,EUR,700,,true";
    std::fs::write(&broken, format!("{header}\n{rows}\n")).unwrap();
    let failed = run(
        &db,
        &[
            "--pin",
            "1234",
            "import",
            "--preset",
            "export",
            broken.to_str().unwrap(),
        ],
    );
    let message = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(message.contains("line 3"), "{message}");
    // Nothing of the file was written: the good first row is not there either.
    assert_eq!(stdout_of(&run(&db, &["search", "quince"])), "");
}

fn scan_fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scan/tests/fixtures")
        .join(name)
}

#[test]
fn decode_prints_one_escaped_line_per_code_and_reports_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.png");
    std::fs::write(&text, b"not an image\n").unwrap();
    let missing = dir.path().join("missing.jpg");
    let images = [
        scan_fixture("qrcode-1/1.jpg"),
        empty.clone(),
        scan_fixture("falsepositives/01.jpg"),
        scan_fixture("qrcode-1/16.jpg"),
        text.clone(),
        missing.clone(),
        scan_fixture("ean8-1/1.png"),
    ];
    let output = Command::new(CLI).arg("decode").args(&images).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "unreadable files make the exit status 1");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let expected = format!(
        "{}\tQR_CODE\tMEBKM:URL:http\\\\://en.wikipedia.org/wiki/Main_Page;;\n\
         {}\tQR_CODE\tSean Owen\\r\\nsrowen@google.com\\r\\n917-364-2918\\r\\nhttp://awesome-thoughts.com\n\
         {}\tEAN_8\t48512343\n",
        images[0].display(),
        images[3].display(),
        images[6].display()
    );
    assert_eq!(stdout, expected);
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, path) in lines.iter().zip([&empty, &text, &missing]) {
        assert!(line.starts_with(&format!("{}: ", path.display())), "{line}");
    }
}

#[test]
fn decode_exits_zero_when_every_file_was_read() {
    let output = Command::new(CLI)
        .arg("decode")
        .arg(scan_fixture("falsepositives/13.jpg"))
        .arg(scan_fixture("upce-1/1.png"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout,
        format!("{}\tUPC_E\t01234565\n", scan_fixture("upce-1/1.png").display())
    );
    assert!(output.stderr.is_empty());
}
