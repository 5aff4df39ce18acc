//! The audit log page: filters by user, client, kind and dates, pages
//! with an "older" link, and the CSV export of the same filters.

use std::time::Duration;

use ferrid::admin::admins::{self, AdminRole, AdminTarget};
use uuid::Uuid;

use super::*;
use crate::helpers::spawn_app;

/// The rows of a CSV text (RFC 4180 quoting).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

/// How many event rows a page of the log shows.
fn rows_shown(html: &str) -> usize {
    html.split(r#"<tbody>"#)
        .nth(1)
        .map_or(0, |body| body.matches("<tr>").count())
}

fn older_link(html: &str) -> Option<String> {
    let tag = r#"<a href=""#;
    let at = html.find(r#"id="audit-older""#)?;
    let start = html[..at].rfind(tag)? + tag.len();
    Some(
        html[start..]
            .split('"')
            .next()?
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn the_audit_log_is_for_admins_only() {
    let app = spawn_app().await;
    let (b, id, _) = signed_in_admin(&app).await;
    let res = b.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let stranger = browser();
    for path in ["/admin/audit", "/admin/audit.csv"] {
        let res = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(location(&res), "/admin/signin");
    }
    admins::set_role(
        &app.db,
        &AdminTarget::User(id),
        AdminRole::Revoked,
        app.now(),
    )
    .await
    .unwrap();
    let res = b.get(app.url("/admin/audit.csv")).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_audit_log_filters_by_user_client_kind_and_dates() {
    let app = spawn_app().await;
    let (b, _, _) = signed_in_admin(&app).await;
    let someone = Uuid::new_v4();
    let old = app.now() - chrono::TimeDelta::days(10);
    ferrid::audit::record_for_user(
        &app.db,
        old,
        someone,
        "test.old",
        Some("then".to_owned()),
        None,
        serde_json::json!({}),
    )
    .await;
    ferrid::audit::record_for_user(
        &app.db,
        app.now(),
        someone,
        "test.new",
        Some("now".to_owned()),
        None,
        serde_json::json!({}),
    )
    .await;
    ferrid::audit::record_by_client(
        &app.db,
        app.now(),
        "shop",
        "test.client",
        None,
        None,
        serde_json::json!({}),
    )
    .await;
    let page = |query: String| {
        let b = b.clone();
        let url = app.url(&format!("/admin/audit?{query}"));
        async move { b.get(url).send().await.unwrap() }
    };
    let html = page(format!("user={someone}")).await.text().await.unwrap();
    assert_eq!(rows_shown(&html), 2, "{html}");
    assert!(html.contains("test.old") && html.contains("test.new"));
    let html = page("client=shop".to_owned()).await.text().await.unwrap();
    assert_eq!(rows_shown(&html), 1);
    assert!(html.contains("test.client"));
    let html = page("kind=test.new".to_owned()).await.text().await.unwrap();
    assert_eq!(rows_shown(&html), 1);
    let day = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d").to_string();
    let html = page(format!("user={someone}&from={0}&to={0}", day(old)))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows_shown(&html), 1);
    assert!(html.contains("test.old") && !html.contains("test.new"));
    let html = page(format!(
        "user={someone}&from={}",
        day(old + chrono::TimeDelta::days(1))
    ))
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(rows_shown(&html), 1);
    assert!(html.contains("test.new"));
    let res = page("user=nobody&from=yesterday".to_owned()).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains(r#"id="audit-problem""#));
}

#[tokio::test]
async fn the_audit_log_pages_with_an_older_link_and_exports_csv() {
    let app = spawn_app().await;
    let (b, _, _) = signed_in_admin(&app).await;
    let someone = Uuid::new_v4();
    for i in 0..55 {
        app.advance(Duration::from_secs(1));
        ferrid::audit::record_for_user(
            &app.db,
            app.now(),
            someone,
            "test.many",
            Some(format!("n{i}, \"quoted\"")),
            None,
            serde_json::json!({ "i": i }),
        )
        .await;
    }
    let res = b
        .get(app.url(&format!("/admin/audit?user={someone}")))
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert_eq!(rows_shown(&html), 50);
    let older = older_link(&html).expect("an older link");
    assert!(older.contains(&format!("user={someone}")), "{older}");
    let html = b
        .get(app.url(&older))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rows_shown(&html), 5);
    assert!(older_link(&html).is_none());

    let res = b
        .get(app.url(&format!("/admin/audit.csv?user={someone}&kind=test.many")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=") && disposition.contains(".csv"),
        "{disposition}"
    );
    let rows = parse_csv(&res.text().await.unwrap());
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows[0][5], "subject");
    assert_eq!(rows.len(), 56, "a header and every event");
    assert!(rows[1..].iter().all(|r| r.len() == 9));
    assert_eq!(rows[1][2], "test.many");
    assert_eq!(rows[1][4], someone.to_string());
    assert_eq!(rows[1][5], "n54, \"quoted\"");
    assert_eq!(rows[55][5], "n0, \"quoted\"");
    assert_eq!(rows[1][8], r#"{"i":54}"#);
}
