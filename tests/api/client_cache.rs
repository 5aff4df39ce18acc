//! Registered clients are kept in memory by the token and authorize paths:
//! a change made through this instance is in force at once, one made by
//! another process within `REREAD_AFTER`, and the kept row spares the
//! database a read per request.

use std::time::{Duration, Instant};

use ferrid::admin::clients::RotateSecretOutcome;
use ferrid::domain::{ClientId, ClientType, GrantType};
use ferrid::store::ConnectionTrait;
use ferrid::store::client_cache::{ClientCache, REREAD_AFTER};

use crate::helpers::{TestApp, spawn_app};
use crate::policy::run_on;

/// A confidential client of the client credentials grant: its id and secret.
async fn machine_client(app: &TestApp) -> (String, String) {
    let client = app
        .register_with(ClientType::Confidential, &[], |c| {
            c.grant_types = vec![GrantType::ClientCredentials];
            c.connections = vec![];
        })
        .await;
    (client.client_id, client.secret.unwrap())
}

async fn token_status(app: &TestApp, id: &str, secret: &str) -> u16 {
    app.token(&[("grant_type", "client_credentials")], Some((id, secret)))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_client_kept_in_memory_is_not_read_again_until_it_is_stale() {
    let app = spawn_app().await;
    let (id, _) = machine_client(&app).await;
    let client_id = ClientId::parse(&id).unwrap();
    let cache = ClientCache::default();
    assert!(cache.find(&app.db, &client_id).await.unwrap().is_some());

    // Removed behind ferrid's back (no write through its store): the kept
    // row answers until it is stale, then the database does.
    app.db
        .execute_unprepared(&format!("DELETE FROM clients WHERE client_id = '{id}'"))
        .await
        .unwrap();
    let removed_at = Instant::now();
    let kept = cache.find(&app.db, &client_id).await.unwrap();
    if removed_at.elapsed() < REREAD_AFTER {
        assert!(kept.is_some(), "read from the database again at once");
    }
    tokio::time::sleep(REREAD_AFTER).await;
    assert!(cache.find(&app.db, &client_id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_secret_rotated_through_this_instance_is_refused_at_once() {
    let app = spawn_app().await;
    let (id, old) = machine_client(&app).await;
    // The client is now kept in memory.
    assert_eq!(token_status(&app, &id, &old).await, 200);

    let rotated = ferrid::admin::clients::rotate_secret(
        &app.db,
        None,
        &ClientId::parse(&id).unwrap(),
        app.now(),
    )
    .await
    .unwrap();
    let RotateSecretOutcome::Rotated(rotated) = rotated else {
        panic!("not rotated: {rotated:?}");
    };
    assert_eq!(token_status(&app, &id, &old).await, 401);
    assert_eq!(token_status(&app, &id, &rotated).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deleted_by_another_process_is_refused_within_the_reread_interval() {
    let app = spawn_app().await;
    let (id, secret) = machine_client(&app).await;
    assert_eq!(token_status(&app, &id, &secret).await, 200);

    let (ok, _, err) = run_on(&app, &["client", "delete", &id]);
    assert!(ok, "{err}");
    let deleted_at = Instant::now();
    let deadline = REREAD_AFTER + Duration::from_secs(2);
    loop {
        if token_status(&app, &id, &secret).await == 401 {
            break;
        }
        assert!(
            deleted_at.elapsed() < deadline,
            "the deleted client still got tokens after {:?}",
            deleted_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
