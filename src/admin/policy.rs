//! Showing and changing the sign-in policy (the CLI now, the dashboard
//! later). A change is live on every instance the moment it is saved, so
//! the policy it makes is checked as a whole first, against the clients
//! that require MFA and the phone numbers already stored: a policy that
//! cannot be served is never saved.

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::domain::{Connection, Factor, MfaMode, PolicyProblem, SignInPolicy};
use crate::store::{self, DatabaseConnection, StoreError};

/// A change to the policy: `None` leaves that part as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyChange {
    pub first_factors: Option<BTreeSet<Connection>>,
    pub signup: Option<bool>,
    pub mfa: Option<MfaMode>,
    pub second_factors: Option<BTreeSet<Factor>>,
    pub unique_phone: Option<bool>,
}

impl PolicyChange {
    /// `policy` with this change applied.
    pub fn apply_to(&self, policy: &SignInPolicy) -> SignInPolicy {
        SignInPolicy {
            first_factors: self
                .first_factors
                .clone()
                .unwrap_or_else(|| policy.first_factors.clone()),
            signup: self.signup.unwrap_or(policy.signup),
            mfa: self.mfa.unwrap_or(policy.mfa),
            second_factors: self
                .second_factors
                .clone()
                .unwrap_or_else(|| policy.second_factors.clone()),
            unique_phone: self.unique_phone.unwrap_or(policy.unique_phone),
        }
    }
}

/// What became of a change to the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetPolicyOutcome {
    /// Saved and in force.
    Changed {
        before: SignInPolicy,
        after: SignInPolicy,
    },
    /// The change asked for what is already in force; nothing was written.
    Unchanged(SignInPolicy),
    /// Every reason the policy the change makes cannot be used; nothing
    /// was saved.
    Refused(Vec<PolicyProblem>),
}

/// The policy in force; `signup` seeds it on a new installation
/// (`login.signup`).
pub async fn show(db: &DatabaseConnection, signup: bool) -> anyhow::Result<SignInPolicy> {
    crate::policy::load(db, signup).await
}

/// Applies `change` to the policy in force, checks the result as a whole
/// and saves it, with the audit event `policy.changed`.
pub async fn set(
    db: &DatabaseConnection,
    signup: bool,
    change: &PolicyChange,
    now: DateTime<Utc>,
) -> anyhow::Result<SetPolicyOutcome> {
    set_as(db, signup, change, now, None).await
}

/// Like [`set`], by the dashboard's admin `admin` (the audit event's actor).
pub async fn set_as(
    db: &DatabaseConnection,
    signup: bool,
    change: &PolicyChange,
    now: DateTime<Utc>,
    admin: Option<uuid::Uuid>,
) -> anyhow::Result<SetPolicyOutcome> {
    let txn = store::begin_write(db)
        .await
        .context("starting a transaction")?;
    let before = crate::policy::load_for_change(&txn, signup, now).await?;
    let after = change.apply_to(&before);
    if after == before {
        txn.rollback().await.context("ending the transaction")?;
        return Ok(SetPolicyOutcome::Unchanged(before));
    }
    let mut mfa_clients = store::clients::list_requiring_mfa(&txn).await?;
    // The dashboard asks every admin for a second factor it can enroll them
    // in; a policy without one leaves admins an `unmet` sign-in to read,
    // not a policy change refused for a client nobody registered.
    mfa_clients.retain(|id| !id.is_reserved());
    let mut problems = after.validate_for(&mfa_clients).err().unwrap_or_default();
    let claims_phones = after.unique_phone && !before.unique_phone;
    if claims_phones {
        let count = store::users::count_shared_phones(&txn).await?;
        if count > 0 {
            problems.push(PolicyProblem::PhonesOnSeveralAccounts { count });
        }
    }
    if !problems.is_empty() {
        txn.rollback().await.context("ending the transaction")?;
        return Ok(SetPolicyOutcome::Refused(problems));
    }
    if claims_phones {
        // From now on a number is one account's: the numbers saved while
        // it was off join the unique index (none is on two accounts).
        match store::users::make_every_phone_sole(&txn, now).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                txn.rollback().await.context("ending the transaction")?;
                let count = store::users::count_shared_phones(db).await?;
                return Ok(SetPolicyOutcome::Refused(vec![
                    PolicyProblem::PhonesOnSeveralAccounts {
                        count: count.max(1),
                    },
                ]));
            }
            Err(StoreError::Unexpected(e)) => return Err(e),
        }
    }
    crate::policy::save(&txn, &after, now).await?;
    let details = serde_json::json!({ "before": before, "after": after });
    match admin {
        Some(admin) => {
            crate::audit::record_by_admin(&txn, now, admin, "policy.changed", None, None, details)
                .await
        }
        None => crate::audit::record(&txn, now, "policy.changed", None, None, None, details).await,
    }
    txn.commit().await.context("committing the policy")?;
    tracing::info!("sign-in policy changed");
    Ok(SetPolicyOutcome::Changed { before, after })
}

/// [`set`] by a client of the management API: a change that is saved is
/// audited with the client too.
pub async fn set_by(
    db: &DatabaseConnection,
    by: &crate::domain::ClientId,
    signup: bool,
    change: &PolicyChange,
    now: DateTime<Utc>,
) -> anyhow::Result<SetPolicyOutcome> {
    let outcome = set(db, signup, change, now).await?;
    if let SetPolicyOutcome::Changed { before, after } = &outcome {
        crate::audit::record_by_client(
            db,
            now,
            by.as_str(),
            "admin.policy.changed",
            None,
            None,
            serde_json::json!({ "before": before, "after": after }),
        )
        .await;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_touches_only_what_it_names() {
        let seeded = SignInPolicy::seeded(true);
        let change = PolicyChange {
            mfa: Some(MfaMode::Optional),
            ..PolicyChange::default()
        };
        let after = change.apply_to(&seeded);
        assert_eq!(after.mfa, MfaMode::Optional);
        assert_eq!(
            SignInPolicy {
                mfa: MfaMode::Off,
                ..after
            },
            seeded
        );
        assert_eq!(PolicyChange::default().apply_to(&seeded), seeded);
    }
}
