//! Registered applications (OAuth clients).

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};

use super::{StoreError, from_json_list, to_json_list};
use crate::domain::{ClientId, ClientName, ClientType, Connection, GrantType, Origin, RedirectUri};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "clients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub client_id: String,
        pub secret_hash: Option<String>,
        pub name: String,
        pub client_type: String,
        pub redirect_uris: String,
        pub post_logout_redirect_uris: String,
        pub allowed_origins: String,
        pub grant_types: String,
        pub connections: String,
        pub first_party: bool,
        pub require_mfa: bool,
        pub allowed_scopes: String,
        pub refresh_without_offline_access: bool,
        pub introspect: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// How many times this process has written to the clients table: the
/// [`ClientCache`](super::client_cache::ClientCache) reads a row again
/// once it moved.
static CHANGES_HERE: AtomicU64 = AtomicU64::new(0);

/// The count of this process's writes to the clients table so far.
pub fn changes_here() -> u64 {
    CHANGES_HERE.load(Ordering::Acquire)
}

/// Counts a write to the clients table. The writers here count their own;
/// a caller that wrote inside a transaction counts once more after its
/// commit, so that no row read while the change was uncommitted is kept.
pub fn note_change() {
    CHANGES_HERE.fetch_add(1, Ordering::AcqRel);
}

/// A registered application, as ferrid uses it.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: Uuid,
    pub client_id: ClientId,
    /// SHA-256 of the secret; `None` for public clients.
    pub secret_hash: Option<String>,
    pub name: ClientName,
    pub client_type: ClientType,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub allowed_origins: Vec<Origin>,
    pub grant_types: Vec<GrantType>,
    /// The sign-in connections enabled for the client.
    pub connections: Vec<Connection>,
    pub first_party: bool,
    /// Every sign-in to the client proves a second factor, whatever the
    /// sign-in policy's MFA mode.
    pub require_mfa: bool,
    /// Scopes the client may ask for with `client_credentials`.
    pub allowed_scopes: Vec<String>,
    /// Refresh tokens without `offline_access` (first-party apps only).
    pub refresh_without_offline_access: bool,
    /// A resource server: may introspect tokens issued to any client.
    pub introspect: bool,
    pub created_at: DateTime<Utc>,
}

/// What a new client is made of.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub client_id: ClientId,
    pub secret_hash: Option<String>,
    pub name: ClientName,
    pub client_type: ClientType,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub allowed_origins: Vec<Origin>,
    pub grant_types: Vec<GrantType>,
    /// The sign-in connections enabled for the client.
    pub connections: Vec<Connection>,
    pub first_party: bool,
    /// Every sign-in proves a second factor.
    pub require_mfa: bool,
    pub allowed_scopes: Vec<String>,
    pub refresh_without_offline_access: bool,
    pub introspect: bool,
}

impl TryFrom<entity::Model> for Client {
    type Error = anyhow::Error;

    fn try_from(m: entity::Model) -> anyhow::Result<Self> {
        let bad = |what: &str| format!("client {}: stored {what} is invalid", m.client_id);
        Ok(Self {
            id: m.id,
            client_id: ClientId::parse(&m.client_id)
                .map_err(anyhow::Error::msg)
                .with_context(|| bad("client_id"))?,
            secret_hash: m.secret_hash.clone(),
            name: ClientName::parse(&m.name)
                .map_err(anyhow::Error::msg)
                .with_context(|| bad("name"))?,
            client_type: m
                .client_type
                .parse()
                .map_err(anyhow::Error::msg)
                .with_context(|| bad("type"))?,
            redirect_uris: parse_list(&m.redirect_uris, RedirectUri::parse)
                .with_context(|| bad("redirect_uris"))?,
            post_logout_redirect_uris: parse_list(&m.post_logout_redirect_uris, RedirectUri::parse)
                .with_context(|| bad("post_logout_redirect_uris"))?,
            allowed_origins: parse_list(&m.allowed_origins, Origin::parse)
                .with_context(|| bad("allowed_origins"))?,
            grant_types: parse_list(&m.grant_types, str::parse)
                .with_context(|| bad("grant_types"))?,
            connections: parse_list(&m.connections, str::parse)
                .with_context(|| bad("connections"))?,
            first_party: m.first_party,
            require_mfa: m.require_mfa,
            allowed_scopes: from_json_list(&m.allowed_scopes)?,
            refresh_without_offline_access: m.refresh_without_offline_access,
            introspect: m.introspect,
            created_at: m.created_at,
        })
    }
}

fn parse_list<T>(text: &str, parse: impl Fn(&str) -> Result<T, String>) -> anyhow::Result<Vec<T>> {
    from_json_list(text)?
        .iter()
        .map(|s| parse(s).map_err(anyhow::Error::msg))
        .collect()
}

/// Stores a new client; `Conflict` when the client id is taken.
pub async fn insert(db: &impl ConnectionTrait, new: NewClient) -> Result<Client, StoreError> {
    let now = Utc::now();
    let model = ActiveModel {
        id: Set(Uuid::new_v4()),
        client_id: Set(new.client_id.as_str().to_owned()),
        secret_hash: Set(new.secret_hash),
        name: Set(new.name.as_str().to_owned()),
        client_type: Set(new.client_type.as_str().to_owned()),
        redirect_uris: Set(to_json_list(&new.redirect_uris)),
        post_logout_redirect_uris: Set(to_json_list(&new.post_logout_redirect_uris)),
        allowed_origins: Set(to_json_list(
            &new.allowed_origins
                .iter()
                .map(Origin::as_str)
                .collect::<Vec<_>>(),
        )),
        grant_types: Set(to_json_list(
            &new.grant_types
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>(),
        )),
        connections: Set(to_json_list(&new.connections)),
        first_party: Set(new.first_party),
        require_mfa: Set(new.require_mfa),
        allowed_scopes: Set(to_json_list(&new.allowed_scopes)),
        refresh_without_offline_access: Set(new.refresh_without_offline_access),
        introspect: Set(new.introspect),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let model = model.insert(db).await;
    note_change();
    Ok(Client::try_from(model?)?)
}

/// The client with this public id, if any.
pub async fn find_by_client_id(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
) -> Result<Option<Client>, StoreError> {
    let found = super::first(
        Entity::find().filter(Column::ClientId.eq(client_id.as_str())),
        db,
    )
    .await?;
    Ok(found.map(Client::try_from).transpose()?)
}

/// Sets whether every sign-in to the client proves a second factor; the
/// client as it is now, or `None` when there is no such client.
pub async fn update_require_mfa(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
    require_mfa: bool,
    now: DateTime<Utc>,
) -> Result<Option<Client>, StoreError> {
    use sea_orm::sea_query::Expr;
    let updated = Entity::update_many()
        .col_expr(Column::RequireMfa, Expr::value(require_mfa))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::ClientId.eq(client_id.as_str()))
        .exec(db)
        .await;
    note_change();
    updated?;
    find_by_client_id(db, client_id).await
}

/// The ids of the clients that require MFA, oldest first.
pub async fn list_requiring_mfa(db: &impl ConnectionTrait) -> Result<Vec<ClientId>, StoreError> {
    let all = Entity::find()
        .filter(Column::RequireMfa.eq(true))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?;
    all.iter()
        .map(|m| {
            ClientId::parse(&m.client_id)
                .map_err(|e| StoreError::Unexpected(anyhow::anyhow!("client {}: {e}", m.client_id)))
        })
        .collect()
}

/// Every client, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<Client>, StoreError> {
    let all = Entity::find()
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?;
    Ok(all
        .into_iter()
        .map(Client::try_from)
        .collect::<anyhow::Result<_>>()?)
}

/// Deletes a client; whether one was there.
pub async fn delete_by_client_id(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
) -> Result<bool, StoreError> {
    let result = Entity::delete_many()
        .filter(Column::ClientId.eq(client_id.as_str()))
        .exec(db)
        .await;
    note_change();
    Ok(result?.rows_affected > 0)
}

/// Whether any client registered this browser origin (CORS).
pub async fn is_origin_allowed(
    db: &impl ConnectionTrait,
    origin: &Origin,
) -> Result<bool, StoreError> {
    // The list column holds JSON strings: narrow with LIKE, then compare exactly.
    // A JSON string as the list stores it (displaying a JSON value cannot fail).
    let needle = format!(
        "%{}%",
        serde_json::Value::String(origin.as_str().to_owned())
    );
    let candidates = Entity::find()
        .filter(Column::AllowedOrigins.like(needle))
        .all(db)
        .await?;
    Ok(candidates.iter().any(|c| {
        from_json_list(&c.allowed_origins)
            .is_ok_and(|list| list.iter().any(|o| o == origin.as_str()))
    }))
}

/// What the dashboard changes on a registered client: everything but its
/// id, type, secret, scopes and introspection.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub name: ClientName,
    pub redirect_uris: Vec<RedirectUri>,
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    pub allowed_origins: Vec<Origin>,
    pub grant_types: Vec<GrantType>,
    pub connections: Vec<Connection>,
    pub first_party: bool,
    pub require_mfa: bool,
}

/// Replaces the client's settings; the client as it is now, or `None`
/// when there is no such client.
pub async fn update_settings(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
    settings: &ClientSettings,
    now: DateTime<Utc>,
) -> Result<Option<Client>, StoreError> {
    use sea_orm::sea_query::Expr;
    let grants: Vec<&str> = settings.grant_types.iter().map(|g| g.as_str()).collect();
    let origins: Vec<&str> = settings
        .allowed_origins
        .iter()
        .map(Origin::as_str)
        .collect();
    let updated = Entity::update_many()
        .col_expr(Column::Name, Expr::value(settings.name.as_str()))
        .col_expr(
            Column::RedirectUris,
            Expr::value(to_json_list(&settings.redirect_uris)),
        )
        .col_expr(
            Column::PostLogoutRedirectUris,
            Expr::value(to_json_list(&settings.post_logout_redirect_uris)),
        )
        .col_expr(Column::AllowedOrigins, Expr::value(to_json_list(&origins)))
        .col_expr(Column::GrantTypes, Expr::value(to_json_list(&grants)))
        .col_expr(
            Column::Connections,
            Expr::value(to_json_list(&settings.connections)),
        )
        .col_expr(Column::FirstParty, Expr::value(settings.first_party))
        .col_expr(Column::RequireMfa, Expr::value(settings.require_mfa))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::ClientId.eq(client_id.as_str()))
        .exec(db)
        .await;
    note_change();
    updated?;
    find_by_client_id(db, client_id).await
}

/// Replaces a confidential client's secret hash; whether there was one.
pub async fn update_secret_hash(
    db: &impl ConnectionTrait,
    client_id: &ClientId,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let res = Entity::update_many()
        .col_expr(Column::SecretHash, Expr::value(secret_hash))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::ClientId.eq(client_id.as_str()))
        .filter(Column::SecretHash.is_not_null())
        .exec(db)
        .await;
    note_change();
    Ok(res?.rows_affected == 1)
}
