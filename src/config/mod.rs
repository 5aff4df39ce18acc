//! Typed settings. Sources, lowest first: built-in defaults < `ferrid.toml` <
//! `FERRID_*` environment variables (nested keys joined with `__`, as in
//! `FERRID_TOKENS__ACCESS_TOKEN_TTL=15m`) < command-line flags.
//!
//! Loading is two steps: [`RawSettings`] is what the sources say, [`Settings`]
//! is what ferrid runs with, built by [`Settings::from_raw`], which checks
//! every value and names the key of the first bad one. Nothing is created on
//! disk until the settings are valid.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::crypto::MasterKey;

mod checks;
mod database_url;
mod email;
mod show;
mod span;

pub use database_url::{DatabaseBackend, DatabaseUrl};
pub use email::{EmailSettings, RawEmailSettings, SmtpSecurity, SmtpUrl};
pub use span::Span;

use checks::{check_http, check_otp, check_sms, check_tokens};

/// A setting that could not be read or has a bad value; names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid setting `{key}`: {problem}")]
    Invalid { key: String, problem: String },
    #[error("configuration file {path}: {problem}")]
    File { path: String, problem: String },
    #[error("{0}")]
    Source(String),
}

impl ConfigError {
    fn invalid(key: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.to_owned(),
            problem: problem.into(),
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// Lifetimes of what ferrid issues.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenSettings {
    pub access_token_ttl: Span,
    pub id_token_ttl: Span,
    pub authorization_code_ttl: Span,
    pub refresh_token_ttl: Span,
    pub refresh_token_idle_ttl: Span,
    pub login_transaction_ttl: Span,
    pub sso_session_ttl: Span,
    /// How long a rotated-out signing key stays published.
    pub key_rotation_grace: Span,
    /// How long a rotated-in key is published before it signs: longer than
    /// relying parties cache the JWKS plus the key-ring refresh interval.
    pub key_publish_lead: Span,
}

/// Cookie behaviour.
#[derive(Clone, Debug, Deserialize)]
pub struct CookieSettings {
    /// `Secure` cookies with the `__Host-` prefix; defaults to on outside dev mode.
    pub secure: Option<bool>,
}

/// Rules of the one-time-code engine.
#[derive(Clone, Debug, Deserialize)]
pub struct OtpSettings {
    pub length: u8,
    pub ttl: Span,
    pub max_attempts: u32,
    pub resend_cooldown: Span,
    pub max_sends_per_phone_per_hour: u32,
    pub max_sends_per_ip_per_hour: u32,
    /// Per /24 (IPv4) or /64 (IPv6) network.
    pub max_sends_per_network_per_hour: u32,
    /// The global ceiling; reaching it pauses sending (circuit breaker).
    pub max_sends_per_minute: u32,
    /// How long sending stays paused after the ceiling is reached.
    pub circuit_breaker_cooldown: Span,
    /// ISO 3166 region for numbers typed without `+` (for example `GB`).
    pub default_region: Option<String>,
    /// Wrong codes a recipient may have across all its challenges within
    /// `failure_window`; then no new code until the window passes.
    pub max_failures_per_recipient: u32,
    pub failure_window: Span,
}

/// Who may sign in and how.
#[derive(Clone, Debug, Deserialize)]
pub struct LoginSettings {
    /// A verified phone number without an account creates one.
    pub signup: bool,
    /// Sign-ins one client address may start within `tokens.login_transaction_ttl`
    /// (each is stored until it expires); beyond, `/authorize` answers 429.
    pub max_pending_per_ip: u32,
}

/// The user's account area.
#[derive(Clone, Debug, Deserialize)]
pub struct AccountSettings {
    /// How recent a sign-in must be for a sensitive change (the phone,
    /// signing out other sessions) without proving a factor again.
    pub reauth_window: Span,
}

/// SMS connection bootstrap (used when the database has no connection yet;
/// afterwards `ferrid connection sms set` changes it) and guard rails.
#[derive(Clone, Debug, Deserialize)]
pub struct SmsSettings {
    /// `outbox`, `twilio` or `webhook`.
    pub provider: String,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<SecretString>,
    pub twilio_messaging_service_sid: Option<String>,
    pub twilio_from: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<SecretString>,
    /// Test numbers (fixed codes) are refused outside dev mode unless this is set.
    pub allow_test_numbers: bool,
    /// Comma-separated ISO 3166 regions for the first connection (empty: all).
    pub allowed_countries: String,
    /// Consecutive provider failures (5xx, timeouts) that pause sending.
    pub breaker_failures: u32,
    /// How long sending stays paused before one probe is let through.
    pub breaker_cooldown: Span,
    pub pumping: PumpingSettings,
}

/// SMS pumping detection per number range (`[sms.pumping]`): a range that
/// got at least `min_sends` codes within `window`, of which fewer than
/// `min_verified_ratio` were verified, is throttled for `throttle_for`.
#[derive(Clone, Debug, Deserialize)]
pub struct PumpingSettings {
    pub window: Span,
    pub min_sends: u32,
    pub min_verified_ratio: f64,
    pub throttle_for: Span,
}

impl PumpingSettings {
    pub fn rules(&self) -> crate::otp::PumpingRules {
        crate::otp::PumpingRules {
            window: self.window.0,
            min_sends: self.min_sends,
            min_verified_ratio: self.min_verified_ratio,
            throttle_for: self.throttle_for.0,
        }
    }
}

impl SmsSettings {
    /// The provider breaker's settings.
    pub fn breaker(&self) -> crate::sms::BreakerSettings {
        crate::sms::BreakerSettings {
            failures: self.breaker_failures,
            cooldown: self.breaker_cooldown.0,
        }
    }
}

/// The HTTP server's connection handling.
#[derive(Clone, Debug, Deserialize)]
pub struct HttpSettings {
    /// How long an idle keep-alive connection stays open. Announced to clients
    /// in `Keep-Alive: timeout=N`, and longer than common client pools keep
    /// idle connections, so that a client never sends on a connection the
    /// server is closing.
    pub keep_alive: Span,
    /// How long a client may take to send a request's head once connected.
    pub client_request_timeout: Span,
}

/// Settings as the sources give them, before any check.
#[derive(Clone, Debug, Deserialize)]
pub struct RawSettings {
    pub issuer: String,
    pub bind: String,
    /// Comma-separated addresses or networks of reverse proxies whose
    /// `X-Forwarded-For` is believed (`10.0.0.0/8, 192.0.2.7`).
    pub trusted_proxies: String,
    pub database_url: String,
    /// Connections in the database pool; unset, sized from the backend
    /// (see [`default_max_connections`]).
    pub database_max_connections: Option<i64>,
    pub redis_url: Option<SecretString>,
    /// Prefix of every Redis key ferrid writes.
    pub redis_prefix: String,
    pub master_key: Option<SecretString>,
    pub dev: bool,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub tokens: TokenSettings,
    pub cookies: CookieSettings,
    pub otp: OtpSettings,
    pub login: LoginSettings,
    pub account: AccountSettings,
    pub http: HttpSettings,
    pub email: RawEmailSettings,
    pub sms: SmsSettings,
}

const DEFAULTS: &str = r#"
issuer = "http://127.0.0.1:8080"
bind = "127.0.0.1:8080"
trusted_proxies = ""
database_url = "sqlite://data/ferrid.db?mode=rwc"
redis_prefix = "ferrid:"
dev = false
data_dir = "data"
log_format = "human"

[tokens]
access_token_ttl = "10m"
id_token_ttl = "1h"
authorization_code_ttl = "60s"
refresh_token_ttl = "30d"
refresh_token_idle_ttl = "7d"
login_transaction_ttl = "30m"
sso_session_ttl = "12h"
key_rotation_grace = "24h"
key_publish_lead = "10m"

[cookies]

[otp]
length = 6
ttl = "10m"
max_attempts = 10
resend_cooldown = "30s"
max_sends_per_phone_per_hour = 5
max_sends_per_ip_per_hour = 20
max_sends_per_network_per_hour = 60
max_sends_per_minute = 1000
circuit_breaker_cooldown = "5m"
max_failures_per_recipient = 20
failure_window = "24h"

[login]
signup = true
max_pending_per_ip = 30

[account]
reauth_window = "5m"

[http]
keep_alive = "75s"
client_request_timeout = "10s"

[email]
from = "ferrid <no-reply@localhost>"
max_attempts = 8
max_age = "24h"
retry_base = "30s"
smtp_timeout = "30s"
poll_interval = "10s"

[sms]
provider = "outbox"
allow_test_numbers = false
allowed_countries = ""
breaker_failures = 5
breaker_cooldown = "60s"

[sms.pumping]
window = "1h"
min_sends = 20
min_verified_ratio = 0.2
throttle_for = "1h"
"#;

/// Values given on the command line, which win over every other source.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub dev: Option<bool>,
}

/// Where `ferrid.toml` is looked for.
#[derive(Clone, Debug)]
pub enum ConfigFile {
    /// `./ferrid.toml` when it exists.
    Default,
    /// A path given with `--config`: it must exist.
    Explicit(PathBuf),
    /// No file at all: defaults and environment only.
    None,
}

impl RawSettings {
    /// Reads defaults, then the file, then the given environment (`FERRID_*`).
    pub fn load(
        file: &ConfigFile,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        use config::{Config, Environment, File, FileFormat};

        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        match file {
            ConfigFile::Default => {
                builder =
                    builder.add_source(File::new("ferrid.toml", FileFormat::Toml).required(false));
            }
            ConfigFile::None => {}
            ConfigFile::Explicit(path) => {
                if !path.is_file() {
                    return Err(ConfigError::File {
                        path: path.display().to_string(),
                        problem: "no such file".into(),
                    });
                }
                builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
            }
        }
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("FERRID_"))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("FERRID")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(env)),
        );
        if let Some(dev) = overrides.dev {
            builder = builder
                .set_override("dev", dev)
                .map_err(|e| ConfigError::Source(e.to_string()))?;
        }
        let config = builder
            .build()
            .map_err(|e| ConfigError::Source(e.to_string()))?;
        config
            .try_deserialize()
            .map_err(|e| ConfigError::Source(e.to_string()))
    }
}

/// The master key: given, or (dev mode only) kept in a file under `data_dir`.
#[derive(Clone, Debug)]
pub enum MasterKeySource {
    Given(MasterKey),
    DevFile(PathBuf),
}

/// What ferrid runs with: every value checked.
#[derive(Clone, Debug)]
pub struct Settings {
    pub issuer: Url,
    pub bind: SocketAddr,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub database_url: DatabaseUrl,
    /// Connections in the database pool, at least 1.
    pub database_max_connections: u32,
    pub redis_url: Option<SecretString>,
    pub redis_prefix: String,
    pub master_key: MasterKeySource,
    pub dev: bool,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub tokens: TokenSettings,
    pub secure_cookies: bool,
    pub otp: OtpSettings,
    pub login: LoginSettings,
    pub account: AccountSettings,
    pub http: HttpSettings,
    pub email: EmailSettings,
    pub sms: SmsSettings,
}

impl Settings {
    /// Loads and checks the settings from every source.
    pub fn load(file: &ConfigFile, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::from_raw(RawSettings::load(file, std::env::vars(), overrides)?)
    }

    /// Checks every raw value; the error names the first bad key.
    pub fn from_raw(raw: RawSettings) -> Result<Self, ConfigError> {
        let issuer = parse_issuer(&raw.issuer, raw.dev)?;
        let bind: SocketAddr = raw.bind.parse().map_err(|_| {
            ConfigError::invalid(
                "bind",
                format!("`{}` is not an address like 127.0.0.1:8080", raw.bind),
            )
        })?;
        let trusted_proxies = parse_networks(&raw.trusted_proxies).map_err(|bad| {
            ConfigError::invalid(
                "trusted_proxies",
                format!("`{bad}` is not an address or network like 10.0.0.0/8"),
            )
        })?;
        let database_url = DatabaseUrl::parse(&raw.database_url)
            .map_err(|p| ConfigError::invalid("database_url", p))?;
        let database_max_connections = match raw.database_max_connections {
            None => default_max_connections(database_url.backend()),
            Some(n) => check_max_connections(n)?,
        };
        if let Some(redis) = &raw.redis_url {
            let url = redis.expose_secret();
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(ConfigError::invalid(
                    "redis_url",
                    "expected redis://… or rediss://…",
                ));
            }
        }
        let master_key = match &raw.master_key {
            Some(key) => MasterKeySource::Given(
                MasterKey::from_base64(key.expose_secret())
                    .map_err(|p| ConfigError::invalid("master_key", p))?,
            ),
            None if raw.dev => MasterKeySource::DevFile(raw.data_dir.join("master.key")),
            None => {
                return Err(ConfigError::invalid(
                    "master_key",
                    "required outside dev mode (32 random bytes, base64; `openssl rand -base64 32`)",
                ));
            }
        };
        for region in raw
            .sms
            .allowed_countries
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            if region.parse::<phonenumber::country::Id>().is_err() {
                return Err(ConfigError::invalid(
                    "sms.allowed_countries",
                    format!("`{region}` is not an ISO 3166 region code like US"),
                ));
            }
        }
        check_tokens(&raw.tokens)?;
        check_otp(&raw.otp)?;
        if raw.login.max_pending_per_ip == 0 {
            return Err(ConfigError::invalid(
                "login.max_pending_per_ip",
                "must be at least 1",
            ));
        }
        if raw.account.reauth_window.0.is_zero() {
            return Err(ConfigError::invalid(
                "account.reauth_window",
                "must be longer than zero",
            ));
        }
        check_sms(&raw.sms)?;
        check_http(&raw.http)?;
        let email = email::check_email(raw.email)?;
        Ok(Self {
            issuer,
            bind,
            trusted_proxies,
            database_url,
            database_max_connections,
            redis_url: raw.redis_url,
            redis_prefix: raw.redis_prefix,
            master_key,
            secure_cookies: raw.cookies.secure.unwrap_or(!raw.dev),
            dev: raw.dev,
            data_dir: raw.data_dir,
            log_format: raw.log_format,
            tokens: raw.tokens,
            otp: raw.otp,
            login: raw.login,
            account: raw.account,
            http: raw.http,
            email,
            sms: raw.sms,
        })
    }

    /// The issuer without a trailing slash, for building endpoint URLs.
    pub fn issuer_base(&self) -> &str {
        self.issuer.as_str().trim_end_matches('/')
    }
}

/// The pool size when `database_max_connections` is not set.
///
/// SQLite: one connection. SQLite has one writer at a time whatever the
/// pool holds; with several connections each keeps its own page cache, which
/// every write by another connection throws away, and writers wait in the
/// busy handler's sleeps. sqlx runs each SQLite connection on its own thread,
/// so one connection already overlaps the database's work with the request
/// handlers'.
///
/// PostgreSQL: enough for every worker to have a statement in flight and a
/// transaction open, and for the background jobs: twice the cores plus four,
/// at least 10.
pub fn default_max_connections(backend: DatabaseBackend) -> u32 {
    match backend {
        DatabaseBackend::Sqlite => 1,
        DatabaseBackend::Postgres => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            u32::try_from(2 * cores + 4).unwrap_or(u32::MAX).max(10)
        }
    }
}

/// More than a PostgreSQL server accepts by default many times over: a
/// typo, not a pool size.
const MAX_POOL: i64 = 10_000;

fn check_max_connections(n: i64) -> Result<u32, ConfigError> {
    if !(1..=MAX_POOL).contains(&n) {
        return Err(ConfigError::invalid(
            "database_max_connections",
            format!("must be between 1 and {MAX_POOL}, got {n}"),
        ));
    }
    u32::try_from(n).map_err(|_| {
        ConfigError::invalid("database_max_connections", format!("{n} is out of range"))
    })
}

/// Addresses (as /32 or /128) and networks, comma-separated; the bad entry on error.
fn parse_networks(raw: &str) -> Result<Vec<ipnet::IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| entry.to_owned())
        })
        .collect()
}

fn parse_issuer(raw: &str, dev: bool) -> Result<Url, ConfigError> {
    let url = Url::parse(raw)
        .map_err(|e| ConfigError::invalid("issuer", format!("`{raw}` is not a URL ({e})")))?;
    // OIDC Discovery §3: the issuer is an https URL with no query or fragment.
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::invalid(
            "issuer",
            "must not have a query or fragment",
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if dev || crate::domain::is_loopback_host(&url) => {}
        "http" => {
            return Err(ConfigError::invalid(
                "issuer",
                "must be https outside dev mode",
            ));
        }
        other => {
            return Err(ConfigError::invalid(
                "issuer",
                format!("unsupported scheme `{other}`"),
            ));
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
