//! Barcode decoding benchmark and evaluation: ours against zxing-cpp and
//! zbar on ../shared/eval/barcode (manifest-dev.tsv), measured in the same
//! run (correct per format, false positives, misreads, median and p95 ms per
//! image, decode time only), and 1280x720 camera frames with and without a
//! code (wall clock and thread CPU time). Skips when the data set is absent.
//! Run it pinned to one core:
//! `taskset -c 1 cargo bench -p stockroom-scan --bench decoders` (append
//! `-- camera` for the camera frames only).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "../tests/it/frame.rs"]
mod frame;

use stockroom_scan::{decode_luma, decode_luma_with, Decoded, Effort, Format};

struct Case {
    path: String,
    format: Option<Format>,
    text: String,
    width: u32,
    height: u32,
    luma: Vec<u8>,
}

#[derive(Default)]
struct Tally {
    /// (correct, total) per expected format name.
    per_format: BTreeMap<String, (u32, u32)>,
    false_positives: u32,
    misreads: u32,
    times_ms: Vec<f64>,
}

fn unescape(text: &str) -> String {
    let mut plain = String::new();
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            plain.push(character);
            continue;
        }
        match characters.next() {
            Some('n') => plain.push('\n'),
            Some('r') => plain.push('\r'),
            Some('t') => plain.push('\t'),
            Some(other) => plain.push(other),
            None => {}
        }
    }
    plain
}

/// The comparable form of a code: GTIN-13 for EAN-13, UPC-A and UPC-E.
fn key(format_name: &str, text: &str) -> (String, String) {
    let code = Format::from_name(format_name).map(|format| Decoded {
        format,
        text: text.to_string(),
    });
    // zxing-cpp writes a UPC-E as its 13-digit expansion.
    let retail = matches!(format_name, "EAN_13" | "UPC_A" | "UPC_E");
    let expanded = match stockroom_scan::gtin::normalise(text) {
        stockroom_scan::gtin::BarcodeKey::Gtin(gtin) if retail && gtin.len() == 13 => Some(gtin),
        _ => None,
    };
    match code.as_ref().and_then(Decoded::gtin13).or(expanded) {
        Some(gtin) => ("GTIN".to_string(), gtin),
        None => (format_name.to_string(), text.to_string()),
    }
}

fn score(tally: &mut Tally, case: &Case, codes: &[(String, String)], ms: f64) {
    tally.times_ms.push(ms);
    let Some(format) = case.format else {
        tally.false_positives += u32::from(!codes.is_empty());
        return;
    };
    let want = key(format.as_str(), &case.text);
    let hit = codes.iter().any(|(name, text)| key(name, text) == want);
    let entry = tally.per_format.entry(format.as_str().to_string()).or_default();
    entry.1 += 1;
    entry.0 += u32::from(hit);
    if !hit && !codes.is_empty() {
        tally.misreads += 1;
    }
}

fn percentile(times: &[f64], fraction: f64) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

fn load(root: &Path) -> Vec<Case> {
    let manifest = std::fs::read_to_string(root.join("manifest-dev.tsv")).expect("manifest");
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let image = match image::open(root.join(fields[0])) {
                Ok(image) => image.into_luma8(),
                Err(error) => {
                    eprintln!("skipping {}: {error}", fields[0]);
                    return None;
                }
            };
            let (width, height) = image.dimensions();
            Some(Case {
                path: fields[0].to_string(),
                format: Format::from_name(fields[1]),
                text: unescape(fields[2]),
                width,
                height,
                luma: image.into_raw(),
            })
        })
        .collect()
}

/// Runs the reference decoders (scripts/bench_barcode_refs.py) over the
/// manifest; an empty map when Python or the packages are missing.
fn references(root: &Path, cases: &[Case]) -> BTreeMap<String, Tally> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_barcode_refs.py");
    let output = match Command::new("python3")
        .arg(&script)
        .arg(root.join("manifest-dev.tsv"))
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            eprintln!("reference decoders not run: {error}");
            return BTreeMap::new();
        }
    };
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    let by_path: BTreeMap<&str, &Case> = cases.iter().map(|case| (case.path.as_str(), case)).collect();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let (Some(decoder), Some(path), Some(ms)) = (
            record["decoder"].as_str(),
            record["path"].as_str(),
            record["ms"].as_f64(),
        ) else {
            continue;
        };
        let Some(case) = by_path.get(path) else { continue };
        let codes: Vec<(String, String)> = record["codes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|code| Some((code[0].as_str()?.to_string(), code[1].as_str()?.to_string())))
            .collect();
        score(tallies.entry(decoder.to_string()).or_default(), case, &codes, ms);
    }
    tallies
}

fn ours(cases: &[Case]) -> Tally {
    let mut tally = Tally::default();
    for case in cases {
        let started = Instant::now();
        let codes = decode_luma(case.width, case.height, &case.luma).unwrap_or_default();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let codes: Vec<(String, String)> = codes
            .into_iter()
            .map(|code| (code.format.as_str().to_string(), code.text))
            .collect();
        score(&mut tally, case, &codes, ms);
    }
    tally
}

fn print_table(columns: &[(String, Tally)]) {
    let header: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    println!("| format | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(columns.len()));
    for format in Format::ALL {
        let cells: Vec<String> = columns
            .iter()
            .map(|(_, tally)| match tally.per_format.get(format.as_str()) {
                Some((correct, total)) => format!("{correct}/{total}"),
                None => "-".to_string(),
            })
            .collect();
        println!("| {format} | {} |", cells.join(" | "));
    }
    let row = |label: &str, cell: &dyn Fn(&Tally) -> String| {
        let cells: Vec<String> = columns.iter().map(|(_, tally)| cell(tally)).collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    row("all", &|tally| {
        let (correct, total) = tally
            .per_format
            .values()
            .fold((0, 0), |sum, (correct, total)| (sum.0 + correct, sum.1 + total));
        format!("{correct}/{total}")
    });
    row("false positives (no-code photos)", &|tally| {
        tally.false_positives.to_string()
    });
    row("misreads (a wrong code on a code photo)", &|tally| {
        tally.misreads.to_string()
    });
    row("median ms per image", &|tally| {
        format!("{:.2}", percentile(&tally.times_ms, 0.5))
    });
    row("p95 ms per image", &|tally| {
        format!("{:.2}", percentile(&tally.times_ms, 0.95))
    });
}

/// 1280x720 frames: each photo (cropped to fit) centred on a mid-grey
/// canvas with a little noise; photos without a code make the empty frames.
fn camera_frames(cases: &[Case]) -> Vec<(Vec<u8>, Option<&Case>)> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    cases
        .iter()
        .map(|case| {
            let frame = frame::frame_around(case.width, case.height, &case.luma, &mut seed);
            (frame, case.format.map(|_| case))
        })
        .collect()
}

/// Milliseconds of CPU time this thread has used: unlike the wall clock, it
/// leaves out the time the thread waited for the core on a loaded machine.
#[cfg(unix)]
fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for clock_gettime to write.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    now.tv_sec as f64 * 1000.0 + now.tv_nsec as f64 / 1_000_000.0
}

#[cfg(not(unix))]
fn thread_cpu_ms() -> f64 {
    f64::NAN
}

fn camera(cases: &[Case]) {
    let frames = camera_frames(cases);
    let mut with_code = Vec::new();
    let mut without_code = Vec::new();
    let (mut with_code_cpu, mut without_code_cpu) = (Vec::new(), Vec::new());
    let mut read = 0;
    let mut false_positives = 0;
    for (frame, case) in &frames {
        let cpu_started = thread_cpu_ms();
        let started = Instant::now();
        let codes =
            decode_luma_with(frame::WIDTH as u32, frame::HEIGHT as u32, frame, Effort::Fast).unwrap_or_default();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let cpu_ms = thread_cpu_ms() - cpu_started;
        match case {
            Some(case) => {
                with_code.push(ms);
                with_code_cpu.push(cpu_ms);
                let want = key(case.format.map(Format::as_str).unwrap_or(""), &case.text);
                read += usize::from(codes.iter().any(|code| key(code.format.as_str(), &code.text) == want));
            }
            None => {
                without_code.push(ms);
                without_code_cpu.push(cpu_ms);
                false_positives += usize::from(!codes.is_empty());
            }
        }
    }
    println!();
    println!("| 1280x720 frames, Effort::Fast | frames | read | median ms | p95 ms | median CPU ms | p95 CPU ms |");
    println!("|---|---|---|---|---|---|---|");
    let figures = |wall: &[f64], cpu: &[f64]| {
        format!(
            "{:.2} | {:.2} | {:.2} | {:.2}",
            percentile(wall, 0.5),
            percentile(wall, 0.95),
            percentile(cpu, 0.5),
            percentile(cpu, 0.95)
        )
    };
    println!(
        "| with a code | {} | {read} | {} |",
        with_code.len(),
        figures(&with_code, &with_code_cpu)
    );
    println!(
        "| without a code | {} | {false_positives} false positives | {} |",
        without_code.len(),
        figures(&without_code, &without_code_cpu)
    );
    let all: Vec<f64> = with_code.iter().chain(&without_code).copied().collect();
    let all_cpu: Vec<f64> = with_code_cpu.iter().chain(&without_code_cpu).copied().collect();
    println!("| all frames | {} | | {} |", all.len(), figures(&all, &all_cpu));
}

fn data_root() -> Option<PathBuf> {
    let root = match std::env::var_os("STOCKROOM_BARCODE_EVAL") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/barcode"),
    };
    root.join("manifest-dev.tsv").is_file().then_some(root)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // there is nothing to measure.
    if !std::env::args().any(|argument| argument == "--bench") {
        return;
    }
    let Some(root) = data_root() else {
        println!("barcode data set not found (../shared/eval/barcode or STOCKROOM_BARCODE_EVAL): skipped");
        return;
    };
    let cases = load(&root);
    println!("{} images from {}", cases.len(), root.display());
    if std::env::args().any(|argument| argument == "camera") {
        camera(&cases);
        return;
    }
    let mut columns = vec![("ours (stockroom-scan)".to_string(), ours(&cases))];
    columns.extend(references(&root, &cases));
    print_table(&columns);
    camera(&cases);
}
