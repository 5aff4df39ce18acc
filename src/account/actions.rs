//! The change a user asked for that waits for a code, kept server-side and
//! bound to the SSO session, so that it continues after the code without
//! the user starting again.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Request;
use super::sending::SendProblem;
use crate::store::{self, ConnectionTrait};

/// How long a pending change waits for its code.
const PENDING_FOR: chrono::Duration = chrono::Duration::minutes(15);

/// A sensitive change that needs a recent sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Add or change the phone number to what the user typed.
    ChangePhone {
        input: String,
    },
    RemovePhone,
    /// Add or change the email address to what the user typed.
    ChangeEmail {
        input: String,
    },
    RemoveEmail,
    RevokeOtherSessions,
    /// Start adding an authenticator app.
    AddTotp,
    RemoveTotp,
    /// A new set of recovery codes in place of the old one.
    GenerateRecoveryCodes,
}

/// What the session waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Pending {
    /// A code to a factor the user has, then `then`.
    Reauth { then: Action },
    /// The code sent to a new phone number (E.164).
    VerifyPhone { phone: String },
    /// The code sent to a new email address.
    VerifyEmail { email: String },
}

/// What a change that waited for re-authentication came to.
#[derive(Debug)]
pub enum Continued {
    /// A code went to the new number: the verify page is next.
    PhoneCodeSent,
    PhoneNotSent(SendProblem),
    /// The new number is the one the account has already.
    SameNumber,
    PhoneRemoved,
    /// Removing the phone or the email would leave no way to sign in.
    LastWayIn,
    NoPhone,
    /// A code went to the new address: the verify page is next.
    EmailCodeSent,
    EmailNotSent(SendProblem),
    /// The new address is the one the account has already.
    SameEmail,
    EmailRemoved,
    /// Removing the email would leave no way to sign in.
    EmailLastWayIn,
    NoEmail,
    OthersSignedOut(usize),
    /// A new authenticator app waits for its first code.
    TotpStarted,
    /// The user has an app already: remove it before adding another.
    TotpAlreadyAdded,
    TotpRemoved,
    NoTotp,
    /// The policy requires a second factor and this is the last one.
    MfaRequired,
    /// The new recovery codes, to show once.
    RecoveryCodes(Vec<String>),
}

/// A pending step and the challenge its code checks against.
pub(super) struct Found {
    pub pending: Pending,
    pub challenge_id: Option<Uuid>,
}

pub(super) async fn save(
    db: &impl ConnectionTrait,
    r: &Request<'_>,
    pending: &Pending,
    challenge_id: Option<Uuid>,
) -> anyhow::Result<()> {
    let now = r.state.clock.now();
    store::account_actions::upsert(
        db,
        &r.me.session.sid,
        r.me.user.id,
        serde_json::to_string(pending)?,
        challenge_id,
        now,
        now + PENDING_FOR,
    )
    .await?;
    Ok(())
}

/// The session's pending step, if any (and if it is this user's).
pub(super) async fn find(
    db: &impl ConnectionTrait,
    r: &Request<'_>,
) -> anyhow::Result<Option<Found>> {
    let Some(stored) =
        store::account_actions::find_live(db, &r.me.session.sid, r.state.clock.now()).await?
    else {
        return Ok(None);
    };
    if stored.user_id != r.me.user.id {
        return Ok(None);
    }
    Ok(Some(Found {
        pending: serde_json::from_str(&stored.action)?,
        challenge_id: stored.challenge_id,
    }))
}

pub(super) async fn clear(db: &impl ConnectionTrait, r: &Request<'_>) -> anyhow::Result<()> {
    store::account_actions::delete(db, &r.me.session.sid).await?;
    Ok(())
}
