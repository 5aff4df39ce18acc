//! "This wasn't me": the link in a change's notice. `GET` only shows what
//! it would undo (mail and SMS scanners follow links); the confirmed `POST`
//! undoes the change, ends every session and refresh token of the user, and
//! sends them to sign in again. Single use, valid 7 days.

use anyhow::Context;

use super::notify::Change;
use crate::app::AppState;
use crate::crypto::sha256_hex;
use crate::domain::{EmailAddress, PhoneNumber};
use crate::store::{self, revert_tokens::RevertToken, users::PhoneOwnership};

/// What the link's page shows.
#[derive(Debug)]
pub enum RevertView {
    /// The change it would undo, with masked numbers.
    Confirm(Change),
    AlreadyUsed,
    /// Unknown or expired.
    Invalid,
}

async fn find(
    state: &AppState,
    token: &str,
) -> anyhow::Result<Result<(RevertToken, Change), RevertView>> {
    let Some(found) = store::revert_tokens::find_by_hash(&state.db, &sha256_hex(token)).await?
    else {
        return Ok(Err(RevertView::Invalid));
    };
    if found.used_at.is_some() {
        return Ok(Err(RevertView::AlreadyUsed));
    }
    if found.expires_at <= state.clock.now() {
        return Ok(Err(RevertView::Invalid));
    }
    let change: Change = serde_json::from_str(&found.change)?;
    Ok(Ok((found, change)))
}

/// `GET /account/revert/{token}`: what the link would undo; changes nothing.
pub async fn revert_view(state: &AppState, token: &str) -> anyhow::Result<RevertView> {
    Ok(match find(state, token).await? {
        Ok((_, change)) => RevertView::Confirm(change),
        Err(view) => view,
    })
}

/// The CSRF token of the confirmation form: an HMAC of the link's token,
/// which only whoever holds the link knows.
pub fn revert_csrf(state: &AppState, token: &str) -> String {
    state
        .csrf_key
        .mac_hex(&[b"revert-csrf", sha256_hex(token).as_bytes()])
}

/// Whether the confirmation form's CSRF token belongs to this link.
pub fn check_revert_csrf(state: &AppState, token: &str, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|s| {
        state
            .csrf_key
            .verify_hex(&[b"revert-csrf", sha256_hex(token).as_bytes()], s)
    })
}

/// What became of a confirmed revert.
#[derive(Debug, PartialEq, Eq)]
pub enum RevertOutcome {
    /// Undone; every session and refresh token of the user ended.
    Reverted,
    AlreadyUsed,
    Invalid,
}

/// `POST /account/revert/{token}`: undoes the change, once.
pub async fn revert(
    state: &AppState,
    token: &str,
    ip: Option<&str>,
) -> anyhow::Result<RevertOutcome> {
    let (found, change) = match find(state, token).await? {
        Ok(found) => found,
        Err(RevertView::AlreadyUsed) => return Ok(RevertOutcome::AlreadyUsed),
        Err(_) => return Ok(RevertOutcome::Invalid),
    };
    let now = state.clock.now();
    let user_id = found.user_id;
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    // Taking the token is the check: of two uses at once, one wins.
    if !store::revert_tokens::update_used(&txn, &sha256_hex(token), now).await? {
        return Ok(RevertOutcome::AlreadyUsed);
    }
    let Some(user) = store::users::find_by_id(&txn, user_id).await? else {
        return Ok(RevertOutcome::Invalid);
    };
    let ownership = super::phone::ownership(&txn, state).await?;
    let restored = match restore(&txn, &user, &change, ownership).await? {
        Restore::Phone(phone) => {
            store::users::update_phone_as(&txn, user_id, phone.as_ref(), ownership, now).await?;
            phone.map(|p| p.masked())
        }
        Restore::Email(email) => {
            store::users::update_email(&txn, user_id, email.as_ref(), now).await?;
            email.map(|e| e.masked())
        }
    };
    let sessions = store::sso_sessions::list_live_for_user(&txn, user_id, now).await?;
    for s in &sessions {
        store::sso_sessions::update_revoked_for_user(&txn, user_id, &s.sid, now).await?;
    }
    let (previous, new) = change.masked();
    crate::audit::record_for_user(
        &txn,
        now,
        user_id,
        "account.reverted",
        restored,
        ip,
        serde_json::json!({
            "change": change.kind(),
            "previous": previous,
            "new": new,
            "sessions_ended": sessions.len(),
        }),
    )
    .await;
    txn.commit().await.context("committing the revert")?;
    for family in
        store::refresh_tokens::list_live_families_for_user(&state.db, user_id, None).await?
    {
        crate::oidc::token_family::revoke_family(
            &state.db,
            state.settings.tokens.refresh_token_ttl.0,
            family,
            now,
        )
        .await?;
    }
    Ok(RevertOutcome::Reverted)
}

/// What a revert puts back: the factor's value as it was (`None`: none).
enum Restore {
    Phone(Option<PhoneNumber>),
    Email(Option<EmailAddress>),
}

/// The value to put back for `change`: the previous number or address (as
/// verified), unless another account has it since, in which case the one
/// the change brought in is removed all the same; for an addition, nothing
/// (or what the user has since, if they changed it again).
async fn restore(
    txn: &impl store::ConnectionTrait,
    user: &store::users::User,
    change: &Change,
    ownership: PhoneOwnership,
) -> anyhow::Result<Restore> {
    Ok(match change {
        Change::PhoneChanged { previous, .. } | Change::PhoneRemoved { previous } => {
            let previous = PhoneNumber::from_trusted_e164(previous);
            Restore::Phone(match store::users::find_by_phone(txn, &previous).await? {
                Some(other) if other.id != user.id && ownership == PhoneOwnership::Sole => None,
                _ => Some(previous),
            })
        }
        Change::PhoneAdded { new } => Restore::Phone(match &user.phone {
            Some(current) if current.as_str() != new => Some(current.clone()),
            _ => None,
        }),
        Change::EmailChanged { previous, .. } | Change::EmailRemoved { previous } => {
            let previous = EmailAddress::from_trusted(previous);
            Restore::Email(
                match store::users::find_by_verified_email(txn, &previous).await? {
                    Some(other) if other.id != user.id => None,
                    _ => Some(previous),
                },
            )
        }
        Change::EmailAdded { new } => Restore::Email(
            user.email
                .as_deref()
                .filter(|current| *current != new && user.email_verified_at.is_some())
                .map(EmailAddress::from_trusted),
        ),
    })
}
