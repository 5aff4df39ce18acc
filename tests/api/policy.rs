//! The sign-in policy: `ferrid policy show|set`, validation as a whole,
//! sign-up driven by it, clients that require MFA, and a change live on
//! every instance at once.

use std::collections::BTreeSet;

use ferrid::admin::policy::{self, PolicyChange, SetPolicyOutcome};
use ferrid::domain::{ClientType, Factor, MfaMode, SignInPolicy};

use crate::account_support::owner_of;
use crate::helpers::{
    CliEnv, PHONE, RP_REDIRECT, TestApp, browser, nth_phone, run_ferrid, spawn_app,
};

/// Runs `ferrid ARGS` against the database of a running app: success,
/// stdout, stderr.
pub fn run_on(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let key = ferrid::crypto::MasterKey::generate().to_base64();
    let env = [
        (
            "FERRID_DATABASE_URL",
            app.state.settings.database_url.as_str(),
        ),
        ("FERRID_MASTER_KEY", key.as_str()),
    ];
    let out = run_ferrid(dir.path(), &env, args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(cli: &CliEnv, args: &[&str]) -> (i32, String, String) {
    cli.run(args)
}

pub async fn stored(app: &TestApp) -> SignInPolicy {
    ferrid::policy::current(&app.state).await.unwrap()
}

/// Whether a new `phone` gets through the hosted login: the page after
/// its code.
async fn sign_in_status(app: &TestApp, client_id: &str, phone: &str) -> (u16, String) {
    let b = browser();
    let csrf = app.open_login(&b, &app.authorize_url(client_id, &[])).await;
    let sent = app.submit_phone(&b, &csrf, phone).await;
    assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap());
    let code = app.sms.last_code(phone);
    let done = app.submit_code(&b, &csrf, &code).await;
    (done.status().as_u16(), done.text().await.unwrap())
}

#[tokio::test]
async fn policy_show_prints_the_seeded_policy_as_a_table_and_its_serde_form_as_json() {
    let cli = CliEnv::new().await;
    let (code, out, err) = run(&cli, &["policy", "show"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("first_factors:  sms"), "{out}");
    assert!(out.contains("signup:         on"), "{out}");
    assert!(out.contains("mfa:            off"), "{out}");
    assert!(
        out.contains("second_factors: totp,sms,email,recovery_code"),
        "{out}"
    );
    assert!(out.contains("unique_phone:   on"), "{out}");

    let (code, out, err) = run(&cli, &["policy", "show", "--json"]);
    assert_eq!(code, 0, "{err}");
    let shown: SignInPolicy = serde_json::from_str(&out).unwrap();
    assert_eq!(shown, SignInPolicy::seeded(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_set_changes_only_the_given_parts_and_audits_before_and_after() {
    let app = spawn_app().await;
    let (ok, out, err) = run_on(
        &app,
        &[
            "policy",
            "set",
            "--mfa",
            "optional",
            "--second-factors",
            "totp,recovery_code",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let printed: SignInPolicy = serde_json::from_str(&out).unwrap();
    let expected = SignInPolicy {
        mfa: MfaMode::Optional,
        second_factors: BTreeSet::from([Factor::Totp, Factor::RecoveryCode]),
        ..SignInPolicy::seeded(true)
    };
    assert_eq!(printed, expected);
    assert_eq!(stored(&app).await, expected);

    let events = ferrid::store::audit_events::list_recent(&app.db, Some("policy.changed"), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["before"]["mfa"], "off");
    assert_eq!(events[0].details["after"]["mfa"], "optional");
    assert_eq!(
        events[0].details["after"]["second_factors"],
        serde_json::json!(["totp", "recovery_code"])
    );

    // The same again changes nothing and records nothing.
    let (ok, _, err) = run_on(&app, &["policy", "set", "--mfa", "optional"]);
    assert!(ok, "{err}");
    assert!(err.contains("nothing changed"), "{err}");
    let events = ferrid::store::audit_events::list_recent(&app.db, Some("policy.changed"), 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn policy_set_refuses_an_invalid_policy_with_every_reason_and_saves_nothing() {
    let cli = CliEnv::new().await;
    let (code, out, err) = run(
        &cli,
        &[
            "policy",
            "set",
            "--mfa",
            "required",
            "--second-factors",
            "sms",
            "--unique-phone",
            "off",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("was not changed"), "{err}");
    assert!(
        err.contains("unique_phone can be off only while sms is not a first factor"),
        "{err}"
    );
    assert!(err.contains("sms would count twice"), "{err}");

    let (code, _, err) = run(&cli, &["policy", "set", "--first-factors", ""]);
    assert_eq!(code, 2);
    assert!(err.contains("at least one first factor"), "{err}");

    let (code, _, err) = run(
        &cli,
        &[
            "policy",
            "set",
            "--first-factors",
            "email",
            "--mfa",
            "optional",
            "--second-factors",
            "recovery_code",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("recovery codes back up"), "{err}");

    let (code, out, _) = run(&cli, &["policy", "show", "--json"]);
    assert_eq!(code, 0);
    let shown: SignInPolicy = serde_json::from_str(&out).unwrap();
    assert_eq!(shown, SignInPolicy::seeded(true), "nothing was saved");
}

#[tokio::test]
async fn policy_set_names_a_bad_value() {
    let cli = CliEnv::new().await;
    for (flag, value) in [
        ("--mfa", "sometimes"),
        ("--second-factors", "totp,yubikey"),
        ("--first-factors", "carrier-pigeon"),
        ("--signup", "maybe"),
        ("--unique-phone", "yes"),
    ] {
        let (code, _, err) = run(&cli, &["policy", "set", flag, value]);
        assert_ne!(code, 0, "{flag} {value}");
        let bad = value.split(',').next_back().unwrap();
        assert!(err.contains(bad), "{flag} {value}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_signup_off_in_the_policy_a_new_number_cannot_sign_up_on_the_hosted_login() {
    let app = spawn_app().await;
    let client = app.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    // An existing account, made while sign-up was on.
    let (status, _) = sign_in_status(&app, &client.client_id, PHONE).await;
    assert_eq!(status, 303);

    let (ok, _, err) = run_on(&app, &["policy", "set", "--signup", "off"]);
    assert!(ok, "{err}");
    assert!(app.state.settings.login.signup, "the setting only seeds");

    let newcomer = nth_phone(31);
    let (status, html) = sign_in_status(&app, &client.client_id, &newcomer).await;
    assert_eq!(status, 403, "{html}");
    assert!(
        html.contains("There is no account for this number"),
        "{html}"
    );
    assert_eq!(owner_of(&app, &newcomer).await, None);
    // Existing accounts still sign in.
    let (status, _) = sign_in_status(&app, &client.client_id, PHONE).await;
    assert_eq!(status, 303);

    // And on again.
    let (ok, _, err) = run_on(&app, &["policy", "set", "--signup", "on"]);
    assert!(ok, "{err}");
    let (status, _) = sign_in_status(&app, &client.client_id, &newcomer).await;
    assert_eq!(status, 303);
    assert!(owner_of(&app, &newcomer).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_change_made_through_one_instance_is_in_force_on_another_at_once() {
    let one = spawn_app().await;
    let two = one.spawn_another_instance(|_| {}).await;
    let client = one.register(ClientType::Confidential, &[RP_REDIRECT]).await;
    // Instance two has already served the policy (a sign-up).
    let (status, _) = sign_in_status(&two, &client.client_id, &nth_phone(41)).await;
    assert_eq!(status, 303);

    let change = PolicyChange {
        signup: Some(false),
        ..PolicyChange::default()
    };
    let outcome = policy::set(&one.state.db, true, &change, one.now())
        .await
        .unwrap();
    assert!(matches!(outcome, SetPolicyOutcome::Changed { .. }));
    assert!(!stored(&two).await.signup);
    let (status, html) = sign_in_status(&two, &client.client_id, &nth_phone(42)).await;
    assert_eq!(status, 403, "{html}");

    // A change through the CLI, too.
    let (ok, _, err) = run_on(&one, &["policy", "set", "--signup", "on"]);
    assert!(ok, "{err}");
    let (status, _) = sign_in_status(&two, &client.client_id, &nth_phone(42)).await;
    assert_eq!(status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_requiring_mfa_is_refused_while_the_policy_cannot_serve_it_and_then_holds_the_policy()
 {
    let app = spawn_app().await;
    let (ok, _, err) = run_on(&app, &["policy", "set", "--second-factors", "sms"]);
    assert!(ok, "{err}");

    let create = [
        "client",
        "create",
        "--name",
        "Bank",
        "--redirect-uri",
        RP_REDIRECT,
        "--client-id",
        "bank",
        "--require-mfa",
    ];
    let (ok, out, err) = run_on(&app, &create);
    assert!(!ok, "{out}");
    assert!(
        err.contains("cannot serve a client that requires MFA"),
        "{err}"
    );
    assert!(err.contains("sign in with sms"), "{err}");
    let (ok, out, _) = run_on(&app, &["client", "show", "bank"]);
    assert!(!ok, "nothing was created: {out}");

    // Without the requirement, then asked for by update: refused the same way.
    let (ok, _, err) = run_on(&app, &create[..create.len() - 1]);
    assert!(ok, "{err}");
    let (ok, out, err) = run_on(&app, &["client", "update", "bank", "--require-mfa"]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("cannot serve a client that requires MFA"),
        "{err}"
    );

    // Once another second factor is allowed, the client may require MFA.
    let (ok, _, err) = run_on(&app, &["policy", "set", "--second-factors", "sms,totp"]);
    assert!(ok, "{err}");
    let (ok, out, err) = run_on(&app, &["client", "update", "bank", "--require-mfa=true"]);
    assert!(ok, "{err}");
    assert!(out.contains("require_mfa:    true"), "{out}");
    let (ok, out, err) = run_on(&app, &["client", "show", "bank", "--json"]);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["require_mfa"], true);
    let (ok, out, err) = run_on(&app, &["client", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("REQUIRE_MFA"), "{out}");

    // The policy may no longer take away what the client needs.
    let (ok, out, err) = run_on(&app, &["policy", "set", "--second-factors", "sms"]);
    assert!(!ok, "{out}");
    assert!(err.contains("client bank requires MFA"), "{err}");
    assert_eq!(
        stored(&app).await.second_factors,
        BTreeSet::from([Factor::Totp, Factor::Sms])
    );

    // Dropping the requirement frees the policy again.
    let (ok, out, err) = run_on(&app, &["client", "update", "bank", "--require-mfa=false"]);
    assert!(ok, "{err}");
    assert!(out.contains("require_mfa:    false"), "{out}");
    let (ok, _, err) = run_on(&app, &["policy", "set", "--second-factors", "sms"]);
    assert!(ok, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_can_require_mfa_when_the_policy_serves_it() {
    let app = spawn_app().await;
    let (ok, out, err) = run_on(
        &app,
        &[
            "client",
            "create",
            "--name",
            "Bank",
            "--redirect-uri",
            RP_REDIRECT,
            "--require-mfa",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["require_mfa"], true);
    let client_id =
        ferrid::domain::ClientId::parse(created["client_id"].as_str().unwrap()).unwrap();
    let stored = ferrid::store::clients::find_by_client_id(&app.db, &client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.require_mfa);
}
