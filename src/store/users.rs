//! People who sign in.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::StoreError;
use crate::domain::{EmailAddress, PhoneNumber};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub phone_e164: Option<String>,
        pub phone_verified_at: Option<DateTimeUtc>,
        /// The number is this account's alone (a partial unique index
        /// covers these rows): it was saved while `unique_phone` was on.
        pub phone_unique: bool,
        pub email: Option<String>,
        pub email_verified_at: Option<DateTimeUtc>,
        pub name: Option<String>,
        pub locale: Option<String>,
        pub blocked: bool,
        /// May sign in to the dashboard.
        pub admin: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::ActiveModel;
pub(super) use entity::{Column, Entity};

/// A user account.
#[derive(Clone, Debug)]
pub struct User {
    pub id: Uuid,
    pub phone: Option<PhoneNumber>,
    pub phone_verified_at: Option<DateTime<Utc>>,
    pub email: Option<String>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub name: Option<String>,
    pub locale: Option<String>,
    pub blocked: bool,
    /// May sign in to the dashboard.
    pub admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<entity::Model> for User {
    fn from(m: entity::Model) -> Self {
        Self {
            id: m.id,
            phone: m.phone_e164.as_deref().map(PhoneNumber::from_trusted_e164),
            phone_verified_at: m.phone_verified_at,
            email: m.email,
            email_verified_at: m.email_verified_at,
            name: m.name,
            locale: m.locale,
            blocked: m.blocked,
            admin: m.admin,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// The user whose phone number this is.
pub async fn find_by_phone(
    db: &impl ConnectionTrait,
    phone: &PhoneNumber,
) -> Result<Option<User>, StoreError> {
    let found = super::first(
        Entity::find().filter(Column::PhoneE164.eq(phone.as_str())),
        db,
    )
    .await?;
    Ok(found.map(User::from))
}

/// The user on whom this address is verified (compared without case, as
/// the unique index on verified addresses does).
pub async fn find_by_verified_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<Option<User>, StoreError> {
    use sea_orm::sea_query::{ExprTrait, Func};
    let found = super::first(
        Entity::find()
            .filter(
                Expr::expr(Func::lower(Expr::col(Column::Email))).eq(email.as_str().to_lowercase()),
            )
            .filter(Column::EmailVerifiedAt.is_not_null()),
        db,
    )
    .await?;
    Ok(found.map(User::from))
}

/// Sets (or, with `None`, removes) the user's email address, verified at
/// `now`; `Conflict` when the address is verified on another account.
pub async fn update_email(
    db: &impl ConnectionTrait,
    id: Uuid,
    email: Option<&EmailAddress>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(
            Column::Email,
            Expr::value(email.map(|e| e.as_str().to_owned())),
        )
        .col_expr(Column::EmailVerifiedAt, Expr::value(email.map(|_| now)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The user with this id.
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>, StoreError> {
    Ok(super::first(Entity::find_by_id(id), db)
        .await?
        .map(User::from))
}

/// Creates a user whose phone number was just verified, speaking `locale`
/// when the page they signed up on said; `Conflict` when the number
/// already belongs to someone.
pub async fn insert_with_verified_phone(
    db: &impl ConnectionTrait,
    phone: &PhoneNumber,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    let model = entity::Model {
        id: Uuid::new_v4(),
        phone_e164: Some(phone.as_str().to_owned()),
        phone_verified_at: Some(now),
        phone_unique: true,
        email: None,
        email_verified_at: None,
        name: None,
        locale: locale.map(str::to_owned),
        blocked: false,
        admin: false,
        created_at: now,
        updated_at: now,
    };
    insert_unless_taken(db, model).await
}

/// Inserts a new user; `Conflict` when a unique rule refuses the row. The
/// conflict is answered by `ON CONFLICT DO NOTHING`, not by an error, so
/// that it does not abort the caller's PostgreSQL transaction (no savepoint
/// needed). The row is known: no RETURNING, and on SQLite no SELECT to read
/// it back.
async fn insert_unless_taken(
    db: &impl ConnectionTrait,
    model: entity::Model,
) -> Result<User, StoreError> {
    use sea_orm::sea_query::OnConflict;
    let inserted = Entity::insert(ActiveModel::from(model.clone()))
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(User::from(model))
}

/// Whether a phone number saved on an account is that account's alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneOwnership {
    /// No other account may hold it (the sign-in policy's `unique_phone`).
    Sole,
    /// Other accounts may each verify it too (only where SMS is a second
    /// factor, never a first).
    Shared,
}

/// Creates a user whose email address was just verified, speaking `locale`
/// when known; `Conflict` when the address is verified on another account
/// (whatever its case).
pub async fn insert_with_verified_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    locale: Option<&str>,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    let model = entity::Model {
        id: Uuid::new_v4(),
        phone_e164: None,
        phone_verified_at: None,
        email: Some(email.as_str().to_owned()),
        email_verified_at: Some(now),
        name: None,
        locale: locale.map(str::to_owned),
        phone_unique: true,
        blocked: false,
        admin: false,
        created_at: now,
        updated_at: now,
    };
    insert_unless_taken(db, model).await
}

/// Sets (or, with `None`, removes) the user's phone number, verified at
/// `now`, as the account's alone; `Conflict` when the number belongs to
/// another account.
pub async fn update_phone(
    db: &impl ConnectionTrait,
    id: Uuid,
    phone: Option<&PhoneNumber>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    update_phone_as(db, id, phone, PhoneOwnership::Sole, now).await
}

/// Like [`update_phone`], with the number held as `ownership` says:
/// `Conflict` only for a `Sole` number another account holds as its own.
pub async fn update_phone_as(
    db: &impl ConnectionTrait,
    id: Uuid,
    phone: Option<&PhoneNumber>,
    ownership: PhoneOwnership,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(
            Column::PhoneE164,
            Expr::value(phone.map(|p| p.as_str().to_owned())),
        )
        .col_expr(Column::PhoneVerifiedAt, Expr::value(phone.map(|_| now)))
        .col_expr(
            Column::PhoneUnique,
            Expr::value(ownership == PhoneOwnership::Sole),
        )
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether an account other than `id` holds this number: a count, so no
/// row is read back when several accounts share it.
pub async fn phone_held_by_another(
    db: &impl ConnectionTrait,
    phone: &PhoneNumber,
    id: Uuid,
) -> Result<bool, StoreError> {
    use sea_orm::PaginatorTrait;
    let holders = Entity::find()
        .filter(Column::PhoneE164.eq(phone.as_str()))
        .filter(Column::Id.ne(id))
        .count(db)
        .await?;
    Ok(holders > 0)
}

/// How many numbers are verified on more than one account.
pub async fn count_shared_phones(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::{ExprTrait, Func};
    let shared: Vec<String> = Entity::find()
        .select_only()
        .column(Column::PhoneE164)
        .filter(Column::PhoneE164.is_not_null())
        .group_by(Column::PhoneE164)
        .having(Expr::expr(Func::count(Expr::col(Column::Id))).gt(1))
        .into_tuple()
        .all(db)
        .await?;
    Ok(shared.len() as u64)
}

/// Makes every stored number its account's alone (when `unique_phone` is
/// turned on); `Conflict` when a number is on two accounts.
pub async fn make_every_phone_sole(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::PhoneUnique, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::PhoneE164.is_not_null())
        .filter(Column::PhoneUnique.eq(false))
        .exec(db)
        .await?;
    Ok(())
}

/// Remembers the language the user last used on ferrid's pages, when it changed.
pub async fn update_locale(
    db: &impl ConnectionTrait,
    id: Uuid,
    locale: &str,
) -> Result<(), StoreError> {
    use sea_orm::Condition;
    Entity::update_many()
        .col_expr(Column::Locale, Expr::value(locale.to_owned()))
        .filter(Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(Column::Locale.is_null())
                .add(Column::Locale.ne(locale)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// What a page of users is narrowed to; every given part must match.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub phone: Option<PhoneNumber>,
    /// Compared without case.
    pub email: Option<EmailAddress>,
    /// A part of the name, email address or phone number, without case.
    pub q: Option<String>,
}

/// Up to `limit` users matching `filter`, in id order, after the user
/// `after` (the last of the previous page).
pub async fn list_page(
    db: &impl ConnectionTrait,
    filter: &UserFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<User>, StoreError> {
    use sea_orm::sea_query::{ExprTrait, Func};
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let lower = |c: Column| Expr::expr(Func::lower(Expr::col(c)));
    let mut query = Entity::find().order_by_asc(Column::Id).limit(limit);
    if let Some(after) = after {
        query = query.filter(Column::Id.gt(after));
    }
    if let Some(phone) = &filter.phone {
        query = query.filter(Column::PhoneE164.eq(phone.as_str()));
    }
    if let Some(email) = &filter.email {
        query = query.filter(lower(Column::Email).eq(email.as_str().to_lowercase()));
    }
    if let Some(q) = &filter.q {
        let escaped: String = q
            .to_lowercase()
            .chars()
            .filter(|c| !matches!(c, '%' | '_' | '\\'))
            .collect();
        let pattern = format!("%{escaped}%");
        query = query.filter(
            Condition::any()
                .add(lower(Column::Name).like(pattern.clone()))
                .add(lower(Column::Email).like(pattern.clone()))
                .add(Column::PhoneE164.like(pattern)),
        );
    }
    Ok(query.all(db).await?.into_iter().map(User::from).collect())
}

/// A user created by an administrator: what they gave is taken as verified.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub phone: Option<(PhoneNumber, PhoneOwnership)>,
    pub email: Option<EmailAddress>,
    pub name: Option<String>,
}

/// Creates a user; `Conflict` when the number or the address is another
/// account's.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    let model = entity::Model {
        id: Uuid::new_v4(),
        phone_e164: new.phone.as_ref().map(|(p, _)| p.as_str().to_owned()),
        phone_verified_at: new.phone.as_ref().map(|_| now),
        phone_unique: new
            .phone
            .as_ref()
            .is_none_or(|(_, o)| *o == PhoneOwnership::Sole),
        email_verified_at: new.email.as_ref().map(|_| now),
        email: new.email.map(|e| e.as_str().to_owned()),
        name: new.name,
        locale: None,
        admin: false,
        blocked: false,
        created_at: now,
        updated_at: now,
    };
    Entity::insert(ActiveModel::from(model.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(User::from(model))
}

/// Sets the user's name (`Some(None)` removes it) and whether they are
/// blocked; `None` leaves a part as it is. The user as they are now.
pub async fn update_profile(
    db: &impl ConnectionTrait,
    id: Uuid,
    name: Option<Option<String>>,
    blocked: Option<bool>,
    now: DateTime<Utc>,
) -> Result<Option<User>, StoreError> {
    let mut update = Entity::update_many().col_expr(Column::UpdatedAt, Expr::value(now));
    if let Some(name) = name {
        update = update.col_expr(Column::Name, Expr::value(name));
    }
    if let Some(blocked) = blocked {
        update = update.col_expr(Column::Blocked, Expr::value(blocked));
    }
    update.filter(Column::Id.eq(id)).exec(db).await?;
    find_by_id(db, id).await
}

/// Deletes the user and, by cascade, everything that is theirs; whether
/// they existed.
pub async fn delete_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, StoreError> {
    Ok(Entity::delete_by_id(id).exec(db).await?.rows_affected == 1)
}

/// Grants (`true`) or takes away the dashboard; whether the user exists.
pub async fn update_admin(
    db: &impl ConnectionTrait,
    id: Uuid,
    admin: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    update_flag(db, id, Column::Admin, admin, now).await
}

/// Blocks (`true`) or unblocks the user; whether the user exists.
pub async fn update_blocked(
    db: &impl ConnectionTrait,
    id: Uuid,
    blocked: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    update_flag(db, id, Column::Blocked, blocked, now).await
}

async fn update_flag(
    db: &impl ConnectionTrait,
    id: Uuid,
    flag: Column,
    value: bool,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(flag, Expr::value(value))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Every user holding this number (more than one only where numbers may be
/// shared), oldest first.
pub async fn list_by_phone(
    db: &impl ConnectionTrait,
    phone: &PhoneNumber,
    limit: u64,
) -> Result<Vec<User>, StoreError> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(Entity::find()
        .filter(Column::PhoneE164.eq(phone.as_str()))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

/// Every user with this address, verified or not, compared without case.
pub async fn list_by_email(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    limit: u64,
) -> Result<Vec<User>, StoreError> {
    use sea_orm::sea_query::{ExprTrait, Func};
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(Column::Email))).eq(email.as_str().to_lowercase()))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

/// The newest users first.
pub async fn list_recent(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<User>, StoreError> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(Entity::find()
        .order_by_desc(Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(User::from)
        .collect())
}

/// How many users there are, and how many of them are admins and blocked.
pub async fn count(db: &impl ConnectionTrait) -> Result<UserCounts, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(UserCounts {
        all: Entity::find().count(db).await?,
        admins: Entity::find()
            .filter(Column::Admin.eq(true))
            .count(db)
            .await?,
        blocked: Entity::find()
            .filter(Column::Blocked.eq(true))
            .count(db)
            .await?,
    })
}

/// The numbers of [`count`].
#[derive(Clone, Copy, Debug, Default)]
pub struct UserCounts {
    pub all: u64,
    pub admins: u64,
    pub blocked: u64,
}
