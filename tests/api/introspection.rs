//! `/introspect` tells a client about its own tokens only, unless the
//! client is registered as a resource server allowed to introspect
//! (RFC 7662 §2.2: a token the caller may not see is `{"active": false}`).

use ferrid::admin::clients::CreateClient;
use ferrid::domain::{ClientType, GrantType};
use serde_json::{Value, json};

use crate::conformance::signed_in;
use crate::helpers::{RP_REDIRECT, TestApp, TestClient};

async fn introspect(app: &TestApp, caller: &TestClient, token: &str) -> Value {
    let res = reqwest::Client::new()
        .post(app.url("/introspect"))
        .basic_auth(&caller.client_id, caller.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn refreshing_client(app: &TestApp) -> TestClient {
    app.register_with(
        ClientType::Confidential,
        &[RP_REDIRECT],
        |c: &mut CreateClient| {
            c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
        },
    )
    .await
}

#[tokio::test]
async fn introspection_of_another_clients_token_is_inactive() {
    let app = crate::helpers::spawn_app().await;
    let owner = refreshing_client(&app).await;
    let stranger = refreshing_client(&app).await;
    let session = signed_in(&app, &owner, &[("scope", "openid phone offline_access")]).await;
    let access = session.access_token();
    let refresh = session.tokens["refresh_token"].as_str().unwrap();

    for token in [access, refresh] {
        assert_eq!(
            introspect(&app, &stranger, token).await,
            json!({"active": false}),
            "a client learns nothing of another client's token"
        );
        assert_eq!(introspect(&app, &owner, token).await["active"], true);
    }
}

#[tokio::test]
async fn a_client_registered_to_introspect_sees_every_clients_tokens() {
    let app = crate::helpers::spawn_app().await;
    let owner = refreshing_client(&app).await;
    let resource_server = app
        .register_with(
            ClientType::Confidential,
            &[RP_REDIRECT],
            |c: &mut CreateClient| {
                c.introspect = true;
            },
        )
        .await;
    let session = signed_in(&app, &owner, &[("scope", "openid phone offline_access")]).await;
    let access = introspect(&app, &resource_server, session.access_token()).await;
    assert_eq!(access["active"], true);
    assert_eq!(access["client_id"], owner.client_id.as_str());
    let refresh = session.tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        introspect(&app, &resource_server, refresh).await["active"],
        true
    );
}

#[tokio::test]
async fn client_create_introspect_registers_a_resource_server() {
    let cli = crate::helpers::CliEnv::new().await;
    let (code, out, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Orders API",
        "--grant",
        "client_credentials",
        "--introspect",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["introspect"], true);
    let (code, _, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Spa",
        "--public",
        "--redirect-uri",
        "https://spa.example.com/cb",
        "--introspect",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("--introspect"), "{err}");
}
