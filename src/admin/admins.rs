//! Who may sign in to the dashboard: granting and taking away the admin
//! role (`ferrid admin grant|revoke`). A phone number or address nobody
//! holds yet gets a new account with it verified, so that the first admin
//! can be named before they ever sign in.

use anyhow::Context;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{EmailAddress, PhoneNumber};
use crate::store::{self, DatabaseConnection, StoreError, users::User};

/// Whose admin role changes.
#[derive(Clone, Debug)]
pub enum AdminTarget {
    /// The account of this verified number, created when nobody has it.
    Phone(PhoneNumber),
    /// The account of this verified address, created when nobody has it.
    Email(EmailAddress),
    /// An existing account.
    User(Uuid),
}

/// Grant or revoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminRole {
    Granted,
    Revoked,
}

/// What became of a grant or a revoke.
#[derive(Clone, Debug)]
pub enum AdminOutcome {
    /// The role changed; `created` when the account was made for it.
    Changed { user: User, created: Created },
    /// The account already was (or was not) an admin; nothing was written.
    Unchanged(User),
    /// No account has this id (or, for a revoke, this number or address).
    NoSuchUser,
}

/// Whether the account was created by the grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    Yes,
    No,
}

/// Grants or revokes the admin role of `target`, with the audit event
/// `admin.granted` or `admin.revoked`.
pub async fn set_role(
    db: &DatabaseConnection,
    target: &AdminTarget,
    role: AdminRole,
    now: DateTime<Utc>,
) -> anyhow::Result<AdminOutcome> {
    let txn = store::begin_write(db)
        .await
        .context("starting a transaction")?;
    let found = match target {
        AdminTarget::User(id) => store::users::find_by_id(&txn, *id).await?,
        AdminTarget::Phone(phone) => store::users::find_by_phone(&txn, phone).await?,
        AdminTarget::Email(email) => store::users::find_by_verified_email(&txn, email).await?,
    };
    let admin = role == AdminRole::Granted;
    let (user, created) = match (found, target, role) {
        (Some(user), _, _) => (user, Created::No),
        (None, AdminTarget::Phone(phone), AdminRole::Granted) => (
            store::users::insert_with_verified_phone(&txn, phone, None, now)
                .await
                .map_err(conflict)?,
            Created::Yes,
        ),
        (None, AdminTarget::Email(email), AdminRole::Granted) => (
            store::users::insert_with_verified_email(&txn, email, None, now)
                .await
                .map_err(conflict)?,
            Created::Yes,
        ),
        (None, _, _) => return Ok(AdminOutcome::NoSuchUser),
    };
    if user.admin == admin {
        txn.rollback().await.context("ending the transaction")?;
        return Ok(AdminOutcome::Unchanged(user));
    }
    store::users::update_admin(&txn, user.id, admin, now).await?;
    let kind = if admin {
        "admin.granted"
    } else {
        "admin.revoked"
    };
    crate::audit::record_for_user(
        &txn,
        now,
        user.id,
        kind,
        Some(user.id.to_string()),
        None,
        serde_json::json!({ "created": created == Created::Yes }),
    )
    .await;
    txn.commit().await.context("committing the admin role")?;
    tracing::info!(user_id = %user.id, kind, "admin role changed");
    Ok(AdminOutcome::Changed {
        user: User { admin, ..user },
        created,
    })
}

fn conflict(e: StoreError) -> anyhow::Error {
    match e {
        // Another request created the account between our read and write.
        StoreError::Conflict => anyhow::anyhow!("the account was created meanwhile; try again"),
        StoreError::Unexpected(e) => e,
    }
}
