//! Publish first, sign later: a rotated-in key is published for
//! `tokens.key_publish_lead` before it signs, so that relying parties and
//! the other instances know it before they meet a token signed with it.

use std::time::Duration;

use ferrid::domain::ClientType;
use jsonwebtoken::decode_header;

use crate::helpers::{RP_REDIRECT, TestApp, TestClient, run_ferrid, spawn_app_with};

/// The lead the tests use; they move ferrid's clock past it.
const LEAD: &str = "1h";

async fn sync(app: &TestApp) {
    ferrid::oidc::keys::sync_key_ring(&app.db, &app.state.keys, &app.state.master_key, app.now())
        .await
        .unwrap();
}

async fn published_kids(app: &TestApp) -> Vec<String> {
    let set: serde_json::Value = app.get("/jwks.json").await.json().await.unwrap();
    set["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// The kids of the ID token and the access token a new sign-in gets.
async fn signing_kids(app: &TestApp, client: &TestClient) -> (String, String) {
    let code = app.code_for(&client.client_id, &[]).await;
    let body: serde_json::Value = app.exchange(client, &code).await.json().await.unwrap();
    let kid = |t: &str| {
        decode_header(body[t].as_str().unwrap())
            .unwrap()
            .kid
            .unwrap()
    };
    (kid("id_token"), kid("access_token"))
}

/// Runs `ferrid keys …` against the app's database; returns stdout.
fn keys(app: &TestApp, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let url = app.state.settings.database_url.as_str().to_owned();
    let key = app.state.master_key.to_base64();
    let env = [
        ("FERRID_DATABASE_URL", url.as_str()),
        ("FERRID_MASTER_KEY", key.as_str()),
        ("FERRID_TOKENS__KEY_PUBLISH_LEAD", LEAD),
    ];
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    let out = run_ferrid(dir.path(), &env, &all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn line_of<'a>(listing: &'a str, kid: &str) -> &'a str {
    listing
        .lines()
        .find(|l| l.starts_with(kid))
        .unwrap_or_else(|| panic!("{kid} not listed: {listing}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_published_at_once_and_signs_only_after_the_lead() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let old_kid = app.state.keys.signer().unwrap().kid().to_owned();

    let out = keys(&app, &["rotate"]);
    let listing = keys(&app, &["list"]);
    let new_kid = listing
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .find(|kid| *kid != old_kid)
        .unwrap_or_else(|| panic!("no new key: {out}{listing}"));
    assert!(line_of(&listing, &new_kid).contains("next"), "{listing}");
    assert!(line_of(&listing, &old_kid).contains("active"), "{listing}");

    sync(&app).await;
    let kids = published_kids(&app).await;
    assert!(
        kids.contains(&old_kid) && kids.contains(&new_kid),
        "{kids:?}"
    );
    assert_eq!(
        signing_kids(&app, &client).await,
        (old_kid.clone(), old_kid.clone()),
        "during the lead the old key still signs"
    );

    app.advance(Duration::from_secs(3600));
    sync(&app).await;
    assert_eq!(
        signing_kids(&app, &client).await,
        (new_kid.clone(), new_kid.clone()),
        "after the lead the new key signs"
    );
    let kids = published_kids(&app).await;
    assert!(
        kids.contains(&old_kid),
        "the old key stays published for its grace"
    );
    // `ferrid keys list` runs on the system's clock, still within the lead:
    // the statuses as of ferrid's clock, an hour later.
    let statuses = ferrid::oidc::keys::list_keys(&app.db, app.now())
        .await
        .unwrap();
    let status = |kid: &str| {
        statuses
            .iter()
            .find(|(k, _)| k.kid == kid)
            .map(|(_, s)| s.as_str())
            .unwrap()
    };
    assert_eq!(status(&new_kid), "active");
    assert_eq!(status(&old_kid), "retiring");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_now_signs_with_the_new_key_at_once() {
    let app = spawn_app_with(|_| {}).await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    let old_kid = app.state.keys.signer().unwrap().kid().to_owned();

    keys(&app, &["rotate", "--now"]);
    sync(&app).await;
    let (id_kid, access_kid) = signing_kids(&app, &client).await;
    assert_ne!(id_kid, old_kid);
    assert_eq!(id_kid, access_kid);
    let kids = published_kids(&app).await;
    assert!(
        kids.contains(&old_kid) && kids.contains(&id_kid),
        "{kids:?}"
    );
    let listing = keys(&app, &["list"]);
    assert!(line_of(&listing, &id_kid).contains("active"), "{listing}");
    assert!(
        line_of(&listing, &old_kid).contains("retiring"),
        "{listing}"
    );
}
