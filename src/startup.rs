//! Builds the application: settings in, a bound server out.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::{MasterKeySource, Settings};
use crate::crypto::{MasterKey, load_or_create_dev_master_key};
use crate::store::{self, DatabaseConnection};
use crate::{admin, http};

/// Whether `build` applies pending migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateOnStart {
    Yes,
    No,
}

/// What every request handler may use; passed explicitly, never global.
pub struct AppState {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub master_key: MasterKey,
}

/// A bound, ready-to-run ferrid.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

/// Resolves the master key: given in the settings, or the dev-mode key file.
pub fn master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    match &settings.master_key {
        MasterKeySource::Given(key) => Ok(key.clone()),
        MasterKeySource::DevFile(path) => load_or_create_dev_master_key(path),
    }
}

/// Opens the database named in the settings.
pub async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    store::connect(&settings.database_url, 10).await
}

impl Application {
    /// Binds `settings.bind` and builds on it.
    pub async fn build(settings: Settings, migrate: MigrateOnStart) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        Self::build_on(settings, listener, migrate).await
    }

    /// Opens the database, applies migrations, prepares dev-mode data and
    /// serves on a listener bound by the caller (tests bind port 0 first so
    /// that the issuer can name the port).
    pub async fn build_on(
        settings: Settings,
        listener: TcpListener,
        migrate: MigrateOnStart,
    ) -> anyhow::Result<Self> {
        let master_key = master_key(&settings)?;
        let db = open_database(&settings).await?;
        if migrate == MigrateOnStart::Yes {
            store::migrate(&db).await?;
        }
        if settings.dev {
            admin::demo::ensure_demo_client(&db, &settings).await?;
        }
        let port = listener.local_addr()?.port();
        let state = Arc::new(AppState {
            settings,
            db,
            master_key,
        });
        let server = run(listener, state.clone())?;
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

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(listener: TcpListener, state: Arc<AppState>) -> anyhow::Result<Server> {
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        let dev_mode = data.settings.dev;
        App::new()
            .wrap(http::security_headers(dev_mode))
            .wrap(actix_web::middleware::from_fn(http::request_id_header))
            .wrap(TracingLogger::<http::RequestSpan>::new())
            .app_data(data.clone())
            .configure(http::routes)
            .default_service(web::to(http::errors::not_found))
    })
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}
