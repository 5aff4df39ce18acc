//! What use cases depend on: the application state, built by `startup`
//! and handed to every request. Nothing of actix here, so that use cases
//! can be called (and tested) without HTTP.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::config::{MasterKeySource, Settings};
use crate::crypto::keys::KeyRing;
use crate::crypto::{MasterKey, Pepper, load_or_create_dev_master_key};
use crate::email::MailOutbox;
use crate::otp::{OtpEngine, RateLimiter, SharedRedis};
use crate::sms::ConnectionCache;
use crate::store::{self, DatabaseConnection, client_cache::ClientCache};

/// What every request handler may use; passed explicitly, never global.
pub struct AppState {
    pub settings: Settings,
    /// Where every rule reads the time from.
    pub clock: SharedClock,
    pub db: DatabaseConnection,
    /// Registered clients as the sign-in and token paths read them.
    pub clients: ClientCache,
    pub master_key: MasterKey,
    pub keys: KeyRing,
    pub otp: OtpEngine,
    /// Sliding-window limits shared with the OTP engine (Redis when configured).
    pub limiter: Arc<dyn RateLimiter>,
    /// The SMS connection (provider, templates, rules), rebuilt when it changes.
    pub connection: ConnectionCache,
    /// Keys the CSRF tokens of ferrid's forms.
    pub csrf_key: Pepper,
    /// The discovery document, serialized once.
    pub discovery: Vec<u8>,
    /// Redis, when configured: shared limits, and whether it answers.
    pub redis: Option<Arc<SharedRedis>>,
    /// The email outbox: wake its worker after committing mail.
    pub mail: MailOutbox,
}

/// Resolves the master key: given in the settings, or the dev-mode key file.
pub fn master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    match &settings.master_key {
        MasterKeySource::Given(key) => Ok(key.clone()),
        MasterKeySource::DevFile(path) => load_or_create_dev_master_key(path),
    }
}

/// Opens the database named in the settings, with a pool of
/// `database_max_connections`.
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    store::connect(&settings.database_url, settings.database_max_connections).await
}
