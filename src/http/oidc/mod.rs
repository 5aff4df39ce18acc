//! Handlers of the OpenID Connect endpoints.

mod authorize;
mod discovery;
mod token;
mod userinfo;

pub use authorize::{authorize_get, authorize_post};
pub use discovery::{discovery, jwks};
pub use token::token;
pub use userinfo::{userinfo_get, userinfo_post};
