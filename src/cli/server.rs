//! `ferrid serve` and `ferrid migrate`.

use std::process::ExitCode;

use ferrid::config::Settings;
use ferrid::startup::{Application, MigrateOnStart};
use ferrid::{app, store};

/// Runs the HTTP server until it is stopped.
pub async fn serve(settings: Settings, no_migrate: bool) -> anyhow::Result<ExitCode> {
    let migrate = if no_migrate {
        MigrateOnStart::No
    } else {
        MigrateOnStart::Yes
    };
    let issuer = settings.issuer_base().to_owned();
    let dev = settings.dev;
    let app = Application::build(settings, migrate).await?;
    tracing::info!(port = app.port(), %issuer, "ferrid is listening");
    if dev {
        eprintln!("\n  ferrid is running in dev mode. Open {issuer}/ in your browser.\n");
    }
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

/// Applies pending migrations and names them.
pub async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    let db = app::open_database(&settings).await?;
    let pending = store::pending_migrations(&db).await?;
    store::migrate(&db).await?;
    if pending.is_empty() {
        println!("database is up to date");
    } else {
        for name in pending {
            println!("applied {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
