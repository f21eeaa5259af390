//! The key that signs OnAir's cookie values (the watch pass, known devices): `cookie.key` in the data folder.

use crate::server::key_file::{self, KeyFileError, KEY_BYTES};
use crate::server::secrets;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

const KEY_FILE: &str = "cookie.key";

#[derive(Clone)]
pub struct CookieKey([u8; KEY_BYTES]);

impl CookieKey {
    /// The key in the data folder, made on first use: cookies stay valid across restarts.
    pub fn load_or_create(data_dir: &Path) -> Result<CookieKey, KeyFileError> {
        key_file::load_or_create(&data_dir.join(KEY_FILE)).map(CookieKey)
    }

    pub fn random() -> CookieKey {
        CookieKey(rand::random())
    }

    /// The hex HMAC of `fields` for `purpose` (each purpose signs apart from the others).
    pub fn sign(&self, purpose: &str, fields: &[&str]) -> String {
        secrets::encode(&self.mac(purpose, fields).finalize().into_bytes())
    }

    /// Whether `mac` (hex) is [`CookieKey::sign`] of these fields, compared in constant time.
    pub fn verify(&self, purpose: &str, fields: &[&str], mac: &str) -> bool {
        secrets::decode(mac).is_some_and(|mac| self.mac(purpose, fields).verify_slice(&mac).is_ok())
    }

    fn mac(&self, purpose: &str, fields: &[&str]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"onair-cookie:");
        mac.update(purpose.as_bytes());
        // Lengths first, so fields cannot be shifted from one into the next.
        for field in fields {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field.as_bytes());
        }
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_purpose_fields_and_key_only() {
        let key = CookieKey([1; KEY_BYTES]);
        let mac = key.sign("device", &["ab", "c"]);
        assert!(key.verify("device", &["ab", "c"], &mac));
        assert!(!key.verify("watch", &["ab", "c"], &mac), "another purpose");
        assert!(!key.verify("device", &["a", "bc"], &mac), "fields shifted");
        assert!(!CookieKey([2; KEY_BYTES]).verify("device", &["ab", "c"], &mac), "another key");
        assert!(!key.verify("device", &["ab", "c"], "zz"));
        assert!(!key.verify("device", &["ab", "c"], &mac[..10]));
    }
}
