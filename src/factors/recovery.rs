//! Recovery codes: ten single-use codes shown once, stored as HMACs;
//! regenerating voids the old set. Each use is audited and the user told
//! by email, with how many are left.

use uuid::Uuid;

use super::FactorCheck;
use super::attempts::{self, Claim};
use crate::app::AppState;
use crate::crypto::constant_time_eq;
use crate::crypto::totp::{generate_recovery_code, normalize_recovery_code, recovery_code_hash};
use crate::messages::LanguagePreference;
use crate::store::{self, ConnectionTrait, DatabaseTransaction};

/// Codes in a set.
pub const RECOVERY_CODES: usize = 10;

/// A new set of 10 recovery codes for `user_id` in place of the old one;
/// shown once, as `xxxxx-xxxxx`.
pub async fn generate_recovery_codes(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
) -> anyhow::Result<Vec<String>> {
    let mut codes: Vec<String> = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = generate_recovery_code();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let hashes = codes
        .iter()
        .map(|c| recovery_code_hash(&state.master_key, user_id, c))
        .collect();
    store::recovery_codes::replace_for_user(txn, user_id, hashes, state.clock.now()).await?;
    Ok(codes
        .iter()
        .map(|c| format!("{}-{}", &c[..5], &c[5..]))
        .collect())
}

/// How many of the user's recovery codes are left.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, user_id: Uuid) -> anyhow::Result<u64> {
    Ok(store::recovery_codes::count_unused(db, user_id).await?)
}

/// Uses one of `user_id`'s recovery codes, in `txn`: typed in any case,
/// with or without spaces and the dash; compared with every unused code
/// in constant time; single use.
pub async fn use_recovery_code(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
    code: &str,
) -> anyhow::Result<FactorCheck> {
    let unused = store::recovery_codes::list_unused(txn, user_id).await?;
    if unused.is_empty() {
        return Ok(FactorCheck::NotEnrolled);
    }
    let now = state.clock.now();
    let left = match attempts::claim(txn, state, user_id).await? {
        Claim::Counted { left } => left,
        Claim::Locked => {
            record(txn, state, user_id, "factor.locked", "locked").await;
            return Ok(FactorCheck::Locked);
        }
    };
    let hash = recovery_code_hash(&state.master_key, user_id, &normalize_recovery_code(code));
    // Every stored code is compared, so the time taken does not depend on
    // which one (if any) matched.
    let mut matched = None;
    for stored in &unused {
        if constant_time_eq(stored.code_hash.as_bytes(), hash.as_bytes()) {
            matched = Some(stored.id);
        }
    }
    let Some(id) = matched else {
        record(
            txn,
            state,
            user_id,
            "factor.recovery_code.failed",
            "wrong_code",
        )
        .await;
        return Ok(attempts::wrong(left));
    };
    // The conditional update is the check: of two uses at once, one wins.
    if !store::recovery_codes::update_used(txn, id, now).await? {
        record(
            txn,
            state,
            user_id,
            "factor.recovery_code.failed",
            "already_used",
        )
        .await;
        return Ok(FactorCheck::Replayed);
    }
    attempts::release(txn, user_id).await?;
    let left = store::recovery_codes::count_unused(txn, user_id).await?;
    if let Some(user) = store::users::find_by_id(txn, user_id).await? {
        let languages = LanguagePreference::from_sources(None, user.locale.as_deref(), None);
        let about = crate::account::About {
            state,
            user: &user,
            sid: None,
            ip: None,
            languages: &languages,
        };
        let notices = crate::account::notify_second_factor(
            txn,
            &about,
            crate::account::SecondFactorChange::RecoveryCodeUsed { left },
        )
        .await?;
        // The email is in the outbox with this transaction (no SMS for a
        // use): waking the worker before the commit only makes it look
        // early; it finds the mail on its next round.
        crate::account::deliver(state, notices).await?;
    }
    Ok(FactorCheck::Accepted)
}

async fn record(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
    kind: &str,
    result: &str,
) {
    crate::audit::record_for_user(
        db,
        state.clock.now(),
        user_id,
        kind,
        None,
        None,
        serde_json::json!({ "result": result }),
    )
    .await;
}
