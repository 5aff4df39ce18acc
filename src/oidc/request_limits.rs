//! Length limits of authorization request parameters. The request is kept
//! for the whole sign-in (`tokens.login_transaction_ttl`), so an unbounded
//! one would let anyone fill the database; the limits leave room for every
//! legitimate use (a signed `state`, a hashed `nonce`, a few claims).

/// A parameter with its own limit, in bytes.
struct Limit {
    name: &'static str,
    max_bytes: usize,
    /// The `error_description` of `invalid_request` beyond it.
    error: &'static str,
}

const LIMITS: &[Limit] = &[
    Limit {
        name: "state",
        max_bytes: 1024,
        error: "The state parameter is longer than 1024 bytes",
    },
    Limit {
        name: "nonce",
        max_bytes: 512,
        error: "The nonce parameter is longer than 512 bytes",
    },
    Limit {
        name: "claims",
        max_bytes: 4096,
        error: "The claims parameter is longer than 4096 bytes",
    },
    Limit {
        name: "login_hint",
        max_bytes: 256,
        error: "The login_hint parameter is longer than 256 bytes",
    },
    Limit {
        name: "ui_locales",
        max_bytes: 256,
        error: "The ui_locales parameter is longer than 256 bytes",
    },
    Limit {
        name: "id_token_hint",
        max_bytes: 8192,
        error: "The id_token_hint parameter is longer than 8192 bytes",
    },
    Limit {
        name: "scope",
        max_bytes: 1024,
        error: "The scope parameter is longer than 1024 bytes",
    },
    Limit {
        name: "acr_values",
        max_bytes: 512,
        error: "The acr_values parameter is longer than 512 bytes",
    },
];

/// Short parameters ferrid reads; a longer value is never a valid one.
const SHORT: &[&str] = &[
    "response_type",
    "response_mode",
    "prompt",
    "max_age",
    "display",
    "code_challenge",
    "code_challenge_method",
];

const SHORT_LIMIT: Limit = Limit {
    name: "",
    max_bytes: 256,
    error: "A parameter is longer than 256 bytes",
};

/// The first parameter longer than its limit, with the error's description.
/// `client_id` and `redirect_uri` are left out: they must equal registered
/// values, so nothing unbounded is kept from them. Parameters ferrid does
/// not know are ignored, as RFC 6749 §3.1 requires, and never stored.
pub fn oversized_parameter(params: &[(String, String)]) -> Option<(&str, &'static str)> {
    params.iter().find_map(|(k, v)| {
        let limit = match LIMITS.iter().find(|l| l.name == k) {
            Some(limit) => limit,
            None if SHORT.contains(&k.as_str()) => &SHORT_LIMIT,
            None => return None,
        };
        (v.len() > limit.max_bytes).then_some((k.as_str(), limit.error))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_over_their_limit_are_named() {
        let name = |k: &str, n: usize| {
            oversized_parameter(&[(k.to_owned(), "x".repeat(n))]).map(|(k, _)| k.to_owned())
        };
        assert_eq!(name("state", 1024), None);
        assert_eq!(name("state", 1025).as_deref(), Some("state"));
        assert_eq!(name("nonce", 513).as_deref(), Some("nonce"));
        assert_eq!(name("display", 257).as_deref(), Some("display"));
        assert_eq!(name("redirect_uri", 5000), None);
        assert_eq!(name("some_extension", 5000), None);
        for limit in LIMITS {
            assert!(limit.error.contains(limit.name));
            assert!(limit.error.contains(&limit.max_bytes.to_string()));
        }
    }
}
