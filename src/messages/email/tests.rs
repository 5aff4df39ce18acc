use std::collections::BTreeMap;

use super::*;

fn set(stored: &[(&str, &str, &str)]) -> TemplateSet {
    let mut map: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (usage, lang, source) in stored {
        map.entry((*usage).to_owned())
            .or_default()
            .insert((*lang).to_owned(), (*source).to_owned());
    }
    TemplateSet { stored: map }
}

fn change() -> EmailVars {
    vars::sample()
}

#[test]
fn every_builtin_template_is_valid_in_every_language() {
    for usage in EmailUsage::ALL {
        for lang in BUILTIN_LANGUAGES {
            let source = defaults::builtin(usage, lang).unwrap();
            validate(&source).unwrap_or_else(|e| panic!("{usage}/{lang}: {e}"));
        }
    }
}

#[test]
fn the_users_language_picks_the_builtin_text_and_factor_name() {
    let mail = set(&[])
        .render(EmailUsage::FactorChanged, "fr-CA", &change())
        .unwrap();
    assert_eq!(mail.language, "fr");
    assert!(
        mail.subject.contains("numéro de téléphone"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("+44 ••••••••56"), "{}", mail.text);
    assert!(mail.text.contains("Firefox on Linux"), "{}", mail.text);
    assert!(mail.html.contains("lang=\"fr\""), "{}", mail.html);
    let en = set(&[])
        .render(EmailUsage::FactorChanged, "pt-BR", &change())
        .unwrap();
    assert_eq!(en.language, "en");
    assert!(
        en.subject
            .starts_with("Sign-in method changed: phone number")
    );
}

#[test]
fn stored_templates_win_for_their_language_and_the_default_serves_the_rest() {
    let templates = set(&[
        (
            "reauth",
            "fr",
            "Subject: Code {{ code }}\n\nVotre code : {{ code }}",
        ),
        (
            "reauth",
            "default",
            "Subject: Our code {{ code }}\n\nCode: {{ code }}",
        ),
    ]);
    let fr = templates
        .render(EmailUsage::Reauth, "fr", &change())
        .unwrap();
    assert_eq!(fr.subject, "Code 123456");
    assert_eq!(fr.text, "Votre code : 123456");
    let de = templates
        .render(EmailUsage::Reauth, "de", &change())
        .unwrap();
    assert!(
        de.subject.starts_with("Dein Sicherheitscode"),
        "{}",
        de.subject
    );
    let en = templates
        .render(EmailUsage::Reauth, "en", &change())
        .unwrap();
    assert_eq!(en.subject, "Our code 123456");
}

#[test]
fn absent_values_leave_their_lines_out() {
    let mut vars = change();
    if let Some(c) = vars.change.as_mut() {
        c.device = None;
        c.revert_url = None;
    }
    let mail = set(&[])
        .render(EmailUsage::FactorAdded, "en", &vars)
        .unwrap();
    assert!(!mail.text.contains("Device"), "{}", mail.text);
    assert!(!mail.text.contains("undo"), "{}", mail.text);
    assert!(mail.text.contains("Network: 192.0.2.0/24"), "{}", mail.text);
}

#[test]
fn the_html_part_escapes_the_text_and_links_web_addresses() {
    let templates = set(&[(
        "factor_added",
        "en",
        "Subject: <b>{{ code }}</b>\n\nHello <script>x</script> & co\nline two\n\nUndo: {{ revert_url }}.",
    )]);
    let mail = templates
        .render(EmailUsage::FactorAdded, "en", &change())
        .unwrap();
    assert!(
        mail.html
            .contains("Hello &#60;script&#62;x&#60;/script&#62; &#38; co<br>line two")
            || mail
                .html
                .contains("Hello &lt;script&gt;x&lt;/script&gt; &amp; co<br>line two"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<script>"));
    assert!(!mail.html.contains("<b>"));
    assert!(
        mail.html
            .contains("<a href=\"https://id.example.com/account/revert/sample\""),
        "{}",
        mail.html
    );
    assert!(
        mail.text.contains("<script>x</script>"),
        "the text part is plain"
    );
}

#[test]
fn templates_without_subject_or_that_do_not_parse_are_refused_with_the_line() {
    assert!(matches!(
        validate("Hello {{ code }}"),
        Err(EmailTemplateError::NoSubject)
    ));
    let err = validate("Subject: x\n\nfine\n{% if code %}\nunclosed")
        .unwrap_err()
        .to_string();
    assert!(err.contains("parse"), "{err}");
    let err = validate("Subject: x\n\nfine\n\n{{ code }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 5"), "{err}");
    let err = validate("Subject: x\n\nline three\n{{ code | no_such_filter }}")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no_such_filter"), "{err}");
}

#[test]
fn unknown_variables_are_refused_with_their_line() {
    let err = validate("Subject: x\n\nfine\n\nYour code: {{ nonsense }}").unwrap_err();
    match err {
        EmailTemplateError::UnknownVariable { name, line, .. } => {
            assert_eq!(name, "nonsense");
            assert_eq!(line, 5);
        }
        other => panic!("{other}"),
    }
}
