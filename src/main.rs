//! The `ferrid` command line: a thin layer over the library's use cases.

mod connection_cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ferrid::admin::clients::{self, CreateClient, CreatedClient};
use ferrid::app;
use ferrid::config::{ConfigFile, Overrides, Settings};
use ferrid::domain::{ClientId, ClientName, ClientType, GrantType, Origin, RedirectUri};
use ferrid::startup::{Application, MigrateOnStart};
use ferrid::store::{self, clients::Client};
use ferrid::{oidc, telemetry};

/// ferrid: an OpenID Connect identity provider with passwordless SMS sign-in.
///
/// Settings come from built-in defaults, then `ferrid.toml`, then `FERRID_*`
/// environment variables (nested keys joined with `__`), then flags.
#[derive(Parser)]
#[command(name = "ferrid", version, about, long_about)]
struct Cli {
    /// Settings file (default: ./ferrid.toml when it exists).
    #[arg(long, global = true, env = "FERRID_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Dev mode: SQLite and a generated master key under data/, SMS codes in a local outbox,
    /// a demo application.
    #[arg(long, global = true)]
    dev: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Do not apply pending database migrations on start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending database migrations (safe to run again).
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage applications (OAuth clients).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the SMS connection.
    #[command(subcommand)]
    Connection(connection_cli::ConnectionCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List signing keys: kid, algorithm, state (next, active, retiring, retired) and dates.
    List,
    /// Add a new signing key: published at once, signing after `tokens.key_publish_lead`;
    /// the previous one then stays published for `tokens.key_rotation_grace`.
    Rotate {
        /// Sign with the new key at once (a compromised key): relying parties
        /// that cached the key set refuse new tokens until they fetch it again.
        #[arg(long)]
        now: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the settings and print the effective values, secrets redacted.
    Check,
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Register an application; prints its client_id, and its secret once.
    Create(CreateArgs),
    /// List registered applications.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one application.
    Show {
        #[arg(value_parser = ClientId::parse)]
        client_id: ClientId,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete an application.
    Delete {
        #[arg(value_parser = ClientId::parse)]
        client_id: ClientId,
    },
}

#[derive(Args)]
struct CreateArgs {
    /// Display name shown on the sign-in pages.
    #[arg(long, value_parser = ClientName::parse)]
    name: ClientName,
    /// Allowed redirect URI, matched exactly (repeatable).
    #[arg(long = "redirect-uri", value_name = "URI", value_parser = RedirectUri::parse)]
    redirect_uris: Vec<RedirectUri>,
    /// Allowed post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI", value_parser = RedirectUri::parse)]
    post_logout_redirect_uris: Vec<RedirectUri>,
    /// Browser origin allowed to call the token and userinfo endpoints (repeatable).
    #[arg(long = "allowed-origin", value_name = "ORIGIN", value_parser = Origin::parse)]
    allowed_origins: Vec<Origin>,
    /// A public client (a single-page or native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Grant the client may use (repeatable; default authorization_code).
    #[arg(long = "grant", value_name = "GRANT", value_parser = str::parse::<GrantType>)]
    grants: Vec<GrantType>,
    /// Use this client_id instead of a random one.
    #[arg(long = "client-id", value_parser = ClientId::parse)]
    client_id: Option<ClientId>,
    /// A first-party application: users are not asked for consent.
    #[arg(long)]
    first_party: bool,
    /// Scope the client may ask for with client_credentials (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Issue refresh tokens without the offline_access scope (first-party clients only).
    #[arg(long)]
    refresh_without_offline_access: bool,
    /// A sign-in connection the client may use (repeatable): sms.
    #[arg(long = "connection", value_name = "CONNECTION")]
    connections: Vec<String>,
    /// A resource server: may introspect tokens issued to any client
    /// (without it, a client introspects only its own tokens).
    #[arg(long)]
    introspect: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = cli
        .config
        .clone()
        .map(ConfigFile::Explicit)
        .unwrap_or(ConfigFile::Default);
    let overrides = Overrides {
        dev: cli.dev.then_some(true),
    };
    let settings = match Settings::load(&file, &overrides) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("ferrid: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    match run(cli.command, settings).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferrid: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { no_migrate } => serve(settings, no_migrate).await,
        Command::Migrate => {
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
        Command::Config(ConfigCommand::Check) => {
            print!("{}", settings.to_redacted_toml());
            eprintln!("configuration is valid");
            Ok(ExitCode::SUCCESS)
        }
        Command::Client(command) => client(command, settings).await,
        Command::Keys(command) => keys(command, settings).await,
        Command::Connection(command) => connection_cli::run(command, settings).await,
    }
}

async fn keys(command: KeysCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    match command {
        KeysCommand::List => {
            let all = oidc::keys::list_keys(&db).await?;
            if all.is_empty() {
                println!("no signing keys yet (one is made when ferrid first starts)");
            } else {
                let time = |t: chrono::DateTime<chrono::Utc>| {
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                };
                println!(
                    "{:<45} {:<6} {:<9} {:<21} {:<21} RETIRE AFTER",
                    "KID", "ALG", "STATE", "CREATED", "SIGNS FROM"
                );
                for (k, status) in all {
                    println!(
                        "{:<45} {:<6} {:<9} {:<21} {:<21} {}",
                        k.kid,
                        k.alg,
                        status.as_str(),
                        time(k.created_at),
                        time(k.activates_at()),
                        k.retire_after.map(time).unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
        KeysCommand::Rotate { now } => {
            let master_key = app::master_key(&settings)?;
            let grace = settings.tokens.key_rotation_grace;
            let lead = settings.tokens.key_publish_lead;
            let activation = if now {
                oidc::keys::Activation::Now
            } else {
                oidc::keys::Activation::AfterLead(lead.0)
            };
            let (kid, signs_from) =
                oidc::keys::rotate(&db, &master_key, activation, grace.0).await?;
            let signs_from = signs_from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            if now {
                println!("new active key: {kid}");
                println!(
                    "it signs at once; running instances pick it up within 10s, and relying parties that cached the key set refuse new tokens until they fetch it again"
                );
            } else {
                println!("new key: {kid} (next; published now, signs from {signs_from})");
                println!(
                    "every instance switches to it at {signs_from} (tokens.key_publish_lead = {lead})"
                );
            }
            println!("the previous key stays published until {grace} after the switch");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(settings: Settings, no_migrate: bool) -> anyhow::Result<ExitCode> {
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

async fn client(command: ClientCommand, settings: Settings) -> anyhow::Result<ExitCode> {
    let db = app::open_database(&settings).await?;
    store::migrate(&db).await?;
    match command {
        ClientCommand::Create(args) => {
            let json = args.json;
            let request = CreateClient {
                client_id: args.client_id,
                name: args.name,
                client_type: if args.public {
                    ClientType::Public
                } else {
                    ClientType::Confidential
                },
                redirect_uris: args.redirect_uris,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                allowed_origins: args.allowed_origins,
                grant_types: args.grants,
                first_party: args.first_party,
                allowed_scopes: args.scopes,
                refresh_without_offline_access: args.refresh_without_offline_access,
                connections: args.connections,
                introspect: args.introspect,
            };
            match clients::create_client(&db, request).await {
                Ok(created) => {
                    print_created(&created, json);
                    Ok(ExitCode::SUCCESS)
                }
                Err(clients::CreateClientError::Unexpected(e)) => Err(e),
                Err(e) => {
                    eprintln!("ferrid: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        ClientCommand::List { json } => {
            let all = clients::list_clients(&db).await?;
            if json {
                let list: Vec<_> = all.iter().map(client_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if all.is_empty() {
                println!("no clients");
            } else {
                println!(
                    "{:<24} {:<13} {:<28} REDIRECT URIS",
                    "CLIENT_ID", "TYPE", "NAME"
                );
                for c in &all {
                    let uris: Vec<_> = c.redirect_uris.iter().map(RedirectUri::as_str).collect();
                    println!(
                        "{:<24} {:<13} {:<28} {}",
                        c.client_id,
                        c.client_type.as_str(),
                        c.name.as_str(),
                        uris.join(" ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ClientCommand::Show { client_id, json } => {
            match clients::find_client(&db, &client_id).await? {
                Some(c) if json => {
                    println!("{}", serde_json::to_string_pretty(&client_json(&c))?);
                    Ok(ExitCode::SUCCESS)
                }
                Some(c) => {
                    print_client(&c);
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("ferrid: no client with id `{client_id}`");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ClientCommand::Delete { client_id } => {
            if clients::delete_client(&db, &client_id).await? {
                println!("deleted client {client_id}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("ferrid: no client with id `{client_id}`");
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

fn client_json(c: &Client) -> serde_json::Value {
    serde_json::json!({
        "client_id": c.client_id,
        "name": c.name,
        "type": c.client_type,
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "allowed_origins": c.allowed_origins,
        "grant_types": c.grant_types,
        "first_party": c.first_party,
        "allowed_scopes": c.allowed_scopes,
        "refresh_without_offline_access": c.refresh_without_offline_access,
        "connections": c.connections,
        "introspect": c.introspect,
        "created_at": c.created_at,
    })
}

fn print_created(created: &CreatedClient, json: bool) {
    if json {
        let mut value = client_json(&created.client);
        if let (Some(secret), Some(map)) = (&created.client_secret, value.as_object_mut()) {
            map.insert(
                "client_secret".into(),
                serde_json::Value::String(secret.clone()),
            );
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return;
    }
    println!("client_id:     {}", created.client.client_id);
    if let Some(secret) = &created.client_secret {
        println!("client_secret: {secret}");
        println!("(the secret is shown only now; ferrid keeps only its hash)");
    }
}

fn print_client(c: &Client) {
    println!("client_id:      {}", c.client_id);
    println!("name:           {}", c.name.as_str());
    println!("type:           {}", c.client_type.as_str());
    for uri in &c.redirect_uris {
        println!("redirect_uri:   {uri}");
    }
    for uri in &c.post_logout_redirect_uris {
        println!("post_logout:    {uri}");
    }
    for origin in &c.allowed_origins {
        println!("allowed_origin: {}", origin.as_str());
    }
    let grants: Vec<_> = c.grant_types.iter().map(|g| g.as_str()).collect();
    println!("grants:         {}", grants.join(" "));
    println!("first_party:    {}", c.first_party);
    println!("introspect:     {}", c.introspect);
    println!("created_at:     {}", c.created_at.to_rfc3339());
}
