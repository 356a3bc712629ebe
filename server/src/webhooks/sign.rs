//! The `Banchi-Signature` header: `t=UNIX_SECONDS,v1=HEX`, where HEX is the lowercase hex
//! HMAC-SHA256, under the receiver's secret, of `UNIX_SECONDS` + `.` + the raw body.
//!
//! `t` is the time of the attempt (each retry signs again), so a receiver can refuse stale
//! or replayed requests by checking that `t` is recent, then compare `v1` in constant time.
//! The recipe for receivers is in the README ("Alerts by webhook").

use hmac::{KeyInit, Mac};

/// The header's name.
pub const HEADER: &str = "Banchi-Signature";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Lowercase hex of HMAC-SHA256(`secret`, `t` + "." + `body`).
pub fn signature(secret: &[u8], t: u64, body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` does not fail for HMAC.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

/// The header's value: `t=T,v1=HEX`.
pub fn header_value(secret: &[u8], t: u64, body: &[u8]) -> String {
    format!("t={t},v1={}", signature(secret, t, body))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_an_independent_computation() {
        // Computed once with Python's standard library:
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test_0123456789",
        //   b"1767225600." + b"{\"id\":\"0f\",\"type\":\"block\"}", hashlib.sha256).hexdigest())'
        let body = br#"{"id":"0f","type":"block"}"#;
        assert_eq!(
            signature(b"whsec_test_0123456789", 1_767_225_600, body),
            "6f53324b14307ad2b8a20a7e3ca90d65223af9ea7d146689cfa3e81ffae798ee"
        );
        assert_eq!(
            header_value(b"whsec_test_0123456789", 1_767_225_600, body),
            "t=1767225600,v1=6f53324b14307ad2b8a20a7e3ca90d65223af9ea7d146689cfa3e81ffae798ee"
        );
    }

    #[test]
    fn the_time_and_the_secret_are_signed() {
        let body = b"{}";
        let a = signature(b"k", 1, body);
        assert_ne!(a, signature(b"k", 2, body));
        assert_ne!(a, signature(b"K", 1, body));
        assert_eq!(a.len(), 64);
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
