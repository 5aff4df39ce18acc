//! Revoking a refresh token family: its tokens, and the access tokens issued
//! with them that are still live.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::{self, DatabaseConnection, TransactionTrait};

/// Revokes a family for good (OAuth 2.0 Security BCP §4.14.2: a replayed
/// refresh token revokes its whole line). The family's row is locked first,
/// as every rotation does, so a rotation in flight commits its child before
/// this runs (and the child is revoked here), or finds the family revoked.
/// `refresh_token_ttl` bounds the life of a family that has no row yet.
pub async fn revoke_family(
    db: &DatabaseConnection,
    refresh_token_ttl: std::time::Duration,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let expires_at = now + refresh_token_ttl;
    let txn = db.begin().await?;
    store::refresh_token_families::upsert_revoked(&txn, family_id, expires_at, now).await?;
    store::refresh_tokens::update_revoke_family(&txn, family_id, now).await?;
    for (jti, exp) in store::refresh_tokens::list_live_access_tokens(&txn, family_id, now).await? {
        store::revoked_access_tokens::insert(&txn, &jti, exp, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
