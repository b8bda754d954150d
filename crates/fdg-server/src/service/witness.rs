//! Signed audit checkpoints and their outside witness.
//!
//! The audit log's hash chain shows an entry altered, removed, inserted or reordered in the
//! middle. On its own it cannot show the newest entries cut off the end, nor a chain whose
//! hashes were all recomputed after a change: the hashes are not keyed. A **checkpoint** is the
//! chain's head (position and hash) signed with an Ed25519 key the operator holds, appended as
//! one line to a **witness** file the operator keeps outside the registry's reach (another
//! machine, write-once storage). Verifying the log against the witness then detects:
//!
//! - truncation: a signed position the log no longer reaches;
//! - a recomputed chain: the hash at a signed position is not the signed one;
//! - a forged witness line: its signature does not verify with the operator's public key.
//!
//! Entries newer than the last checkpoint are covered by the chain only, so checkpoints are
//! made often (`fdg serve --audit-checkpoint-key …`, every five minutes by default).
//! `docs/access.md`, section 6, is the operator's guide.

use std::io::Write;
use std::path::Path;

use fdg_store::audit::AuditLog;
use fdg_store::{hex, unhex};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// One witness line: a signed chain head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The chain's newest position when signed.
    pub seq: i64,
    /// The hash stored at that position, hex.
    pub hash: String,
    /// When it was signed (RFC 3339).
    pub at: String,
    /// The signing key's public half, hex (to tell keys apart; trust comes from the key the
    /// verifier is given, never from this field).
    pub key: String,
    /// The Ed25519 signature of [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// What is signed: a versioned text of position, hash and time.
    pub fn message(seq: i64, hash: &str, at: &str) -> String {
        format!("fdg-audit-checkpoint/1\n{seq}\n{hash}\n{at}\n")
    }
}

/// What is wrong, found by checking the log against its witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WitnessProblem {
    /// A line that is not a checkpoint.
    Unreadable {
        /// Line number in the witness file.
        line: usize,
    },
    /// A checkpoint whose signature does not verify with the operator's public key.
    BadSignature {
        /// Line number.
        line: usize,
    },
    /// The log ends before a signed position: entries were cut off the end.
    Truncated {
        /// The signed position.
        seq: i64,
        /// Where the log ends now.
        head: i64,
    },
    /// The hash at a signed position is not the signed one: the chain was rewritten.
    Rewritten {
        /// The signed position.
        seq: i64,
    },
}

/// The outcome of checking a witness.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WitnessReport {
    /// Checkpoints checked against the log.
    pub checked: usize,
    /// Checkpoints at positions pruned away (by retention), not checkable.
    pub pruned: usize,
    /// The newest signed position.
    pub newest: Option<i64>,
    /// Every problem, in witness order; empty when the log matches.
    pub problems: Vec<WitnessProblem>,
}

/// Makes a new Ed25519 signing key: the PKCS#8 document to keep secret, and the public key
/// (hex) to give verifiers.
pub fn generate_key() -> Result<(Vec<u8>, String), String> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| "no random source")?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "key generation")?;
    Ok((pkcs8.as_ref().to_vec(), hex(pair.public_key().as_ref())))
}

/// A signing key read from a PKCS#8 file (as `fdg audit keygen` writes it).
pub struct SigningKey(Ed25519KeyPair);

impl SigningKey {
    /// Reads the key file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ed25519KeyPair::from_pkcs8(&bytes)
            .map(SigningKey)
            .map_err(|_| format!("{}: not an Ed25519 PKCS#8 key", path.display()))
    }

    /// The public key, hex.
    pub fn public_hex(&self) -> String {
        hex(self.0.public_key().as_ref())
    }

    /// Signs the head `(seq, hash)` at `at`.
    pub fn sign(&self, seq: i64, hash: &[u8; 32], at: jiff::Timestamp) -> Checkpoint {
        let hash = hex(hash);
        let at = at.to_string();
        let signature = self.0.sign(Checkpoint::message(seq, &hash, &at).as_bytes());
        Checkpoint {
            seq,
            hash,
            at,
            key: self.public_hex(),
            signature: hex(signature.as_ref()),
        }
    }
}

/// Signs the log's current head and appends it to the witness file (creating it). Returns
/// the checkpoint, or `None` when the log is empty.
pub async fn checkpoint(
    audit: &dyn AuditLog,
    key: &SigningKey,
    witness: &Path,
    now: jiff::Timestamp,
) -> Result<Option<Checkpoint>, String> {
    let (seq, hash) = audit.head().await.map_err(|e| e.to_string())?;
    if seq == 0 {
        return Ok(None);
    }
    let c = key.sign(seq, &hash, now);
    let line = serde_json::to_string(&c).map_err(|e| e.to_string())?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(witness)
        .map_err(|e| format!("{}: {e}", witness.display()))?;
    writeln!(f, "{line}")
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", witness.display()))?;
    Ok(Some(c))
}

/// Checks the log against the witness text, trusting only `public_key` (hex). `pruned_to`
/// is the position up to which retention has removed entries (from the chain's own check).
pub async fn verify(
    audit: &dyn AuditLog,
    witness: &str,
    public_key: &str,
    pruned_to: Option<i64>,
) -> Result<WitnessReport, String> {
    let key = unhex(public_key.trim()).ok_or("the public key is not hex")?;
    let key = UnparsedPublicKey::new(&ED25519, key);
    let (head, _) = audit.head().await.map_err(|e| e.to_string())?;
    let mut report = WitnessReport::default();
    for (n, line) in witness.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(c) = serde_json::from_str::<Checkpoint>(line) else {
            report
                .problems
                .push(WitnessProblem::Unreadable { line: line_no });
            continue;
        };
        let signed = unhex(&c.signature).is_some_and(|sig| {
            key.verify(Checkpoint::message(c.seq, &c.hash, &c.at).as_bytes(), &sig)
                .is_ok()
        });
        if !signed {
            report
                .problems
                .push(WitnessProblem::BadSignature { line: line_no });
            continue;
        }
        report.newest = report.newest.max(Some(c.seq));
        if c.seq > head {
            report
                .problems
                .push(WitnessProblem::Truncated { seq: c.seq, head });
            continue;
        }
        match audit.hash_at(c.seq).await.map_err(|e| e.to_string())? {
            Some(h) if hex(&h) == c.hash => report.checked += 1,
            Some(_) => report
                .problems
                .push(WitnessProblem::Rewritten { seq: c.seq }),
            None if pruned_to.is_some_and(|p| c.seq < p) => report.pruned += 1,
            // Inside the log but gone: the chain's own check names the removal.
            None => report
                .problems
                .push(WitnessProblem::Rewritten { seq: c.seq }),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fdg_store::audit::AuditEntry;
    use fdg_store::testing::TestDatabase;

    fn entry(i: u32) -> AuditEntry {
        AuditEntry {
            at: jiff::Timestamp::from_second(1_800_000_000 + i64::from(i)).expect("time"),
            org: "state-jobcenter:STAT".into(),
            credential: "agreement:1".into(),
            acting_person: None,
            on_behalf_of: None,
            action: "person.read".into(),
            person_id: Some(format!("p{i}")),
            purpose: "case handling".into(),
            outcome: "ok".into(),
        }
    }

    /// A fresh key, written to a file in the test's scratch directory and loaded from it.
    fn key_in(db: &TestDatabase) -> (SigningKey, String) {
        let (secret, public) = generate_key().expect("a key");
        let key_file = db.scratch().join("audit-key.p8");
        std::fs::write(&key_file, secret).expect("key written");
        (SigningKey::load(&key_file).expect("the key"), public)
    }

    #[tokio::test]
    async fn truncation_and_a_forged_or_foreign_witness_line_are_detected() {
        let db = TestDatabase::new("witness").expect("a database");
        let audit = db.open_audit().expect("the audit log");
        audit
            .append((1..=10).map(entry).collect())
            .await
            .expect("appended");
        let (key, public) = key_in(&db);
        assert_eq!(key.public_hex(), public);
        let witness = db.scratch().join("witness.jsonl");
        let now = jiff::Timestamp::from_second(1_800_000_100).expect("time");
        let first = checkpoint(audit.as_ref(), &key, &witness, now)
            .await
            .expect("checkpoint")
            .expect("a head");
        assert_eq!(first.seq, 10);
        let text = || std::fs::read_to_string(&witness).expect("witness");
        let ok = verify(audit.as_ref(), &text(), &public, None)
            .await
            .expect("verified");
        assert_eq!((ok.checked, ok.problems.len()), (1, 0), "{ok:?}");

        // Another key cannot vouch for the log.
        let (_, stranger) = generate_key().expect("a key");
        let r = verify(audit.as_ref(), &text(), &stranger, None)
            .await
            .expect("checked");
        assert_eq!(r.problems, [WitnessProblem::BadSignature { line: 1 }]);
        // A line edited to fit a rewritten log no longer verifies.
        let forged = text().replace(&first.hash, &"0".repeat(64));
        let r = verify(audit.as_ref(), &forged, &public, None)
            .await
            .expect("checked");
        assert_eq!(r.problems, [WitnessProblem::BadSignature { line: 1 }]);

        // The newest entries cut off the end: the chain alone still verifies.
        db.tamper_with_audit("DELETE FROM audit WHERE seq > 7")
            .expect("tampered");
        assert!(audit.verify().await.expect("chain").problems.is_empty());
        let r = verify(audit.as_ref(), &text(), &public, None)
            .await
            .expect("checked");
        assert_eq!(r.problems, [WitnessProblem::Truncated { seq: 10, head: 7 }]);
    }

    #[tokio::test]
    async fn a_recomputed_chain_is_detected() {
        let db = TestDatabase::new("witness-rewrite").expect("a database");
        let audit = db.open_audit().expect("the audit log");
        audit
            .append((1..=5).map(entry).collect())
            .await
            .expect("appended");
        let (key, public) = key_in(&db);
        let witness = db.scratch().join("witness.jsonl");
        let now = jiff::Timestamp::from_second(1_800_000_100).expect("time");
        checkpoint(audit.as_ref(), &key, &witness, now)
            .await
            .expect("checkpoint");
        // Someone rewrites the log from scratch, with a valid chain of other content.
        db.tamper_with_audit("DELETE FROM audit").expect("tampered");
        drop(audit);
        let audit = db.open_audit().expect("reopened");
        let mut other = entry(99);
        other.action = "person.search".into();
        audit
            .append(vec![
                other.clone(),
                other.clone(),
                other.clone(),
                other.clone(),
                other,
            ])
            .await
            .expect("appended");
        assert!(audit.verify().await.expect("chain").problems.is_empty());
        let text = std::fs::read_to_string(&witness).expect("witness");
        let r = verify(audit.as_ref(), &text, &public, None)
            .await
            .expect("checked");
        assert_eq!(r.problems, [WitnessProblem::Rewritten { seq: 5 }]);
    }
}
