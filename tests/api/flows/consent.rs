//! Consent.

use super::*;

#[tokio::test]
async fn a_third_party_client_gets_consent_once_and_a_refusal_is_access_denied() {
    let app = spawn_app().await;
    let third_party = |c: &mut CreateClient| c.first_party = false;
    let shop = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], third_party)
        .await;
    let b = browser();
    let to = sign_in_to(&app, &b, &request_url(&app, &shop.client_id, &[]), PHONE).await;
    assert_eq!(to, "/consent");
    let page = visit(&b, &app.url("/consent")).await.text().await.unwrap();
    assert!(page.contains("name=\"decision\" value=\"allow\""), "{page}");
    assert!(page.contains("name=\"decision\" value=\"deny\""), "{page}");
    let back = back_to_rp(&decide_consent(&app, &b, "allow").await);
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    let code = param(&back, "code").expect("a code");
    assert_eq!(app.exchange(&shop, &code).await.status(), 200);

    // Remembered: the next authorization goes straight back, even silently.
    let res = visit(&b, &request_url(&app, &shop.client_id, &[])).await;
    assert!(param(&back_to_rp(&res), "code").is_some());
    assert!(param(&silent(&app, &b, &shop.client_id, &[]).await, "code").is_some());

    // Another third-party client: silently it is consent_required; asked, the user refuses.
    let other = app
        .register_with(ClientType::Confidential, &[RP_REDIRECT], third_party)
        .await;
    let back = silent(&app, &b, &other.client_id, &[]).await;
    assert_eq!(param(&back, "error").as_deref(), Some("consent_required"));
    let res = visit(&b, &request_url(&app, &other.client_id, &[])).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/consent");
    let denied = decide_consent(&app, &b, "deny").await;
    assert_eq!(denied.status(), 303);
    let back = back_to_rp(&denied);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    assert!(param(&back, "code").is_none());

    // First-party clients see it only with prompt=consent.
    let own = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let res = visit(&b, &request_url(&app, &own.client_id, &[])).await;
    assert!(param(&back_to_rp(&res), "code").is_some());
    let res = visit(
        &b,
        &request_url(&app, &own.client_id, &[("prompt", "consent")]),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/consent");
}
