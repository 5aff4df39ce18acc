use anyhow::Context;

use super::LoginTransaction;
use super::first_factor::first_factors;
use crate::app::AppState;
use crate::domain::{Connection, EmailError, PhoneError, Recipient};
use crate::messages::LanguagePreference;
pub use crate::otp::Refusal;
use crate::otp::{Purpose, SendCode, SendOutcome, SentCode, To};
use crate::store;

/// What became of a request for a code.
#[derive(Debug)]
pub enum SendCodeOutcome {
    Sent {
        recipient: Recipient,
    },
    InvalidPhone(PhoneError),
    /// What was typed is not an email address.
    InvalidEmail(EmailError),
    /// This sign-in does not offer codes through that connection (the
    /// policy or the application leaves it out); nothing was sent.
    NotOffered,
    /// A rule stopped it; the reason never says whether an account exists.
    Refused(Refusal),
    /// The provider failed; the user may try again or use another number.
    NotDelivered,
    /// The transaction has no challenge to resend.
    NoChallenge,
}

/// Parses the phone number or email address typed for `connection`,
/// issues a code within the limits and sends it, when the sign-in offers
/// that connection.
pub async fn send_code(
    state: &AppState,
    tx: &LoginTransaction,
    connection: Connection,
    input: &str,
    ip: Option<&str>,
    languages: &LanguagePreference,
) -> anyhow::Result<SendCodeOutcome> {
    // Past its first factor, a sign-in takes no first-factor code.
    if tx.user_id.is_some() || !first_factors(state, tx).await?.offers(connection) {
        return Ok(SendCodeOutcome::NotOffered);
    }
    let to = To::New { connection, input };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let req = request(tx, to, ip, languages);
    // The claim, the challenge and the transaction's move to it commit
    // together, before the provider is called.
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let pending = crate::otp::issue_code(state, &txn, &live, &req).await?;
    // The transaction follows the newest challenge, delivered or not: the
    // user may resend it.
    if let Ok(pending) = &pending {
        store::login_transactions::update_challenge(
            &txn,
            &tx.id_hash,
            Some((pending.challenge_id(), pending.recipient())),
        )
        .await?;
    }
    txn.commit().await.context("committing the code")?;
    let outcome = match pending {
        Ok(pending) => crate::otp::deliver_code(state, &live, &req, pending).await?,
        Err(outcome) => outcome,
    };
    Ok(answer(outcome))
}

/// Sends a new code for the transaction's challenge, after the cooldown.
pub async fn resend_code(
    state: &AppState,
    tx: &LoginTransaction,
    ip: Option<&str>,
    languages: &LanguagePreference,
) -> anyhow::Result<SendCodeOutcome> {
    let (Some(challenge_id), Some(_)) = (tx.challenge_id, tx.recipient.as_ref()) else {
        return Ok(SendCodeOutcome::NoChallenge);
    };
    let outcome =
        crate::otp::send_code(state, &request(tx, To::Again(challenge_id), ip, languages)).await?;
    Ok(answer(outcome))
}

fn request<'a>(
    tx: &'a LoginTransaction,
    to: To<'a>,
    ip: Option<&'a str>,
    languages: &'a LanguagePreference,
) -> SendCode<'a> {
    SendCode {
        purpose: Purpose::Login,
        to,
        client_id: &tx.request.client_id,
        application_name: &tx.request.client_name,
        ip,
        languages,
        user_id: None,
    }
}

fn answer(outcome: SendOutcome) -> SendCodeOutcome {
    match outcome {
        SendOutcome::Sent(SentCode { recipient, .. }) => SendCodeOutcome::Sent { recipient },
        SendOutcome::NotDelivered(_) => SendCodeOutcome::NotDelivered,
        SendOutcome::InvalidRecipient(e) => SendCodeOutcome::InvalidPhone(e),
        SendOutcome::InvalidEmail(e) => SendCodeOutcome::InvalidEmail(e),
        SendOutcome::Refused(reason) => SendCodeOutcome::Refused(reason),
        SendOutcome::NoChallenge => SendCodeOutcome::NoChallenge,
    }
}

/// Seconds before the transaction's code may be sent again (0: now), from
/// the last send read with the transaction.
pub fn resend_cooldown(state: &AppState, tx: &LoginTransaction) -> u64 {
    tx.challenge_sent_at.map_or(0, |sent_at| {
        state.otp.cooldown_left(sent_at, state.clock.now())
    })
}
