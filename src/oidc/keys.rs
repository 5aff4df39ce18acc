//! The life of signing keys: the first key, rotation, retirement, and
//! keeping every instance's key ring in step with the database.
//!
//! Publish first, sign later: a rotated-in key is published at once but
//! signs only from its activation time, `tokens.key_publish_lead` later, so
//! that relying parties (which cache the JWKS) and the other instances (which
//! reload keys every few seconds) know it before they meet a token it signed.
//! Which key signs is derived from the stored times alone — the newest key
//! whose activation time has passed — so every instance switches on its own,
//! without coordination.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::crypto::MasterKey;
use crate::crypto::keys::{ALG, KeyRing, KeyRole, SealedKey, generate_rsa_key};
use crate::store::{
    self, ConnectionTrait, TransactionSession, TransactionTrait,
    signing_keys::{KeyState, StoredKey},
};

/// When a rotated-in key starts signing.
#[derive(Clone, Copy, Debug)]
pub enum Activation {
    /// After being published for this long (`tokens.key_publish_lead`).
    AfterLead(Duration),
    /// At once: for a compromised key, accepting that relying parties with a
    /// cached JWKS refuse new tokens until they fetch it again.
    Now,
}

/// Where a key is in its life, as `ferrid keys list` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// Published, signing from its activation time.
    Next,
    /// Signs new tokens.
    Active,
    /// Published so that tokens it signed still verify; signs no more.
    Retiring,
    /// Neither published nor signing.
    Retired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }
}

fn is_published(key: &StoredKey, now: DateTime<Utc>) -> bool {
    match key.state {
        KeyState::Active => true,
        KeyState::Retiring => key.retire_after.is_some_and(|t| t > now),
        KeyState::Retired => false,
    }
}

/// The kid of the key that signs at `now`: of the published keys (newest
/// first), the one with the latest activation time that has passed.
fn signing_kid(keys: &[StoredKey], now: DateTime<Utc>) -> Option<String> {
    let mut best: Option<&StoredKey> = None;
    for key in keys.iter().filter(|k| is_published(k, now)) {
        if key.activates_at() <= now && best.is_none_or(|b| key.activates_at() > b.activates_at()) {
            best = Some(key);
        }
    }
    best.map(|k| k.kid.clone())
}

/// Each key with its status at `now`.
pub fn statuses(keys: Vec<StoredKey>, now: DateTime<Utc>) -> Vec<(StoredKey, KeyStatus)> {
    let signing = signing_kid(&keys, now);
    keys.into_iter()
        .map(|k| {
            let status = if Some(&k.kid) == signing.as_ref() {
                KeyStatus::Active
            } else if !is_published(&k, now) {
                KeyStatus::Retired
            } else if k.activates_at() > now {
                KeyStatus::Next
            } else {
                KeyStatus::Retiring
            };
            (k, status)
        })
        .collect()
}

/// Makes sure a signing key exists, retires keys whose grace has ended, and
/// loads the published keys into the ring (parsing only new ones), with the
/// one whose activation time has come most recently signing.
pub async fn sync_key_ring<C: ConnectionTrait>(
    db: &C,
    ring: &KeyRing,
    master_key: &MasterKey,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    store::signing_keys::update_expired_to_retired(db, now).await?;
    let mut published = store::signing_keys::list_published(db, now).await?;
    if !published.iter().any(|k| k.state == KeyState::Active) {
        let key = generate_rsa_key(master_key)?;
        store::signing_keys::insert_active(
            db,
            &key.kid,
            ALG,
            key.private_enc,
            key.public_jwk,
            now,
            now,
        )
        .await?;
        tracing::info!(kid = %key.kid, "generated the first signing key");
        published = store::signing_keys::list_published(db, now).await?;
    }
    // Should two instances race to create the first key, both are published
    // and the same one signs everywhere (ties go to the newest, then the kid).
    let signing = signing_kid(&published, now);
    let sealed: Vec<SealedKey<'_>> = published
        .iter()
        .map(|k| SealedKey {
            kid: &k.kid,
            private_enc: &k.private_enc,
            public_jwk: &k.public_jwk,
            role: if Some(&k.kid) == signing.as_ref() {
                KeyRole::Signing
            } else {
                KeyRole::VerifyOnly
            },
        })
        .collect();
    ring.install(&sealed)
}

/// Adds a new key that signs from `activation`; the keys it replaces keep
/// signing until then and stay published until `grace` after it. Returns
/// the new key's id and its activation time.
pub async fn rotate<C: TransactionTrait>(
    db: &C,
    master_key: &MasterKey,
    activation: Activation,
    grace: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    let key = generate_rsa_key(master_key)?;
    let activates_at = match activation {
        Activation::AfterLead(lead) => now + lead,
        Activation::Now => now,
    };
    let retire_after: DateTime<Utc> = activates_at + grace;
    let txn = db.begin().await?;
    store::signing_keys::update_active_to_retiring(&txn, now, retire_after).await?;
    store::signing_keys::insert_active(
        &txn,
        &key.kid,
        ALG,
        key.private_enc,
        key.public_jwk,
        now,
        activates_at,
    )
    .await?;
    txn.commit().await?;
    Ok((key.kid, activates_at))
}

/// Every key with its status, newest first.
pub async fn list_keys(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(StoredKey, KeyStatus)>> {
    Ok(statuses(store::signing_keys::list(db).await?, now))
}
