use super::LoginTransaction;
use super::complete::complete_sign_in;
use crate::app::AppState;
use crate::domain::{OtpCode, Recipient};
use crate::otp::VerifyOutcome;
use crate::session::SsoSession;

/// What became of a submitted code.
#[derive(Debug)]
pub enum VerifyCodeOutcome {
    /// Signed in with a new SSO session: set its cookie, then answer the
    /// authorization request or ask for consent.
    SignedIn {
        session: SsoSession,
        session_token: String,
    },
    /// Not a code of the right length.
    Malformed,
    Wrong {
        attempts_left: u32,
    },
    TooManyAttempts,
    Expired,
    /// No code was sent yet (or the number was changed).
    NoChallenge,
    /// The number is verified but has no account and sign-up is off.
    NoAccount,
    Blocked,
}

/// Checks the code; on success signs the user in.
pub async fn verify_code(
    state: &AppState,
    tx: &LoginTransaction,
    code_input: &str,
    ip: Option<&str>,
) -> anyhow::Result<VerifyCodeOutcome> {
    let Some(challenge_id) = tx.challenge_id else {
        return Ok(VerifyCodeOutcome::NoChallenge);
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let code = match OtpCode::parse(code_input, live.settings.otp_length) {
        Ok(code) => code,
        Err(_) => return Ok(VerifyCodeOutcome::Malformed),
    };
    let outcome = state.otp.verify(&state.db, challenge_id, &code).await?;
    record_verification(state, tx, &outcome, ip).await;
    Ok(match outcome {
        VerifyOutcome::Verified { recipient } => complete_sign_in(state, tx, &recipient).await?,
        VerifyOutcome::Wrong { attempts_left } => VerifyCodeOutcome::Wrong { attempts_left },
        VerifyOutcome::TooManyAttempts => VerifyCodeOutcome::TooManyAttempts,
        // A used code is as good as an expired one to the person typing it.
        VerifyOutcome::Expired | VerifyOutcome::AlreadyUsed => VerifyCodeOutcome::Expired,
        VerifyOutcome::UnknownChallenge => VerifyCodeOutcome::NoChallenge,
    })
}

/// Audits a verification: success, failure, or lockout (never the code),
/// with the client's address as the passwordless API records it.
async fn record_verification(
    state: &AppState,
    tx: &LoginTransaction,
    outcome: &VerifyOutcome,
    ip: Option<&str>,
) {
    if let Some((kind, result)) = outcome.audit() {
        crate::audit::record(
            &state.db,
            kind,
            tx.recipient.as_ref().map(Recipient::masked),
            Some(&tx.request.client_id),
            ip,
            serde_json::json!({
                "result": result,
                "flow": "hosted",
                "country": tx.recipient.as_ref().and_then(Recipient::phone).map(|p| p.country_prefix()),
                "range": tx.recipient.as_ref().and_then(Recipient::phone).map(|p| p.range_prefix()),
            }),
        )
        .await;
    }
}
