use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::AppState;
use crate::crypto::{random_token, sha256_hex};
use crate::domain::{
    AcrRequest, AuthMethod, AuthorizationRequest, ClientId, Prompt, Recipient, RedirectUri,
    ResponseMode, Scope, SignInPolicy,
};
use crate::otp::Limit;
use crate::session::SsoSession;
use crate::store;

/// A sign-in in progress: the request to answer and, once a code was sent,
/// the challenge and the number it went to.
#[derive(Clone, Debug)]
pub struct LoginTransaction {
    pub(super) id_hash: String,
    pub request: AuthorizationRequest,
    pub challenge_id: Option<Uuid>,
    /// Where the challenge's code went.
    pub recipient: Option<Recipient>,
    /// The SSO session the consent page is for, once the sign-in waits there.
    pub consent_sid: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Where the sign-in ends: back to the application with a code, or on
    /// one of ferrid's own pages.
    pub target: Target,
    /// Whose sign-in it is, once the first factor was proved (or the SSO
    /// session of a step-up was): the sign-in is at its second factor.
    pub user_id: Option<Uuid>,
    /// The methods proved so far, in order.
    pub proven: Vec<AuthMethod>,
    /// The SSO session a step-up started from.
    pub step_up_sid: Option<String>,
    /// The sign-in policy in force, read with the transaction: the request
    /// that loaded it follows it throughout.
    pub policy: SignInPolicy,
    /// When the challenge's code was last sent, as read with the transaction.
    pub challenge_sent_at: Option<DateTime<Utc>>,
}

/// Where a sign-in goes once the user has proved a factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Answer the authorization request (a code for the application).
    Application,
    /// The user's account area: the session is opened and the browser goes
    /// to `/account`; no code is issued.
    Account,
}

impl Target {
    fn stored(self) -> Option<&'static str> {
        match self {
            Self::Application => None,
            Self::Account => Some("account"),
        }
    }

    fn from_stored(stored: Option<&str>) -> Self {
        match stored {
            Some("account") => Self::Account,
            _ => Self::Application,
        }
    }
}

/// The client id the account area's sign-ins, codes and audit events carry.
pub const ACCOUNT_CLIENT_ID: &str = "ferrid.account";

/// Where a new sign-in starts.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    /// The user must sign in.
    SignIn,
    /// Signed in with the SSO session `sid`; only consent is missing.
    Consent { sid: &'a str },
    /// Signed in with this session, but the request needs a second factor
    /// it has not proved (step-up).
    SecondFactor(&'a SsoSession),
}

/// Whether a sign-in was started.
#[derive(Debug)]
pub enum Begun {
    /// Stored; the opaque id the browser will carry.
    Started(String),
    /// The address has `login.max_pending_per_ip` sign-ins pending already.
    TooManyPending,
}

/// Stores the request and returns the opaque id the browser will carry,
/// unless `client_ip` started too many sign-ins within one sign-in's
/// lifetime: each is kept until it expires, so anonymous requests must not
/// grow the table without bound. The count goes through the shared rate
/// limiter (Redis when configured), so every instance sees the same.
pub async fn begin(
    state: &AppState,
    request: &AuthorizationRequest,
    step: Step<'_>,
    client_ip: Option<&str>,
) -> anyhow::Result<Begun> {
    begin_for(state, request, step, client_ip, Target::Application).await
}

/// Starts the hosted sign-in for the account area: the same pages, codes
/// and limits as an application's sign-in, ending at `/account` instead of
/// with a code. `ui_locales` carries the language the account pages used.
pub async fn begin_account(
    state: &AppState,
    client_ip: Option<&str>,
    ui_locales: Option<&str>,
) -> anyhow::Result<Begun> {
    let redirect_uri = RedirectUri::parse(&format!("{}/account", state.settings.issuer_base()))
        .map_err(|e| anyhow::anyhow!("the account area's address: {e}"))?;
    let client_id = ClientId::parse(ACCOUNT_CLIENT_ID).map_err(|e| anyhow::anyhow!(e))?;
    let request = AuthorizationRequest {
        client_id,
        client_name: String::new(),
        redirect_uri,
        scope: Scope::parse_known("openid"),
        state: None,
        nonce: None,
        code_challenge: None,
        prompt: Prompt::default(),
        max_age: None,
        login_hint: None,
        ui_locales: ui_locales.map(str::to_owned),
        response_mode: ResponseMode::Query,
        id_token_claims: Vec::new(),
        id_token_hint_sub: None,
        first_party: true,
        require_mfa: false,
        acr: AcrRequest::default(),
    };
    begin_for(state, &request, Step::SignIn, client_ip, Target::Account).await
}

async fn begin_for(
    state: &AppState,
    request: &AuthorizationRequest,
    step: Step<'_>,
    client_ip: Option<&str>,
    target: Target,
) -> anyhow::Result<Begun> {
    let ttl = state.settings.tokens.login_transaction_ttl.0;
    let stored_request = serde_json::to_string(request)?;
    let pending = client_ip.map(|ip| Limit {
        key: format!("login-pending:ip:{ip}"),
        max: state.settings.login.max_pending_per_ip,
        window: ttl,
    });
    if let Some(limit) = &pending
        && state
            .limiter
            .try_acquire(std::slice::from_ref(limit))
            .await?
            .is_err()
    {
        tracing::warn!(client_id = %request.client_id, "too many pending sign-ins from one address");
        return Ok(Begun::TooManyPending);
    }
    let id = random_token();
    let now = state.clock.now();
    let consent_sid = match step {
        Step::SignIn | Step::SecondFactor(_) => None,
        Step::Consent { sid } => Some(sid),
    };
    let proven = match step {
        Step::SecondFactor(session) => session.methods().unwrap_or_default(),
        _ => Vec::new(),
    };
    let step_up = match step {
        Step::SecondFactor(session) => Some(store::login_transactions::StepUp {
            user_id: session.user_id,
            proven: &proven,
            sid: &session.sid,
        }),
        _ => None,
    };
    let stored = store::login_transactions::insert(
        &state.db,
        store::login_transactions::NewTransaction {
            id_hash: sha256_hex(&id),
            client_id: request.client_id.as_str(),
            redirect_uri: request.redirect_uri.as_str(),
            request: stored_request,
            consent_sid,
            created_at: now,
            expires_at: now + ttl,
            return_to: target.stored(),
            step_up,
        },
    )
    .await;
    if let Err(e) = stored {
        // Nothing is pending: the address gets its sign-in back, or an
        // outage would lock a whole network out once it is over.
        if let Some(limit) = &pending
            && let Err(refund) = state.limiter.refund(std::slice::from_ref(limit)).await
        {
            tracing::warn!(error = %refund, "giving back a pending sign-in that was not stored failed");
        }
        return Err(e.into());
    }
    Ok(Begun::Started(id))
}

/// The live transaction behind a browser's id.
pub async fn load(
    state: &AppState,
    transaction_id: &str,
) -> anyhow::Result<Option<LoginTransaction>> {
    let Some(page) = store::login_transactions::find_live_page(
        &state.db,
        &sha256_hex(transaction_id),
        state.clock.now(),
        crate::policy::POLICY_KEY,
    )
    .await?
    else {
        return Ok(None);
    };
    let stored = page.transaction;
    Ok(Some(LoginTransaction {
        policy: crate::policy::from_stored(page.setting.as_deref(), state.settings.login.signup)?,
        challenge_sent_at: page.challenge_sent_at,
        request: serde_json::from_str(&stored.request)?,
        id_hash: stored.id_hash,
        challenge_id: stored.challenge_id,
        recipient: stored.recipient,
        consent_sid: stored.consent_sid,
        expires_at: stored.expires_at,
        target: Target::from_stored(stored.return_to.as_deref()),
        user_id: stored.user_id,
        proven: stored.proven,
        step_up_sid: stored.step_up_sid,
    }))
}

/// "Use a different number": forget the challenge, back to the phone page.
pub async fn restart(state: &AppState, tx: &LoginTransaction) -> anyhow::Result<()> {
    store::login_transactions::update_challenge(&state.db, &tx.id_hash, None).await?;
    Ok(())
}

/// The CSRF token of the login forms: an HMAC of the transaction id, which
/// only the browser holding the cookie knows.
pub fn csrf_token(state: &AppState, transaction_id: &str) -> String {
    state
        .csrf_key
        .mac_hex(&[b"login-csrf", transaction_id.as_bytes()])
}

/// Whether a submitted CSRF token belongs to this transaction (constant time).
pub fn check_csrf(state: &AppState, transaction_id: &str, submitted: Option<&str>) -> bool {
    submitted.is_some_and(|token| {
        state
            .csrf_key
            .verify_hex(&[b"login-csrf", transaction_id.as_bytes()], token)
    })
}
