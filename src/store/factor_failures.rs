//! Wrong second-factor codes per user within a failure window. Each check
//! claims an attempt first with one conditional update, so that parallel
//! guesses cannot pass the limit; a right code gives its attempt back.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "factor_failures")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub failures: i32,
        pub window_started_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Whether an attempt may be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Claimed: this many attempts were counted in the window, this one
    /// included.
    Claimed(u32),
    /// `max` failures in the window already, which started at this time.
    Locked(DateTime<Utc>),
}

/// Counts an attempt of the user, unless `max` are counted in the window
/// (`window` long, from the first failure). A window that has passed
/// starts again with this attempt.
pub async fn update_claim(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    max: u32,
    window: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<Attempt, StoreError> {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let cutoff = now.checked_sub_signed(window).unwrap_or(now);
    let max = i32::try_from(max).unwrap_or(i32::MAX);
    // Of concurrent first attempts one inserts the row; the others insert
    // nothing rather than fail (which on PostgreSQL would abort the
    // transaction) and claim through the update below.
    let inserted = Entity::insert(ActiveModel {
        user_id: Set(user_id),
        failures: Set(1),
        window_started_at: Set(now),
    })
    .on_conflict(OnConflict::column(Column::UserId).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    if inserted == 1 {
        return Ok(Attempt::Claimed(1));
    }
    // A passed window starts again.
    let restarted = Entity::update_many()
        .col_expr(Column::Failures, Expr::value(1))
        .col_expr(Column::WindowStartedAt, Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::WindowStartedAt.lte(cutoff))
        .exec(db)
        .await?;
    if restarted.rows_affected == 1 {
        return Ok(Attempt::Claimed(1));
    }
    let claimed = Entity::update_many()
        .col_expr(Column::Failures, Expr::col(Column::Failures).add(1))
        .filter(Column::UserId.eq(user_id))
        .filter(
            Condition::all()
                .add(Column::Failures.lt(max))
                .add(Column::WindowStartedAt.gt(cutoff)),
        )
        .exec(db)
        .await?;
    let row = super::first(Entity::find_by_id(user_id), db).await?;
    let (failures, started) = row.map_or((max, now), |m| (m.failures, m.window_started_at));
    Ok(if claimed.rows_affected == 1 {
        Attempt::Claimed(u32::try_from(failures).unwrap_or(0))
    } else {
        Attempt::Locked(started)
    })
}

/// Gives back an attempt claimed by a right code.
pub async fn update_release(db: &impl ConnectionTrait, user_id: Uuid) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::Failures, Expr::col(Column::Failures).sub(1))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// How many failures the user has in the window, and whether that is `max`.
pub async fn find_failures(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    window: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let cutoff = now.checked_sub_signed(window).unwrap_or(now);
    Ok(super::first(Entity::find_by_id(user_id), db)
        .await?
        .filter(|m| m.window_started_at > cutoff)
        .map_or(0, |m| u32::try_from(m.failures).unwrap_or(0)))
}
