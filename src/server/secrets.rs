//! Secrets: random tokens, their lowercase hex form, and comparing them in constant time.

use rand::Rng;
use subtle::ConstantTimeEq;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// `None` unless `text` is an even number of hex digits.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// `N` random bytes from the thread's CSPRNG, hex-encoded.
pub fn random<const N: usize>() -> String {
    let bytes: [u8; N] = rand::rng().random();
    encode(&bytes)
}

/// 256 random bits, hex-encoded: session tokens, viewer ids.
pub fn random_token() -> String {
    random::<32>()
}

/// Equality that takes the same time wherever the first difference is (codes, cookies); only
/// the length shows.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_hex() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff];
        assert_eq!(encode(&bytes), "000fa5ff");
        assert_eq!(decode("000fa5ff").unwrap(), bytes);
        assert_eq!(decode("000FA5FF").unwrap(), bytes);
        assert_eq!(decode("abc"), None);
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("éé"), None);
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn random_values_have_the_length_asked_and_differ() {
        assert_eq!(random::<16>().len(), 32);
        assert_ne!(random::<32>(), random::<32>());
        assert_eq!(random_token().len(), 64);
    }
}
