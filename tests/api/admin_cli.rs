//! `ferrid admin grant|revoke`: naming the dashboard's admins.

use ferrid::config::DatabaseUrl;
use ferrid::domain::PhoneNumber;
use ferrid::store;

use crate::helpers::CliEnv;

async fn user_of(cli: &CliEnv, phone: &str) -> Option<store::users::User> {
    let db = store::connect(&DatabaseUrl::parse(&cli.database.url).unwrap(), 2)
        .await
        .unwrap();
    let user = store::users::find_by_phone(&db, &PhoneNumber::parse(phone, None).unwrap())
        .await
        .unwrap();
    db.close().await.unwrap();
    user
}

#[tokio::test]
async fn grant_creates_the_user_of_a_new_phone_verified_and_admin_and_revoke_takes_it_back() {
    let cli = CliEnv::new().await;
    let (code, out, err) = cli.run(&["admin", "grant", "--phone", "+447400123456"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created user"), "{out}");
    let user = user_of(&cli, "+447400123456").await.expect("the user");
    assert!(user.admin);
    assert!(user.phone_verified_at.is_some());

    let (code, out, _) = cli.run(&["admin", "grant", "--user", &user.id.to_string()]);
    assert_eq!(code, 0);
    assert!(out.contains("already an admin"), "{out}");

    let (code, _, err) = cli.run(&["admin", "revoke", "--phone", "+447400123456"]);
    assert_eq!(code, 0, "{err}");
    assert!(!user_of(&cli, "+447400123456").await.unwrap().admin);

    let db = store::connect(&DatabaseUrl::parse(&cli.database.url).unwrap(), 2)
        .await
        .unwrap();
    let granted = store::audit_events::list_recent(&db, Some("admin.granted"), 5)
        .await
        .unwrap();
    let revoked = store::audit_events::list_recent(&db, Some("admin.revoked"), 5)
        .await
        .unwrap();
    db.close().await.unwrap();
    assert_eq!(granted.len(), 1);
    assert_eq!(revoked[0].user_id, Some(user.id));
}

#[tokio::test]
async fn grant_by_email_creates_a_verified_address() {
    let cli = CliEnv::new().await;
    let (code, _, err) = cli.run(&["admin", "grant", "--email", "Ada@Example.com"]);
    assert_eq!(code, 0, "{err}");
    let db = store::connect(&DatabaseUrl::parse(&cli.database.url).unwrap(), 2)
        .await
        .unwrap();
    let email = ferrid::domain::EmailAddress::parse("ada@example.com").unwrap();
    let user = store::users::find_by_verified_email(&db, &email)
        .await
        .unwrap()
        .expect("the user");
    db.close().await.unwrap();
    assert!(user.admin);
}

#[tokio::test]
async fn bad_values_and_unknown_users_fail_with_the_reason_and_change_nothing() {
    let cli = CliEnv::new().await;
    let (code, _, err) = cli.run(&["admin", "grant", "--phone", "12345"]);
    assert_ne!(code, 0);
    assert!(err.contains("12345"), "{err}");
    let (code, _, err) = cli.run(&["admin", "grant", "--user", "not-a-uuid"]);
    assert_ne!(code, 0);
    assert!(err.contains("not-a-uuid"), "{err}");
    let (code, _, err) = cli.run(&["admin", "grant"]);
    assert_ne!(code, 0, "{err}");
    let (code, _, err) = cli.run(&[
        "admin",
        "grant",
        "--user",
        "6f0c1f4e-8a57-4a43-9d2e-2f7f3f1d6c10",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("no such user"), "{err}");
    let (code, _, _) = cli.run(&["admin", "revoke", "--phone", "+447400123456"]);
    assert_ne!(code, 0, "revoking nobody is an error");
    assert!(user_of(&cli, "+447400123456").await.is_none());
}

#[tokio::test]
async fn client_create_cannot_take_a_reserved_id() {
    let cli = CliEnv::new().await;
    let (code, _, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Mine",
        "--client-id",
        "ferrid.admin",
        "--redirect-uri",
        "https://x.example.com/cb",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("reserved"), "{err}");
}
