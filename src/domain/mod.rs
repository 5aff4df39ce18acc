//! Pure types that parse, don't validate: once a value exists it is valid.
//! Nothing here imports the rest of ferrid.

mod auth_method;
mod authorization;
mod claims;
mod client;
mod connection;
mod email;
mod factor;
mod network;
mod otp_code;
mod outbox;
mod phone;
mod policy;
mod recipient;
mod redirect_uri;
mod scope;
mod second_step;
mod usage;

pub use auth_method::{AuthMethod, MFA_ACR};
pub use authorization::{AcrRequest, AuthorizationRequest, CodeChallenge, Prompt, ResponseMode};
pub use claims::{scope_claims, scope_of_claim, uncovered_claims};
pub use client::{
    ClientId, ClientName, ClientType, GrantType, Origin, PASSWORDLESS_OTP_GRANT, RESERVED_PREFIX,
};
pub use connection::Connection;
pub use email::{EmailAddress, EmailError};
pub use factor::Factor;
pub use network::coarse_network;
pub use otp_code::OtpCode;
pub use outbox::OutboxStatus;
pub use phone::{LineKind, PhoneError, PhoneNumber};
pub use policy::{MfaMode, PolicyProblem, SignInPolicy};
pub use recipient::Recipient;
pub use redirect_uri::RedirectUri;
pub use scope::{SUPPORTED_SCOPES, Scope};
pub use second_step::{Moment, Requirement, SecondStep, asks_for_factors, second_step};
pub use usage::{EmailUsage, MessageUsage};

/// Whether a URL's host is the loopback interface, where plain `http` is
/// acceptable (RFC 8252 §7.3).
pub fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
