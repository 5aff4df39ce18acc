//! `spawn_app()` and friends: each test gets its own server on a free port
//! and its own database, chosen by `FERRID_TEST_DATABASE_URL`:
//! absent, a temporary SQLite file; a `postgres://` URL, a fresh database
//! created on that server and dropped when the test ends.

use std::net::TcpListener;

use std::sync::Arc;
use std::time::Duration;

use ferrid::admin::clients::{CreateClient, create_client};
use ferrid::app::AppState;
use ferrid::clock::OffsetClock;
use ferrid::config::{ConfigFile, Overrides, RawSettings, Settings};
use ferrid::crypto::MasterKey;
use ferrid::domain::{ClientName, ClientType, GrantType, RedirectUri};
use ferrid::startup::{Application, MigrateOnStart, Parts};
use ferrid::store::{ConnectionTrait, DatabaseConnection};

pub use crate::cli_env::{CliEnv, run_ferrid};
pub use crate::fakes::CapturingSms;

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, empty database on the backend the environment asks for.
    pub async fn create() -> Self {
        match std::env::var("FERRID_TEST_DATABASE_URL") {
            Ok(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("ferrid_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to test PostgreSQL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                Self {
                    url,
                    kind: Kind::Postgres { admin_url, name },
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("ferrid.db").display()
                );
                Self {
                    url,
                    kind: Kind::Sqlite(dir),
                }
            }
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("test database URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Kind::Postgres { admin_url, name } = &self.kind {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running ferrid for one test.
pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub state: Arc<AppState>,
    /// What the SMS connection's `outbox` provider sent (empty when the
    /// test asked for the database outbox).
    pub sms: Arc<CapturingSms>,
    /// ferrid's clock: the system's, moved forward by the test.
    pub clock: Arc<OffsetClock>,
    /// A browser: keeps cookies, does not follow redirects.
    pub client: reqwest::Client,
    /// Kept so that the database lives as long as the app (and any other
    /// instance on it).
    database: Arc<TestDatabase>,
}

/// Settings for a test: dev mode, a random master key, the test database.
pub fn test_settings(database_url: &str, port: u16) -> RawSettings {
    let env = vec![
        ("FERRID_DEV".to_owned(), "true".to_owned()),
        ("FERRID_DATABASE_URL".to_owned(), database_url.to_owned()),
        (
            "FERRID_MASTER_KEY".to_owned(),
            MasterKey::generate().to_base64(),
        ),
        (
            "FERRID_ISSUER".to_owned(),
            format!("http://127.0.0.1:{port}"),
        ),
        ("FERRID_BIND".to_owned(), format!("127.0.0.1:{port}")),
    ];
    RawSettings::load(&ConfigFile::None, env, &Overrides::default()).expect("test settings")
}

/// Starts ferrid in dev mode on its own database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts ferrid with the test settings changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
    spawn(adjust, Outbox::Capturing, None, None).await
}

/// Starts ferrid with `observer` seeing the SQL of every statement it runs.
pub async fn spawn_app_observing(observer: ferrid::store::StatementObserver) -> TestApp {
    spawn(|_| {}, Outbox::Capturing, None, Some(observer)).await
}

/// Starts ferrid whose dev outbox keeps messages in the database, as
/// `ferrid serve --dev` does (`/dev/outbox` lists them).
pub async fn spawn_app_with_db_outbox() -> TestApp {
    spawn(|_| {}, Outbox::Database, None, None).await
}

/// Where the `outbox` provider's messages go.
#[derive(PartialEq)]
enum Outbox {
    Capturing,
    Database,
}

impl TestApp {
    /// A second ferrid on this app's database, as another instance behind
    /// the same load balancer would be.
    pub async fn spawn_another_instance(&self, adjust: impl FnOnce(&mut RawSettings)) -> TestApp {
        let key = self.state.master_key.to_base64();
        let adjust = move |s: &mut RawSettings| {
            s.master_key = Some(key.into());
            adjust(s);
        };
        spawn(adjust, Outbox::Capturing, Some(self.database.clone()), None).await
    }
}

async fn spawn(
    adjust: impl FnOnce(&mut RawSettings),
    outbox: Outbox,
    database: Option<Arc<TestDatabase>>,
    statements: Option<ferrid::store::StatementObserver>,
) -> TestApp {
    let database = match database {
        Some(database) => database,
        None => Arc::new(TestDatabase::create().await),
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local addr").port();
    let mut raw = test_settings(&database.url, port);
    adjust(&mut raw);
    let settings = Settings::from_raw(raw).expect("valid test settings");
    let sms = Arc::new(CapturingSms::default());
    let clock = Arc::new(OffsetClock::default());
    let parts = Parts {
        clock: Some(clock.clone()),
        sms_outbox: (outbox == Outbox::Capturing).then(|| sms.clone() as _),
        statements,
    };
    let app = Application::build_on(settings, listener, MigrateOnStart::Yes, parts)
        .await
        .expect("build the application");
    let db = app.db();
    let state = app.state();
    crate::cli_env::note_app_spawned();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db,
        state,
        sms,
        clock,
        client: browser(),
        database,
    }
}

/// A new browser: its own cookie jar, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("http client")
}

/// A mobile number that libphonenumber accepts as valid.
pub const PHONE: &str = "+447400123456";
pub const RP_REDIRECT: &str = "https://rp.example.com/callback";

/// A registered test client.
pub struct TestClient {
    pub client_id: String,
    pub secret: Option<String>,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// Registers a first-party client with the given redirect URIs and the
    /// authorization_code grant.
    pub async fn register(&self, client_type: ClientType, redirect_uris: &[&str]) -> TestClient {
        self.register_with(client_type, redirect_uris, |_| {}).await
    }

    /// Registers a client, letting the test adjust the request first
    /// (grants, first_party, allowed scopes, post-logout URIs, origins …).
    pub async fn register_with(
        &self,
        client_type: ClientType,
        redirect_uris: &[&str],
        adjust: impl FnOnce(&mut CreateClient),
    ) -> TestClient {
        let mut request = CreateClient {
            client_id: None,
            name: ClientName::parse("Test Shop").unwrap(),
            client_type,
            redirect_uris: redirect_uris
                .iter()
                .map(|u| RedirectUri::parse(u).unwrap())
                .collect(),
            post_logout_redirect_uris: vec![],
            allowed_origins: vec![],
            grant_types: vec![GrantType::AuthorizationCode],
            first_party: true,
            allowed_scopes: vec![],
            refresh_without_offline_access: false,
            connections: vec!["sms".to_owned()],
            introspect: false,
            require_mfa: false,
        };
        adjust(&mut request);
        let created = create_client(&self.db, request)
            .await
            .expect("register a client");
        TestClient {
            client_id: created.client.client_id.as_str().to_owned(),
            secret: created.client_secret,
        }
    }

    /// Moves ferrid's clock forward: what a test of expiry does instead
    /// of sleeping.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The time on ferrid's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        ferrid::clock::Clock::now(self.clock.as_ref())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Follows an authorization URL to the login page; returns the CSRF token.
    pub async fn open_login(&self, browser: &reqwest::Client, authorize_url: &str) -> String {
        let res = browser.get(authorize_url).send().await.unwrap();
        assert_eq!(
            res.status(),
            303,
            "authorize should send the browser to the login page"
        );
        assert_eq!(location(&res), "/login");
        let page = browser.get(self.url("/login")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        csrf_of(&page.text().await.unwrap())
    }

    /// Posts the phone form.
    pub async fn submit_phone(
        &self,
        browser: &reqwest::Client,
        csrf: &str,
        phone: &str,
    ) -> reqwest::Response {
        browser
            .post(self.url("/login/phone"))
            .form(&[("csrf", csrf), ("phone", phone)])
            .send()
            .await
            .unwrap()
    }

    /// Posts the code form.
    pub async fn submit_code(
        &self,
        browser: &reqwest::Client,
        csrf: &str,
        code: &str,
    ) -> reqwest::Response {
        browser
            .post(self.url("/login/code"))
            .form(&[("csrf", csrf), ("code", code)])
            .send()
            .await
            .unwrap()
    }

    /// Posts a form with only the CSRF token (resend, restart).
    pub async fn submit_csrf(
        &self,
        browser: &reqwest::Client,
        path: &str,
        csrf: &str,
    ) -> reqwest::Response {
        browser
            .post(self.url(path))
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap()
    }

    /// Signs in through the hosted pages as a browser would and returns the
    /// redirect back to the application.
    pub async fn sign_in(
        &self,
        browser: &reqwest::Client,
        authorize_url: &str,
        phone: &str,
    ) -> url::Url {
        let csrf = self.open_login(browser, authorize_url).await;
        let sent = self.submit_phone(browser, &csrf, phone).await;
        assert_eq!(sent.status(), 303, "{}", sent.text().await.unwrap());
        assert_eq!(location(&sent), "/login/code");
        let code = self.sms.last_code(phone);
        let done = self.submit_code(browser, &csrf, &code).await;
        assert_eq!(done.status(), 303, "{}", done.text().await.unwrap());
        url::Url::parse(&location(&done)).unwrap()
    }

    /// An authorization URL: `response_type=code`, the client,
    /// `RP_REDIRECT`, `scope=openid phone`, `state=st4te`, then `params` in
    /// order; a parameter given in `params` replaces the default, and an
    /// empty value leaves the parameter out.
    pub fn authorize_url(&self, client_id: &str, params: &[(&str, &str)]) -> String {
        let defaults = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", RP_REDIRECT),
            ("scope", "openid phone"),
            ("state", "st4te"),
        ];
        let mut url = url::Url::parse(&self.url("/authorize")).unwrap();
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in defaults {
                match params.iter().find(|(name, _)| *name == k) {
                    Some((_, "")) => {}
                    Some((_, given)) => {
                        query.append_pair(k, given);
                    }
                    None => {
                        query.append_pair(k, v);
                    }
                }
            }
            for (k, v) in params {
                if !defaults.iter().any(|(name, _)| name == k) && !v.is_empty() {
                    query.append_pair(k, v);
                }
            }
        }
        url.to_string()
    }
}

impl TestApp {
    /// Signs in and returns the authorization code sent back.
    pub async fn code_for(&self, client_id: &str, extra: &[(&str, &str)]) -> String {
        let callback = self
            .sign_in(&browser(), &self.authorize_url(client_id, extra), PHONE)
            .await;
        param(&callback, "code").expect("a code")
    }

    /// Posts to the token endpoint, with Basic credentials when given.
    pub async fn token(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut req = reqwest::Client::new().post(self.url("/token")).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.send().await.unwrap()
    }

    /// Signs `phone` in for `client` in a new browser and exchanges the
    /// code it got back: the token endpoint's response.
    pub async fn tokens_for(&self, client: &TestClient, phone: &str) -> reqwest::Response {
        let authorize_url = self.authorize_url(&client.client_id, &[]);
        let callback = self.sign_in(&browser(), &authorize_url, phone).await;
        let code = param(&callback, "code").expect("a code");
        self.exchange(client, &code).await
    }

    /// Exchanges a code for a confidential client; returns the JSON body.
    pub async fn exchange(&self, client: &TestClient, code: &str) -> reqwest::Response {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", RP_REDIRECT),
            ],
            Some((&client.client_id, client.secret.as_deref().unwrap())),
        )
        .await
    }
}

/// The `Location` header.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A query parameter of a URL.
pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The digits of the code in a message body.
pub fn extract_code(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_owned()
}

/// Room for many sign-ins from this machine's one IP address in a test.
pub fn many_sign_ins(s: &mut RawSettings) {
    s.otp.max_sends_per_ip_per_hour = 1000;
    s.otp.max_sends_per_network_per_hour = 1000;
}

/// A confidential client with the authorization_code and refresh_token grants.
pub async fn refreshing_client(app: &TestApp) -> TestClient {
    app.register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
        c.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    })
    .await
}

/// The n-th of a series of distinct valid mobile numbers (each a new user).
pub fn nth_phone(n: usize) -> String {
    format!("+4474002{n:05}")
}

impl TestApp {
    /// Signs `phone` in with `offline_access` and returns the code.
    pub async fn offline_code_for(&self, client_id: &str, phone: &str) -> String {
        let url = self.authorize_url(client_id, &[("scope", "openid offline_access")]);
        let callback = self.sign_in(&browser(), &url, phone).await;
        param(&callback, "code").expect("a code")
    }

    /// Uses a refresh token of a confidential client.
    pub async fn refresh(&self, client: &TestClient, refresh_token: &str) -> reqwest::Response {
        self.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
            Some((&client.client_id, client.secret.as_deref().unwrap())),
        )
        .await
    }

    /// The status `/userinfo` answers an access token with.
    pub async fn userinfo_status(&self, access_token: &str) -> u16 {
        reqwest::Client::new()
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// A code of the same length that is not `code`.
pub fn wrong_code(code: &str) -> String {
    code.chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                ((c as u8) + 1) as char
            }
        })
        .collect()
}

/// Registers a confidential client allowed the passwordless API.
pub async fn passwordless_client(app: &TestApp) -> TestClient {
    app.register_with(ClientType::Confidential, &[RP_REDIRECT], |c| {
        c.grant_types = vec![GrantType::AuthorizationCode, GrantType::PasswordlessOtp]
    })
    .await
}

impl TestApp {
    /// `POST /passwordless/start` (JSON) for the client and phone number.
    pub async fn passwordless_start(&self, client: &TestClient, phone: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/passwordless/start"))
            .json(&serde_json::json!({
                "client_id": client.client_id,
                "client_secret": client.secret,
                "connection": "sms",
                "phone_number": phone,
                "send": "code",
            }))
            .send()
            .await
            .unwrap()
    }

    /// The token endpoint's passwordless OTP grant.
    pub async fn otp_grant(
        &self,
        client: &TestClient,
        phone: &str,
        otp: &str,
    ) -> reqwest::Response {
        self.token(
            &[
                ("grant_type", ferrid::domain::PASSWORDLESS_OTP_GRANT),
                ("username", phone),
                ("otp", otp),
                ("realm", "sms"),
                ("scope", "openid"),
            ],
            Some((&client.client_id, client.secret.as_deref().unwrap())),
        )
        .await
    }

    /// Opens a sign-in for the client in a new browser and posts the phone
    /// form; returns the browser, its CSRF token and the answer.
    pub async fn start_hosted(
        &self,
        client: &TestClient,
        phone: &str,
    ) -> (reqwest::Client, String, reqwest::Response) {
        let b = browser();
        let csrf = self
            .open_login(&b, &self.authorize_url(&client.client_id, &[]))
            .await;
        let res = self.submit_phone(&b, &csrf, phone).await;
        (b, csrf, res)
    }
}
