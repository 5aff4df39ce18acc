//! Authenticator apps (TOTP, RFC 6238): enrolling one (a pending secret,
//! saved as verified only after its first valid code), checking a code
//! (±1 time step; a step is accepted once, and only after the last one
//! accepted), and removing it. One app per user: another one replaces it
//! only by removing the first, then adding the new one.

use anyhow::Context;
use uuid::Uuid;

use super::attempts::{self, Claim};
use super::{FactorCheck, TotpEnrollment};
use crate::app::AppState;
use crate::crypto::totp::TotpSecret;
use crate::domain::EmailAddress;
use crate::store::{self, ConnectionTrait, DatabaseTransaction, StoreError, factors::TOTP};

/// Time steps either side of now whose codes are accepted: a phone's clock
/// a little off, or a code typed as it changed.
const SKEW_STEPS: i64 = 1;

/// What came of starting an enrollment.
#[derive(Debug)]
pub enum TotpStart {
    /// A new secret waits for its first code.
    Started(TotpEnrollment),
    /// The user has an authenticator app: remove it first.
    AlreadyEnrolled,
}

/// Whether `user_id` has a verified authenticator app.
pub async fn has_totp(db: &impl ConnectionTrait, user_id: Uuid) -> anyhow::Result<bool> {
    Ok(store::factors::find_by_user(db, user_id, TOTP)
        .await?
        .is_some_and(|f| f.verified_at.is_some()))
}

/// Starts enrolling an authenticator app for `user_id`: a new random
/// secret stored pending (replacing an earlier pending one), and what the
/// page shows to scan it.
pub async fn start_totp_enrollment(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
) -> anyhow::Result<TotpStart> {
    if has_totp(txn, user_id).await? {
        return Ok(TotpStart::AlreadyEnrolled);
    }
    store::factors::delete_pending(txn, user_id, TOTP).await?;
    let secret = TotpSecret::generate();
    let id = Uuid::new_v4();
    let sealed = secret.seal(&state.master_key, id)?;
    match store::factors::insert_pending(txn, id, user_id, TOTP, sealed, state.clock.now()).await {
        Ok(()) => {}
        // A concurrent start or confirmation got there first.
        Err(StoreError::Conflict) => return Ok(TotpStart::AlreadyEnrolled),
        Err(e) => return Err(e.into()),
    }
    Ok(TotpStart::Started(
        enrollment(txn, state, user_id, &secret).await?,
    ))
}

/// The enrollment waiting for its first code, to show again.
pub async fn pending_totp_enrollment(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
) -> anyhow::Result<Option<TotpEnrollment>> {
    let Some(factor) = store::factors::find_by_user(db, user_id, TOTP)
        .await?
        .filter(|f| f.verified_at.is_none())
    else {
        return Ok(None);
    };
    let secret = TotpSecret::open(&state.master_key, factor.id, &factor.secret_enc)?;
    Ok(Some(enrollment(db, state, user_id, &secret).await?))
}

/// The page's view of a secret: grouped base32, URI and QR code. The
/// URI's label is the user's masked phone number or email address, its
/// issuer the issuer's host.
async fn enrollment(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
    secret: &TotpSecret,
) -> anyhow::Result<TotpEnrollment> {
    let user = store::users::find_by_id(db, user_id).await?;
    let label = user
        .and_then(|u| {
            u.phone.as_ref().map(|p| p.masked()).or_else(|| {
                u.email
                    .as_deref()
                    .map(|e| EmailAddress::from_trusted(e).masked())
            })
        })
        .unwrap_or_else(|| "account".to_owned());
    let issuer = state.settings.issuer.host_str().unwrap_or("ferrid");
    let otpauth_uri = secret.otpauth_uri(issuer, &label)?;
    let code = qrcode::QrCode::new(otpauth_uri.as_bytes()).context("making the QR code")?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    // An element to put inline in the page, without the XML declaration.
    let qr_svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    };
    let base32 = secret.base32();
    let grouped = base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(TotpEnrollment {
        secret_base32: grouped,
        otpauth_uri,
        qr_svg,
    })
}

/// Confirms the pending enrollment of `user_id` with the first code from
/// the app: saved as verified only if the code is right.
pub async fn confirm_totp_enrollment(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
    code: &str,
) -> anyhow::Result<FactorCheck> {
    let Some(factor) = store::factors::find_by_user(txn, user_id, TOTP)
        .await?
        .filter(|f| f.verified_at.is_none())
    else {
        return Ok(FactorCheck::NotEnrolled);
    };
    check(
        txn,
        state,
        user_id,
        factor,
        code,
        "factor.totp.enrollment_failed",
    )
    .await
}

/// Checks an authenticator-app code of `user_id`, in `txn`: accepted once
/// per time step, within one step of now.
pub async fn check_totp(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
    code: &str,
) -> anyhow::Result<FactorCheck> {
    let Some(factor) = store::factors::find_by_user(txn, user_id, TOTP)
        .await?
        .filter(|f| f.verified_at.is_some())
    else {
        return Ok(FactorCheck::NotEnrolled);
    };
    let checked = check(txn, state, user_id, factor, code, "factor.totp.failed").await?;
    if checked == FactorCheck::Accepted {
        crate::audit::record_for_user(
            txn,
            state.clock.now(),
            user_id,
            "factor.totp.verified",
            None,
            None,
            serde_json::json!({}),
        )
        .await;
    }
    Ok(checked)
}

async fn check(
    txn: &DatabaseTransaction,
    state: &AppState,
    user_id: Uuid,
    factor: store::factors::StoredFactor,
    code: &str,
    failed_kind: &str,
) -> anyhow::Result<FactorCheck> {
    let now = state.clock.now();
    let left = match attempts::claim(txn, state, user_id).await? {
        Claim::Counted { left } => left,
        Claim::Locked => {
            audit_failure(txn, state, user_id, "factor.locked", "locked").await;
            return Ok(FactorCheck::Locked);
        }
    };
    let secret = TotpSecret::open(&state.master_key, factor.id, &factor.secret_enc)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = secret.matching_step(&code, now.timestamp(), SKEW_STEPS) else {
        audit_failure(txn, state, user_id, failed_kind, "wrong_code").await;
        return Ok(attempts::wrong(left));
    };
    // The conditional update is the check: a step not later than the last
    // one accepted, or taken by a concurrent request, is refused.
    if !store::factors::update_used_step(txn, factor.id, step, now).await? {
        audit_failure(txn, state, user_id, failed_kind, "replayed").await;
        return Ok(FactorCheck::Replayed);
    }
    attempts::release(txn, user_id).await?;
    Ok(FactorCheck::Accepted)
}

async fn audit_failure(
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

/// Removes the authenticator app of `user_id` (and a pending one); whether
/// there was a verified one.
pub async fn remove_totp(txn: &DatabaseTransaction, user_id: Uuid) -> anyhow::Result<bool> {
    let had = has_totp(txn, user_id).await?;
    store::factors::delete_for_user(txn, user_id, TOTP).await?;
    Ok(had)
}
