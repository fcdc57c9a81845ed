//! `stockroom-cli thumb` run as a process: one thumbnail per good input,
//! an error line per bad one, the batch carried on to the end.

use std::path::{Path, PathBuf};
use std::process::Command;

const CLI: &str = env!("CARGO_BIN_EXE_stockroom-cli");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../photos/tests/fixtures")
        .join(name)
}

#[test]
fn thumbs_every_good_file_and_reports_every_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("thumbs");
    // A JPEG under a .png name: the format comes from the bytes.
    let renamed = dir.path().join("renamed.png");
    std::fs::copy(fixture("F_progressive-3.jpg"), &renamed).unwrap();
    let inputs = [
        fixture("B_zero-bytes.jpg"),
        fixture("M16_nikon-e950_small.jpg"),
        fixture("B_truncated-10k_6mp.jpg"),
        fixture("X_iphone-head.heic"),
        fixture("orientation/O_Portrait_6.jpg"),
        renamed,
        dir.path().join("missing.jpg"),
        fixture("F_vips-1.webp"),
    ];
    let output = Command::new(CLI)
        .args(["thumb", "--size", "64", "--format", "webp", "--out"])
        .arg(&out)
        .args(&inputs)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "some inputs failed: {stderr}");
    let mut made: Vec<&str> = stdout.lines().map(|l| l.split('\t').nth(2).unwrap()).collect();
    made.sort();
    assert_eq!(made, ["43x64", "64x43", "64x46", "64x48"], "{stdout}");
    for name in [
        "M16_nikon-e950_small.64.webp",
        "O_Portrait_6.64.webp",
        "renamed.64.webp",
        "F_vips-1.64.webp",
    ] {
        let bytes = std::fs::read(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP", "{name}");
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 4);
    for (name, code) in [
        ("B_zero-bytes.jpg", "photo_empty"),
        ("B_truncated-10k_6mp.jpg", "photo_truncated"),
        ("X_iphone-head.heic", "photo_unsupported_format"),
        ("missing.jpg", "io:"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}: {stderr}"));
        assert!(line.contains(code), "{line}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn jpeg_output_and_a_bad_format_name() {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new(CLI)
        .args(["thumb", "--size", "256", "--format", "jpeg", "--out"])
        .arg(dir.path())
        .arg(fixture("F_cmyk_with-icc.jpg"))
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let bytes = std::fs::read(dir.path().join("F_cmyk_with-icc.256.jpg")).unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    let bad = Command::new(CLI)
        .args(["thumb", "--size", "256", "--format", "gif", "--out"])
        .arg(dir.path())
        .arg(fixture("F_cmyk_with-icc.jpg"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--format must be jpeg or webp"));
}
