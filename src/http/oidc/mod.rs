//! Handlers of the OpenID Connect and OAuth endpoints.

mod authorize;
mod credentials;
mod discovery;
mod end_session;
mod passwordless;
mod respond;
mod revoke;
mod token;
mod userinfo;

pub use authorize::{authorize_get, authorize_post};
pub use discovery::{discovery, jwks};
pub use end_session::{end_session_confirm, end_session_get, end_session_post};
pub use passwordless::passwordless_start;
pub use respond::authorization_response;
pub use revoke::{introspect, revoke};
pub use token::token;
pub use userinfo::{userinfo_get, userinfo_post};
