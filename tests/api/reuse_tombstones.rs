//! Reuse detection outlives the sweep: a rotated refresh token and a used
//! authorization code are remembered until what they led to has expired.

use ferrid::admin::maintenance::sweep_expired;
use ferrid::store::ConnectionTrait;

use crate::helpers::{PHONE, refreshing_client, spawn_app};

const PAST: &str = "2000-01-01 00:00:00+00:00";

async fn body(res: reqwest::Response) -> serde_json::Value {
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_rotated_refresh_token_replayed_after_the_sweep_still_revokes_its_family() {
    let app = spawn_app().await;
    let client = refreshing_client(&app).await;
    let code = app.offline_code_for(&client.client_id, PHONE).await;
    let first = body(app.exchange(&client, &code).await).await;
    let stolen = first["refresh_token"].as_str().unwrap().to_owned();
    let second = body(app.refresh(&client, &stolen).await).await;
    let current = second["refresh_token"].as_str().unwrap().to_owned();

    // The rotated token's own (idle) lifetime ends; its family's does not.
    app.db
        .execute_unprepared(&format!(
            "UPDATE refresh_tokens SET expires_at = '{PAST}' WHERE rotated_at IS NOT NULL"
        ))
        .await
        .unwrap();
    sweep_expired(&app.db, app.now()).await.unwrap();

    let replay = app.refresh(&client, &stolen).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(
        app.refresh(&client, &current).await.status(),
        400,
        "the replay revoked the family"
    );
    assert_eq!(
        app.userinfo_status(second["access_token"].as_str().unwrap())
            .await,
        401,
        "and the access token issued with it"
    );

    // Once the family has ended, its tombstones go.
    app.db
        .execute_unprepared(&format!(
            "UPDATE refresh_tokens SET family_expires_at = '{PAST}'"
        ))
        .await
        .unwrap();
    let report = sweep_expired(&app.db, app.now()).await.unwrap();
    assert_eq!(report.refresh_tokens, 2);
}

#[tokio::test]
async fn a_used_code_replayed_after_the_sweep_still_revokes_what_it_issued() {
    let app = spawn_app().await;
    let client = refreshing_client(&app).await;
    let code = app.offline_code_for(&client.client_id, PHONE).await;
    let issued = body(app.exchange(&client, &code).await).await;

    // The code's own 60 s are long gone; the tokens it issued live on.
    app.db
        .execute_unprepared(&format!(
            "UPDATE authorization_codes SET expires_at = '{PAST}'"
        ))
        .await
        .unwrap();
    sweep_expired(&app.db, app.now()).await.unwrap();

    assert_eq!(app.exchange(&client, &code).await.status(), 400);
    assert_eq!(
        app.refresh(&client, issued["refresh_token"].as_str().unwrap())
            .await
            .status(),
        400,
        "the replay revoked the refresh token"
    );
    assert_eq!(
        app.userinfo_status(issued["access_token"].as_str().unwrap())
            .await,
        401,
        "and the access token"
    );
}
