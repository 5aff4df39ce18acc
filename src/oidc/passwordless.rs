//! The passwordless API for applications with their own sign-in UI, in
//! Auth0's request shapes: `POST /passwordless/start` sends a code, the
//! token endpoint's OTP grant checks it. The same OTP engine and limits as
//! the hosted pages.

use serde::Deserialize;

use super::client_auth::{ClientCredentials, PublicClients, authenticate};
use super::error::{ErrorCode, OAuthError};
use crate::app::AppState;
use crate::domain::{Connection, GrantType};
use crate::messages::LanguagePreference;
use crate::otp::{Purpose, SendCode, SendOutcome, To};

/// `POST /passwordless/start`'s JSON body.
#[derive(Debug, Deserialize)]
pub struct StartRequest {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub connection: Option<String>,
    pub phone_number: Option<String>,
    /// The address, for `connection: "email"`.
    pub email: Option<String>,
    pub send: Option<String>,
    /// Accepted for compatibility; the code flow's parameters do not apply here.
    #[serde(rename = "authParams")]
    pub auth_params: Option<serde_json::Value>,
}

/// A code was sent.
#[derive(Debug, serde::Serialize)]
pub struct Started {
    /// The number, masked (SMS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The address, masked (email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub request_language: Option<String>,
}

/// Why no code was sent.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    OAuth(OAuthError),
    /// A send limit or cooldown.
    #[error("too many codes were requested; try again later")]
    TooManyRequests,
    /// The provider failed.
    #[error("the code could not be sent")]
    NotDelivered,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

fn start_err(code: ErrorCode, description: &'static str) -> StartError {
    StartError::OAuth(OAuthError::new(code, description))
}

/// Sends a login code to the phone number or email address for the client.
pub async fn start(
    state: &AppState,
    req: StartRequest,
    ip: Option<&str>,
    language: Option<String>,
    accept_language: Option<String>,
) -> Result<Started, StartError> {
    let credentials = ClientCredentials {
        client_id: req.client_id.clone(),
        client_secret: req.client_secret.clone(),
        basic: None,
    };
    let client = authenticate(state, &credentials, PublicClients::Allowed)
        .await
        .map_err(|e| match e {
            super::client_auth::ClientAuthError::OAuth(e) => StartError::OAuth(e),
            super::client_auth::ClientAuthError::Unexpected(e) => StartError::Unexpected(e),
        })?;
    if !client.grant_types.contains(&GrantType::PasswordlessOtp) {
        return Err(start_err(
            ErrorCode::UnauthorizedClient,
            "This client may not use passwordless sign-in",
        ));
    }
    let Some(Ok(connection)) = req.connection.as_deref().map(str::parse::<Connection>) else {
        return Err(start_err(
            ErrorCode::InvalidRequest,
            "The connection must be sms or email",
        ));
    };
    let policy = crate::policy::current(state).await?;
    if !policy.first_factors.contains(&connection) {
        return Err(start_err(
            ErrorCode::InvalidRequest,
            match connection {
                Connection::Sms => "Sign-in by SMS is not available",
                Connection::Email => "Sign-in by email is not available",
            },
        ));
    }
    if !client.connections.contains(&connection) {
        return Err(start_err(
            ErrorCode::UnauthorizedClient,
            match connection {
                Connection::Sms => "The sms connection is not enabled for this client",
                Connection::Email => "The email connection is not enabled for this client",
            },
        ));
    }
    if req.send.as_deref().is_some_and(|s| s != "code") {
        return Err(start_err(
            ErrorCode::InvalidRequest,
            "Only send=code is supported",
        ));
    }
    let languages =
        LanguagePreference::from_sources(language.as_deref(), None, accept_language.as_deref());
    let outcome = crate::otp::send_code(
        state,
        &SendCode {
            purpose: Purpose::Passwordless,
            to: To::New {
                connection,
                input: match connection {
                    Connection::Sms => req.phone_number.as_deref(),
                    Connection::Email => req.email.as_deref(),
                }
                .unwrap_or(""),
            },
            client_id: client.client_id.as_str(),
            application_name: client.name.as_str(),
            ip,
            languages: &languages,
            user_id: None,
        },
    )
    .await?;
    let sent = match outcome {
        SendOutcome::Sent(sent) => sent,
        SendOutcome::NotDelivered(_) => return Err(StartError::NotDelivered),
        SendOutcome::InvalidRecipient(_) => {
            return Err(start_err(
                ErrorCode::InvalidRequest,
                "The phone_number is not a valid phone number",
            ));
        }
        SendOutcome::InvalidEmail(_) => {
            return Err(start_err(
                ErrorCode::InvalidRequest,
                "The email is not a valid email address",
            ));
        }
        SendOutcome::Refused(reason) if reason.is_about_the_number() => {
            return Err(start_err(
                ErrorCode::InvalidRequest,
                "SMS cannot be sent to this phone number",
            ));
        }
        SendOutcome::Refused(_) | SendOutcome::NoChallenge => {
            return Err(StartError::TooManyRequests);
        }
    };
    Ok(Started {
        phone_number: sent.recipient.phone().map(|p| p.masked()),
        email: sent.recipient.email().map(|e| e.masked()),
        request_language: languages.first().map(str::to_owned),
    })
}
