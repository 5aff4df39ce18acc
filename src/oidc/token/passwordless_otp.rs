//! Auth0's passwordless OTP grant (`http://auth0.com/oauth/grant-type/passwordless/otp`):
//! the code sent by `POST /passwordless/start`, checked by the same OTP engine
//! and limits as the hosted pages.

use super::mint::{TokenResponse, UserGrant, issue_user_tokens};
use super::{TokenError, TokenRequest, err, wants_refresh};
use crate::app::AppState;
use crate::domain::{
    AcrRequest, AuthMethod, Connection, Moment, OtpCode, Requirement, Scope, SecondStep,
};
use crate::oidc::error::ErrorCode;
use crate::otp::send::check_recipient;
use crate::otp::{Purpose, VerifyOutcome};
use crate::session::{self, SignInUser, user_for_verified};
use crate::store::{self, clients::Client};

/// The token endpoint's `http://auth0.com/oauth/grant-type/passwordless/otp` grant.
pub(super) async fn otp_grant(
    state: &AppState,
    client: &Client,
    req: &TokenRequest,
) -> Result<TokenResponse, TokenError> {
    // Auth0's realm names the connection; without one, the SMS connection.
    let connection = match req.realm.as_deref().map(str::parse::<Connection>) {
        None => Connection::Sms,
        Some(Ok(connection)) => connection,
        Some(Err(_)) => {
            return Err(err(
                ErrorCode::InvalidRequest,
                "The realm must be sms or email",
            ));
        }
    };
    // One answer for every failure: whether the number or address has an
    // account or a code stays hidden.
    let wrong = || {
        err(
            ErrorCode::InvalidGrant,
            match connection {
                Connection::Sms => "Wrong phone number or verification code",
                Connection::Email => "Wrong email or verification code",
            },
        )
    };
    let policy = crate::policy::current(state).await?;
    if !policy.first_factors.contains(&connection) {
        return Err(err(
            ErrorCode::InvalidRequest,
            match connection {
                Connection::Sms => "Sign-in by SMS is not available",
                Connection::Email => "Sign-in by email is not available",
            },
        ));
    }
    if !client.connections.contains(&connection) {
        return Err(err(
            ErrorCode::UnauthorizedClient,
            match connection {
                Connection::Sms => "The sms connection is not enabled for this client",
                Connection::Email => "The email connection is not enabled for this client",
            },
        ));
    }
    let (Some(username), Some(otp)) = (req.username.as_deref(), req.otp.as_deref()) else {
        return Err(err(
            ErrorCode::InvalidRequest,
            "The username and otp parameters are required",
        ));
    };
    let live = state.connection.get(&state.db, &state.master_key).await?;
    let recipient = check_recipient(state, &live, connection, username)
        .map_err(|_| wrong())?
        .recipient;
    let code = OtpCode::parse(otp, live.settings.otp_length).map_err(|_| wrong())?;
    let challenge = store::otp_challenges::find_latest_open(
        &state.db,
        Purpose::Passwordless.as_str(),
        &recipient,
        client.client_id.as_str(),
    )
    .await?
    .ok_or_else(wrong)?;
    let outcome = state.otp.verify(&state.db, challenge.id, &code).await?;
    if let Some((kind, result)) = outcome.audit() {
        crate::audit::record(
            &state.db,
            state.clock.now(),
            kind,
            Some(recipient.masked()),
            Some(client.client_id.as_str()),
            req.ip.as_deref(),
            serde_json::json!({
                "result": result,
                "flow": "passwordless",
                "country": recipient.phone().map(|p| p.country_prefix()),
                "range": recipient.phone().map(|p| p.range_prefix()),
            }),
        )
        .await;
    }
    match outcome {
        VerifyOutcome::Verified { .. } => state.otp.release_cooldown(&state.db, &recipient).await?,
        VerifyOutcome::TooManyAttempts => {
            return Err(err(
                ErrorCode::InvalidGrant,
                "Too many wrong codes; request a new code",
            ));
        }
        _ => return Err(wrong()),
    }
    let user = match user_for_verified(state, &recipient).await? {
        SignInUser::Found(user) => user,
        SignInUser::NoAccount | SignInUser::Blocked => return Err(wrong()),
    };
    let methods = [connection.method()];
    // The grant proves one factor: a user who must prove two signs in on
    // the hosted pages (decision: no MFA API yet, so no `mfa_token`).
    let requirement = Requirement {
        client_requires_mfa: client.require_mfa,
        acr: &AcrRequest::default(),
    };
    let step = session::second_step_for(
        &state.db,
        state,
        requirement,
        Moment::SignIn,
        user.id,
        &methods,
    )
    .await?;
    if step != SecondStep::Complete {
        return Err(err(
            ErrorCode::MfaRequired,
            "Multifactor authentication required",
        ));
    }
    let scope = Scope::parse_known(req.scope.as_deref().unwrap_or("openid"));
    let amr = AuthMethod::amr_values(&methods);
    Ok(issue_user_tokens(
        state,
        &UserGrant {
            client_id: client.client_id.as_str(),
            user: &user,
            scope: &scope,
            nonce: None,
            auth_time: state.clock.now(),
            amr: &amr,
            acr: AuthMethod::acr_of(&methods),
            sid: None,
            id_token_claims: &[],
        },
        wants_refresh(client, &scope),
    )
    .await?)
}
