//! The SMS connection: one live provider, message templates, code rules,
//! allowed countries and test numbers. Stored in the database (secrets
//! sealed), bootstrapped from the configuration on first start, and
//! compiled once per change. A change saved by this process is used at
//! once; one saved elsewhere (`ferrid connection sms set`, another
//! instance) within [`REREAD_AFTER`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BreakerSender, BreakerSettings, SmsSender};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::crypto::MasterKey;
use crate::messages::TemplateSet;
use crate::otp::CodePolicy;
use crate::store::{self, DatabaseConnection};

pub use super::provider::{
    ProviderSettings, TWILIO_API, check_provider_url, seal_twilio_token, seal_webhook_secret,
};

/// The settings key the connection is stored under.
pub const SMS_CONNECTION_KEY: &str = "sms_connection";

/// How long a cached connection is used before the stored row is read again
/// to see whether another process changed it: the bound on how late an
/// instance notices `ferrid connection sms set`.
pub const REREAD_AFTER: Duration = Duration::from_secs(2);

/// Connection changes saved by this process. Not configuration: a counter
/// that lets every cache of the process (one per running app) know at once
/// that its copy is stale, without reading the row on every send.
static SAVED_HERE: AtomicU64 = AtomicU64::new(0);

/// A number that receives nothing and accepts a fixed code (app-store
/// review, automated tests).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TestNumber {
    /// E.164; fictional numbers are fine.
    pub phone: String,
    pub code: String,
}

/// The connection as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConnectionSettings {
    #[serde(flatten)]
    pub provider: ProviderSettings,
    pub otp_length: u8,
    pub otp_ttl_secs: u64,
    pub max_attempts: u32,
    /// ISO 3166 regions numbers may be in; empty allows every region.
    #[serde(default)]
    pub allowed_countries: Vec<String>,
    /// usage → language (or `default`) → Liquid source.
    #[serde(default)]
    pub templates: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub test_numbers: Vec<TestNumber>,
}

impl ConnectionSettings {
    /// The first connection: the outbox, with the configuration's code rules.
    pub fn bootstrap(settings: &Settings) -> Self {
        Self {
            provider: ProviderSettings::Outbox,
            otp_length: settings.otp.length,
            otp_ttl_secs: settings.otp.ttl.0.as_secs(),
            max_attempts: settings.otp.max_attempts,
            allowed_countries: settings
                .sms
                .allowed_countries
                .split(',')
                .map(|r| r.trim().to_ascii_uppercase())
                .filter(|r| !r.is_empty())
                .collect(),
            templates: BTreeMap::new(),
            test_numbers: Vec::new(),
        }
    }

    /// The rules codes are issued and checked with.
    pub fn code_policy(&self) -> CodePolicy {
        CodePolicy {
            length: self.otp_length,
            ttl: std::time::Duration::from_secs(self.otp_ttl_secs),
            max_attempts: self.max_attempts,
        }
    }

    /// Reads the stored connection.
    pub async fn load(db: &DatabaseConnection) -> anyhow::Result<(Self, DateTime<Utc>)> {
        let row = store::settings::find(db, SMS_CONNECTION_KEY)
            .await?
            .context(
                "the SMS connection is not set up (start ferrid once, or run `ferrid migrate`)",
            )?;
        let settings =
            serde_json::from_str(&row.value).context("the stored SMS connection is not valid")?;
        Ok((settings, row.updated_at))
    }

    /// Stores the connection, replacing the previous one.
    pub async fn save(&self, db: &DatabaseConnection) -> anyhow::Result<()> {
        store::settings::upsert(
            db,
            SMS_CONNECTION_KEY,
            &serde_json::to_string(self)?,
            Utc::now(),
        )
        .await?;
        // After the write: a cache that reads the count before its read of
        // the row either sees the new row or a changed count next time.
        SAVED_HERE.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Stores the bootstrap connection unless one exists.
    pub async fn ensure(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
        let bootstrap = serde_json::to_string(&Self::bootstrap(settings))?;
        if store::settings::insert_if_missing(db, SMS_CONNECTION_KEY, &bootstrap, Utc::now())
            .await?
        {
            SAVED_HERE.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }
}

/// The connection ready to use: its sender built, its templates compiled.
pub struct LiveConnection {
    pub settings: ConnectionSettings,
    pub sender: Arc<dyn SmsSender>,
    pub templates: TemplateSet,
}

impl LiveConnection {
    /// Builds the sender (`outbox` is the one of the `outbox` provider)
    /// and compiles the templates.
    pub fn build(
        settings: ConnectionSettings,
        master_key: &MasterKey,
        outbox: Arc<dyn SmsSender>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            sender: settings.provider.build_sender(master_key, outbox)?,
            templates: TemplateSet::compile(&settings.templates)?,
            settings,
        })
    }

    /// The fixed code of a test number, if this is one.
    pub fn test_code(&self, phone: &str) -> Option<&str> {
        self.settings
            .test_numbers
            .iter()
            .find(|t| t.phone == phone)
            .map(|t| t.code.as_str())
    }
}

/// The live connection and what it was checked against.
#[derive(Clone)]
struct Cached {
    updated_at: DateTime<Utc>,
    live: Arc<LiveConnection>,
    /// When the stored row was last read and found the same.
    checked_at: Instant,
    /// `SAVED_HERE` as it was before that read.
    saved_here: u64,
}

/// The live connection, rebuilt only when the stored one changed, and read
/// from the database at most once per [`REREAD_AFTER`] unless this process
/// saved a change since. Its provider sits behind a circuit breaker (a
/// changed connection starts with a closed one).
pub struct ConnectionCache {
    current: RwLock<Option<Cached>>,
    breaker: BreakerSettings,
    /// Where the `outbox` provider's messages go.
    outbox: Arc<dyn SmsSender>,
    clock: SharedClock,
}

impl ConnectionCache {
    /// `outbox` is the sender of the `outbox` provider (the database outbox
    /// read at `/dev/outbox`, or a test's capturing fake); the breaker runs
    /// on `clock`.
    pub fn new(breaker: BreakerSettings, outbox: Arc<dyn SmsSender>, clock: SharedClock) -> Self {
        Self {
            current: RwLock::new(None),
            breaker,
            outbox,
            clock,
        }
    }

    /// The code length of the connection last loaded, without a query: for
    /// page text only.
    pub fn last_code_length(&self) -> Option<u8> {
        self.cached().map(|c| c.live.settings.otp_length)
    }

    fn cached(&self) -> Option<Cached> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, cached: Cached) {
        match self.current.write() {
            Ok(mut guard) => *guard = Some(cached),
            Err(poisoned) => *poisoned.into_inner() = Some(cached),
        }
    }

    /// The live connection: the cached one while it is fresh, else the
    /// stored one (rebuilt only if it differs from the cached one).
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        master_key: &MasterKey,
    ) -> anyhow::Result<Arc<LiveConnection>> {
        let saved_here = SAVED_HERE.load(Ordering::Acquire);
        let cached = self.cached();
        if let Some(c) = &cached
            && c.saved_here == saved_here
            && c.checked_at.elapsed() < REREAD_AFTER
        {
            return Ok(c.live.clone());
        }
        let checked_at = Instant::now();
        let (settings, updated_at) = ConnectionSettings::load(db).await?;
        if let Some(c) = cached
            && c.updated_at == updated_at
            && c.live.settings == settings
        {
            let live = c.live.clone();
            self.store(Cached {
                checked_at,
                saved_here,
                ..c
            });
            return Ok(live);
        }
        let mut live = LiveConnection::build(settings, master_key, self.outbox.clone())?;
        if !matches!(live.settings.provider, ProviderSettings::Outbox) {
            live.sender = Arc::new(BreakerSender::new(
                live.sender,
                self.breaker,
                self.clock.clone(),
            ));
        }
        let live = Arc::new(live);
        self.store(Cached {
            updated_at,
            live: live.clone(),
            checked_at,
            saved_here,
        });
        Ok(live)
    }
}
