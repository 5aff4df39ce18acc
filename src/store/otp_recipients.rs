//! When a code was last sent to each recipient: the resend cooldown belongs
//! to the recipient, whichever form or API asks for a code.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};

use super::StoreError;

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "otp_recipients")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub recipient: String,
        pub last_sent_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// Whether a send may go ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The cooldown was free and now starts again.
    Claimed,
    /// A code went to the recipient at this time, within the cooldown.
    Cooling(DateTime<Utc>),
}

/// Claims the recipient's cooldown: succeeds for exactly one of any number
/// of concurrent callers, on every backend and every instance. One
/// statement: the insert of a first claim, or the update of a claim whose
/// cooldown is over (`ON CONFLICT … DO UPDATE … WHERE`); a claim still
/// cooling changes nothing, so no row is counted. A conflict is never an
/// error, which on PostgreSQL would abort the transaction the claim runs
/// in.
pub async fn update_claim(
    db: &impl ConnectionTrait,
    recipient: &str,
    now: DateTime<Utc>,
    cooldown: std::time::Duration,
) -> Result<Claim, StoreError> {
    let cooldown = chrono::Duration::from_std(cooldown).unwrap_or(chrono::Duration::MAX);
    let free_before = now.checked_sub_signed(cooldown).unwrap_or(now);
    let claimed = Entity::insert(ActiveModel {
        recipient: Set(recipient.to_owned()),
        last_sent_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(Column::Recipient)
            .update_column(Column::LastSentAt)
            .action_and_where(Expr::col((Entity, Column::LastSentAt)).lte(free_before))
            .to_owned(),
    )
    // No row read back (on SQLite `.insert()` would add a SELECT).
    .exec_without_returning(db)
    .await?;
    if claimed == 1 {
        return Ok(Claim::Claimed);
    }
    let last = super::first(Entity::find_by_id(recipient.to_owned()), db)
        .await?
        .map_or(now, |m| m.last_sent_at);
    Ok(Claim::Cooling(last))
}

/// Ends the recipient's cooldown: its code was used, so the next sign-in
/// may have a code at once.
pub async fn delete(db: &impl ConnectionTrait, recipient: &str) -> Result<(), StoreError> {
    Entity::delete_many()
        .filter(Column::Recipient.eq(recipient))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets recipients whose last code went out before `before` (long past
/// any cooldown).
pub async fn delete_stale(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::LastSentAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
