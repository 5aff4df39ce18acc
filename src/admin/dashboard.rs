//! The dashboard as a relying party of ferrid: its built-in client, who it
//! lets in, and the actions of its pages that are not another use case's
//! (each audit-logged with the admin's id).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::clients::{self, CreateClient, CreateClientError, CreatedClient};
use crate::config::Settings;
use crate::domain::{ClientId, ClientName, ClientType, Connection, GrantType, RedirectUri};
use crate::store::{self, ConnectionTrait, DatabaseConnection, clients::NewClient, users::User};

/// The dashboard's client id: reserved, so nobody can register it.
pub const ADMIN_CLIENT_ID: &str = "ferrid.admin";

/// The dashboard's redirect URI under the issuer.
pub fn redirect_uri(settings: &Settings) -> String {
    format!("{}/admin/callback", settings.issuer_base())
}

/// Registers the dashboard's client when missing, or registers it again
/// when the issuer (its redirect URI) changed. A public client: the
/// dashboard proves the code exchange with PKCE, and holds no secret that
/// could leak. It requires MFA: the hosted login asks every admin for a
/// second factor, and walks one without any through enrolling one.
pub async fn ensure_admin_client(
    db: &DatabaseConnection,
    settings: &Settings,
) -> anyhow::Result<()> {
    let client_id = ClientId::parse(ADMIN_CLIENT_ID).map_err(anyhow::Error::msg)?;
    let redirect = RedirectUri::parse(&redirect_uri(settings))
        .map_err(|e| anyhow::anyhow!("the issuer cannot host the dashboard's redirect URI: {e}"))?;
    let post_logout = RedirectUri::parse(&format!("{}/admin", settings.issuer_base()))
        .map_err(anyhow::Error::msg)?;
    if let Some(existing) = store::clients::find_by_client_id(db, &client_id).await? {
        if existing.redirect_uris == [redirect.clone()] && existing.require_mfa {
            return Ok(());
        }
        store::clients::delete_by_client_id(db, &client_id).await?;
    }
    let new = NewClient {
        client_id,
        secret_hash: None,
        name: ClientName::parse("ferrid dashboard").map_err(anyhow::Error::msg)?,
        client_type: ClientType::Public,
        redirect_uris: vec![redirect],
        post_logout_redirect_uris: vec![post_logout],
        allowed_origins: vec![],
        grant_types: vec![GrantType::AuthorizationCode],
        connections: Connection::ALL.to_vec(),
        first_party: true,
        require_mfa: true,
        allowed_scopes: vec![],
        refresh_without_offline_access: false,
        introspect: false,
    };
    match store::clients::insert(db, new).await {
        // Another instance starting at the same time registered it.
        Ok(_) | Err(store::StoreError::Conflict) => Ok(()),
        Err(store::StoreError::Unexpected(e)) => Err(e),
    }
}

/// Whether a signed-in user may use the dashboard.
#[derive(Clone, Debug)]
pub enum Admission {
    Admitted(User),
    /// Signed in, but not an admin (or blocked): a refusal page.
    NotAnAdmin,
    /// The account is gone.
    NoSuchUser,
}

/// Whether `user_id` may use the dashboard now: checked at sign-in and at
/// every request, so that a revoke or a block takes effect at once.
pub async fn admit(db: &impl ConnectionTrait, user_id: Uuid) -> anyhow::Result<Admission> {
    Ok(match store::users::find_by_id(db, user_id).await? {
        Some(user) if user.admin && !user.blocked => Admission::Admitted(user),
        Some(_) => Admission::NotAnAdmin,
        None => Admission::NoSuchUser,
    })
}

/// Records a refused sign-in to the dashboard.
pub async fn record_refused(db: &impl ConnectionTrait, user_id: Uuid, now: DateTime<Utc>) {
    crate::audit::record_for_user(
        db,
        now,
        user_id,
        "admin.refused",
        Some(user_id.to_string()),
        None,
        serde_json::json!({}),
    )
    .await;
}

/// Records an admin's sign-in to the dashboard.
pub async fn record_signed_in(db: &impl ConnectionTrait, admin: Uuid, now: DateTime<Utc>) {
    crate::audit::record_by_admin(
        db,
        now,
        admin,
        "admin.signed_in",
        Some(admin.to_string()),
        None,
        serde_json::json!({}),
    )
    .await;
}

/// Records an admin's sign-out from the dashboard.
pub async fn record_signed_out(db: &impl ConnectionTrait, admin: Uuid, now: DateTime<Utc>) {
    crate::audit::record_by_admin(
        db,
        now,
        admin,
        "admin.signed_out",
        Some(admin.to_string()),
        None,
        serde_json::json!({}),
    )
    .await;
}

/// The overview's numbers.
#[derive(Clone, Debug, Default)]
pub struct Overview {
    pub users: u64,
    pub admins: u64,
    pub blocked: u64,
    /// Registered applications, ferrid's built-in clients not counted.
    pub applications: u64,
    /// Completed sign-ins per day (`session.signed_in`), oldest day first.
    pub sign_ins: Vec<DayCount>,
    /// SMS messages handed to the provider per day (`sms.sent`).
    pub sms_sent: Vec<DayCount>,
    /// Sends the abuse defences refused per day (`otp.send_refused`).
    pub refused: Vec<DayCount>,
    /// Codes sent and verified per country, the most sent first.
    pub countries: Vec<CountryCount>,
}

/// How many events one UTC day had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCount {
    pub day: chrono::NaiveDate,
    pub count: u64,
}

/// How many days the overview's charts show, today included.
pub const CHART_DAYS: u32 = 30;

/// More events than this in the window are not counted (the charts stay
/// cheap on a busy installation; their bars then stop short).
const CHART_EVENTS_LIMIT: u64 = 500_000;

/// The overview's numbers at `now`.
pub async fn overview(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<Overview> {
    let counts = store::users::count(db).await?;
    let applications = clients::list_clients(db)
        .await?
        .iter()
        .filter(|c| !c.client_id.is_reserved())
        .count() as u64;
    Ok(Overview {
        users: counts.all,
        admins: counts.admins,
        blocked: counts.blocked,
        applications,
        sign_ins: per_day(db, "session.signed_in", now).await?,
        sms_sent: per_day(db, "sms.sent", now).await?,
        refused: per_day(db, "otp.send_refused", now).await?,
        countries: per_country(db, now).await?,
    })
}

/// Codes sent and codes verified in one country over the chart's days: a
/// country with many sent and few verified is where SMS pumping shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryCount {
    /// The calling code, such as `+44`.
    pub country: String,
    pub sent: u64,
    pub verified: u64,
}

/// Countries shown, the most sent first.
const COUNTRIES_SHOWN: usize = 10;

/// Codes sent and verified per country over the last [`CHART_DAYS`] days.
async fn per_country(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<CountryCount>> {
    let since = now - chrono::Duration::days(i64::from(CHART_DAYS));
    let sent = store::audit_events::count_by_detail_since(
        db,
        "sms.sent",
        "country",
        since,
        CHART_EVENTS_LIMIT,
    )
    .await?;
    let verified = store::audit_events::count_by_detail_since(
        db,
        "otp.verified",
        "country",
        since,
        CHART_EVENTS_LIMIT,
    )
    .await?;
    let mut countries: Vec<CountryCount> = sent
        .iter()
        .map(|(country, sent)| CountryCount {
            country: country.clone(),
            sent: *sent,
            verified: verified.get(country).copied().unwrap_or(0),
        })
        .collect();
    countries.sort_by(|a, b| b.sent.cmp(&a.sent).then_with(|| a.country.cmp(&b.country)));
    countries.truncate(COUNTRIES_SHOWN);
    Ok(countries)
}

/// The events of `kind` per day over the last [`CHART_DAYS`] days.
async fn per_day(
    db: &impl ConnectionTrait,
    kind: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<DayCount>> {
    let today = now.date_naive();
    let first = today - chrono::Days::new(u64::from(CHART_DAYS - 1));
    let since = first.and_time(chrono::NaiveTime::MIN).and_utc();
    let times = store::audit_events::list_times_since(db, kind, since, CHART_EVENTS_LIMIT).await?;
    Ok(count_per_day(first, today, &times))
}

/// Counts `times` per day from `first` to `last`, days without any at 0.
fn count_per_day(
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    times: &[DateTime<Utc>],
) -> Vec<DayCount> {
    let mut days: Vec<DayCount> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|day| DayCount { day, count: 0 })
        .collect();
    for at in times {
        let day = at.date_naive();
        if let Some(slot) = days.iter_mut().find(|d| d.day == day) {
            slot.count += 1;
        }
    }
    days
}

/// Registers an application for the admin `admin` (audit `client.created`).
pub async fn create_application(
    db: &DatabaseConnection,
    admin: Uuid,
    request: CreateClient,
    now: DateTime<Utc>,
) -> Result<CreatedClient, CreateClientError> {
    let created = clients::create_client(db, request).await?;
    crate::audit::record_by_admin(
        db,
        now,
        admin,
        "client.created",
        Some(created.client.client_id.to_string()),
        None,
        serde_json::json!({ "name": created.client.name.as_ref() }),
    )
    .await;
    Ok(created)
}

/// Deletes an application for the admin `admin` (audit `client.deleted`);
/// whether it existed.
pub async fn delete_application(
    db: &DatabaseConnection,
    admin: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let deleted = clients::delete_client(db, client_id).await?;
    if deleted {
        crate::audit::record_by_admin(
            db,
            now,
            admin,
            "client.deleted",
            Some(client_id.to_string()),
            None,
            serde_json::json!({}),
        )
        .await;
    }
    Ok(deleted)
}

/// What became of a return to the dashboard from the hosted login.
#[derive(Debug)]
pub enum SignInOutcome {
    /// An admin, with a second factor proved: open the dashboard session.
    Admitted(User),
    /// Signed in, but not an admin (or blocked): refused, audited.
    NotAnAdmin,
    Failed(super::relying_party::SignInError),
}

/// Finishes the dashboard's sign-in (see [`super::relying_party::finish`])
/// and decides whether the user may use the dashboard.
pub async fn complete_sign_in(
    db: &DatabaseConnection,
    settings: &Settings,
    pending: Option<super::relying_party::PendingSignIn>,
    back: super::relying_party::Callback,
    now: DateTime<Utc>,
) -> anyhow::Result<SignInOutcome> {
    use super::relying_party::{SignInError, finish};
    let user_id = match finish(
        settings.issuer_base(),
        &redirect_uri(settings),
        pending,
        back,
    )
    .await
    {
        Ok(id) => id,
        Err(SignInError::Unexpected(e)) => return Err(e),
        Err(e) => return Ok(SignInOutcome::Failed(e)),
    };
    match admit(db, user_id).await? {
        Admission::Admitted(user) => {
            record_signed_in(db, user.id, now).await;
            Ok(SignInOutcome::Admitted(user))
        }
        Admission::NotAnAdmin | Admission::NoSuchUser => {
            record_refused(db, user_id, now).await;
            Ok(SignInOutcome::NotAnAdmin)
        }
    }
}

/// Changes an application's settings for the admin `admin` (audit
/// `client.updated`).
pub async fn edit_application(
    db: &DatabaseConnection,
    admin: Uuid,
    client_id: &ClientId,
    settings: store::clients::ClientSettings,
    now: DateTime<Utc>,
) -> Result<store::clients::Client, clients::EditClientError> {
    let client = clients::edit_client(db, client_id, settings, now).await?;
    crate::audit::record_by_admin(
        db,
        now,
        admin,
        "client.updated",
        Some(client_id.to_string()),
        None,
        serde_json::json!({
            "redirect_uris": client.redirect_uris.len(),
            "require_mfa": client.require_mfa,
        }),
    )
    .await;
    Ok(client)
}

/// Rotates an application's secret for the admin `admin` (audit
/// `client.secret_rotated`; never the secret).
pub async fn rotate_application_secret(
    db: &DatabaseConnection,
    admin: Uuid,
    client_id: &ClientId,
    now: DateTime<Utc>,
) -> anyhow::Result<clients::RotateSecretOutcome> {
    let outcome = clients::rotate_secret(db, None, client_id, now).await?;
    if let clients::RotateSecretOutcome::Rotated(_) = outcome {
        crate::audit::record_by_admin(
            db,
            now,
            admin,
            "client.secret_rotated",
            Some(client_id.to_string()),
            None,
            serde_json::json!({}),
        )
        .await;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_counted_on_their_utc_day_and_empty_days_are_zero() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let at = |d: u32, h: u32| day(d).and_hms_opt(h, 0, 0).unwrap().and_utc();
        let counted = count_per_day(day(1), day(3), &[at(1, 0), at(1, 23), at(3, 12)]);
        assert_eq!(
            counted.iter().map(|d| d.count).collect::<Vec<_>>(),
            vec![2, 0, 1]
        );
        assert_eq!(counted[1].day, day(2));
    }
}
