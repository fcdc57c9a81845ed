//! Live scanning: two frames confirm a code, a code in view is reported
//! once, and one that left and came back is reported again.

use stockroom_scan::{Decoded, Format, LiveScanner};

fn code(text: &str) -> Decoded {
    Decoded {
        format: Format::Ean13,
        text: text.to_string(),
    }
}

#[test]
fn a_code_counts_once_seen_in_two_frames_and_only_once_while_in_view() {
    let mut scanner = LiveScanner::new();
    assert_eq!(scanner.accept(vec![code("4006381333931")]), Vec::new());
    assert_eq!(scanner.accept(vec![code("4006381333931")]), vec![code("4006381333931")]);
    for _ in 0..30 {
        assert_eq!(scanner.accept(vec![code("4006381333931")]), Vec::new());
    }
    // Missing from a few frames (motion blur) does not make it new.
    for _ in 0..3 {
        assert_eq!(scanner.accept(Vec::new()), Vec::new());
    }
    assert_eq!(scanner.accept(vec![code("4006381333931")]), Vec::new());
}

#[test]
fn a_single_frame_read_is_never_reported() {
    let mut scanner = LiveScanner::new();
    assert_eq!(scanner.accept(vec![code("5449000039231")]), Vec::new());
    for _ in 0..10 {
        assert_eq!(scanner.accept(Vec::new()), Vec::new());
    }
    // Too long after the first read to confirm it: this is a first read again.
    assert_eq!(scanner.accept(vec![code("5449000039231")]), Vec::new());
    assert_eq!(scanner.accept(vec![code("5449000039231")]), vec![code("5449000039231")]);
}

#[test]
fn a_gap_of_a_frame_still_confirms_and_codes_are_independent() {
    let mut scanner = LiveScanner::new();
    assert_eq!(scanner.accept(vec![code("A"), code("B")]), Vec::new());
    assert_eq!(scanner.accept(vec![code("B")]), vec![code("B")]);
    assert_eq!(scanner.accept(vec![code("A"), code("A")]), vec![code("A")]);
    // The same text in another format is another code.
    let qr = Decoded {
        format: Format::QrCode,
        text: "A".to_string(),
    };
    assert_eq!(scanner.accept(vec![qr.clone()]), Vec::new());
    assert_eq!(scanner.accept(vec![qr.clone()]), vec![qr]);
}

#[test]
fn a_code_that_left_the_view_is_reported_when_it_comes_back() {
    let mut scanner = LiveScanner::new();
    scanner.accept(vec![code("96385074")]);
    assert_eq!(scanner.accept(vec![code("96385074")]).len(), 1);
    for _ in 0..20 {
        scanner.accept(Vec::new());
    }
    assert_eq!(scanner.accept(vec![code("96385074")]), Vec::new());
    assert_eq!(scanner.accept(vec![code("96385074")]), vec![code("96385074")]);
    scanner.reset();
    assert_eq!(scanner.accept(vec![code("96385074")]), Vec::new());
}
