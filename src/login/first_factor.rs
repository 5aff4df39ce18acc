//! Which codes can start a sign-in: the policy's first factors that the
//! application enabled (the account area's own sign-ins use every first
//! factor of the policy).

use std::collections::BTreeSet;

use super::{LoginTransaction, Target};
use crate::app::AppState;
use crate::domain::Connection;

/// The first factors a sign-in offers, in the policy's order (SMS first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstFactors(BTreeSet<Connection>);

impl FirstFactors {
    /// The policy's first factors, narrowed to those the client enables.
    pub fn of(policy: &BTreeSet<Connection>, enabled: Option<&[Connection]>) -> Self {
        Self(
            policy
                .iter()
                .copied()
                .filter(|c| enabled.is_none_or(|enabled| enabled.contains(c)))
                .collect(),
        )
    }

    /// Whether a code through `connection` can start this sign-in.
    pub fn offers(&self, connection: Connection) -> bool {
        self.0.contains(&connection)
    }

    /// The page a sign-in starts on: SMS when offered, else the first
    /// other factor. `None` when nothing is offered.
    pub fn first(&self) -> Option<Connection> {
        self.0.iter().next().copied()
    }
}

/// The first factors the transaction's sign-in may use now: the policy in
/// force and, for an application, the connections it enables.
pub async fn first_factors(
    state: &AppState,
    tx: &LoginTransaction,
) -> anyhow::Result<FirstFactors> {
    let policy = &tx.policy;
    Ok(match tx.target {
        Target::Account => FirstFactors::of(&policy.first_factors, None),
        Target::Application => {
            let client = state.clients.find(&state.db, &tx.request.client_id).await?;
            let enabled = client.map(|c| c.connections.clone()).unwrap_or_default();
            FirstFactors::of(&policy.first_factors, Some(&enabled))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_factor_is_offered_when_the_policy_has_it_and_the_client_enables_it() {
        let both = BTreeSet::from([Connection::Sms, Connection::Email]);
        let sms_only = BTreeSet::from([Connection::Sms]);
        let f = FirstFactors::of(&both, Some(&[Connection::Sms]));
        assert!(f.offers(Connection::Sms) && !f.offers(Connection::Email));
        let f = FirstFactors::of(&sms_only, Some(&[Connection::Sms, Connection::Email]));
        assert!(!f.offers(Connection::Email));
        let f = FirstFactors::of(&both, None);
        assert!(f.offers(Connection::Sms) && f.offers(Connection::Email));
        assert_eq!(f.first(), Some(Connection::Sms));
        let f = FirstFactors::of(&both, Some(&[Connection::Email]));
        assert_eq!(f.first(), Some(Connection::Email));
        assert_eq!(FirstFactors::of(&sms_only, Some(&[])).first(), None);
    }
}
