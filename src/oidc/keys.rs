//! The life of signing keys: the first key, rotation, retirement, and
//! keeping every instance's key ring in step with the database.

use chrono::{DateTime, Utc};

use crate::crypto::MasterKey;
use crate::crypto::keys::{ALG, KeyRing, KeyRole, SealedKey, generate_rsa_key};
use crate::store::{
    self, ConnectionTrait, TransactionSession, TransactionTrait, signing_keys::StoredKey,
};

/// Makes sure a signing key exists, retires keys whose grace has ended, and
/// loads the published keys into the ring (parsing only new ones).
pub async fn sync_key_ring<C: ConnectionTrait>(
    db: &C,
    ring: &KeyRing,
    master_key: &MasterKey,
) -> anyhow::Result<()> {
    let now = Utc::now();
    store::signing_keys::update_expired_to_retired(db, now).await?;
    let mut published = store::signing_keys::list_published(db, now).await?;
    if !published
        .iter()
        .any(|k| k.state == store::signing_keys::KeyState::Active)
    {
        let key = generate_rsa_key(master_key)?;
        store::signing_keys::insert_active(db, &key.kid, ALG, key.private_enc, key.public_jwk, now)
            .await?;
        tracing::info!(kid = %key.kid, "generated the first signing key");
        published = store::signing_keys::list_published(db, now).await?;
    }
    // Newest active key signs; should two instances race to create the
    // first key, both are published and the newest wins.
    let signing_kid = published
        .iter()
        .find(|k| k.state == store::signing_keys::KeyState::Active)
        .map(|k| k.kid.clone());
    let sealed: Vec<SealedKey<'_>> = published
        .iter()
        .map(|k| SealedKey {
            kid: &k.kid,
            private_enc: &k.private_enc,
            public_jwk: &k.public_jwk,
            role: if Some(&k.kid) == signing_kid.as_ref() {
                KeyRole::Signing
            } else {
                KeyRole::VerifyOnly
            },
        })
        .collect();
    ring.install(&sealed)
}

/// Makes a new key active; the previous one stays published until
/// `now + grace`. Returns the new key's id.
pub async fn rotate<C: TransactionTrait>(
    db: &C,
    master_key: &MasterKey,
    grace: std::time::Duration,
) -> anyhow::Result<String> {
    let key = generate_rsa_key(master_key)?;
    let now = Utc::now();
    let retire_after: DateTime<Utc> = now + grace;
    let txn = db.begin().await?;
    store::signing_keys::update_active_to_retiring(&txn, now, retire_after).await?;
    store::signing_keys::insert_active(&txn, &key.kid, ALG, key.private_enc, key.public_jwk, now)
        .await?;
    txn.commit().await?;
    Ok(key.kid)
}

/// Every key, newest first.
pub async fn list_keys(db: &impl ConnectionTrait) -> anyhow::Result<Vec<StoredKey>> {
    Ok(store::signing_keys::list(db).await?)
}
