//! Which user claims each scope stands for (OIDC Core §5.4), and which
//! claims a request asks for beyond its scope (§5.5).

use super::Scope;

/// The claims each scope stands for (OIDC Core §5.4).
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "phone" => &["phone_number", "phone_number_verified"],
        "email" => &["email", "email_verified"],
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        _ => &[],
    }
}

/// The scope whose consent covers a claim about the user; `None` for names
/// that are not user claims (ferrid releases nothing under those).
pub fn scope_of_claim(name: &str) -> Option<&'static str> {
    ["phone", "email", "profile"]
        .into_iter()
        .find(|scope| scope_claims(scope).contains(&name))
}

/// The claims among `names` that none of `scope`'s values covers: the ones
/// a consent must name one by one (OIDC Core §5.5 leaves the rule to the OP).
pub fn uncovered_claims(scope: &Scope, names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|name| scope_of_claim(name).is_some_and(|s| !scope.contains(s)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_outside_the_scope_are_uncovered() {
        let names: Vec<String> = ["phone_number", "email", "locale", "sub", "acr"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            uncovered_claims(&Scope::parse_known("openid phone"), &names),
            vec!["email".to_owned(), "locale".to_owned()]
        );
        assert!(
            uncovered_claims(&Scope::parse_known("openid phone email profile"), &names).is_empty()
        );
        assert_eq!(scope_of_claim("phone_number_verified"), Some("phone"));
        assert_eq!(scope_of_claim("sub"), None);
    }
}
