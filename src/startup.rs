//! Builds the application: settings in, a bound server out.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::app::{AppState, master_key, open_database};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::crypto::Pepper;
use crate::crypto::keys::KeyRing;
use crate::email::{DeliveryRules, DevCapture, MailOutbox, Mailer, OutboxWorker, SmtpMailer};
use crate::otp::{
    FallbackRateLimiter, InMemoryRateLimiter, OtpEngine, OtpRules, PumpingGuard, RateLimiter,
    SharedRedis,
};
use crate::sms::{ConnectionCache, ConnectionSettings, SmsSender};
use crate::store::{self, DatabaseConnection, client_cache::ClientCache};
use crate::{admin, http, oidc};
use secrecy::ExposeSecret;

/// How often each instance looks for rotated or retired signing keys.
const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// How often each instance deletes expired rows.
const SWEEP_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// Whether `build` applies pending migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateOnStart {
    Yes,
    No,
}

/// The parts of ferrid a test replaces or watches: the clock every rule
/// reads the time from, the sender behind the SMS connection's `outbox`
/// provider, and who sees each database statement. `Parts::default()` is
/// what `ferrid serve` runs on: the system clock, the database outbox read
/// at `/dev/outbox`, and nobody watching.
#[derive(Default)]
pub struct Parts {
    pub clock: Option<SharedClock>,
    pub sms_outbox: Option<Arc<dyn SmsSender>>,
    pub statements: Option<store::StatementObserver>,
}

/// A bound, ready-to-run ferrid.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    /// Binds `settings.bind` and builds on it.
    pub async fn build(settings: Settings, migrate: MigrateOnStart) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        Self::build_on(settings, listener, migrate, Parts::default()).await
    }

    /// Opens the database, applies migrations, loads the signing keys,
    /// prepares dev-mode data and serves on a listener bound by the caller
    /// (tests bind port 0 first so that the issuer can name the port).
    pub async fn build_on(
        settings: Settings,
        listener: TcpListener,
        migrate: MigrateOnStart,
        parts: Parts,
    ) -> anyhow::Result<Self> {
        let clock = parts.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let master_key = master_key(&settings)?;
        let mut db = open_database(&settings).await?;
        if let Some(observer) = parts.statements {
            store::observe_statements(&mut db, observer);
        }
        let sms_outbox = parts
            .sms_outbox
            .unwrap_or_else(|| store::sms_outbox::DbOutbox::sender(db.clone()));
        if migrate == MigrateOnStart::Yes {
            store::migrate(&db).await?;
        }
        if settings.dev {
            admin::demo::ensure_demo_client(&db, &settings).await?;
        }
        admin::dashboard::ensure_admin_client(&db, &settings).await?;
        admin::sms_connection::ensure(&db, &master_key, &settings)
            .await
            .map_err(|e| anyhow::anyhow!("the SMS connection in the configuration: {e}"))?;
        check_connection(&db, &settings).await?;
        let keys = KeyRing::new(master_key.clone());
        oidc::keys::sync_key_ring(&db, &keys, &master_key, clock.now()).await?;
        let redis = match &settings.redis_url {
            Some(url) => Some(Arc::new(
                SharedRedis::open(url.expose_secret(), &settings.redis_prefix).await?,
            )),
            None => None,
        };
        let limiter: Arc<dyn RateLimiter> = match &redis {
            Some(redis) => Arc::new(FallbackRateLimiter::new(redis.clone(), clock.clone())),
            None => Arc::new(InMemoryRateLimiter::new(clock.clone())),
        };
        let otp = OtpEngine::new(
            OtpRules::from(&settings.otp),
            Pepper::new(master_key.derive("otp-pepper")),
            limiter.clone(),
            clock.clone(),
        )
        .with_pumping(PumpingGuard::new(
            settings.sms.pumping.rules(),
            redis.clone(),
            clock.clone(),
        ));
        let discovery = oidc::discovery::discovery_document(settings.issuer_base())?;
        let mailer = mailer(&settings)?;
        let state = Arc::new(AppState {
            connection: ConnectionCache::new(settings.sms.breaker(), sms_outbox, clock.clone()),
            clock,
            csrf_key: Pepper::new(master_key.derive("csrf")),
            settings,
            db,
            clients: ClientCache::default(),
            master_key,
            keys,
            otp,
            limiter,
            discovery,
            redis,
            mail: MailOutbox::default(),
        });
        let admin_sessions = http::admin::session::DashboardSessions::open(&state.settings).await;
        let port = listener.local_addr()?.port();
        let server = run(listener, state.clone(), admin_sessions)?;
        spawn_key_refresh(state.clone());
        spawn_sweeper(state.clone());
        if let Some(mailer) = mailer {
            OutboxWorker::new(
                state.db.clone(),
                state.clock.clone(),
                mailer,
                DeliveryRules::new(&state.settings.email, state.settings.dev),
            )
            .spawn(&state.mail);
        }
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Refuses to start with test numbers outside dev mode unless the operator
/// allowed them explicitly (`sms.allow_test_numbers`): a fixed code is a
/// back door in production.
async fn check_connection(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<()> {
    let (connection, _) = ConnectionSettings::load(db).await?;
    if !connection.test_numbers.is_empty() && !settings.dev && !settings.sms.allow_test_numbers {
        anyhow::bail!(
            "the SMS connection has test numbers, which are refused outside dev mode; \
             set sms.allow_test_numbers = true to allow them, or remove them"
        );
    }
    // Stored before the rule existed, or written around `connection sms set`.
    if let Err(problem) = connection.provider.check_url() {
        anyhow::bail!("the SMS connection's provider URL: {problem}");
    }
    if matches!(
        connection.provider,
        crate::sms::connection::ProviderSettings::Outbox
    ) && !settings.dev
    {
        tracing::warn!(
            "the SMS connection uses the outbox: codes are kept in the database, not sent"
        );
    }
    Ok(())
}

/// Who delivers the email outbox: the SMTP server when `email.smtp_url` is
/// set (dev mode too), dev mode's capture otherwise; outside dev mode
/// without a server nobody does, and mail waits in the outbox, queued
/// (nothing in ferrid requires email yet, so this is a warning).
fn mailer(settings: &Settings) -> anyhow::Result<Option<Arc<dyn Mailer>>> {
    let email = &settings.email;
    match (&email.smtp_url, settings.dev) {
        (Some(url), _) => Ok(Some(Arc::new(SmtpMailer::new(
            url,
            &email.from,
            email.smtp_timeout.0,
        )?))),
        (None, true) => Ok(Some(Arc::new(DevCapture))),
        (None, false) => {
            tracing::warn!(
                "email.smtp_url is not set: emails stay queued in the outbox until it is \
                 (`ferrid outbox list`)"
            );
            Ok(None)
        }
    }
}

/// Keeps this instance's key ring in step with rotations made elsewhere
/// (`ferrid keys rotate`, another instance) and retires expired keys.
fn spawn_key_refresh(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(KEY_REFRESH_INTERVAL);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = oidc::keys::sync_key_ring(
                &state.db,
                &state.keys,
                &state.master_key,
                state.clock.now(),
            )
            .await
            {
                tracing::error!(error = ?e, "refreshing the signing keys failed");
            }
        }
    });
}

/// Deletes expired challenges, codes, sign-ins, sessions and tokens.
fn spawn_sweeper(state: Arc<AppState>) {
    tokio::spawn(async move {
        // The first sweep a minute after start, then every interval.
        let first = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut tick = tokio::time::interval_at(first, SWEEP_INTERVAL);
        loop {
            tick.tick().await;
            match admin::maintenance::sweep_expired(&state.db, state.clock.now()).await {
                Ok(report) if report.total() > 0 => tracing::info!(?report, "deleted expired rows"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "deleting expired rows failed"),
            }
        }
    });
}

fn run(
    listener: TcpListener,
    state: Arc<AppState>,
    admin_sessions: http::admin::session::DashboardSessions,
) -> anyhow::Result<Server> {
    let data = web::Data::from(state);
    let demo = web::Data::new(http::demo::DemoState::default());
    let keep_alive = data.settings.http.keep_alive.0;
    let client_request_timeout = data.settings.http.client_request_timeout.0;
    let server = HttpServer::new(move || {
        let dev_mode = data.settings.dev;
        let admin_sessions =
            admin_sessions.middleware(&data.master_key, data.settings.secure_cookies);
        App::new()
            .wrap(actix_web::middleware::from_fn(http::cors::cors))
            .wrap(http::security_headers(dev_mode))
            .wrap(actix_web::middleware::from_fn(http::request_id_header))
            .wrap(actix_web::middleware::from_fn(http::keep_alive_header))
            .wrap(TracingLogger::<http::RequestSpan>::new())
            .app_data(data.clone())
            .app_data(demo.clone())
            .app_data(http::form_config())
            .configure(|cfg| http::routes(cfg, dev_mode, admin_sessions))
            .default_service(web::to(http::errors::not_found))
    })
    .keep_alive(keep_alive)
    .client_request_timeout(client_request_timeout)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
