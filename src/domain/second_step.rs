//! When a sign-in asks for a second factor, and which ones it may take.

use super::{AcrRequest, AuthMethod, AuthorizationRequest, Factor, MfaMode, SignInPolicy};

/// What the application asks of a sign-in beyond the policy.
#[derive(Clone, Copy, Debug)]
pub struct Requirement<'a> {
    /// The client requires a second factor at every sign-in.
    pub client_requires_mfa: bool,
    pub acr: &'a AcrRequest,
}

impl AuthorizationRequest {
    /// What this request asks of the sign-in.
    pub fn requirement(&self) -> Requirement<'_> {
        Requirement {
            client_requires_mfa: self.require_mfa,
            acr: &self.acr,
        }
    }
}

/// Where the decision is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// Right after the first factor of a sign-in.
    SignIn,
    /// On an SSO session that is already open: only a requirement (the
    /// policy, the client, the request's `acr`) asks for more; MFA
    /// `optional` does not stop a session at every request.
    Session,
}

/// What a sign-in needs after the methods proved so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecondStep {
    /// Enough: open the session (or use it).
    Complete,
    /// A second factor, among these (the user's, allowed by the policy,
    /// and not the one already proved).
    Ask(Vec<Factor>),
    /// A second factor is required and the user has none that counts: they
    /// set up an authenticator app before the sign-in completes.
    Enroll,
    /// The request cannot be met: `unmet_authentication_requirements`.
    Unmet,
}

/// Whether the second step can depend on the user's factors: when it
/// cannot, [`second_step`] needs no factors read.
pub fn asks_for_factors(policy: &SignInPolicy, request: Requirement<'_>, moment: Moment) -> bool {
    policy.mfa == MfaMode::Required
        || request.client_requires_mfa
        || request.acr.wants_mfa()
        || (moment == Moment::SignIn && policy.mfa == MfaMode::Optional)
}

/// Decides the second step of a sign-in that proved `proven`, for a user
/// who has `enrolled`.
pub fn second_step(
    policy: &SignInPolicy,
    request: Requirement<'_>,
    moment: Moment,
    proven: &[AuthMethod],
    enrolled: &[Factor],
) -> SecondStep {
    let essential_acr_met =
        |methods: &[AuthMethod]| request.acr.is_met_by(AuthMethod::acr_of(methods));
    if AuthMethod::is_multi_factor(proven) {
        return if essential_acr_met(proven) {
            SecondStep::Complete
        } else {
            SecondStep::Unmet
        };
    }
    let usable: Vec<Factor> = enrolled
        .iter()
        .copied()
        .filter(|f| policy.second_factors.contains(f) && !f.proved_by(proven))
        .collect();
    let required = policy.mfa == MfaMode::Required || request.client_requires_mfa;
    let wanted = asks_for_factors(policy, request, moment);
    if !wanted {
        return if essential_acr_met(proven) {
            SecondStep::Complete
        } else {
            SecondStep::Unmet
        };
    }
    if !usable.is_empty() {
        return SecondStep::Ask(usable);
    }
    if required && policy.second_factors.contains(&Factor::Totp) {
        return SecondStep::Enroll;
    }
    if required || !essential_acr_met(proven) {
        return SecondStep::Unmet;
    }
    SecondStep::Complete
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AcrRequest;

    fn request() -> AuthorizationRequest {
        serde_json::from_value(serde_json::json!({
            "client_id": "app",
            "client_name": "App",
            "redirect_uri": "https://app.example/cb",
            "scope": ["openid"],
            "state": null,
            "nonce": null,
            "code_challenge": null,
            "prompt": {"none": false, "login": false, "consent": false},
            "max_age": null,
            "login_hint": null,
            "ui_locales": null,
            "response_mode": "Query",
            "id_token_claims": [],
            "id_token_hint_sub": null,
            "first_party": false
        }))
        .unwrap()
    }

    fn policy(mfa: MfaMode) -> SignInPolicy {
        SignInPolicy {
            mfa,
            ..SignInPolicy::seeded(true)
        }
    }

    const SMS: &[AuthMethod] = &[AuthMethod::Sms];

    #[test]
    fn mfa_off_completes_after_the_first_factor() {
        let step = second_step(
            &policy(MfaMode::Off),
            request().requirement(),
            Moment::SignIn,
            SMS,
            &[Factor::Totp],
        );
        assert_eq!(step, SecondStep::Complete);
    }

    #[test]
    fn optional_asks_only_users_with_a_factor_and_only_at_sign_in() {
        let p = policy(MfaMode::Optional);
        let r = request();
        assert_eq!(
            second_step(&p, r.requirement(), Moment::SignIn, SMS, &[]),
            SecondStep::Complete
        );
        assert_eq!(
            second_step(&p, r.requirement(), Moment::SignIn, SMS, &[Factor::Totp]),
            SecondStep::Ask(vec![Factor::Totp])
        );
        assert_eq!(
            second_step(&p, r.requirement(), Moment::Session, SMS, &[Factor::Totp]),
            SecondStep::Complete
        );
    }

    #[test]
    fn the_phone_of_the_first_factor_is_never_the_second() {
        let p = policy(MfaMode::Required);
        let step = second_step(
            &p,
            request().requirement(),
            Moment::SignIn,
            SMS,
            &[Factor::Sms, Factor::Email],
        );
        assert_eq!(step, SecondStep::Ask(vec![Factor::Email]));
        let step = second_step(
            &p,
            request().requirement(),
            Moment::SignIn,
            &[AuthMethod::Email],
            &[Factor::Sms, Factor::Email],
        );
        assert_eq!(step, SecondStep::Ask(vec![Factor::Sms]));
    }

    #[test]
    fn required_without_a_factor_enrolls_one_or_cannot_be_met() {
        let p = policy(MfaMode::Required);
        assert_eq!(
            second_step(
                &p,
                request().requirement(),
                Moment::SignIn,
                SMS,
                &[Factor::Sms]
            ),
            SecondStep::Enroll
        );
        let no_app = SignInPolicy {
            second_factors: [Factor::Sms].into_iter().collect(),
            ..p
        };
        assert_eq!(
            second_step(
                &no_app,
                request().requirement(),
                Moment::SignIn,
                SMS,
                &[Factor::Sms]
            ),
            SecondStep::Unmet
        );
    }

    #[test]
    fn factors_the_policy_does_not_allow_do_not_count() {
        let p = SignInPolicy {
            second_factors: [Factor::Totp].into_iter().collect(),
            ..policy(MfaMode::Required)
        };
        assert_eq!(
            second_step(
                &p,
                request().requirement(),
                Moment::SignIn,
                SMS,
                &[Factor::Email]
            ),
            SecondStep::Enroll
        );
    }

    #[test]
    fn a_client_or_an_acr_request_asks_even_on_an_open_session() {
        let p = policy(MfaMode::Off);
        let client = AuthorizationRequest {
            require_mfa: true,
            ..request()
        };
        assert_eq!(
            second_step(
                &p,
                client.requirement(),
                Moment::Session,
                SMS,
                &[Factor::Totp]
            ),
            SecondStep::Ask(vec![Factor::Totp])
        );
        let voluntary = AuthorizationRequest {
            acr: AcrRequest {
                values: vec![crate::domain::MFA_ACR.to_owned()],
                essential: false,
            },
            ..request()
        };
        assert_eq!(
            second_step(
                &p,
                voluntary.requirement(),
                Moment::Session,
                SMS,
                &[Factor::Totp]
            ),
            SecondStep::Ask(vec![Factor::Totp])
        );
        // Asked for voluntarily and impossible: a weaker sign-in.
        assert_eq!(
            second_step(&p, voluntary.requirement(), Moment::Session, SMS, &[]),
            SecondStep::Complete
        );
        let essential = AuthorizationRequest {
            acr: AcrRequest {
                essential: true,
                ..voluntary.acr.clone()
            },
            ..request()
        };
        assert_eq!(
            second_step(&p, essential.requirement(), Moment::Session, SMS, &[]),
            SecondStep::Unmet
        );
    }

    #[test]
    fn two_factors_complete_unless_an_essential_acr_is_another() {
        let p = policy(MfaMode::Required);
        let both = [AuthMethod::Sms, AuthMethod::Totp];
        assert_eq!(
            second_step(&p, request().requirement(), Moment::Session, &both, &[]),
            SecondStep::Complete
        );
        let sms_only = AuthorizationRequest {
            acr: AcrRequest {
                values: vec!["urn:ferrid:acr:email".to_owned()],
                essential: true,
            },
            ..request()
        };
        assert_eq!(
            second_step(
                &policy(MfaMode::Off),
                sms_only.requirement(),
                Moment::SignIn,
                SMS,
                &[]
            ),
            SecondStep::Unmet
        );
    }
}
