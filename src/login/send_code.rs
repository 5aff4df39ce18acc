use super::LoginTransaction;
use crate::domain::{PhoneError, PhoneNumber};
use crate::otp::{IssueError, IssueRequest, Issued, Purpose};
use crate::startup::AppState;
use crate::store;

/// What became of a request for a code.
#[derive(Debug)]
pub enum SendCodeOutcome {
    Sent {
        phone: PhoneNumber,
    },
    InvalidPhone(PhoneError),
    /// A send limit or the resend cooldown stopped it; the message says which.
    Refused(String),
    /// The provider failed; the user may try again or use another number.
    NotDelivered,
    /// The transaction has no challenge to resend.
    NoChallenge,
}

/// Parses the phone number, issues a code within the limits and sends it.
pub async fn send_code(
    state: &AppState,
    tx: &LoginTransaction,
    phone_input: &str,
    ip: Option<&str>,
) -> anyhow::Result<SendCodeOutcome> {
    let phone = match PhoneNumber::parse(phone_input, state.settings.otp.default_region.as_deref())
    {
        Ok(p) => p,
        Err(e) => return Ok(SendCodeOutcome::InvalidPhone(e)),
    };
    let issued = state
        .otp
        .issue(
            &state.db,
            IssueRequest {
                purpose: Purpose::Login,
                phone: &phone,
                client_id: Some(&tx.request.client_id),
                ip,
            },
        )
        .await;
    let issued = match issued {
        Ok(issued) => issued,
        Err(IssueError::Unexpected(e)) => return Err(e),
        Err(refused) => return Ok(SendCodeOutcome::Refused(refused.to_string())),
    };
    store::login_transactions::update_challenge(
        &state.db,
        &tx.id_hash,
        Some((issued.challenge_id, &phone)),
    )
    .await?;
    deliver(state, tx, &phone, &issued).await
}

/// Sends a new code for the transaction's challenge, after the cooldown.
pub async fn resend_code(
    state: &AppState,
    tx: &LoginTransaction,
    ip: Option<&str>,
) -> anyhow::Result<SendCodeOutcome> {
    let (Some(challenge_id), Some(phone)) = (tx.challenge_id, tx.phone.clone()) else {
        return Ok(SendCodeOutcome::NoChallenge);
    };
    let issued = match state.otp.reissue(&state.db, challenge_id, ip).await {
        Ok(issued) => issued,
        Err(IssueError::Unexpected(e)) => return Err(e),
        Err(IssueError::UnknownChallenge) => return Ok(SendCodeOutcome::NoChallenge),
        Err(refused) => return Ok(SendCodeOutcome::Refused(refused.to_string())),
    };
    deliver(state, tx, &phone, &issued).await
}

async fn deliver(
    state: &AppState,
    tx: &LoginTransaction,
    phone: &PhoneNumber,
    issued: &Issued,
) -> anyhow::Result<SendCodeOutcome> {
    let body = state
        .messages
        .render_login(&tx.request.client_name, &issued.code, phone)?;
    match state.sms.send(phone, &body).await {
        Ok(()) => Ok(SendCodeOutcome::Sent {
            phone: phone.clone(),
        }),
        Err(e) => {
            tracing::warn!(to = %phone.masked(), error = %e, "SMS delivery failed");
            Ok(SendCodeOutcome::NotDelivered)
        }
    }
}
