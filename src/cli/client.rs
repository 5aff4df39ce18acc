//! `ferrid client …`: register, list, show, change and delete applications.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use ferrid::admin::clients::{
    self, ClientUpdate, CreateClient, CreatedClient, NewClientConnections,
};
use ferrid::app;
use ferrid::clock::{Clock, SystemClock};
use ferrid::config::Settings;
use ferrid::domain::{ClientId, ClientName, ClientType, GrantType, Origin, RedirectUri};
use ferrid::store::{self, clients::Client};

#[derive(Subcommand)]
pub enum ClientCommand {
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
    /// Change an application; only the given flags change.
    Update(UpdateArgs),
    /// Delete an application.
    Delete {
        #[arg(value_parser = ClientId::parse)]
        client_id: ClientId,
    },
}

#[derive(Args)]
pub struct CreateArgs {
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
    /// Scope the client may ask for with client_credentials (repeatable);
    /// the management API's: ferrid:admin, ferrid:users:read,
    /// ferrid:users:write, ferrid:clients:write, ferrid:config:write,
    /// ferrid:audit:read.
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Issue refresh tokens without the offline_access scope (first-party clients only).
    #[arg(long)]
    refresh_without_offline_access: bool,
    /// A sign-in connection the client may use (repeatable): sms, email.
    /// Without it, the client gets every connection (sms and email).
    #[arg(long = "connection", value_name = "CONNECTION")]
    connections: Vec<String>,
    /// No sign-in connection: the client cannot sign users in until one is enabled.
    #[arg(long, conflicts_with = "connections")]
    no_connection: bool,
    /// A resource server: may introspect tokens issued to any client
    /// (without it, a client introspects only its own tokens).
    #[arg(long)]
    introspect: bool,
    /// Every sign-in to the client proves a second factor, whatever the
    /// policy's MFA mode (refused when the sign-in policy cannot serve it).
    #[arg(long, value_name = "true|false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    require_mfa: Option<bool>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct UpdateArgs {
    #[arg(value_parser = ClientId::parse)]
    client_id: ClientId,
    /// Every sign-in to the client proves a second factor, whatever the
    /// policy's MFA mode (refused when the sign-in policy cannot serve it).
    #[arg(long, value_name = "true|false", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    require_mfa: Option<bool>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `client` command.
pub async fn run(command: ClientCommand, settings: Settings) -> anyhow::Result<ExitCode> {
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
                connections: if args.no_connection {
                    NewClientConnections::None
                } else if args.connections.is_empty() {
                    NewClientConnections::Default
                } else {
                    NewClientConnections::These(args.connections)
                }
                .resolve(),
                introspect: args.introspect,
                require_mfa: args.require_mfa.unwrap_or(false),
            };
            match clients::create_client(&db, request).await {
                Ok(created) => {
                    print_created(&created, json)?;
                    if clients::cannot_sign_users_in(&created.client) {
                        eprintln!(
                            "ferrid: warning: {} has no sign-in connection; it cannot sign users in until a connection is enabled for it (create it with --connection sms)",
                            created.client.client_id
                        );
                    }
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
                    "{:<24} {:<13} {:<28} {:<12} REDIRECT URIS",
                    "CLIENT_ID", "TYPE", "NAME", "REQUIRE_MFA"
                );
                for c in &all {
                    let uris: Vec<_> = c.redirect_uris.iter().map(RedirectUri::as_str).collect();
                    println!(
                        "{:<24} {:<13} {:<28} {:<12} {}",
                        c.client_id,
                        c.client_type.as_str(),
                        c.name.as_str(),
                        c.require_mfa,
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
        ClientCommand::Update(args) => {
            let update = ClientUpdate {
                require_mfa: args.require_mfa,
            };
            match clients::update_client(&db, &args.client_id, update, SystemClock.now()).await {
                Ok(c) if args.json => {
                    println!("{}", serde_json::to_string_pretty(&client_json(&c))?);
                    Ok(ExitCode::SUCCESS)
                }
                Ok(c) => {
                    print_client(&c);
                    Ok(ExitCode::SUCCESS)
                }
                Err(clients::UpdateClientError::Unexpected(e)) => Err(e),
                Err(e @ clients::UpdateClientError::NotFound(_)) => {
                    eprintln!("ferrid: {e}");
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => {
                    eprintln!("ferrid: {e}");
                    Ok(ExitCode::from(2))
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
        "require_mfa": c.require_mfa,
        "allowed_scopes": c.allowed_scopes,
        "refresh_without_offline_access": c.refresh_without_offline_access,
        "connections": c.connections,
        "introspect": c.introspect,
        "created_at": c.created_at,
    })
}

fn print_created(created: &CreatedClient, json: bool) -> anyhow::Result<()> {
    if json {
        let mut value = client_json(&created.client);
        if let (Some(secret), Some(map)) = (&created.client_secret, value.as_object_mut()) {
            map.insert(
                "client_secret".into(),
                serde_json::Value::String(secret.clone()),
            );
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("client_id:     {}", created.client.client_id);
    if let Some(secret) = &created.client_secret {
        println!("client_secret: {secret}");
        println!("(the secret is shown only now; ferrid keeps only its hash)");
    }
    println!("connections:   {}", names(&created.client.connections));
    Ok(())
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
    println!("connections:    {}", names(&c.connections));
    println!("first_party:    {}", c.first_party);
    println!("require_mfa:    {}", c.require_mfa);
    println!("introspect:     {}", c.introspect);
    println!("created_at:     {}", c.created_at.to_rfc3339());
}

/// Connection names, space-separated.
fn names(connections: &[ferrid::domain::Connection]) -> String {
    connections
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
