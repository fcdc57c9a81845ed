//! Full-ASCII ("extended") Code 39: the two-character sequences `$X`, `%X`,
//! `/X` and `+X` that stand for the ASCII characters outside Code 39's 43.

/// The full-ASCII reading of a plain Code 39 text, or `None` when the text
/// has no extended sequence or one that is not valid (then the plain text
/// stands, as ZXing does).
pub(crate) fn full_ascii(plain: &str) -> Option<String> {
    if !plain.bytes().any(|byte| b"$%/+".contains(&byte)) {
        return None;
    }
    let bytes = plain.as_bytes();
    let mut decoded = String::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let shift = bytes[index];
        if !b"$%/+".contains(&shift) {
            decoded.push(char::from(shift));
            index += 1;
            continue;
        }
        let next = *bytes.get(index + 1)?;
        let value = match (shift, next) {
            (b'+', b'A'..=b'Z') => next + 32,
            (b'$', b'A'..=b'Z') => next - 64,
            (b'%', b'A'..=b'E') => next - 38,
            (b'%', b'F'..=b'J') => next - 11,
            (b'%', b'K'..=b'O') => next + 16,
            (b'%', b'P'..=b'T') => next + 43,
            (b'%', b'U') => 0,
            (b'%', b'V') => b'@',
            (b'%', b'W') => b'`',
            (b'%', b'X' | b'Y' | b'Z') => 127,
            (b'/', b'A'..=b'O') => next - 32,
            (b'/', b'Z') => b':',
            _ => return None,
        };
        decoded.push(char::from(value));
        index += 2;
    }
    Some(decoded)
}

#[cfg(test)]
mod tests {
    use super::full_ascii;

    #[test]
    fn expands_valid_sequences_only() {
        assert_eq!(full_ascii("+H+E+L+L+O"), Some("hello".into()));
        assert_eq!(full_ascii("A/B%U$J$M"), Some("A\"\0\n\r".into()));
        assert_eq!(full_ascii("/Z%V%W%X"), Some(":@`\x7f".into()));
        assert_eq!(full_ascii("ABC-123"), None);
        assert_eq!(full_ascii("10+2"), None);
        assert_eq!(full_ascii("50%"), None);
    }
}
