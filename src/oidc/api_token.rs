//! The bearer token of the management API: one of ferrid's own access
//! tokens (RFC 9068), issued to a client by the client credentials grant,
//! whose scopes say what the client may manage.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::app::AppState;
use crate::crypto::keys::validation;
use crate::domain::ClientId;
use crate::store;

/// A scope of the management API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ApiScope {
    /// Everything below.
    Admin,
    UsersRead,
    UsersWrite,
    ClientsWrite,
    ConfigWrite,
    AuditRead,
}

impl ApiScope {
    /// Every scope, `ferrid:admin` first.
    pub const ALL: [ApiScope; 6] = [
        Self::Admin,
        Self::UsersRead,
        Self::UsersWrite,
        Self::ClientsWrite,
        Self::ConfigWrite,
        Self::AuditRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ferrid:admin",
            Self::UsersRead => "ferrid:users:read",
            Self::UsersWrite => "ferrid:users:write",
            Self::ClientsWrite => "ferrid:clients:write",
            Self::ConfigWrite => "ferrid:config:write",
            Self::AuditRead => "ferrid:audit:read",
        }
    }

    /// What the scope lets a client do, for the API's documentation.
    pub fn description(self) -> &'static str {
        match self {
            Self::Admin => "Everything the management API does",
            Self::UsersRead => "Read users, their factors and sessions",
            Self::UsersWrite => {
                "Create, change and delete users, their phone numbers, factors and sessions"
            }
            Self::ClientsWrite => "Read, register, change and delete applications",
            Self::ConfigWrite => "Read and change the SMS connection, templates and sign-in policy",
            Self::AuditRead => "Read the audit log",
        }
    }
}

impl fmt::Display for ApiScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiScope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a scope of the management API"))
    }
}

/// The client calling the management API, and the API scopes its token carries.
#[derive(Clone, Debug)]
pub struct ApiClient {
    pub client_id: ClientId,
    pub scopes: Vec<ApiScope>,
}

impl ApiClient {
    /// Whether the token allows what `needed` allows: `ferrid:admin`
    /// allows everything, and a write scope of users allows reading them.
    pub fn may(&self, needed: ApiScope) -> bool {
        self.scopes.iter().any(|&held| {
            held == needed
                || held == ApiScope::Admin
                || (held == ApiScope::UsersWrite && needed == ApiScope::UsersRead)
        })
    }
}

impl ApiClient {
    /// The first scope of the management API among `scopes` that this
    /// client does not hold itself: a client may not let another client
    /// do more through the API than it may.
    pub fn cannot_grant<'a>(&self, scopes: &'a [String]) -> Option<&'a str> {
        scopes
            .iter()
            .find(|s| s.parse::<ApiScope>().is_ok_and(|scope| !self.may(scope)))
            .map(String::as_str)
    }
}

/// Why a bearer token does not authenticate a client to the API: answered
/// with 401 and `WWW-Authenticate: Bearer` (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error("no access token was given")]
    MissingToken,
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

#[derive(Deserialize)]
struct ClientTokenClaims {
    sub: String,
    client_id: String,
    jti: String,
    scope: String,
    exp: i64,
}

/// The client a bearer token was issued to by the client credentials
/// grant: signed by ferrid, for ferrid, not expired, not revoked, and its
/// client still registered.
pub async fn authenticate(
    state: &AppState,
    token: Option<&str>,
) -> Result<ApiClient, ApiTokenError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or(ApiTokenError::MissingToken)?;
    let issuer = state.settings.issuer_base();
    let claims: ClientTokenClaims = state
        .keys
        .verify(
            token,
            "at+jwt",
            &validation(issuer, &super::access_token_audience(issuer)),
        )
        .ok()
        .filter(|c: &ClientTokenClaims| c.exp > state.clock.now().timestamp())
        .ok_or(ApiTokenError::InvalidToken(
            "The access token is invalid or expired",
        ))?;
    // A token of the client credentials grant is about the client itself
    // (RFC 9068 §2.2: `sub` is the client when no user is involved).
    if claims.sub != claims.client_id {
        return Err(ApiTokenError::InvalidToken(
            "The access token was not issued to a client on its own behalf",
        ));
    }
    if store::revoked_access_tokens::is_revoked(&state.db, &claims.jti)
        .await
        .map_err(anyhow::Error::from)?
    {
        return Err(ApiTokenError::InvalidToken("The access token was revoked"));
    }
    let client_id = ClientId::parse(&claims.client_id)
        .map_err(|_| ApiTokenError::InvalidToken("The access token is invalid"))?;
    // A deleted client's tokens stop working at once.
    if store::clients::find_by_client_id(&state.db, &client_id)
        .await
        .map_err(anyhow::Error::from)?
        .is_none()
    {
        return Err(ApiTokenError::InvalidToken("The client no longer exists"));
    }
    let scopes = claims
        .scope
        .split(' ')
        .filter_map(|s| s.parse().ok())
        .collect();
    Ok(ApiClient { client_id, scopes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_allows_everything_and_writing_users_allows_reading_them() {
        let caller = |scopes: Vec<ApiScope>| ApiClient {
            client_id: ClientId::parse("c").unwrap(),
            scopes,
        };
        let admin = caller(vec![ApiScope::Admin]);
        assert!(ApiScope::ALL.into_iter().all(|s| admin.may(s)));
        let writer = caller(vec![ApiScope::UsersWrite]);
        assert!(writer.may(ApiScope::UsersRead));
        assert!(!writer.may(ApiScope::ClientsWrite));
        let reader = caller(vec![ApiScope::UsersRead]);
        assert!(!reader.may(ApiScope::UsersWrite));
    }

    #[test]
    fn scopes_parse_from_their_names() {
        for scope in ApiScope::ALL {
            assert_eq!(scope.as_str().parse::<ApiScope>().unwrap(), scope);
        }
        assert!("ferrid:users".parse::<ApiScope>().is_err());
    }
}
