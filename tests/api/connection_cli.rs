//! `ferrid connection sms …` from the command line.

use crate::helpers::CliEnv as Cli;

#[tokio::test]
async fn set_stores_secrets_sealed_and_show_never_prints_them() {
    let cli = Cli::new().await;
    let (code, _, err) = cli.run(&[
        "connection",
        "sms",
        "set",
        "--provider",
        "twilio",
        "--twilio-account-sid",
        "AC00000000000000000000000000000001",
        "--twilio-auth-token",
        "super-secret-token-value",
        "--twilio-from",
        "+15005550006",
        "--allowed-countries",
        "US,FR,NL",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli.run(&["connection", "sms", "show", "--json"]);
    assert_eq!(code, 0);
    assert!(!out.contains("super-secret-token-value"), "{out}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["provider"]["provider"], "twilio");
    assert_eq!(shown["provider"]["auth_token"], "set");
    assert_eq!(
        shown["allowed_countries"],
        serde_json::json!(["US", "FR", "NL"])
    );
}

#[tokio::test]
async fn bad_values_exit_2_naming_the_value_and_change_nothing() {
    let cli = Cli::new().await;
    for (args, named) in [
        (vec!["--provider", "carrier-pigeon"], "carrier-pigeon"),
        (vec!["--allowed-countries", "US,XX"], "XX"),
        (vec!["--otp-length", "2"], "--otp-length"),
        (
            vec![
                "--provider",
                "twilio",
                "--twilio-account-sid",
                "nope",
                "--twilio-auth-token",
                "0123456789abcdef0",
                "--twilio-from",
                "+15005550006",
            ],
            "nope",
        ),
        (vec!["--test-number", "+15555550100"], "+15555550100"),
    ] {
        let mut full = vec!["connection", "sms", "set"];
        full.extend(args);
        let (code, _, err) = cli.run(&full);
        assert_eq!(code, 2, "{full:?}: {err}");
        assert!(err.contains(named), "{full:?}: {err}");
    }
    let (_, out, _) = cli.run(&["connection", "sms", "show", "--json"]);
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["provider"]["provider"], "outbox");
    assert_eq!(shown["otp_length"], 6);
}

#[tokio::test]
async fn an_invalid_template_is_refused_with_the_parsers_line() {
    let cli = Cli::new().await;
    let bad = cli.file("bad.liquid", "Hello\nYour code: {{ code }\n");
    let (code, _, err) = cli.run(&[
        "connection",
        "sms",
        "template",
        "set",
        "--usage",
        "login",
        "--file",
        &bad,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("login/default") && err.contains("--> 2:"),
        "the line is named: {err}"
    );
    let unknown = cli.file("unknown.liquid", "Your code: {{ pin }}");
    let (code, _, err) = cli.run(&[
        "connection",
        "sms",
        "template",
        "set",
        "--usage",
        "login",
        "--lang",
        "fr",
        "--file",
        &unknown,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("pin"), "{err}");
    let long = cli.file(
        "long.liquid",
        &format!("{} {{{{ code }}}}", "x".repeat(470)),
    );
    let (code, _, err) = cli.run(&[
        "connection",
        "sms",
        "template",
        "set",
        "--usage",
        "login",
        "--file",
        &long,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("3 SMS segments"), "{err}");
    let good = cli.file(
        "good.liquid",
        "Votre code {{ application.name }} : @@password@@",
    );
    let (code, out, err) = cli.run(&[
        "connection",
        "sms",
        "template",
        "set",
        "--usage",
        "login",
        "--lang",
        "fr",
        "--file",
        &good,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("login/fr"));
}

#[tokio::test]
async fn test_send_reports_the_providers_answer() {
    let cli = Cli::new().await;
    let (code, out, err) = cli.run(&["connection", "sms", "test", "--to", "+15555550100"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("outbox accepted the message"), "{out}");
}

#[tokio::test]
async fn show_prints_a_twilio_connection_that_sends_through_a_messaging_service() {
    let cli = Cli::new().await;
    let (code, _, err) = cli.run(&[
        "connection",
        "sms",
        "set",
        "--provider",
        "twilio",
        "--twilio-account-sid",
        "AC00000000000000000000000000000001",
        "--twilio-auth-token",
        "super-secret-token-value",
        "--twilio-messaging-service-sid",
        "MG00000000000000000000000000000001",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli.run(&["connection", "sms", "show"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("twilio"), "{out}");
    assert!(out.contains("MG00000000000000000000000000000001"), "{out}");
    assert!(!out.contains("super-secret-token-value"), "{out}");
    let shown: toml::Value = toml::from_str(&out).unwrap();
    assert_eq!(shown["provider"]["provider"].as_str(), Some("twilio"));
    assert!(shown["provider"].get("from").is_none(), "{out}");
}
