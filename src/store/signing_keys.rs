//! Signing keys: the private half sealed under the master key.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, sea_query::Expr};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        pub alg: String,
        pub private_enc: String,
        pub public_jwk: String,
        pub state: String,
        pub created_at: DateTimeUtc,
        pub activated_at: Option<DateTimeUtc>,
        pub retiring_at: Option<DateTimeUtc>,
        pub retire_after: Option<DateTimeUtc>,
        pub retired_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Where a key is in its life: signing, still published, or gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Retiring,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
        }
    }

    fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "active" => Ok(Self::Active),
            "retiring" => Ok(Self::Retiring),
            "retired" => Ok(Self::Retired),
            other => anyhow::bail!("unknown key state `{other}`"),
        }
    }
}

/// A signing key as stored.
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    /// Sealed PKCS#8 DER (see `crypto::MasterKey::encrypt`).
    pub private_enc: String,
    /// The public JWK, JSON.
    pub public_jwk: String,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retire_after: Option<DateTime<Utc>>,
}

impl StoredKey {
    /// When the key signs (or signed) from, at the earliest.
    pub fn activates_at(&self) -> DateTime<Utc> {
        self.activated_at.unwrap_or(self.created_at)
    }
}

impl TryFrom<entity::Model> for StoredKey {
    type Error = anyhow::Error;
    fn try_from(m: entity::Model) -> anyhow::Result<Self> {
        Ok(Self {
            state: KeyState::parse(&m.state)?,
            kid: m.kid,
            alg: m.alg,
            private_enc: m.private_enc,
            public_jwk: m.public_jwk,
            created_at: m.created_at,
            activated_at: m.activated_at,
            retire_after: m.retire_after,
        })
    }
}

/// Stores a new key in the rotation: published from now, signing from
/// `activates_at` (when it is the newest key whose time has come).
pub async fn insert_active(
    db: &impl ConnectionTrait,
    kid: &str,
    alg: &str,
    private_enc: String,
    public_jwk: String,
    now: DateTime<Utc>,
    activates_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    ActiveModel {
        kid: Set(kid.to_owned()),
        alg: Set(alg.to_owned()),
        private_enc: Set(private_enc),
        public_jwk: Set(public_jwk),
        state: Set(KeyState::Active.as_str().to_owned()),
        created_at: Set(now),
        activated_at: Set(Some(activates_at)),
        retiring_at: Set(None),
        retire_after: Set(None),
        retired_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Every key, newest first (ties broken by kid, so that every instance
/// agrees on which active key signs should two be created at once).
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<StoredKey>, StoreError> {
    let all = Entity::find()
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Kid)
        .all(db)
        .await?;
    Ok(all
        .into_iter()
        .map(StoredKey::try_from)
        .collect::<anyhow::Result<_>>()?)
}

/// The keys to publish: the active one and those retiring whose grace has
/// not ended, newest first.
pub async fn list_published(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<StoredKey>, StoreError> {
    Ok(list(db)
        .await?
        .into_iter()
        .filter(|k| match k.state {
            KeyState::Active => true,
            KeyState::Retiring => k.retire_after.is_some_and(|t| t > now),
            KeyState::Retired => false,
        })
        .collect())
}

/// Moves the active key(s) to retiring, published until `retire_after`.
pub async fn update_active_to_retiring(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    retire_after: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::State, Expr::value(KeyState::Retiring.as_str()))
        .col_expr(Column::RetiringAt, Expr::value(now))
        .col_expr(Column::RetireAfter, Expr::value(retire_after))
        .filter(Column::State.eq(KeyState::Active.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Marks retiring keys whose grace has ended as retired.
pub async fn update_expired_to_retired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::State, Expr::value(KeyState::Retired.as_str()))
        .col_expr(Column::RetiredAt, Expr::value(now))
        .filter(Column::State.eq(KeyState::Retiring.as_str()))
        .filter(Column::RetireAfter.lte(now))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
