//! Which user claims go where (OIDC Core §5.1, §5.4, §5.5).

use serde_json::{Map, Value};

use crate::domain::{Scope, scope_claims};
use crate::store::users::User;

/// Every claim the user has, by name.
fn user_claims(user: &User) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(phone) = &user.phone {
        out.insert("phone_number".into(), phone.as_str().into());
        out.insert(
            "phone_number_verified".into(),
            user.phone_verified_at.is_some().into(),
        );
    }
    if let Some(email) = &user.email {
        out.insert("email".into(), email.as_str().into());
        out.insert(
            "email_verified".into(),
            user.email_verified_at.is_some().into(),
        );
    }
    if let Some(name) = &user.name {
        out.insert("name".into(), name.as_str().into());
    }
    if let Some(locale) = &user.locale {
        out.insert("locale".into(), locale.as_str().into());
    }
    out.insert("updated_at".into(), user.updated_at.timestamp().into());
    out
}

/// UserInfo's claims: `sub` and those of the granted scopes that the user has.
pub fn userinfo_claims(user: &User, scope: &Scope) -> Value {
    let all = user_claims(user);
    let mut out = Map::new();
    out.insert("sub".into(), user.id.to_string().into());
    for name in scope.iter().flat_map(scope_claims) {
        if let Some(value) = all.get(*name) {
            out.insert((*name).to_owned(), value.clone());
        }
    }
    Value::Object(out)
}

/// The claims asked for in the ID token with the `claims` parameter. In the
/// code flow the scopes' claims otherwise come from UserInfo (OIDC Core §5.4).
pub fn requested_claims(user: &User, names: &[String]) -> Map<String, Value> {
    let all = user_claims(user);
    let mut out = Map::new();
    for name in names {
        if let Some(value) = all.get(name) {
            out.insert(name.clone(), value.clone());
        }
        // The verified flag travels with its claim (same scope, same consent).
        let flag = format!("{name}_verified");
        if let Some(value) = all.get(&flag) {
            out.insert(flag, value.clone());
        }
    }
    out
}
