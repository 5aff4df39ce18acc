//! Pending authorization requests while the user signs in. The browser
//! carries only an opaque id; its SHA-256 is the key.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;

use super::{StoreError, from_json_list, to_json_list};
use crate::domain::{AuthMethod, EmailAddress, PhoneNumber, Recipient};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_transactions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id_hash: String,
        pub client_id: String,
        pub redirect_uri: String,
        pub request: String,
        pub challenge_id: Option<Uuid>,
        pub phone_e164: Option<String>,
        pub consent_sid: Option<String>,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub return_to: Option<String>,
        pub user_id: Option<Uuid>,
        pub proven: Option<String>,
        pub step_up_sid: Option<String>,
        pub email: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A stored login transaction; `request` is the serialized authorization request.
#[derive(Clone, Debug)]
pub struct StoredTransaction {
    pub id_hash: String,
    pub request: String,
    pub challenge_id: Option<Uuid>,
    /// Where the challenge's code went.
    pub recipient: Option<Recipient>,
    /// The SSO session shown the consent page, while the sign-in waits there.
    pub consent_sid: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Set for a sign-in started by ferrid's own pages: where it returns.
    pub return_to: Option<String>,
    /// Whose sign-in it is, once a first factor was proved (or the SSO
    /// session of a step-up was).
    pub user_id: Option<Uuid>,
    /// The methods proved so far, in order.
    pub proven: Vec<AuthMethod>,
    /// The SSO session a step-up started from; it ends when the step-up
    /// opens its stronger one.
    pub step_up_sid: Option<String>,
}

impl TryFrom<entity::Model> for StoredTransaction {
    type Error = anyhow::Error;

    fn try_from(m: entity::Model) -> anyhow::Result<Self> {
        let proven = match &m.proven {
            Some(text) => AuthMethod::methods_of_amr(&from_json_list(text)?)
                .ok_or_else(|| anyhow::anyhow!("a sign-in's stored methods are not valid"))?,
            None => Vec::new(),
        };
        Ok(Self {
            id_hash: m.id_hash,
            request: m.request,
            challenge_id: m.challenge_id,
            recipient: match (m.phone_e164.as_deref(), m.email.as_deref()) {
                (Some(phone), _) => Some(Recipient::Phone(PhoneNumber::from_trusted_e164(phone))),
                (None, Some(email)) => Some(Recipient::Email(EmailAddress::from_trusted(email))),
                (None, None) => None,
            },
            consent_sid: m.consent_sid,
            expires_at: m.expires_at,
            return_to: m.return_to,
            user_id: m.user_id,
            proven,
            step_up_sid: m.step_up_sid,
        })
    }
}

/// A sign-in to store.
#[derive(Clone, Debug)]
pub struct NewTransaction<'a> {
    pub id_hash: String,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub request: String,
    /// Set when the sign-in starts at its consent step.
    pub consent_sid: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set for a sign-in started by ferrid's own pages (the account area).
    pub return_to: Option<&'a str>,
    /// A step-up: the signed-in user, the methods of their SSO session,
    /// and its `sid`. The sign-in starts at its second factor.
    pub step_up: Option<StepUp<'a>>,
}

/// The SSO session a step-up starts from.
#[derive(Clone, Copy, Debug)]
pub struct StepUp<'a> {
    pub user_id: Uuid,
    pub proven: &'a [AuthMethod],
    pub sid: &'a str,
}

fn proven_json(methods: &[AuthMethod]) -> String {
    to_json_list(methods)
}

pub async fn insert(db: &impl ConnectionTrait, new: NewTransaction<'_>) -> Result<(), StoreError> {
    Entity::insert(ActiveModel {
        id_hash: Set(new.id_hash),
        client_id: Set(new.client_id.to_owned()),
        redirect_uri: Set(new.redirect_uri.to_owned()),
        request: Set(new.request),
        challenge_id: Set(None),
        phone_e164: Set(None),
        consent_sid: Set(new.consent_sid.map(str::to_owned)),
        created_at: Set(new.created_at),
        expires_at: Set(new.expires_at),
        return_to: Set(new.return_to.map(str::to_owned)),
        user_id: Set(new.step_up.map(|s| s.user_id)),
        proven: Set(new.step_up.map(|s| proven_json(s.proven))),
        step_up_sid: Set(new.step_up.map(|s| s.sid.to_owned())),
        email: Set(None),
    })
    // Without RETURNING, and on SQLite without the SELECT that `.insert()`
    // adds to read the row back: nothing of it is needed.
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A live transaction as a login page reads it: with the value of a
/// setting (the sign-in policy) and when its challenge's code was last
/// sent.
#[derive(Clone, Debug)]
pub struct TransactionPage {
    pub transaction: StoredTransaction,
    pub setting: Option<String>,
    pub challenge_sent_at: Option<DateTime<Utc>>,
}

/// The transaction, if it exists and has not expired, with the value of
/// the setting `key` and its challenge's last send, all read by one
/// statement: every login page needs them, and one statement is one trip
/// to the database.
pub async fn find_live_page(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
    key: &str,
) -> Result<Option<TransactionPage>, StoreError> {
    use super::{otp_challenges, settings};
    use sea_orm::ExprTrait;
    use sea_orm::sea_query::Query;
    use sea_orm::{FromQueryResult, QuerySelect, QueryTrait};
    const SETTING: &str = "page_setting";
    const SENT_AT: &str = "page_challenge_sent_at";
    let setting = Query::select()
        .column(settings::Column::Value)
        .from(settings::Entity)
        .and_where(Expr::col((settings::Entity, settings::Column::Key)).eq(key))
        .to_owned();
    let sent_at = Query::select()
        .column(otp_challenges::Column::LastSentAt)
        .from(otp_challenges::Entity)
        .and_where(
            Expr::col((otp_challenges::Entity, otp_challenges::Column::Id))
                .equals((Entity, Column::ChallengeId)),
        )
        .to_owned();
    let statement = Entity::find_by_id(id_hash.to_owned())
        .filter(Column::ExpiresAt.gt(now))
        .expr_as(Expr::SubQuery(None, Box::new(setting.into())), SETTING)
        .expr_as(Expr::SubQuery(None, Box::new(sent_at.into())), SENT_AT)
        .build(db.get_database_backend());
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    Ok(Some(TransactionPage {
        transaction: StoredTransaction::try_from(entity::Model::from_query_result(&row, "")?)?,
        setting: row.try_get("", SETTING)?,
        challenge_sent_at: row.try_get("", SENT_AT)?,
    }))
}

/// Takes the sign-in for the one answer it gets: its challenge is done
/// with. `false` when it was answered already (or waits at its consent
/// step), so that two right answers racing to one sign-in sign in once: on
/// PostgreSQL the second waits for the first's row lock and then finds the
/// row gone or moved on; on SQLite write transactions run one at a time.
pub async fn claim_for_sign_in(
    db: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<bool, StoreError> {
    let res = Entity::update_many()
        .col_expr(Column::ChallengeId, Expr::value(Option::<Uuid>::None))
        .col_expr(Column::PhoneE164, Expr::value(Option::<String>::None))
        .col_expr(Column::Email, Expr::value(Option::<String>::None))
        .filter(Column::IdHash.eq(id_hash))
        .filter(Column::ConsentSid.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The first factor is proved: the sign-in is `user_id`'s, and waits for a
/// second factor. The first factor's challenge is done with.
pub async fn update_first_factor_proven(
    db: &impl ConnectionTrait,
    id_hash: &str,
    user_id: Uuid,
    proven: &[AuthMethod],
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::ChallengeId, Expr::value(Option::<Uuid>::None))
        .col_expr(Column::PhoneE164, Expr::value(Option::<String>::None))
        .col_expr(Column::Email, Expr::value(Option::<String>::None))
        .col_expr(Column::UserId, Expr::value(user_id))
        .col_expr(Column::Proven, Expr::value(proven_json(proven)))
        .filter(Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Attaches (or, with `None`, detaches) the OTP challenge and the phone
/// number or email address its code went to.
pub async fn update_challenge(
    db: &impl ConnectionTrait,
    id_hash: &str,
    challenge: Option<(Uuid, &Recipient)>,
) -> Result<(), StoreError> {
    let phone = |recipient: &Recipient| recipient.phone().map(|p| p.as_str().to_owned());
    let email = |recipient: &Recipient| recipient.email().map(|e| e.as_str().to_owned());
    Entity::update_many()
        .col_expr(
            Column::ChallengeId,
            Expr::value(challenge.map(|(id, _)| id)),
        )
        .col_expr(
            Column::PhoneE164,
            Expr::value(challenge.and_then(|(_, recipient)| phone(recipient))),
        )
        .col_expr(
            Column::Email,
            Expr::value(challenge.and_then(|(_, recipient)| email(recipient))),
        )
        .filter(Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the sign-in to its consent step for the SSO session `sid`: the
/// challenge is done with, and only that session may answer.
pub async fn update_awaiting_consent(
    db: &impl ConnectionTrait,
    id_hash: &str,
    sid: &str,
) -> Result<(), StoreError> {
    Entity::update_many()
        .col_expr(Column::ChallengeId, Expr::value(Option::<Uuid>::None))
        .col_expr(Column::PhoneE164, Expr::value(Option::<String>::None))
        .col_expr(Column::Email, Expr::value(Option::<String>::None))
        .col_expr(Column::ConsentSid, Expr::value(sid))
        .filter(Column::IdHash.eq(id_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes a sign-in waiting at its consent step for `sid`; `false` when it
/// is not (any more), so that one consent answers once.
pub async fn delete_awaiting_consent(
    db: &impl ConnectionTrait,
    id_hash: &str,
    sid: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::IdHash.eq(id_hash))
        .filter(Column::ConsentSid.eq(sid))
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    Entity::delete_by_id(id_hash.to_owned()).exec(db).await?;
    Ok(())
}

/// Deletes sign-ins that expired before `before`.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = Entity::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
