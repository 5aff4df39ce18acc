//! The dashboard in headless Chromium, driven through WebDriver: an admin
//! signs in through the hosted SMS login and sets up an authenticator app
//! on the way, creates an application, blocks a user who then cannot
//! sign in, edits a message template and sends a test message.
//! Screenshots of the main pages go to `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`; `.ci/run` installs them). Without them the test says
//! so and passes, except in CI (`CI=true`), where it fails.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use super::*;
use crate::helpers::spawn_app;

/// A chromedriver this test started, on a free port; stopped on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        // A process group of its own: the browsers it starts stop with it,
        // even when the test fails before closing its session.
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        Some(Self { child, port })
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(driver: &ChromeDriver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000"],
        }),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    // chromedriver takes a moment to listen.
    for _ in 0..100 {
        // chromedriver speaks plain HTTP on the loopback: no TLS stack.
        let mut builder = ClientBuilder::new(HttpConnector::new());
        if let Ok(client) = builder.capabilities(caps.clone()).connect(&url).await {
            return client;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

async fn screenshot(browser: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks, then waits for the page the click loads.
async fn click(browser: &Client, css: &str) {
    let before = browser.find(Locator::Css("html")).await.unwrap();
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The old page's root goes stale once the new page replaced it.
    for _ in 0..100 {
        if before.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {css} loaded no page");
}

async fn path_of(browser: &Client) -> String {
    browser.current_url().await.unwrap().path().to_owned()
}

#[tokio::test]
async fn an_admin_signs_in_with_a_second_factor_creates_an_application_and_blocks_a_user() {
    let Some(driver) = ChromeDriver::start() else {
        assert!(
            std::env::var("CI").is_err(),
            "chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromedriver is not installed");
        return;
    };
    let app = spawn_app().await;
    // The first admin, named before they ever signed in.
    let phone = ferrid::domain::PhoneNumber::parse(ADMIN_PHONE, None).unwrap();
    admins::set_role(
        &app.db,
        &AdminTarget::Phone(phone),
        AdminRole::Granted,
        app.now(),
    )
    .await
    .unwrap();
    let browser = connect(&driver).await;

    // The hosted SMS login, then setting up an authenticator app.
    browser.goto(&app.url("/admin")).await.unwrap();
    assert_eq!(path_of(&browser).await, "/login");
    screenshot(&browser, "login-phone").await;
    fill(&browser, "input[name=phone]", ADMIN_PHONE).await;
    click(&browser, "form[action='/login/phone'] button[type=submit]").await;
    assert_eq!(path_of(&browser).await, "/login/code");
    fill(
        &browser,
        "input[name=code]",
        &app.sms.last_code(ADMIN_PHONE),
    )
    .await;
    click(&browser, "form[action='/login/code'] button[type=submit]").await;
    assert_eq!(path_of(&browser).await, "/login/mfa");
    click(&browser, "form[action='/login/mfa/enroll'] button").await;
    assert_eq!(path_of(&browser).await, "/login/mfa/enroll");
    screenshot(&browser, "login-enroll-totp").await;
    let secret = browser
        .find(Locator::Css("code.secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace(' ', "");
    align_to_step(&app);
    fill(&browser, "#code", &code_now(&app, &secret, 0)).await;
    click(&browser, "form[action='/login/mfa/enroll/confirm'] button").await;
    // Past the recovery codes, when the sign-in shows them first.
    if path_of(&browser).await != "/admin" {
        screenshot(&browser, "login-recovery-codes").await;
        click(&browser, "form[action='/login/mfa/continue'] button").await;
    }
    assert_eq!(path_of(&browser).await, "/admin");
    screenshot(&browser, "admin-overview").await;

    // An application, its secret shown once.
    click(&browser, "nav a[href='/admin/applications']").await;
    click(&browser, "a[href='/admin/applications/new']").await;
    fill(&browser, "#name", "Shop").await;
    fill(&browser, "#redirect_uris", "https://shop.example.com/cb").await;
    screenshot(&browser, "admin-application-new").await;
    click(&browser, "#save-application").await;
    let secret = browser
        .find(Locator::Css("#client-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(secret.len() >= 43);
    screenshot(&browser, "admin-application-created").await;
    click(&browser, "nav a[href='/admin/applications']").await;
    screenshot(&browser, "admin-applications").await;

    // The sign-in policy.
    click(&browser, "nav a[href='/admin/policy']").await;
    screenshot(&browser, "admin-policy").await;

    // A user with a session, found and blocked.
    let user_browser = crate::helpers::browser();
    sign_in_at_account(&app, &user_browser, OTHER_PHONE).await;
    let user = owner_of(&app, OTHER_PHONE).await.unwrap();
    click(&browser, "nav a[href='/admin/users']").await;
    fill(&browser, "#q", OTHER_PHONE).await;
    click(&browser, "form.search button").await;
    screenshot(&browser, "admin-users").await;
    click(&browser, &format!("a[href='/admin/users/{user}']")).await;
    click(&browser, "#block").await;
    let status = browser
        .find(Locator::Css("#user-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("Blocked"), "{status}");
    screenshot(&browser, "admin-user-blocked").await;
    edit_a_template(&browser).await;
    send_a_test_message(&app, &browser).await;
    browser.close().await.unwrap();

    // Their session ended, and signing in again does not open one.
    let res = user_browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(location(&res), "/account/signin");
    let fresh = crate::helpers::browser();
    let res = fresh.get(app.url("/account/signin")).send().await.unwrap();
    assert_eq!(location(&res), "/login");
    let page = fresh.get(app.url("/login")).send().await.unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    app.submit_phone(&fresh, &csrf, OTHER_PHONE).await;
    let code = app.sms.last_code(OTHER_PHONE);
    let res = app.submit_code(&fresh, &csrf, &code).await;
    assert_ne!(location(&res), "/account");
    let res = fresh.get(app.url("/account")).send().await.unwrap();
    assert_eq!(location(&res), "/account/signin");
}

/// "Send test message" on the SMS connection page: the provider's answer
/// is shown, and the message is in the outbox the test's SMS sender keeps.
async fn send_a_test_message(app: &TestApp, browser: &Client) {
    const TO: &str = "+447400123499";
    click(browser, "nav a[href='/admin/connection']").await;
    screenshot(browser, "admin-connection").await;
    fill(browser, "#to", TO).await;
    click(browser, "#send-test").await;
    let answer = browser
        .find(Locator::Css("#test-answer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(answer.to_lowercase().contains("accepted"), "{answer}");
    assert_eq!(app.sms.sent_to(TO).len(), 1, "the test message went out");
    screenshot(browser, "admin-test-message").await;
}

/// The text of the element `css`, once it is `wanted` (the editor's script
/// updates the preview a moment after typing).
async fn wait_for_text(browser: &Client, css: &str, wanted: &str) {
    let mut seen = String::new();
    for _ in 0..100 {
        if let Ok(element) = browser.find(Locator::Css(css)).await {
            seen = element.text().await.unwrap_or_default();
            if seen == wanted {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} shows {seen:?}, not {wanted:?}");
}

/// An SMS template with an unknown Liquid tag is refused with its line;
/// a valid one previews as it is typed, with its segments, and is saved.
async fn edit_a_template(browser: &Client) {
    click(browser, "nav a[href='/admin/templates']").await;
    click(browser, "a[href='/admin/templates/sms/login/default']").await;
    fill(browser, "#source", "Hello\n{% bogus %} {{ code }}").await;
    click(browser, "#save-template").await;
    wait_for_text(browser, "#template-problem-line", "Line 2").await;
    let kept = browser
        .find(Locator::Css("#source"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Hello\n{% bogus %} {{ code }}"));

    fill(browser, "#source", "Your code is {{ code }}").await;
    // The script previews as the admin types, before any button.
    wait_for_text(browser, "#preview-body", "Your code is 123456").await;
    click(browser, "#save-template").await;
    wait_for_text(browser, "#template-notice", "Template saved.").await;
    wait_for_text(browser, "#preview-segments", "1 segment, GSM-7, 19/160").await;
    screenshot(browser, "templates").await;
}
