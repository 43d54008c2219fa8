//! The audit chain: every state change appends an entry whose hash covers all of its fields and
//! the previous entry's hash, so changing any stored entry breaks every link after it.
//!
//! Hash = SHA-256 over a length-prefixed encoding of (seq, at_ms, actor, action, subject, payload,
//! prev_hash). Length prefixes make the encoding injective: no two different entries share bytes.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored. `payload` is the change itself as JSON text (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields of an entry before it is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub payload: &'a str,
    pub prev_hash: &'a str,
}

impl Draft<'_> {
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"commune-audit-v1");
        h.update(self.seq.to_be_bytes());
        h.update(self.at_ms.to_be_bytes());
        for field in [self.actor, self.action, self.subject, self.payload, self.prev_hash] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }

    pub fn seal(self) -> Entry {
        let hash = self.hash();
        Entry {
            seq: self.seq,
            at_ms: self.at_ms,
            actor: self.actor.to_owned(),
            action: self.action.to_owned(),
            subject: self.subject.to_owned(),
            payload: self.payload.to_owned(),
            prev_hash: self.prev_hash.to_owned(),
            hash,
        }
    }
}

impl Entry {
    pub fn draft(&self) -> Draft<'_> {
        Draft {
            seq: self.seq,
            at_ms: self.at_ms,
            actor: &self.actor,
            action: &self.action,
            subject: &self.subject,
            payload: &self.payload,
            prev_hash: &self.prev_hash,
        }
    }
}

/// The first broken link found by [`Verifier`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at entry {seq}: {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Checks a chain one entry at a time, so the shell can stream entries from storage.
#[derive(Debug, Clone)]
pub struct Verifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for Verifier {
    fn default() -> Verifier {
        Verifier { expected_seq: 1, prev_hash: GENESIS_HASH.to_owned() }
    }
}

impl Verifier {
    pub fn push(&mut self, entry: &Entry) -> Result<(), Broken> {
        let broken = |reason: String| Broken { seq: entry.seq, reason };
        if entry.seq != self.expected_seq {
            return Err(broken(format!("expected sequence number {}, found {}", self.expected_seq, entry.seq)));
        }
        if entry.prev_hash != self.prev_hash {
            return Err(broken("its prev_hash does not match the hash of the entry before it".into()));
        }
        if entry.draft().hash() != entry.hash {
            return Err(broken("its stored hash does not match its contents (a field was changed)".into()));
        }
        self.expected_seq += 1;
        self.prev_hash.clone_from(&entry.hash);
        Ok(())
    }

    /// Checks the chain's recorded head (last sequence number and hash) against what was read.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, Broken> {
        let last = self.expected_seq - 1;
        if head_seq != last || head_hash != self.prev_hash {
            return Err(Broken {
                seq: last + 1,
                reason: format!(
                    "the chain head says {head_seq} entries ending in {}, the log has {last} ending in {}",
                    short(head_hash),
                    short(&self.prev_hash)
                ),
            });
        }
        Ok(last)
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let payload = format!("{{\"n\":{seq}}}");
                let e = Draft {
                    seq,
                    at_ms: seq * 10,
                    actor: "a",
                    action: "x.y",
                    subject: "s",
                    payload: &payload,
                    prev_hash: &prev,
                }
                .seal();
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn verify(entries: &[Entry]) -> Result<i64, Broken> {
        let mut v = Verifier::default();
        entries.iter().try_for_each(|e| v.push(e))?;
        let head = entries.last().map_or(GENESIS_HASH, |e| e.hash.as_str());
        v.finish(entries.len() as i64, head)
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn truncation_is_caught_by_the_head() {
        let entries = chain(5);
        let mut v = Verifier::default();
        entries[..4].iter().for_each(|e| v.push(e).expect("intact prefix"));
        assert!(v.finish(5, &entries[4].hash).is_err());
    }

    proptest! {
        /// Changing any one field of any one entry is caught, at that entry or the next one.
        #[test]
        fn any_tampered_field_breaks_the_chain(index in 0usize..6, field in 0usize..8, byte in 1u8..=255) {
            let mut entries = chain(6);
            let e = &mut entries[index];
            let flip = |s: &mut String| { let c = char::from(b'a' + byte % 26); if s.ends_with(c) { s.push('!') } else { s.push(c) } };
            match field {
                0 => e.seq += 1,
                1 => e.at_ms += i64::from(byte),
                2 => flip(&mut e.actor),
                3 => flip(&mut e.action),
                4 => flip(&mut e.subject),
                5 => flip(&mut e.payload),
                6 => flip(&mut e.prev_hash),
                _ => flip(&mut e.hash),
            }
            let broken = verify(&entries).expect_err("tampering must be caught");
            prop_assert!(broken.seq == index as i64 + 1 || broken.seq == index as i64 + 2);
        }
    }
}
