//! A resend whose cooldown has passed, racing the right code of the same
//! sign-in: issuing takes the recipient's cooldown row and then its
//! challenge, verifying takes the challenge. Neither request may fail with
//! a deadlock (a 500) on PostgreSQL, whichever wins.

use std::time::Duration;

use ferrid::config::Span;
use ferrid::domain::ClientType;

use crate::helpers::{RP_REDIRECT, many_sign_ins, nth_phone, spawn_app_with};

#[tokio::test]
async fn a_resend_racing_the_right_code_never_fails_the_request() {
    let app = spawn_app_with(|s| {
        many_sign_ins(s);
        s.otp.resend_cooldown = Span(Duration::from_secs(30));
        s.otp.max_sends_per_phone_per_hour = 100;
    })
    .await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    for round in 0..12 {
        let phone = nth_phone(round);
        let (b, csrf, res) = app.start_hosted(&client, &phone).await;
        assert_eq!(res.status(), 303, "round {round}");
        let code = app.sms.last_code(&phone);
        app.advance(Duration::from_secs(31));
        let resend = b
            .post(app.url("/login/resend"))
            .form(&[("csrf", csrf.as_str())])
            .send();
        let (verified, resent) = tokio::join!(app.submit_code(&b, &csrf, &code), resend);
        let resent = resent.unwrap();
        assert_ne!(
            verified.status(),
            500,
            "round {round}: the code page failed"
        );
        assert_ne!(resent.status(), 500, "round {round}: the resend failed");
    }
}
