//! Email templates: overrides per language, validation on save, and the
//! two parts of a mail.

use ferrid::domain::EmailUsage;

use super::{TO, phone_changed, spawn_app_with_smtp};
use crate::smtp_server::SmtpServer;

/// Writes a template file; its path (kept alive by the returned folder).
fn template_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.liquid");
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_override_is_used_for_a_french_mail_with_a_text_and_an_escaped_html_part() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    let (_dir, file) = template_file(
        "Subject: Alerte : {{ factor_name }} modifié\n\
         \n\
         Bonjour <b>vous</b> & co,\n\
         ancien {{ old_value }}, nouveau {{ new_value }}.\n\
         \n\
         Ce n'était pas vous ? {{ revert_url }}\n",
    );
    let (code, out, err) = app.ferrid(&[
        "email",
        "template",
        "set",
        "--usage",
        "factor_changed",
        "--lang",
        "fr",
        "--file",
        &file,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("factor_changed/fr"), "{out}");

    app.queue_mail(
        TO,
        EmailUsage::FactorChanged,
        "fr-FR",
        &phone_changed(&app),
        None,
    )
    .await;
    let english = "bob@example.com";
    app.queue_mail(
        english,
        EmailUsage::FactorChanged,
        "en",
        &phone_changed(&app),
        None,
    )
    .await;
    let got = smtp.wait_for(2).await;
    let fr = got.iter().find(|m| m.to[0].contains(TO)).unwrap();
    assert_eq!(fr.subject(), "Alerte : numéro de téléphone modifié");
    assert_eq!(
        fr.from, "<no-reply@localhost>",
        "the envelope sender is email.from"
    );
    let text = fr.text();
    assert!(
        text.contains("Bonjour <b>vous</b> & co,"),
        "plain text: {text}"
    );
    assert!(
        text.contains("ancien +44 ••••••••56, nouveau +33 •••••••78."),
        "{text}"
    );
    let html = fr.html();
    assert!(html.contains("lang=\"fr\""), "{html}");
    assert!(!html.contains("<b>vous</b>"), "escaped: {html}");
    assert!(
        html.contains("&lt;b&gt;vous&lt;/b&gt;") || html.contains("&#60;b&#62;vous&#60;/b&#62;"),
        "{html}"
    );
    let revert = app.url("/account/revert/t0k3n");
    assert!(html.contains(&format!("<a href=\"{revert}\"")), "{html}");
    assert_eq!(
        fr.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );

    // Other languages keep their own text.
    let en = got.iter().find(|m| m.to[0].contains(english)).unwrap();
    assert_eq!(en.subject(), "Sign-in method changed: phone number");
    assert!(en.html().contains("lang=\"en\""));

    // `show` gives what a French user gets.
    let (code, out, _) = app.ferrid(&[
        "email",
        "template",
        "show",
        "--usage",
        "factor_changed",
        "--lang",
        "fr",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("(fr, stored)") && out.contains("Alerte :"),
        "{out}"
    );
    let (code, out, _) = app.ferrid(&["email", "template", "show", "--usage", "reauth"]);
    assert_eq!(code, 0);
    for lang in ["en", "fr", "nl", "es", "de"] {
        assert!(
            out.contains(&format!("== reauth ({lang}, built-in) ==")),
            "{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_that_does_not_parse_is_refused_with_its_line() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with_smtp(&smtp, |_| {}).await;
    let (_dir, file) = template_file("Subject: Code\n\nline three\n\nYour code: {{ code }\n");
    let (code, _, err) = app.ferrid(&[
        "email", "template", "set", "--usage", "reauth", "--lang", "fr", "--file", &file,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("line 5"), "{err}");
    assert!(err.contains("reauth/fr"), "{err}");

    let (_dir, file) = template_file("Subject: Code\n\nline three\n{{ passcode }}\n");
    let (code, _, err) = app.ferrid(&[
        "email", "template", "set", "--usage", "reauth", "--file", &file,
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("unknown variable `passcode`") && err.contains("line 4"),
        "{err}"
    );

    let (_dir, file) = template_file("Your code: {{ code }}\n");
    let (code, _, err) = app.ferrid(&[
        "email", "template", "set", "--usage", "reauth", "--file", &file,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("Subject:"), "{err}");

    let (code, _, err) = app.ferrid(&[
        "email", "template", "set", "--usage", "welcome", "--file", &file,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("welcome"), "{err}");

    // Nothing was stored: the built-in French text is still used.
    let (_, out, _) = app.ferrid(&[
        "email", "template", "show", "--usage", "reauth", "--lang", "fr",
    ]);
    assert!(out.contains("(fr, built-in)"), "{out}");
}
