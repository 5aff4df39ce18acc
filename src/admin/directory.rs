//! The dashboard's users: finding them by phone number, address or id,
//! what one looks like (factors, sessions, recent events), and blocking
//! them. A blocked user cannot sign in, and their sessions end.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::{EmailAddress, Factor, PhoneNumber};
use crate::store::consents::UserConsent;
use crate::store::{
    self, ConnectionTrait, DatabaseConnection, audit_events::AuditEvent,
    sso_sessions::ListedSession, users::User,
};

/// How many users one search shows.
const SEARCH_LIMIT: u64 = 50;

/// How far back a user page's events go, and how many it shows.
const EVENTS_SINCE_DAYS: i64 = 90;
const EVENTS_LIMIT: u64 = 50;

/// What an admin typed in the search box, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserQuery {
    /// Nothing typed: the newest users.
    Newest,
    Id(Uuid),
    Phone(PhoneNumber),
    Email(EmailAddress),
    /// Neither an id, a number with its country code, nor an address.
    Unrecognised,
}

impl UserQuery {
    /// Reads a search term: an id, an E.164 number or an address.
    pub fn parse(raw: &str) -> Self {
        let raw = raw.trim();
        if raw.is_empty() {
            return Self::Newest;
        }
        if let Ok(id) = Uuid::parse_str(raw) {
            return Self::Id(id);
        }
        if raw.contains('@') {
            return EmailAddress::parse(raw).map_or(Self::Unrecognised, Self::Email);
        }
        PhoneNumber::parse(raw, None).map_or(Self::Unrecognised, Self::Phone)
    }
}

/// The users a query finds.
pub async fn search(db: &impl ConnectionTrait, query: &UserQuery) -> anyhow::Result<Vec<User>> {
    Ok(match query {
        UserQuery::Newest => store::users::list_recent(db, SEARCH_LIMIT).await?,
        UserQuery::Id(id) => store::users::find_by_id(db, *id)
            .await?
            .into_iter()
            .collect(),
        UserQuery::Phone(phone) => store::users::list_by_phone(db, phone, SEARCH_LIMIT).await?,
        UserQuery::Email(email) => store::users::list_by_email(db, email, SEARCH_LIMIT).await?,
        UserQuery::Unrecognised => Vec::new(),
    })
}

/// One user as the dashboard shows them.
#[derive(Clone, Debug)]
pub struct UserDetail {
    pub user: User,
    /// Second factors set up (verified ones only).
    pub factors: Vec<Factor>,
    pub sessions: Vec<ListedSession>,
    /// The applications the user allowed, newest first.
    pub consents: Vec<UserConsent>,
    pub events: Vec<AuditEvent>,
}

/// The user `id`, with their factors, live sessions, consents and recent
/// events.
pub async fn user_detail(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<UserDetail>> {
    let Some(user) = store::users::find_by_id(db, id).await? else {
        return Ok(None);
    };
    Ok(Some(UserDetail {
        factors: crate::factors::enrolled(db, id).await?,
        sessions: store::sso_sessions::list_live_for_user(db, id, now).await?,
        consents: store::consents::list_for_user(db, id).await?,
        events: store::audit_events::list_for_user(
            db,
            id,
            now - Duration::days(EVENTS_SINCE_DAYS),
            EVENTS_LIMIT,
        )
        .await?,
        user,
    }))
}

/// Block or unblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    Block,
    Unblock,
}

/// What became of a block or an unblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockOutcome {
    /// Done; for a block, this many live sessions ended.
    Changed {
        sessions_ended: usize,
    },
    /// Already so: nothing was written.
    Unchanged,
    NoSuchUser,
    /// An admin cannot block themselves (and lock themselves out).
    OwnAccount,
}

/// Blocks or unblocks `user_id` for the admin `admin` (audit
/// `user.blocked` / `user.unblocked`). A block ends every live session of
/// the user; their tokens stop working because the user is blocked.
pub async fn set_blocked(
    db: &DatabaseConnection,
    admin: Uuid,
    user_id: Uuid,
    blocking: Blocking,
    now: DateTime<Utc>,
) -> anyhow::Result<BlockOutcome> {
    if admin == user_id && blocking == Blocking::Block {
        return Ok(BlockOutcome::OwnAccount);
    }
    let txn = store::begin_write(db)
        .await
        .context("starting a transaction")?;
    let Some(user) = store::users::find_by_id(&txn, user_id).await? else {
        return Ok(BlockOutcome::NoSuchUser);
    };
    let blocked = blocking == Blocking::Block;
    if user.blocked == blocked {
        txn.rollback().await.context("ending the transaction")?;
        return Ok(BlockOutcome::Unchanged);
    }
    store::users::update_blocked(&txn, user_id, blocked, now).await?;
    let mut sessions_ended = 0;
    if blocked {
        for session in store::sso_sessions::list_live_for_user(&txn, user_id, now).await? {
            if store::sso_sessions::update_revoked_for_user(&txn, user_id, &session.sid, now)
                .await?
            {
                sessions_ended += 1;
            }
        }
    }
    let kind = if blocked {
        "user.blocked"
    } else {
        "user.unblocked"
    };
    crate::audit::record_by_admin(
        &txn,
        now,
        admin,
        kind,
        Some(user_id.to_string()),
        Some(user_id),
        serde_json::json!({ "sessions_ended": sessions_ended }),
    )
    .await;
    txn.commit().await.context("committing the block")?;
    Ok(BlockOutcome::Changed { sessions_ended })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_term_is_an_id_a_number_or_an_address() {
        assert_eq!(UserQuery::parse("  "), UserQuery::Newest);
        let id = Uuid::new_v4();
        assert_eq!(UserQuery::parse(&id.to_string()), UserQuery::Id(id));
        assert!(matches!(
            UserQuery::parse("+14155550100"),
            UserQuery::Phone(_)
        ));
        assert!(matches!(
            UserQuery::parse("ada@example.com"),
            UserQuery::Email(_)
        ));
        assert_eq!(UserQuery::parse("ada@"), UserQuery::Unrecognised);
        assert_eq!(UserQuery::parse("hello"), UserQuery::Unrecognised);
    }
}
