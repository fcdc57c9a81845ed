//! `stockroom-cli decode IMG...`: the barcodes in image files, one line per
//! code as `PATH<TAB>FORMAT<TAB>TEXT`, for evaluation and scripts.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Decodes each image in turn. A file that cannot be read or decoded gets
/// one line on standard error and the others go on. Exit status: 0 when
/// every file was read (whether or not it held a code), 1 when at least one
/// could not be.
pub fn run(images: &[PathBuf]) -> ExitCode {
    // A decoder bug surfaces as an error line for that file (the panic is
    // caught in the scan crate); keep the default hook from printing a trace.
    std::panic::set_hook(Box::new(|_| {}));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut unreadable = 0usize;
    for path in images {
        match stockroom_scan::decode_path(path) {
            Ok(codes) => {
                for code in codes {
                    let line = format!("{}\t{}\t{}", path.display(), code.format, escape(&code.text));
                    if writeln!(out, "{line}").is_err() {
                        // Standard output closed (e.g. piped into `head`).
                        return ExitCode::SUCCESS;
                    }
                }
            }
            Err(error) => {
                unreadable += 1;
                let _ = out.flush();
                eprintln!("{}: {error}", path.display());
            }
        }
    }
    let _ = out.flush();
    if unreadable == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The text with backslash, tab, CR and LF written as `\\ \t \r \n`, so one
/// code is one line.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\\' => escaped.push_str("\\\\"),
            '\t' => escaped.push_str("\\t"),
            '\r' => escaped.push_str("\\r"),
            '\n' => escaped.push_str("\\n"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_backslash_tab_cr_lf_only() {
        assert_eq!(escape("a\\b\tc\rd\ne"), "a\\\\b\\tc\\rd\\ne");
        assert_eq!(escape("MEBKM:URL:http\\://x;;"), "MEBKM:URL:http\\\\://x;;");
        assert_eq!(escape("plain ünïcode \"quoted\""), "plain ünïcode \"quoted\"");
        assert_eq!(escape(""), "");
    }
}
