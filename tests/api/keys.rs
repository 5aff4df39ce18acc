//! Signing keys: JWKS, rotation with a grace period.

use std::time::Duration;

use ferrid::config::Span;
use ferrid::domain::ClientType;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

use crate::helpers::{RP_REDIRECT, TestApp, spawn_app_with};

async fn jwks(app: &TestApp) -> serde_json::Value {
    let res = app.get("/jwks.json").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    res.json().await.unwrap()
}

/// Verifies an ID token against the JWKS as a relying party would.
fn verifies(jwks: &serde_json::Value, token: &str, audience: &str) -> bool {
    let kid = decode_header(token).unwrap().kid.unwrap();
    let Some(key) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
    else {
        return false;
    };
    let key =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[audience]);
    decode::<serde_json::Value>(token, &key, &v).is_ok()
}

async fn sync(app: &TestApp) {
    ferrid::oidc::keys::sync_key_ring(&app.db, &app.state.keys, &app.state.master_key, app.now())
        .await
        .unwrap();
}

#[tokio::test]
async fn every_published_key_has_a_unique_kid_and_no_private_members() {
    let app = spawn_app_with(|_| {}).await;
    ferrid::oidc::keys::rotate(
        &app.db,
        &app.state.master_key,
        ferrid::oidc::keys::Activation::Now,
        Duration::from_secs(3600),
        app.now(),
    )
    .await
    .unwrap();
    sync(&app).await;
    let set = jwks(&app).await;
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let kids: std::collections::HashSet<_> = keys
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kids.len(), 2);
    for key in keys {
        assert!(!key["kid"].as_str().unwrap().is_empty());
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none());
        }
    }
}

#[tokio::test]
async fn tokens_signed_before_a_rotation_verify_until_the_grace_period_ends() {
    let app = spawn_app_with(|s| s.tokens.key_rotation_grace = Span(Duration::from_secs(2))).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let code = app.code_for(&client.client_id, &[]).await;
    let body: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let old_token = body["id_token"].as_str().unwrap().to_owned();
    let old_kid = decode_header(&old_token).unwrap().kid.unwrap();

    let grace = app.state.settings.tokens.key_rotation_grace.0;
    let (new_kid, _) = ferrid::oidc::keys::rotate(
        &app.db,
        &app.state.master_key,
        ferrid::oidc::keys::Activation::Now,
        grace,
        app.now(),
    )
    .await
    .unwrap();
    sync(&app).await;
    let set = jwks(&app).await;
    assert!(
        verifies(&set, &old_token, &client.client_id),
        "the old key is still published"
    );

    let code = app.code_for(&client.client_id, &[]).await;
    let body: serde_json::Value = app.exchange(&client, &code).await.json().await.unwrap();
    let new_token = body["id_token"].as_str().unwrap();
    assert_eq!(
        decode_header(new_token).unwrap().kid.unwrap(),
        new_kid,
        "new tokens use the new key"
    );
    assert!(verifies(&set, new_token, &client.client_id));

    app.advance(Duration::from_millis(2500));
    sync(&app).await;
    let set = jwks(&app).await;
    assert!(
        !verifies(&set, &old_token, &client.client_id),
        "after the grace period the old key is gone"
    );
    assert!(
        !set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == old_kid.as_str())
    );
    assert!(verifies(&set, new_token, &client.client_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_and_list_from_the_command_line() {
    let app = spawn_app_with(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app.state.settings.database_url.as_str().to_owned();
    let key = app.state.master_key.to_base64();
    let env = [
        ("FERRID_DATABASE_URL", url.as_str()),
        ("FERRID_MASTER_KEY", key.as_str()),
    ];
    let out = crate::helpers::run_ferrid(dir.path(), &env, &["keys", "rotate", "--now"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_kid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("new active key: ")
        .to_owned();
    let out = crate::helpers::run_ferrid(dir.path(), &env, &["keys", "list"]);
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listing.contains(&new_kid), "{listing}");
    assert!(
        listing.contains("active") && listing.contains("retiring") && listing.contains("RS256"),
        "{listing}"
    );
    // The running server picks the rotation up.
    sync(&app).await;
    assert_eq!(app.state.keys.signer().unwrap().kid(), new_kid);
}
