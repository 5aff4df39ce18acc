//! The dashboard's own session, apart from the SSO session: actix-session
//! with a cookie sealed (signed and encrypted) under a key derived from the
//! master key, or kept in Redis when `redis_url` is set so that every
//! instance sees it. It holds the signed-in admin's id, the CSRF token of
//! the dashboard's forms, when the admin was last seen, and a sign-in in
//! progress.

use std::collections::HashMap;

use actix_session::storage::{
    CookieSessionStore, LoadError, RedisSessionStore, SaveError, SessionKey, SessionStore,
    UpdateError,
};
use actix_session::{Session, SessionMiddleware, config::BrowserSession};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use uuid::Uuid;

use crate::admin::relying_party::PendingSignIn;
use crate::config::Settings;
use crate::crypto::MasterKey;

/// An admin idle this long signs in again.
pub const IDLE_TIMEOUT: chrono::Duration = chrono::Duration::minutes(30);

const ADMIN: &str = "admin";
const CSRF: &str = "csrf";
const SEEN: &str = "seen";
const PENDING: &str = "pending";

/// Where the dashboard's sessions live.
#[derive(Clone)]
pub enum DashboardSessions {
    /// In the sealed cookie itself.
    Cookie,
    /// In Redis, the cookie holding only the sealed session key.
    Redis(RedisSessionStore),
}

impl DashboardSessions {
    /// Redis when configured and reachable, the cookie otherwise (a Redis
    /// that does not answer at start leaves the dashboard working, with
    /// sessions in the cookie, rather than ferrid not starting).
    pub async fn open(settings: &Settings) -> Self {
        let Some(url) = &settings.redis_url else {
            return Self::Cookie;
        };
        let prefix = format!("{}dashboard:", settings.redis_prefix);
        match RedisSessionStore::builder(url.expose_secret())
            .cache_keygen(move |key| format!("{prefix}{key}"))
            .build()
            .await
        {
            Ok(store) => Self::Redis(store),
            Err(e) => {
                tracing::warn!(error = %e, "Redis did not answer: dashboard sessions are kept in their cookie");
                Self::Cookie
            }
        }
    }

    /// The middleware of the `/admin` scope.
    pub fn middleware(
        &self,
        master_key: &MasterKey,
        secure_cookies: bool,
    ) -> SessionMiddleware<DashboardSessions> {
        let name = if secure_cookies {
            "__Host-ferrid_admin"
        } else {
            "ferrid_admin"
        };
        let ttl = CookieDuration::seconds(IDLE_TIMEOUT.num_seconds());
        SessionMiddleware::builder(self.clone(), Key::from(&master_key.dashboard_session_key()))
            .cookie_name(name.to_owned())
            .cookie_secure(secure_cookies)
            .cookie_http_only(true)
            .cookie_path("/".to_owned())
            // The sign-in comes back by redirects from ferrid's own pages, so a
            // strict cookie still arrives; no other site can send it.
            .cookie_same_site(SameSite::Strict)
            .session_lifecycle(BrowserSession::default().state_ttl(ttl))
            .build()
    }
}

type State = HashMap<String, String>;

impl SessionStore for DashboardSessions {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        match self {
            Self::Cookie => CookieSessionStore::default().load(key).await,
            Self::Redis(store) => store.load(key).await,
        }
    }

    async fn save(&self, state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        match self {
            Self::Cookie => CookieSessionStore::default().save(state, ttl).await,
            Self::Redis(store) => store.save(state, ttl).await,
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: State,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        match self {
            Self::Cookie => CookieSessionStore::default().update(key, state, ttl).await,
            Self::Redis(store) => store.update(key, state, ttl).await,
        }
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &CookieDuration) -> anyhow::Result<()> {
        match self {
            Self::Cookie => CookieSessionStore::default().update_ttl(key, ttl).await,
            Self::Redis(store) => store.update_ttl(key, ttl).await,
        }
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        match self {
            Self::Cookie => CookieSessionStore::default().delete(key).await,
            Self::Redis(store) => store.delete(key).await,
        }
    }
}

/// Who the session says is signed in, if they were seen recently enough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signed {
    In(Uuid),
    /// Was signed in, but idle longer than [`IDLE_TIMEOUT`].
    Idle,
    Out,
}

/// What the session says at `now`.
pub fn signed(session: &Session, now: DateTime<Utc>) -> Signed {
    let admin = session.get::<Uuid>(ADMIN).ok().flatten();
    let seen = session.get::<i64>(SEEN).ok().flatten();
    match (admin, seen) {
        (Some(id), Some(seen)) if now.timestamp() - seen <= IDLE_TIMEOUT.num_seconds() => {
            Signed::In(id)
        }
        (Some(_), _) => Signed::Idle,
        (None, _) => Signed::Out,
    }
}

/// The session's CSRF token.
pub fn csrf(session: &Session) -> Option<String> {
    session.get::<String>(CSRF).ok().flatten()
}

/// Records that the admin was seen at `now`.
pub fn touch(session: &Session, now: DateTime<Utc>) {
    if let Err(e) = session.insert(SEEN, now.timestamp()) {
        tracing::warn!(error = %e, "the dashboard session could not be updated");
    }
}

/// Starts the signed-in session of `admin` under a new key (no fixation).
pub fn sign_in(session: &Session, admin: Uuid, now: DateTime<Utc>) -> anyhow::Result<()> {
    session.renew();
    session.remove(PENDING);
    session
        .insert(ADMIN, admin)
        .and_then(|()| session.insert(CSRF, crate::crypto::random_token()))
        .and_then(|()| session.insert(SEEN, now.timestamp()))
        .map_err(|e| anyhow::anyhow!("saving the dashboard session: {e}"))
}

/// Keeps a sign-in in progress.
pub fn keep_pending(session: &Session, pending: &PendingSignIn) -> anyhow::Result<()> {
    session
        .insert(PENDING, pending)
        .map_err(|e| anyhow::anyhow!("saving the dashboard session: {e}"))
}

/// Takes the sign-in in progress (once).
pub fn take_pending(session: &Session) -> Option<PendingSignIn> {
    session.remove_as::<PendingSignIn>(PENDING)?.ok()
}
