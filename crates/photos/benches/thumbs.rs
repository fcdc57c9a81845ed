//! Thumbnail benchmark: `stockroom-cli thumb` against `vipsthumbnail`
//! (libvips, VIPS_CONCURRENCY=1), both pinned to one core with `taskset -c 1`,
//! in the same run: images/s at 256 and 1024 px and each process's peak RSS;
//! the 15 EXIF orientation cases checked upright; and the JPEG decoders
//! considered (libjpeg-turbo with DCT scaling, jpeg-decoder with DCT scaling,
//! zune-jpeg) timed on the same photos in this process.
//!
//! Needs ../shared/eval/images/data (or PHOTOS_EVAL_DIR) and a release build of
//! the CLI next to this binary: `cargo build --release -p stockroom-cli` first.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use stockroom_photos::{make_thumbnail, DecodeLimits, ThumbFormat, ThumbSpec};

const ROUNDS: usize = 3;

fn main() {
    let data = std::env::var_os("PHOTOS_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/images/data"));
    if !data.is_dir() {
        println!("skipped: no eval images at {}", data.display());
        return;
    }
    let photos = photo_set(&data);
    let cli = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("stockroom-cli");
    assert!(
        cli.is_file(),
        "build the CLI first: cargo build --release -p stockroom-cli ({})",
        cli.display()
    );
    println!("{} photos from {}", photos.len(), data.display());
    println!(
        "{:<6} {:>6} {:>12} {:>12} {:>12}   ours/vips",
        "tool", "size", "img/s wall", "img/s CPU", "peak RSS MB"
    );
    for size in [256u32, 1024] {
        let out = tempdir(&format!("out-{size}"));
        let mut ours = Vec::new();
        let mut vips = Vec::new();
        for _ in 0..ROUNDS {
            // Alternate so background load hits both alike.
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", "1"])
                .arg(&cli)
                .args(["thumb", "--size", &size.to_string(), "--format", "jpeg", "--out"]);
            cmd.arg(out.join("ours")).args(&photos);
            ours.push(run(cmd));
            let mut cmd = Command::new("taskset");
            cmd.env("VIPS_CONCURRENCY", "1")
                .args(["-c", "1", "vipsthumbnail", "--size", &size.to_string(), "-o"]);
            std::fs::create_dir_all(out.join("vips")).unwrap();
            cmd.arg(format!("{}/%s.jpg", out.join("vips").display())).args(&photos);
            vips.push(run(cmd));
        }
        // Best of the rounds; CPU time as well as wall time, since the one
        // core is shared with whatever else the machine runs.
        let best = |runs: &[(Duration, Duration, u64)]| {
            let wall = runs.iter().map(|r| r.0).min().unwrap();
            let cpu = runs.iter().map(|r| r.1).min().unwrap();
            let rss = runs.iter().map(|r| r.2).max().unwrap();
            let n = photos.len() as f64;
            (n / wall.as_secs_f64(), n / cpu.as_secs_f64(), rss as f64 / 1024.0)
        };
        let (ours_wall, ours_cpu, ours_rss) = best(&ours);
        let (vips_wall, vips_cpu, vips_rss) = best(&vips);
        println!(
            "{:<6} {size:>6} {ours_wall:>12.1} {ours_cpu:>12.1} {ours_rss:>12.1}   {:.2}x wall, {:.2}x CPU",
            "ours",
            ours_wall / vips_wall,
            ours_cpu / vips_cpu
        );
        println!(
            "{:<6} {size:>6} {vips_wall:>12.1} {vips_cpu:>12.1} {vips_rss:>12.1}",
            "vips"
        );
        let _ = std::fs::remove_dir_all(&out);
    }
    orientation(&data);
    decoders(&photos);
}

/// The valid photos: everything but the broken (B_) and refused (X_) files,
/// plus the two sound images filed as broken (invalid EXIF, JPEG named .png).
fn photo_set(data: &Path) -> Vec<PathBuf> {
    let mut photos: Vec<PathBuf> = std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name != "MANIFEST.csv"
                && ((!name.starts_with("B_") && !name.starts_with("X_"))
                    || name == "B_invalid-exif.jpg"
                    || name == "B_jpeg-named.png")
        })
        .collect();
    photos.sort();
    photos
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stockroom-thumbs-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cmd` to the end: wall time, CPU time (user + system) and the
/// child's peak RSS in KiB, from wait4.
fn run(mut cmd: Command) -> (Duration, Duration, u64) {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let started = Instant::now();
    // Reaped below by wait4, which also gives its peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("starting the tool");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed: {status}"
    );
    let cpu = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    (
        elapsed,
        cpu(usage.ru_utime) + cpu(usage.ru_stime),
        usage.ru_maxrss as u64,
    )
}

fn rgb(jpeg: &[u8]) -> Vec<u8> {
    turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::RGB).unwrap().pixels
}

/// The 15 EXIF orientation cases (orientations 2..=8 of both shapes and the
/// invalid 0) against the upright orientation-1 photo, by mean pixel difference.
fn orientation(data: &Path) {
    let thumb = |name: &str| {
        let bytes = std::fs::read(data.join(name)).unwrap();
        let spec = ThumbSpec {
            long_side: 64,
            format: ThumbFormat::Jpeg,
        };
        make_thumbnail(&bytes, spec, &DecodeLimits::default()).unwrap()
    };
    let mut upright = 0;
    let mut cases = 0;
    for shape in ["Landscape", "Portrait"] {
        let reference = thumb(&format!("O_{shape}_1.jpg"));
        let reference_px = rgb(&reference.bytes);
        let mut names: Vec<String> = (2..=8).map(|o| format!("O_{shape}_{o}.jpg")).collect();
        if shape == "Landscape" {
            names.push("O_Landscape_0_invalid.jpg".into());
        }
        for name in names {
            cases += 1;
            let t = thumb(&name);
            let px = rgb(&t.bytes);
            let same_size = (t.width, t.height) == (reference.width, reference.height);
            let diff = if same_size {
                px.iter()
                    .zip(&reference_px)
                    .map(|(a, b)| a.abs_diff(*b) as f64)
                    .sum::<f64>()
                    / px.len() as f64
            } else {
                f64::INFINITY
            };
            if diff < 12.0 {
                upright += 1;
            } else {
                println!("NOT upright: {name} (mean difference {diff:.1})");
            }
        }
    }
    println!("EXIF orientation cases upright: {upright}/{cases}");
}

/// CPU time of this thread so far.
fn thread_cpu() -> Duration {
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Decode CPU time of the JPEG photos for a 256 px thumbnail, per decoder, one thread.
fn decoders(photos: &[PathBuf]) {
    let jpegs: Vec<Vec<u8>> = photos
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .filter(|b| b.starts_with(&[0xFF, 0xD8]))
        .collect();
    let time = |name: &str, decode: &dyn Fn(&[u8]) -> usize| {
        let started = thread_cpu();
        let mut pixels = 0;
        for bytes in &jpegs {
            pixels += decode(bytes);
        }
        let secs = (thread_cpu() - started).as_secs_f64();
        println!(
            "decoder {name:<34} {:>7.1} images per CPU-second ({} JPEGs, {:.1} MP decoded)",
            jpegs.len() as f64 / secs,
            jpegs.len(),
            pixels as f64 / 1e6
        );
    };
    let shrink = |w: usize, h: usize| {
        [8, 4, 2]
            .into_iter()
            .find(|&s| w.max(h).div_ceil(s) >= 256)
            .unwrap_or(1)
    };
    time("libjpeg-turbo 3 (DCT scaling)", &|bytes| {
        let mut d = turbojpeg::Decompressor::new().unwrap();
        let Ok(header) = d.read_header(bytes) else { return 0 };
        let factor = turbojpeg::ScalingFactor::new(1, shrink(header.width, header.height));
        d.set_scaling_factor(factor).unwrap();
        let s = header.scaled(factor);
        let format = match header.colorspace {
            turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK => turbojpeg::PixelFormat::CMYK,
            _ => turbojpeg::PixelFormat::RGB,
        };
        let mut px = vec![0u8; s.width * s.height * format.size()];
        let image = turbojpeg::Image {
            pixels: px.as_mut_slice(),
            width: s.width,
            pitch: s.width * format.size(),
            height: s.height,
            format,
        };
        let _ = d.decompress(bytes, image);
        s.width * s.height
    });
    time("jpeg-decoder 0.3 (DCT scaling)", &|bytes| {
        let mut d = jpeg_decoder::Decoder::new(std::io::Cursor::new(bytes));
        let Ok(()) = d.read_info() else { return 0 };
        let info = d.info().unwrap();
        let s = shrink(info.width as usize, info.height as usize);
        let _ = d.scale(
            (info.width as usize).div_ceil(s) as u16,
            (info.height as usize).div_ceil(s) as u16,
        );
        let info = d.info().unwrap();
        let _ = d.decode();
        info.width as usize * info.height as usize
    });
    time("zune-jpeg 0.5 (full size)", &|bytes| {
        let mut d = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(bytes));
        match d.decode() {
            Ok(_) => d.dimensions().map_or(0, |(w, h)| w * h),
            Err(_) => 0,
        }
    });
}
