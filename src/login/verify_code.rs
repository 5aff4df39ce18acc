use anyhow::Context;

use super::LoginTransaction;
use super::complete::{Answer, complete_first_factor};
use crate::app::AppState;
use crate::domain::{OtpCode, Recipient};
use crate::otp::VerifyOutcome;
use crate::session::SsoSession;
use crate::store::{self, ConnectionTrait, DatabaseTransaction};

/// What became of a submitted code.
#[derive(Debug)]
pub enum VerifyCodeOutcome<R> {
    /// Signed in with a new SSO session: set its cookie, and send the
    /// browser back to the application or on to the consent page.
    SignedIn {
        session: SsoSession,
        session_token: String,
        answer: Answer<R>,
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
    /// The first factor is proved; the sign-in goes on to a second one.
    SecondFactor,
    /// The request asked for an authentication that cannot be performed:
    /// `unmet_authentication_requirements` goes back to the application.
    Unmet,
    /// An authenticator-app code that was already used.
    Replayed,
}

/// Where and how a code is typed: the client's address and user agent
/// (the new session shows them), and the language of the page (remembered
/// on the user).
#[derive(Clone, Copy, Debug, Default)]
pub struct SignInContext<'a> {
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub locale: Option<&'a str>,
}

/// Checks the code; on success signs the user in and has `answer` answer
/// the authorization request, in the same transaction.
pub async fn verify_code<R>(
    state: &AppState,
    tx: &LoginTransaction,
    code_input: &str,
    context: SignInContext<'_>,
    answer: impl AsyncFnOnce(&DatabaseTransaction, &SsoSession) -> anyhow::Result<Answer<R>>,
) -> anyhow::Result<VerifyCodeOutcome<R>> {
    // Past the first factor, the challenge is the second factor's: it is
    // checked by `second_factor::verify`, never as a first factor.
    let (Some(challenge_id), None) = (tx.challenge_id, tx.user_id) else {
        return Ok(VerifyCodeOutcome::NoChallenge);
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let code = match OtpCode::parse(code_input, live.settings.otp_length) {
        Ok(code) => code,
        Err(_) => return Ok(VerifyCodeOutcome::Malformed),
    };
    // One transaction for the page: the attempt, the audit event and, for
    // the right code, its use, the user, the session, the authorization
    // code and the end of the sign-in. A wrong code commits its attempt
    // like a right one; only an error rolls back, and then nothing was
    // answered about the code.
    let txn = store::begin_write(&state.db)
        .await
        .context("starting a transaction")?;
    let ip = context.ip;
    let outcome = state.otp.verify(&txn, challenge_id, &code).await?;
    record_verification(&txn, state, tx, &outcome, ip).await;
    let mut used_by = None;
    let verified = match outcome {
        VerifyOutcome::Verified { recipient } => {
            let signed_in =
                complete_first_factor(&txn, state, tx, &recipient, context, answer).await?;
            used_by = Some(recipient);
            signed_in
        }
        VerifyOutcome::Wrong { attempts_left } => VerifyCodeOutcome::Wrong { attempts_left },
        VerifyOutcome::TooManyAttempts => VerifyCodeOutcome::TooManyAttempts,
        // A used code is as good as an expired one to the person typing it.
        VerifyOutcome::Expired | VerifyOutcome::AlreadyUsed => VerifyCodeOutcome::Expired,
        VerifyOutcome::UnknownChallenge => VerifyCodeOutcome::NoChallenge,
    };
    txn.commit().await.context("committing the verification")?;
    if let Some(recipient) = used_by {
        state.otp.release_cooldown(&state.db, &recipient).await?;
    }
    Ok(verified)
}

/// Audits a verification: success, failure, or lockout (never the code),
/// with the client's address as the passwordless API records it.
async fn record_verification(
    db: &impl ConnectionTrait,
    state: &AppState,
    tx: &LoginTransaction,
    outcome: &VerifyOutcome,
    ip: Option<&str>,
) {
    if let Some((kind, result)) = outcome.audit() {
        crate::audit::record(
            db,
            state.clock.now(),
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
