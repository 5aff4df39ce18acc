//! Use cases of the hosted login: the login transaction (the pending
//! authorization request), the first factors it offers, sending and
//! checking a code, completing sign-in.

mod complete;
mod consent;
mod enroll;
mod first_factor;
mod second_factor;
mod send_code;
mod transaction;
mod verify_code;

pub use complete::Answer;

pub use consent::{
    ConsentView, ConsentViewOutcome, DecideOutcome, Decision, consent_view, decide, describe_claim,
    describe_scope,
};
pub use enroll::{EnrollPage, confirm_enrollment, pending_enrollment, start_enrollment};
pub use first_factor::{FirstFactors, first_factors};
pub use second_factor::{
    ChooseOutcome, FactorChoice, SecondFactorPage, choose_factor, continue_sign_in,
    second_factor_page, verify_second_factor,
};
pub use send_code::{Refusal, SendCodeOutcome, resend_code, resend_cooldown, send_code};
pub use transaction::{
    ACCOUNT_CLIENT_ID, Begun, LoginTransaction, Step, Target, begin, begin_account, check_csrf,
    csrf_token, load, restart,
};
pub use verify_code::{SignInContext, VerifyCodeOutcome, verify_code};
