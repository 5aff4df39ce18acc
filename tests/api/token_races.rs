//! Replays that race the first use: parallel refreshes of one refresh token,
//! parallel exchanges of one authorization code. Whatever the interleaving,
//! nothing issued in the family or from the code may stay usable.

use std::sync::Arc;

use crate::helpers::{
    TestApp, TestClient, many_sign_ins, nth_phone, refreshing_client, spawn_app_with,
};

const ROUNDS: usize = 12;
const PARALLEL: usize = 6;

/// The tokens of a successful token response.
struct Issued {
    access_token: String,
    refresh_token: Option<String>,
}

async fn issued(res: reqwest::Response) -> Option<Issued> {
    if res.status() != 200 {
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant", "{body}");
        return None;
    }
    let body: serde_json::Value = res.json().await.unwrap();
    Some(Issued {
        access_token: body["access_token"].as_str().unwrap().to_owned(),
        refresh_token: body["refresh_token"].as_str().map(str::to_owned),
    })
}

/// Fires `PARALLEL` copies of one token request at once.
async fn in_parallel(
    app: &Arc<TestApp>,
    client: &Arc<TestClient>,
    form: Vec<(&'static str, String)>,
) -> Vec<Option<Issued>> {
    let mut tasks = Vec::new();
    for _ in 0..PARALLEL {
        let (app, client, form) = (app.clone(), client.clone(), form.clone());
        tasks.push(tokio::spawn(async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app
                .token(
                    &form,
                    Some((&client.client_id, client.secret.as_deref().unwrap())),
                )
                .await;
            issued(res).await
        }));
    }
    // The tasks run at once from their spawn; awaiting them in turn only collects.
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

/// Asserts that none of these tokens works any more.
async fn assert_all_dead(app: &TestApp, client: &TestClient, tokens: &[Issued], round: usize) {
    for t in tokens {
        if let Some(refresh) = &t.refresh_token {
            let res = app.refresh(client, refresh).await;
            assert_eq!(
                res.status(),
                400,
                "round {round}: a refresh token of the family still works"
            );
        }
    }
    for t in tokens {
        assert_eq!(
            app.userinfo_status(&t.access_token).await,
            401,
            "round {round}: an access token of the family still works"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_refreshes_of_one_token_leave_no_token_of_the_family_alive() {
    let app = Arc::new(spawn_app_with(many_sign_ins).await);
    let client = Arc::new(refreshing_client(&app).await);
    for round in 0..ROUNDS {
        let code = app
            .offline_code_for(&client.client_id, &nth_phone(round))
            .await;
        let first = issued(app.exchange(&client, &code).await).await.unwrap();
        let parent = first.refresh_token.clone().unwrap();

        let results = in_parallel(
            &app,
            &client,
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", parent.clone()),
            ],
        )
        .await;
        let winners: Vec<Issued> = results.into_iter().flatten().collect();
        assert!(
            winners.len() <= 1,
            "round {round}: one token rotated {} times",
            winners.len()
        );
        assert_eq!(
            app.refresh(&client, &parent).await.status(),
            400,
            "round {round}: the replayed token"
        );
        assert_all_dead(&app, &client, &winners, round).await;
        assert_all_dead(&app, &client, &[first], round).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_exchanges_of_one_code_leave_nothing_it_issued_alive() {
    let app = Arc::new(spawn_app_with(many_sign_ins).await);
    let client = Arc::new(refreshing_client(&app).await);
    for round in 0..ROUNDS {
        let code = app
            .offline_code_for(&client.client_id, &nth_phone(round))
            .await;
        let results = in_parallel(
            &app,
            &client,
            vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code.clone()),
                ("redirect_uri", crate::helpers::RP_REDIRECT.to_owned()),
            ],
        )
        .await;
        let winners: Vec<Issued> = results.into_iter().flatten().collect();
        assert!(
            winners.len() <= 1,
            "round {round}: one code exchanged {} times",
            winners.len()
        );
        assert!(
            winners.iter().all(|w| w.refresh_token.is_some()),
            "offline_access brings a refresh token"
        );
        assert_all_dead(&app, &client, &winners, round).await;
    }
}

#[tokio::test]
async fn an_upgrade_gives_existing_refresh_token_families_a_row_and_they_keep_working() {
    use migrations::{Migrator, MigratorTrait};
    const FAMILIES: &str = "m20261130_000201_create_refresh_token_families";

    let app = spawn_app_with(|_| {}).await;
    let client = refreshing_client(&app).await;
    let code = app.offline_code_for(&client.client_id, &nth_phone(0)).await;
    let first = issued(app.exchange(&client, &code).await).await.unwrap();
    let rotated = first.refresh_token.unwrap();
    let second = issued(app.refresh(&client, &rotated).await).await.unwrap();
    let current = second.refresh_token.unwrap();

    // Back to the schema before families had rows, then up again.
    while Migrator::get_applied_migrations(&app.db)
        .await
        .unwrap()
        .iter()
        .any(|m| m.name() == FAMILIES)
    {
        Migrator::down(&app.db, Some(1)).await.unwrap();
    }
    Migrator::up(&app.db, None).await.unwrap();
    use ferrid::store::ConnectionTrait;
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT family_id FROM refresh_token_families",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one family, one row");

    let third = issued(app.refresh(&client, &current).await).await.unwrap();
    assert_eq!(
        app.refresh(&client, &rotated).await.status(),
        400,
        "a replay is still caught"
    );
    assert_eq!(
        app.refresh(&client, &third.refresh_token.unwrap())
            .await
            .status(),
        400,
        "and still revokes the family"
    );
}
