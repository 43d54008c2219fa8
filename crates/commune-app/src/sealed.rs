//! Secrets Commune must read back (the provider's private signing keys, later webhook secrets)
//! are sealed at rest with ChaCha20-Poly1305 under the instance key: 32 random bytes kept in a
//! file only the server's user may read (`commune serve --key-file`). The database alone never
//! reveals them; each sealed value is bound to what it is for (the associated data), so a sealed
//! value moved to another row does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// The instance key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct InstanceKey([u8; 32]);

impl std::fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstanceKey(…)")
    }
}

impl InstanceKey {
    pub fn from_bytes(bytes: [u8; 32]) -> InstanceKey {
        InstanceKey(bytes)
    }

    /// A fresh random key (tests, and in-memory databases that end with the process).
    pub fn random() -> InstanceKey {
        InstanceKey(crate::secrets::random_bytes())
    }

    /// Seals `plain` for `purpose`: hex of a random 12-byte nonce followed by the ciphertext.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> String {
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        let nonce_bytes: [u8; 12] = crate::secrets::random_bytes()[..12].try_into().expect("12 bytes");
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce_bytes), Payload { msg: plain, aad: purpose.as_bytes() })
            .expect("ChaCha20-Poly1305 encrypts any length we seal");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        hex::encode(out)
    }

    /// Opens what [`seal`](Self::seal) made for the same purpose; `None` when it was made under
    /// another key or purpose, or altered.
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = hex::decode(sealed).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&self.0));
        cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: purpose.as_bytes() }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_purpose() {
        let key = InstanceKey::random();
        let sealed = key.seal("oidc-key:k1", b"private");
        assert!(!sealed.contains(&hex::encode(b"private")));
        assert_eq!(key.open("oidc-key:k1", &sealed).as_deref(), Some(&b"private"[..]));
        assert_eq!(key.open("oidc-key:k2", &sealed), None);
        assert_eq!(InstanceKey::random().open("oidc-key:k1", &sealed), None);
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        assert_eq!(key.open("oidc-key:k1", &String::from_utf8(tampered).expect("hex")), None);
        assert_eq!(format!("{key:?}"), "InstanceKey(…)");
    }
}
