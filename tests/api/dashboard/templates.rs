//! The message-templates editor: the list, the preview with its segment
//! count, Save refusing an invalid or over-long template with the admin's
//! text kept, and a valid save audit-logged with the admin's id.

use ferrid::admin::admins::{self, AdminRole, AdminTarget};

use super::*;
use crate::helpers::spawn_app;

const EDITOR: &str = "/admin/templates/sms/login/default";

/// The text of the element with `id`, up to its first tag.
fn text_of(html: &str, id: &str) -> Option<String> {
    let tag = format!(r#"id="{id}">"#);
    let start = html.find(&tag)? + tag.len();
    Some(html[start..].split('<').next()?.to_owned())
}

#[tokio::test]
async fn the_template_pages_are_for_admins_only() {
    let app = spawn_app().await;
    let (b, id, csrf) = signed_in_admin(&app).await;
    let list = b.get(app.url("/admin/templates")).send().await.unwrap();
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains(r#"href="/admin/templates/sms/login/default""#));
    assert!(html.contains(r#"href="/admin/templates/email/sign_in/en""#));
    let editor = b.get(app.url(EDITOR)).send().await.unwrap();
    assert_eq!(editor.status(), 200);
    let html = editor.text().await.unwrap();
    assert!(html.contains("<textarea"));
    assert!(html.contains(r#"<script src="/static/template_editor.js" defer></script>"#));
    let missing = b
        .get(app.url("/admin/templates/sms/nothing/default"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Nobody signed in is sent to sign in; a former admin is refused.
    let stranger = browser();
    let res = stranger
        .get(app.url("/admin/templates"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/admin/signin");
    admins::set_role(
        &app.db,
        &AdminTarget::User(id),
        AdminRole::Revoked,
        app.now(),
    )
    .await
    .unwrap();
    let res = post(
        &app,
        &b,
        "/admin/templates/preview",
        &[("csrf", &csrf), ("channel", "sms"), ("source", "Hi")],
    )
    .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_preview_shows_the_text_and_its_segments_in_gsm7_or_ucs2() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let long = "a".repeat(161);
    let res = post(
        &app,
        &b,
        EDITOR,
        &[("csrf", &csrf), ("source", &long), ("action", "preview")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(
        text_of(&html, "preview-body").as_deref(),
        Some(long.as_str())
    );
    assert_eq!(
        text_of(&html, "preview-segments").as_deref(),
        Some("2 segments, GSM-7, 161/306")
    );
    // A preview saves nothing.
    assert!(events(&app, "admin.template.changed").await.is_empty());

    // The script's endpoint: the same preview, as a fragment.
    let res = post(
        &app,
        &b,
        "/admin/templates/preview",
        &[
            ("csrf", &csrf),
            ("channel", "sms"),
            ("source", "Код: {{ code }}"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<html"), "a fragment: {html}");
    assert_eq!(
        text_of(&html, "preview-body").as_deref(),
        Some("Код: 123456")
    );
    assert_eq!(
        text_of(&html, "preview-segments").as_deref(),
        Some("1 segment, UCS-2, 11/70")
    );
    let res = post(
        &app,
        &b,
        "/admin/templates/preview",
        &[("channel", "sms"), ("source", "Hi")],
    )
    .await;
    assert_eq!(res.status(), 403, "the preview needs the CSRF token");
}

#[tokio::test]
async fn the_preview_can_use_a_real_users_number() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let form = |user: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("source", "To {{ phone_number }}".to_owned()),
            ("user", user.to_owned()),
            ("action", "preview".to_owned()),
        ]
    };
    let res = b
        .post(app.url(EDITOR))
        .form(&form(ADMIN_PHONE))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert_eq!(
        text_of(&html, "preview-body"),
        Some(format!("To {ADMIN_PHONE}"))
    );
    let res = b
        .post(app.url(EDITOR))
        .form(&form("+447400999999"))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="preview-no-user""#), "{html}");
}

#[tokio::test]
async fn an_invalid_liquid_tag_is_refused_with_its_line_and_the_text_kept() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let source = "Your code:\n{% bogus %} {{ code }}";
    let res = post(
        &app,
        &b,
        EDITOR,
        &[("csrf", &csrf), ("source", source), ("action", "save")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert_eq!(
        text_of(&html, "template-problem-line").as_deref(),
        Some("Line 2")
    );
    assert!(
        html.contains("Your code:\n{% bogus %} {{ code }}</textarea>"),
        "{html}"
    );
    assert!(events(&app, "admin.template.changed").await.is_empty());
    let editor = b
        .get(app.url(EDITOR))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!editor.contains("bogus"), "nothing was saved");
}

#[tokio::test]
async fn a_template_over_three_segments_is_refused() {
    let app = spawn_app().await;
    let (b, _, csrf) = signed_in_admin(&app).await;
    let source = format!("{} {{{{ code }}}}", "a".repeat(460));
    let res = post(
        &app,
        &b,
        EDITOR,
        &[("csrf", &csrf), ("source", &source), ("action", "save")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="template-problem""#), "{html}");
    assert!(html.contains("at most 459"), "{html}");
    assert!(html.contains(r#"id="preview-too-long""#));
    assert!(html.contains(&source));
    assert!(events(&app, "admin.template.changed").await.is_empty());
}

#[tokio::test]
async fn a_valid_template_is_saved_and_audited_with_the_admins_id() {
    let app = spawn_app().await;
    let (b, admin, csrf) = signed_in_admin(&app).await;
    let source = "Code {{ code }} for {{ application.name }}";
    let res = post(
        &app,
        &b,
        "/admin/templates/sms/login/fr",
        &[("csrf", &csrf), ("source", source), ("action", "save")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"id="template-notice""#), "{html}");
    let changed = events(&app, "admin.template.changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0].actor.as_deref(),
        Some(admin.to_string().as_str())
    );
    assert_eq!(changed[0].details["channel"], "sms");
    assert_eq!(changed[0].details["usage"], "login");
    assert_eq!(changed[0].details["language"], "fr");
    let editor = b
        .get(app.url("/admin/templates/sms/login/fr"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(editor.contains(source), "{editor}");

    // An email template too, with its subject in the preview.
    let email = "Subject: Your code\n\nThe code is {{ code }}.";
    let res = post(
        &app,
        &b,
        "/admin/templates/email/sign_in/en",
        &[("csrf", &csrf), ("source", email), ("action", "save")],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(
        text_of(&html, "preview-subject").as_deref(),
        Some("Your code")
    );
    assert_eq!(events(&app, "admin.template.changed").await.len(), 2);
}
