//! Dev mode's demo application: a client `demo` whose redirect URI is
//! ferrid's own `/demo/callback`, so a newcomer can sign in from a browser.

use crate::admin::clients::{CreateClient, CreateClientError, create_client};
use crate::config::Settings;
use crate::domain::{ClientId, ClientName, ClientType, Connection, GrantType, RedirectUri};
use crate::store::{self, ConnectionTrait, DatabaseConnection};

/// The demo client's id.
pub const DEMO_CLIENT_ID: &str = "demo";

/// Registers the demo client when missing, or fixes its redirect URI when the
/// issuer changed (and its connections, SMS and email, when an older
/// version registered it). It is a public client: the demo page runs PKCE like a
/// single-page app would, and needs no secret.
pub async fn ensure_demo_client(
    db: &DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<()> {
    let client_id = ClientId::parse(DEMO_CLIENT_ID).map_err(anyhow::Error::msg)?;
    let redirect_uri = RedirectUri::parse(&format!("{}/demo/callback", settings.issuer_base()))
        .map_err(|e| {
            anyhow::anyhow!("the issuer cannot host the demo application's redirect URI: {e}")
        })?;
    let post_logout = RedirectUri::parse(&format!("{}/demo", settings.issuer_base()))
        .map_err(anyhow::Error::msg)?;
    // Both codes: the demo signs in by email as soon as the policy offers it.
    let connections = [Connection::Sms, Connection::Email];
    if let Some(existing) = store::clients::find_by_client_id(db, &client_id).await? {
        if existing.redirect_uris == [redirect_uri.clone()] && existing.connections == connections {
            return Ok(());
        }
        store::clients::delete_by_client_id(db, &client_id).await?;
    }
    let request = CreateClient {
        client_id: Some(client_id),
        name: ClientName::parse("ferrid demo").map_err(anyhow::Error::msg)?,
        client_type: ClientType::Public,
        redirect_uris: vec![redirect_uri],
        post_logout_redirect_uris: vec![post_logout],
        allowed_origins: vec![],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        first_party: true,
        allowed_scopes: vec![],
        refresh_without_offline_access: false,
        connections: connections.iter().map(|c| c.as_str().to_owned()).collect(),
        introspect: false,
        require_mfa: false,
    };
    match create_client(db, request).await {
        Ok(_) | Err(CreateClientError::Taken(_)) => Ok(()),
        Err(e) => Err(anyhow::anyhow!(e)),
    }
}

/// Dev mode's outbox: the newest kept SMS messages first.
pub async fn outbox_messages(
    db: &impl ConnectionTrait,
) -> anyhow::Result<Vec<store::sms_outbox::OutboxMessage>> {
    Ok(store::sms_outbox::list_recent(db, 100).await?)
}

/// Dev mode's mail: the newest emails of the outbox first, whole.
pub async fn dev_mail(db: &impl ConnectionTrait) -> anyhow::Result<Vec<crate::email::DevMail>> {
    Ok(crate::email::dev_mail(db).await?)
}
