//! The sign-in policy checked as a whole. A change is live on every
//! instance the moment it is saved, so nothing that cannot be served is
//! ever stored.

use std::collections::BTreeSet;
use std::fmt;

use super::{MfaMode, SignInPolicy};
use crate::domain::{ClientId, Connection, Factor};

/// One reason a sign-in policy cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyProblem {
    /// Nobody could sign in at all.
    NoFirstFactor,
    /// A number shared by two accounts cannot say whose account an SMS
    /// sign-in opens.
    SharedPhoneWithSmsSignIn,
    /// MFA asks for a second factor, but none is allowed.
    NoSecondFactor { mfa: MfaMode },
    /// Recovery codes back up another factor; alone they are a password
    /// printed on paper.
    RecoveryCodesAlone { mfa: MfaMode },
    /// MFA is required, but a user who signs in with `first` could only
    /// prove `first` again (or a recovery code).
    SameFactorTwice { first: Connection },
    /// MFA is optional, but no user could ever prove a factor other than
    /// the one they signed in with.
    NoDistinctSecondFactor,
    /// The client requires MFA, but a user who signs in with `first` has no
    /// second factor other than `first`.
    ClientCannotBeServed {
        client_id: ClientId,
        first: Connection,
    },
    /// `unique_phone` cannot be turned on while `count` numbers are each
    /// verified on more than one account: whose would they be?
    PhonesOnSeveralAccounts { count: u64 },
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoFirstFactor => f.write_str(
                "at least one first factor is needed (sms, email): otherwise nobody can sign in",
            ),
            Self::SharedPhoneWithSmsSignIn => f.write_str(
                "unique_phone can be off only while sms is not a first factor: a number shared by two accounts cannot say whose account an SMS sign-in opens",
            ),
            Self::NoSecondFactor { mfa } => write!(
                f,
                "MFA `{mfa}` needs at least one allowed second factor (totp, sms, email)"
            ),
            Self::RecoveryCodesAlone { mfa } => write!(
                f,
                "MFA `{mfa}` with recovery codes as the only second factor: recovery codes back up another second factor and are not one on their own (allow totp, sms or email too)"
            ),
            Self::SameFactorTwice { first } => write!(
                f,
                "MFA `required` needs, for users who sign in with {first}, a second factor other than {first} and recovery codes: the same {first} would count twice"
            ),
            Self::NoDistinctSecondFactor => f.write_str(
                "MFA `optional` needs a second factor other than the first factors and recovery codes: otherwise no user could ever prove a second, different factor",
            ),
            Self::ClientCannotBeServed { client_id, first } => write!(
                f,
                "client {client_id} requires MFA, but users who sign in with {first} would have no second factor other than {first} and recovery codes"
            ),
            Self::PhonesOnSeveralAccounts { count } => write!(
                f,
                "unique_phone cannot be turned on: {count} phone number(s) are each verified on more than one account (each must be removed from all but one account first)"
            ),
        }
    }
}

impl SignInPolicy {
    /// Every reason this policy cannot be used; `Ok` when it can.
    pub fn validate(&self) -> Result<(), Vec<PolicyProblem>> {
        self.validate_for(&[])
    }

    /// Like [`validate`](Self::validate), and also whether the policy can
    /// serve each of `mfa_clients` (clients that require MFA whatever the
    /// policy's own mode).
    pub fn validate_for(&self, mfa_clients: &[ClientId]) -> Result<(), Vec<PolicyProblem>> {
        let mut problems = Vec::new();
        if self.first_factors.is_empty() {
            problems.push(PolicyProblem::NoFirstFactor);
        }
        if !self.unique_phone && self.first_factors.contains(&Connection::Sms) {
            problems.push(PolicyProblem::SharedPhoneWithSmsSignIn);
        }
        // Whether some second factor is allowed at all: if not, that is the
        // one problem reported about second factors.
        let mut has_second = true;
        if self.mfa != MfaMode::Off {
            if self.second_factors.is_empty() {
                problems.push(PolicyProblem::NoSecondFactor { mfa: self.mfa });
                has_second = false;
            } else if self.second_factors == BTreeSet::from([Factor::RecoveryCode]) {
                problems.push(PolicyProblem::RecoveryCodesAlone { mfa: self.mfa });
                has_second = false;
            }
        }
        let unserved = self.first_factors_without_second();
        match self.mfa {
            MfaMode::Required if has_second => problems.extend(
                unserved
                    .iter()
                    .map(|&first| PolicyProblem::SameFactorTwice { first }),
            ),
            MfaMode::Optional
                if has_second
                    && !self.first_factors.is_empty()
                    && unserved.len() == self.first_factors.len() =>
            {
                problems.push(PolicyProblem::NoDistinctSecondFactor);
            }
            _ => {}
        }
        // A client's requirement adds nothing where the policy's own mode
        // already requires the same.
        if self.mfa != MfaMode::Required {
            for client_id in mfa_clients {
                problems.extend(unserved.iter().map(|&first| {
                    PolicyProblem::ClientCannotBeServed {
                        client_id: client_id.clone(),
                        first,
                    }
                }));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Whether a client that requires MFA can be served: every first factor
    /// has a second factor other than itself and recovery codes.
    pub fn serves_required_mfa(&self) -> bool {
        self.first_factors_without_second().is_empty()
    }

    /// The first factors whose users would have no second factor other than
    /// the same factor again or recovery codes alone.
    pub fn first_factors_without_second(&self) -> Vec<Connection> {
        self.first_factors
            .iter()
            .copied()
            .filter(|&first| {
                !self
                    .second_factors
                    .iter()
                    .any(|&second| second != Factor::RecoveryCode && second != factor_of(first))
            })
            .collect()
    }
}

/// The second factor a first factor's code is.
fn factor_of(first: Connection) -> Factor {
    match first {
        Connection::Sms => Factor::Sms,
        Connection::Email => Factor::Email,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(first: &[Connection], mfa: MfaMode, second: &[Factor]) -> SignInPolicy {
        SignInPolicy {
            first_factors: first.iter().copied().collect(),
            signup: true,
            mfa,
            second_factors: second.iter().copied().collect(),
            unique_phone: true,
        }
    }

    fn problems(p: &SignInPolicy) -> Vec<PolicyProblem> {
        p.validate().err().unwrap_or_default()
    }

    use Connection as C;
    use Factor as F;

    #[test]
    fn the_seeded_policy_is_valid() {
        assert_eq!(SignInPolicy::seeded(true).validate(), Ok(()));
        assert_eq!(SignInPolicy::seeded(false).validate(), Ok(()));
    }

    #[test]
    fn a_policy_without_a_first_factor_is_refused() {
        let p = policy(&[], MfaMode::Off, &[]);
        assert_eq!(problems(&p), vec![PolicyProblem::NoFirstFactor]);
    }

    #[test]
    fn shared_phone_numbers_are_refused_while_sms_is_a_first_factor() {
        let mut p = policy(&[C::Sms, C::Email], MfaMode::Off, &[F::Totp]);
        p.unique_phone = false;
        assert_eq!(problems(&p), vec![PolicyProblem::SharedPhoneWithSmsSignIn]);
    }

    #[test]
    fn shared_phone_numbers_are_allowed_where_sms_is_only_a_second_factor() {
        let mut p = policy(&[C::Email], MfaMode::Required, &[F::Sms, F::RecoveryCode]);
        p.unique_phone = false;
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn mfa_optional_or_required_needs_a_second_factor() {
        for mfa in [MfaMode::Optional, MfaMode::Required] {
            let p = policy(&[C::Email], mfa, &[]);
            assert_eq!(problems(&p), vec![PolicyProblem::NoSecondFactor { mfa }]);
        }
        assert_eq!(policy(&[C::Email], MfaMode::Off, &[]).validate(), Ok(()));
    }

    #[test]
    fn recovery_codes_alone_are_not_a_second_factor() {
        for mfa in [MfaMode::Optional, MfaMode::Required] {
            let p = policy(&[C::Email], mfa, &[F::RecoveryCode]);
            assert!(
                problems(&p).contains(&PolicyProblem::RecoveryCodesAlone { mfa }),
                "{mfa}: {:?}",
                problems(&p)
            );
        }
        let backed_up = policy(&[C::Email], MfaMode::Required, &[F::Totp, F::RecoveryCode]);
        assert_eq!(backed_up.validate(), Ok(()));
    }

    #[test]
    fn required_mfa_refuses_a_first_factor_whose_only_second_factor_is_itself() {
        let p = policy(&[C::Sms], MfaMode::Required, &[F::Sms]);
        assert_eq!(
            problems(&p),
            vec![PolicyProblem::SameFactorTwice { first: C::Sms }]
        );
        let with_recovery = policy(&[C::Sms], MfaMode::Required, &[F::Sms, F::RecoveryCode]);
        assert_eq!(
            problems(&with_recovery),
            vec![PolicyProblem::SameFactorTwice { first: C::Sms }]
        );
    }

    #[test]
    fn required_mfa_checks_every_first_factor() {
        // SMS users can use email, but email users only email again.
        let p = policy(&[C::Sms, C::Email], MfaMode::Required, &[F::Email]);
        assert_eq!(
            problems(&p),
            vec![PolicyProblem::SameFactorTwice { first: C::Email }]
        );
        let both = policy(&[C::Sms, C::Email], MfaMode::Required, &[F::Sms, F::Email]);
        assert_eq!(both.validate(), Ok(()));
    }

    #[test]
    fn required_mfa_with_another_second_factor_is_valid() {
        let p = policy(&[C::Sms], MfaMode::Required, &[F::Sms, F::Totp]);
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn optional_mfa_needs_a_second_factor_distinct_from_the_first() {
        let p = policy(&[C::Sms], MfaMode::Optional, &[F::Sms]);
        assert_eq!(problems(&p), vec![PolicyProblem::NoDistinctSecondFactor]);
        let some = policy(&[C::Sms, C::Email], MfaMode::Optional, &[F::Email]);
        assert_eq!(some.validate(), Ok(()));
    }

    #[test]
    fn a_client_requiring_mfa_needs_the_same_as_required_mfa() {
        let client = ClientId::parse("shop").unwrap();
        let p = policy(&[C::Sms], MfaMode::Off, &[F::Sms, F::RecoveryCode]);
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(
            p.validate_for(std::slice::from_ref(&client)),
            Err(vec![PolicyProblem::ClientCannotBeServed {
                client_id: client.clone(),
                first: C::Sms
            }])
        );
        assert!(!p.serves_required_mfa());
        let served = policy(&[C::Sms], MfaMode::Off, &[F::Sms, F::Totp]);
        assert_eq!(served.validate_for(&[client]), Ok(()));
        assert!(served.serves_required_mfa());
    }

    #[test]
    fn every_problem_explains_itself() {
        let p = PolicyProblem::SameFactorTwice { first: C::Sms };
        assert!(p.to_string().contains("sms"), "{p}");
    }
}
