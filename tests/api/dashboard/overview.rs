//! The overview's abuse signals: sends the defences refused per day, and
//! codes sent against codes verified per country.

use std::time::Duration;

use super::*;
use crate::helpers::{browser, spawn_app};

/// The HTML of the chart `id` on the overview.
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("the chart {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</figure>").unwrap_or(rest.len())]
}

/// The events of `kind` about numbers of `country`.
async fn of_country(app: &TestApp, kind: &str, country: &str) -> usize {
    events(app, kind)
        .await
        .iter()
        .filter(|e| e.details["country"] == country)
        .count()
}

#[tokio::test]
async fn the_overview_shows_refused_sends_and_codes_sent_and_verified_per_country() {
    let app = spawn_app().await;
    let (b, _, _) = signed_in_admin(&app).await;

    // Five codes to one number, none typed back; the sixth is refused by
    // the per-number limit. A number of another country gets one code.
    let client = app
        .register(
            ferrid::domain::ClientType::Confidential,
            &[crate::helpers::RP_REDIRECT],
        )
        .await;
    let user = browser();
    let csrf = app
        .open_login(&user, &app.authorize_url(&client.client_id, &[]))
        .await;
    for _ in 0..5 {
        let res = app.submit_phone(&user, &csrf, OTHER_PHONE).await;
        assert_eq!(location(&res), "/login/code");
        app.advance(Duration::from_secs(31));
    }
    let res = app.submit_phone(&user, &csrf, OTHER_PHONE).await;
    assert_eq!(res.status(), 429, "the sixth code is refused");
    let res = app.submit_phone(&user, &csrf, "+33612345678").await;
    assert_eq!(location(&res), "/login/code");

    let html = b
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(chart(&html, "chart-refused").contains("Total: 1"), "{html}");
    let countries = chart(&html, "chart-countries");
    // The admin's own sign-in sent and verified codes to +44 too.
    let (sent, verified) = (
        of_country(&app, "sms.sent", "+44").await,
        of_country(&app, "otp.verified", "+44").await,
    );
    assert!(sent >= 6 && verified >= 1);
    assert!(
        countries.contains(&format!("+44: {sent} sent, {verified} verified")),
        "{countries}"
    );
    assert!(countries.contains("+33: 1 sent, 0 verified"), "{countries}");
    assert!(
        countries.find("+44:").unwrap() < countries.find("+33:").unwrap(),
        "the most sent first"
    );
    let refused = events(&app, "otp.send_refused").await;
    assert_eq!(refused[0].details["reason"], "phone_limit");
    assert_eq!(refused[0].details["country"], "+44");
}
