use ferrid::config::DatabaseUrl;
use ferrid::crypto::sha256_hex;
use ferrid::domain::ClientId;
use ferrid::store;

use crate::helpers::{CliEnv, run_ferrid};
use crate::policy::run_on;

/// `ferrid client …` with the exit status as success or failure.
struct Cli(CliEnv);

impl Cli {
    async fn new() -> Self {
        Self(CliEnv::new().await)
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let (code, out, err) = self.0.run(args);
        (code == 0, out, err)
    }
}

#[tokio::test]
async fn client_create_prints_the_secret_once_and_stores_only_its_hash() {
    let cli = Cli::new().await;
    let (ok, out, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--redirect-uri",
        "http://127.0.0.1:3000/cb",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
        "--json",
    ]);
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "a secret of at least 32 random bytes");
    assert_eq!(created["type"], "confidential");
    assert_eq!(created["redirect_uris"].as_array().unwrap().len(), 2);

    let db = store::connect(&DatabaseUrl::parse(&cli.0.database.url).unwrap(), 2)
        .await
        .unwrap();
    let stored = store::clients::find_by_client_id(&db, &ClientId::parse(&client_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.secret_hash.as_deref(),
        Some(sha256_hex(&secret).as_str())
    );
    db.close().await.unwrap();

    // The secret is never shown again.
    let (ok, shown, err) = cli.run(&["client", "show", &client_id, "--json"]);
    assert!(ok, "{err}");
    assert!(!shown.contains(&secret));
    assert!(shown.contains("https://shop.example.com/cb"));
}

#[tokio::test]
async fn public_clients_get_no_secret() {
    let cli = Cli::new().await;
    let (ok, out, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "SPA",
        "--public",
        "--redirect-uri",
        "https://spa.example.com/cb",
        "--json",
    ]);
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(created.get("client_secret").is_none());
    assert_eq!(created["type"], "public");
}

#[tokio::test]
async fn client_list_and_delete() {
    let cli = Cli::new().await;
    let (ok, _, err) = cli.run(&[
        "client",
        "create",
        "--client-id",
        "shop",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
    ]);
    assert!(ok, "{err}");
    let (ok, out, _) = cli.run(&["client", "list", "--json"]);
    assert!(ok);
    let list: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["client_id"], "shop");

    let (ok, out, _) = cli.run(&["client", "list"]);
    assert!(ok);
    assert!(out.contains("shop") && out.contains("https://shop.example.com/cb"));

    let (ok, _, _) = cli.run(&["client", "delete", "shop"]);
    assert!(ok);
    let (ok, out, _) = cli.run(&["client", "list", "--json"]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        0
    );

    let (ok, _, err) = cli.run(&["client", "delete", "shop"]);
    assert!(!ok);
    assert!(err.contains("shop"), "{err}");
}

#[tokio::test]
async fn a_taken_client_id_is_refused() {
    let cli = Cli::new().await;
    let args = [
        "client",
        "create",
        "--client-id",
        "dup",
        "--name",
        "A",
        "--redirect-uri",
        "https://a.example.com/cb",
    ];
    assert!(cli.run(&args).0);
    let (ok, _, err) = cli.run(&args);
    assert!(!ok);
    assert!(
        err.contains("dup") && err.contains("already exists"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_redirect_uris_exit_non_zero_naming_the_value() {
    let cli = Cli::new().await;
    for bad in [
        "/relative/cb",
        "http://shop.example.com/cb",
        "https://shop.example.com/cb#x",
    ] {
        let (ok, _, err) = cli.run(&["client", "create", "--name", "Shop", "--redirect-uri", bad]);
        assert!(!ok, "{bad} was accepted");
        assert!(err.contains(bad), "{bad}: {err}");
    }
    let (ok, out, _) = cli.run(&["client", "list", "--json"]);
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn bad_grants_and_combinations_are_refused() {
    let cli = Cli::new().await;
    let (ok, _, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "X",
        "--redirect-uri",
        "https://x.example.com/cb",
        "--grant",
        "password",
    ]);
    assert!(!ok);
    assert!(err.contains("password"), "{err}");

    let (ok, _, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "X",
        "--public",
        "--grant",
        "client_credentials",
    ]);
    assert!(!ok);
    assert!(err.contains("client_credentials"), "{err}");

    let (ok, _, err) = cli.run(&["client", "create", "--name", "X"]);
    assert!(!ok);
    assert!(err.contains("redirect-uri"), "{err}");
}

#[tokio::test]
async fn help_documents_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ferrid(dir.path(), &[], &["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "config", "client"] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    let out = run_ferrid(dir.path(), &[], &["client", "create", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--redirect-uri",
        "--post-logout-redirect-uri",
        "--public",
        "--grant",
        "--json",
    ] {
        assert!(text.contains(flag), "{flag} missing:\n{text}");
    }
}

#[tokio::test]
async fn generated_client_ids_work_as_command_line_arguments() {
    // A generated id is used as a bare argument (`client show ID`): it must
    // never look like a flag.
    let cli = Cli::new().await;
    for _ in 0..20 {
        let (ok, out, err) = cli.run(&[
            "client",
            "create",
            "--name",
            "App",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--json",
        ]);
        assert!(ok, "{err}");
        let id = serde_json::from_str::<serde_json::Value>(&out).unwrap()["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        let (ok, _, err) = cli.run(&["client", "show", &id]);
        assert!(ok, "{id}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_created_without_connection_flags_gets_every_connection_and_signs_users_in() {
    let app = crate::helpers::spawn_app().await;
    let (ok, out, err) = run_on(
        &app,
        &[
            "client",
            "create",
            "--name",
            "Shop",
            "--redirect-uri",
            crate::helpers::RP_REDIRECT,
            "--first-party",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    assert!(!err.contains("cannot sign users in"), "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["connections"], serde_json::json!(["sms", "email"]));
    let client_id = created["client_id"].as_str().unwrap();

    let callback = app
        .sign_in(
            &crate::helpers::browser(),
            &app.authorize_url(client_id, &[]),
            &crate::helpers::nth_phone(1),
        )
        .await;
    assert!(
        crate::helpers::param(&callback, "code").is_some(),
        "{callback}"
    );
}

#[tokio::test]
async fn no_connection_creates_a_client_without_connections_and_says_it_cannot_sign_users_in() {
    let cli = Cli::new().await;
    let (ok, out, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--no-connection",
        "--json",
    ]);
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["connections"], serde_json::json!([]));
    assert!(
        err.contains("cannot sign users in until a connection is enabled"),
        "{err}"
    );

    let (ok, out, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--no-connection",
    ]);
    assert!(ok, "{err}");
    assert!(
        format!("{out}{err}").contains("cannot sign users in until a connection is enabled"),
        "{out}{err}"
    );

    let (ok, _, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--no-connection",
        "--connection",
        "sms",
    ]);
    assert!(!ok, "--no-connection and --connection together are refused");
    assert!(err.contains("--no-connection"), "{err}");
}

#[tokio::test]
async fn an_explicit_connection_list_is_kept() {
    let cli = Cli::new().await;
    let (ok, out, err) = cli.run(&[
        "client",
        "create",
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--connection",
        "sms",
        "--json",
    ]);
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["connections"], serde_json::json!(["sms"]));
    assert!(!err.contains("cannot sign users in"), "{err}");
}
