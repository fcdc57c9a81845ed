//! GS1 barcodes: check digits, UPC-E expansion, and the normalised lookup
//! key (GTIN-13 for EAN-13 / UPC-A / UPC-E, GTIN-8 for EAN-8).

/// What a scanned or imported code turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BarcodeKey {
    /// A valid GS1 code, normalised: 13 digits (EAN-13, UPC-A, UPC-E and
    /// GTIN-14 with indicator 0), 8 digits (EAN-8) or 14 digits (other GTIN-14).
    Gtin(String),
    /// Digits of a GS1 length whose check digit is wrong.
    BadCheckDigit(String),
    /// Any other text (Code 128, Code 39, internal codes), kept as is.
    Other(String),
}

impl BarcodeKey {
    /// The text stored and looked up in the `barcodes` table.
    pub fn lookup_text(&self) -> &str {
        match self {
            BarcodeKey::Gtin(code) | BarcodeKey::BadCheckDigit(code) | BarcodeKey::Other(code) => code,
        }
    }
}

/// The GS1 check digit for the digits before it (any length).
pub fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(position, digit)| u32::from(*digit) * if position % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// True when `code` is all digits, of a GS1 length (8, 12, 13, 14), with a
/// correct check digit.
pub fn is_valid_gtin(code: &str) -> bool {
    matches!(code.len(), 8 | 12 | 13 | 14) && has_valid_check_digit(code)
}

fn digits_of(code: &str) -> Option<Vec<u8>> {
    code.bytes()
        .map(|byte| byte.is_ascii_digit().then(|| byte - b'0'))
        .collect()
}

fn has_valid_check_digit(code: &str) -> bool {
    match digits_of(code) {
        Some(digits) if digits.len() >= 2 => {
            let (body, check) = digits.split_at(digits.len() - 1);
            check_digit(body) == check[0]
        }
        _ => false,
    }
}

/// Expands an 8-digit UPC-E (number system 0 or 1) to its 12-digit UPC-A.
pub fn upc_e_to_upc_a(upc_e: &str) -> Option<String> {
    let digits = digits_of(upc_e)?;
    if digits.len() != 8 || digits[0] > 1 {
        return None;
    }
    let (system, body, check) = (digits[0], &digits[1..7], digits[7]);
    let (manufacturer, product): (Vec<u8>, Vec<u8>) = match body[5] {
        0..=2 => (
            vec![body[0], body[1], body[5], 0, 0],
            vec![0, 0, body[2], body[3], body[4]],
        ),
        3 => (vec![body[0], body[1], body[2], 0, 0], vec![0, 0, 0, body[3], body[4]]),
        4 => (vec![body[0], body[1], body[2], body[3], 0], vec![0, 0, 0, 0, body[4]]),
        _ => (body[..5].to_vec(), vec![0, 0, 0, 0, body[5]]),
    };
    let mut upc_a: Vec<u8> = std::iter::once(system).chain(manufacturer).chain(product).collect();
    if check_digit(&upc_a) != check {
        return None;
    }
    upc_a.push(check);
    Some(upc_a.iter().map(|digit| char::from(b'0' + digit)).collect())
}

/// Normalises a code typed, scanned or imported without a known format.
/// 8 digits are read as EAN-8 (use [`normalise_upc_e`] when the scanner says
/// UPC-E); 11 digits are a UPC-A that lost its leading zero.
pub fn normalise(raw: &str) -> BarcodeKey {
    let code = raw.trim();
    if code.is_empty() || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return BarcodeKey::Other(code.to_string());
    }
    let padded = match code.len() {
        11 => format!("00{code}"),
        12 => format!("0{code}"),
        _ => code.to_string(),
    };
    match padded.len() {
        8 | 13 | 14 if has_valid_check_digit(&padded) => {
            if padded.len() == 14 && padded.starts_with('0') {
                BarcodeKey::Gtin(padded[1..].to_string())
            } else {
                BarcodeKey::Gtin(padded)
            }
        }
        8 | 13 | 14 => BarcodeKey::BadCheckDigit(padded),
        _ => BarcodeKey::Other(code.to_string()),
    }
}

/// Normalises a code the scanner reported as UPC-E.
pub fn normalise_upc_e(raw: &str) -> BarcodeKey {
    match upc_e_to_upc_a(raw.trim()) {
        Some(upc_a) => BarcodeKey::Gtin(format!("0{upc_a}")),
        None => BarcodeKey::BadCheckDigit(raw.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check(body: &str) -> String {
        let digits = digits_of(body).unwrap();
        format!("{body}{}", check_digit(&digits))
    }

    #[test]
    fn known_codes() {
        assert!(is_valid_gtin("4006381333931"));
        assert!(is_valid_gtin("96385074"));
        assert!(is_valid_gtin("036000291452"));
        assert!(!is_valid_gtin("4006381333932"));
        assert_eq!(normalise("036000291452"), BarcodeKey::Gtin("0036000291452".into()));
        assert_eq!(
            normalise("01115304626"),
            BarcodeKey::BadCheckDigit("0001115304626".into())
        );
        assert_eq!(normalise("ABC-123"), BarcodeKey::Other("ABC-123".into()));
        assert_eq!(normalise("12345"), BarcodeKey::Other("12345".into()));
        assert_eq!(normalise("00036000291452"), BarcodeKey::Gtin("0036000291452".into()));
    }

    #[test]
    fn upc_e_expands_by_its_last_digit() {
        // Examples from the GS1 UPC-E tables.
        assert_eq!(upc_e_to_upc_a("01234505").as_deref(), Some("012000003455"));
        assert_eq!(upc_e_to_upc_a("01234565").as_deref(), Some("012345000065"));
        assert_eq!(upc_e_to_upc_a("04252614").as_deref(), Some("042100005264"));
        assert_eq!(normalise_upc_e("04252614"), BarcodeKey::Gtin("0042100005264".into()));
        assert_eq!(upc_e_to_upc_a("04252615"), None);
        assert_eq!(upc_e_to_upc_a("24252614"), None);
    }

    proptest! {
        #[test]
        fn a_computed_check_digit_validates(body in "[0-9]{12}") {
            prop_assert!(is_valid_gtin(&with_check(&body)));
        }

        #[test]
        fn any_single_digit_error_is_caught(body in "[0-9]{12}", position in 0usize..13, bump in 1u8..10) {
            let code = with_check(&body);
            let mut bytes = code.into_bytes();
            bytes[position] = b'0' + (bytes[position] - b'0' + bump) % 10;
            prop_assert!(!is_valid_gtin(&String::from_utf8(bytes).unwrap()));
        }

        #[test]
        fn upc_a_and_its_ean13_form_share_a_key(body in "[0-9]{11}") {
            let upc_a = with_check(&body);
            prop_assert_eq!(normalise(&upc_a), normalise(&format!("0{upc_a}")));
        }

        #[test]
        fn exactly_one_upc_e_check_digit_expands(system in 0u8..2, body in "[0-9]{6}") {
            let expansions: Vec<String> = (0..10)
                .filter_map(|check| upc_e_to_upc_a(&format!("{system}{body}{check}")))
                .collect();
            prop_assert_eq!(expansions.len(), 1);
            prop_assert!(is_valid_gtin(&expansions[0]));
        }
    }
}
