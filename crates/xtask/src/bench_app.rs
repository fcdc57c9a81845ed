//! `cargo xtask bench-app`: the Stockroom app against a bare Tauri 2 window
//! (`crates/bare-window`), both release builds, started in turn under Xvfb:
//! the time from spawn to the first usable screen, and the memory of the
//! whole process tree (the shell and the WebKit processes it starts).
//!
//! "First usable screen": the page has drawn its first screen with its
//! handlers attached and, one animation frame later, called the shell, which
//! logs "first screen ready" on stderr (the Stockroom UI after its start
//! screen mounted; the bare page from its first frame). The clock runs from
//! just before the spawn to that line. Memory is sampled `--settle-ms` after
//! it: VmRSS and PSS summed over the process and all its descendants, read
//! from /proc.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::run;

/// What both apps log once their first screen is usable.
const READY_MARK: &str = "first screen ready";

struct Options {
    runs: usize,
    settle: Duration,
    build: bool,
}

fn parse_options(args: &[String]) -> Result<Options> {
    let mut options = Options {
        runs: 10,
        settle: Duration::from_millis(3000),
        build: true,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a value after the option");
        match arg.as_str() {
            "--runs" => options.runs = value()?.parse().context("--runs takes a count")?,
            "--settle-ms" => options.settle = Duration::from_millis(value()?.parse().context("--settle-ms takes ms")?),
            "--no-build" => options.build = false,
            other => bail!("unknown option {other}: bench-app [--runs N] [--settle-ms MS] [--no-build]"),
        }
    }
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    Ok(options)
}

/// One start of one app.
struct Sample {
    ready: Duration,
    rss_kib: u64,
    pss_kib: u64,
    processes: Vec<String>,
}

pub fn bench_app(root: &Path, args: Vec<String>) -> Result<()> {
    let options = parse_options(&args)?;
    if std::env::var_os("DISPLAY").is_none() {
        // No display: the same command again, inside a fresh Xvfb.
        let exe = std::env::current_exe().context("finding the xtask binary")?;
        let status = Command::new("xvfb-run")
            .args(["-a", "-s", "-screen 0 1920x1080x24"])
            .arg(exe)
            .arg("bench-app")
            .args(&args)
            .current_dir(root)
            .status()
            .context("starting xvfb-run (scripts/setup installs it)")?;
        if !status.success() {
            bail!("bench-app under xvfb-run failed ({status})");
        }
        return Ok(());
    }
    if options.build {
        let ui = root.join("ui");
        if !ui.join("node_modules").exists() {
            std::env::set_var("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            run(&ui, "npm", &["ci", "--no-audit", "--no-fund"])?;
        }
        run(&ui, "npx", &["vite", "build"])?;
        run(
            root,
            "cargo",
            &[
                "build",
                "--release",
                "--locked",
                "-p",
                "stockroom",
                "-p",
                "stockroom-bare-window",
            ],
        )?;
    }
    let release = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("release");
    let apps = [
        ("bare Tauri window", release.join("stockroom-bare-window")),
        ("Stockroom", release.join("stockroom")),
    ];
    for (name, bin) in &apps {
        if !bin.is_file() {
            bail!("{name} is not built at {}", bin.display());
        }
    }
    let scratch = std::env::temp_dir().join(format!("stockroom-bench-app-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(), Vec::new()];
    // The two apps take turns, so a busy spell on the machine hits both.
    for round in 0..options.runs {
        for (index, (name, bin)) in apps.iter().enumerate() {
            let data_dir = scratch.join(format!("{index}-{round}"));
            let sample =
                measure(bin, &data_dir, options.settle).with_context(|| format!("{name}, run {}", round + 1))?;
            eprintln!(
                "bench-app: {name:<18} run {:>2}: ready {:>5} ms, RSS {:>6.1} MiB, PSS {:>6.1} MiB ({} processes)",
                round + 1,
                sample.ready.as_millis(),
                mib(sample.rss_kib),
                mib(sample.pss_kib),
                sample.processes.len()
            );
            samples[index].push(sample);
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    report(&apps.map(|(name, _)| name), &samples, &options);
    Ok(())
}

fn measure(bin: &Path, data_dir: &Path, settle: Duration) -> Result<Sample> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .env("RUST_LOG", "stockroom=info")
        .env("STOCKROOM_DATA_DIR", data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stderr = child.stderr.take().context("the app's stderr")?;
    let (marks, ready) = mpsc::channel();
    // Reads stderr to the end (so the pipe never fills), noting the mark.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(READY_MARK) {
                let _ = marks.send(Instant::now());
            }
        }
    });
    let ready_at = match ready.recv_timeout(Duration::from_secs(60)) {
        Ok(at) => at,
        Err(_) => {
            stop(&mut child, &[]);
            bail!("no \"{READY_MARK}\" within 60 s");
        }
    };
    std::thread::sleep(settle);
    let tree = process_tree(child.id());
    let mut rss_kib = 0;
    let mut pss_kib = 0;
    let mut processes = Vec::new();
    for &pid in &tree {
        rss_kib += proc_field_kib(&format!("/proc/{pid}/status"), "VmRSS:").unwrap_or(0);
        pss_kib += proc_field_kib(&format!("/proc/{pid}/smaps_rollup"), "Pss:").unwrap_or(0);
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        processes.push(name.trim().to_string());
    }
    stop(&mut child, &tree);
    Ok(Sample {
        ready: ready_at.saturating_duration_since(started),
        rss_kib,
        pss_kib,
        processes,
    })
}

/// SIGTERM to the app, SIGKILL after 5 s; then waits for the processes it
/// started (WebKit's) to go, killing by id any still there after 5 s.
fn stop(child: &mut Child, tree: &[u32]) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(5);
    let alive = |pid: &&u32| Path::new(&format!("/proc/{pid}")).exists();
    while Instant::now() < deadline && tree.iter().any(|pid| alive(&pid)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in tree.iter().filter(alive) {
        let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
    }
}

/// `root` and every process descended from it, from /proc/*/stat.
fn process_tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // After the command name in parentheses: state, then the parent's id.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok());
            if let Some(parent) = parent {
                children.entry(parent).or_default().push(pid);
            }
        }
    }
    let mut tree = vec![root];
    let mut next = 0;
    while next < tree.len() {
        if let Some(kids) = children.get(&tree[next]) {
            tree.extend(kids);
        }
        next += 1;
    }
    tree
}

/// A `Name:   1234 kB` line of a /proc file, in KiB.
fn proc_field_kib(path: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|line| line.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The median and the 95th percentile (nearest rank).
fn median_p95(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
    (median, values[rank - 1])
}

fn report(names: &[&str; 2], samples: &[Vec<Sample>], options: &Options) {
    println!(
        "\nbench-app: {} runs each, memory sampled {} ms after the first screen",
        options.runs,
        options.settle.as_millis()
    );
    println!(
        "{:<18} {:>12} {:>9} {:>12} {:>9} {:>12} {:>9}",
        "app", "ready med", "p95", "RSS med", "p95", "PSS med", "p95"
    );
    let mut medians = Vec::new();
    for (name, runs) in names.iter().zip(samples) {
        let ready = median_p95(runs.iter().map(|s| s.ready.as_secs_f64() * 1000.0).collect());
        let rss = median_p95(runs.iter().map(|s| mib(s.rss_kib)).collect());
        let pss = median_p95(runs.iter().map(|s| mib(s.pss_kib)).collect());
        println!(
            "{name:<18} {:>9.0} ms {:>6.0} ms {:>8.1} MiB {:>5.1} MiB {:>8.1} MiB {:>5.1} MiB",
            ready.0, ready.1, rss.0, rss.1, pss.0, pss.1
        );
        medians.push((ready.0, rss.0, pss.0));
    }
    let (bare, app) = (medians[0], medians[1]);
    println!(
        "ratio Stockroom / bare (medians): memory RSS {:.2}x, PSS {:.2}x; ready {:.2}x",
        app.1 / bare.1,
        app.2 / bare.2,
        app.0 / bare.0
    );
    for (name, runs) in names.iter().zip(samples) {
        if let Some(last) = runs.last() {
            println!("processes counted for {name}: {}", last.processes.join(", "));
        }
    }
}
