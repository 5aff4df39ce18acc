//! Test numbers (fixed codes) are refused outside dev mode unless allowed,
//! at every change of the connection, not only at start-up.

use ferrid::admin::sms_connection::{ConnectionChange, TestNumbers, set};
use ferrid::sms::TestNumber;

use crate::helpers::{CliEnv, run_ferrid, spawn_app};

#[tokio::test]
async fn connection_sms_set_refuses_a_test_number_in_production() {
    let cli = CliEnv::new().await;
    let (code, _, err) = cli.run(&[
        "connection",
        "sms",
        "set",
        "--test-number",
        "+15555550100=123456",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("+15555550100") && err.contains("sms.allow_test_numbers"),
        "{err}"
    );
    let (_, out, _) = cli.run(&["connection", "sms", "show", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        shown["test_numbers"],
        serde_json::json!([]),
        "nothing saved"
    );

    // Allowed explicitly, it is saved.
    let env = [
        ("FERRID_DATABASE_URL", cli.database.url.as_str()),
        ("FERRID_MASTER_KEY", cli.key.as_str()),
        ("FERRID_SMS__ALLOW_TEST_NUMBERS", "true"),
    ];
    let out = run_ferrid(
        cli.dir.path(),
        &env,
        &[
            "connection",
            "sms",
            "set",
            "--test-number",
            "+15555550100=123456",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_use_case_refuses_test_numbers_when_the_settings_do() {
    let app = spawn_app().await;
    let err = set(
        &app.db,
        &app.state.master_key,
        ConnectionChange {
            test_numbers: Some(vec![TestNumber {
                phone: "+15555550100".into(),
                code: "424242".into(),
            }]),
            ..Default::default()
        },
        TestNumbers::Refused,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("+15555550100"), "{err}");
    let shown = ferrid::admin::sms_connection::show(&app.db).await.unwrap();
    assert!(shown.test_numbers.is_empty());
}
