//! The token signing keys as the dashboard shows and rotates them (the
//! same rotation as `ferrid keys rotate`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit;
use crate::crypto::MasterKey;
use crate::oidc::keys::{self, Activation};
use crate::store::DatabaseConnection;

/// A key as the dashboard lists it: no key material.
#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub kid: String,
    pub alg: String,
    pub state: &'static str,
    pub created_at: DateTime<Utc>,
    pub signs_from: DateTime<Utc>,
    pub retire_after: Option<DateTime<Utc>>,
}

/// Every key with its state, newest first.
pub async fn list(db: &DatabaseConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<KeyEntry>> {
    Ok(keys::list_keys(db, now)
        .await?
        .into_iter()
        .map(|(k, status)| KeyEntry {
            state: status.as_str(),
            signs_from: k.activates_at(),
            kid: k.kid,
            alg: k.alg,
            created_at: k.created_at,
            retire_after: k.retire_after,
        })
        .collect())
}

/// Adds a new signing key (as `ferrid keys rotate`), audited with the
/// admin's id; the new key's id and when it signs from.
pub async fn rotate_as(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    admin: Uuid,
    activation: Activation,
    grace: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, DateTime<Utc>)> {
    let (kid, signs_from) = keys::rotate(db, master_key, activation, grace, now).await?;
    audit::record_by_admin(
        db,
        now,
        admin,
        "admin.keys.rotated",
        Some(kid.clone()),
        None,
        serde_json::json!({ "kid": kid, "signs_from": signs_from }),
    )
    .await;
    Ok((kid, signs_from))
}
