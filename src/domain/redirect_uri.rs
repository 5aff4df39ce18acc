use std::fmt;

use url::Url;

/// A redirect URI as registered for a client and compared byte for byte.
///
/// Parsing enforces RFC 6749 §3.1.2 (absolute, no fragment) and RFC 8252
/// (plain `http` only on loopback; private-use schemes for native apps must
/// look like a reversed domain name). The original text is kept: matching is
/// exact string comparison, never a normalised one (OAuth 2.0 Security BCP §4.1).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|_| format!("`{raw}` is not an absolute URI"))?;
        if url.fragment().is_some() || raw.contains('#') {
            return Err(format!(
                "`{raw}` has a fragment, which redirect URIs may not have"
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if super::is_loopback_host(&url) => {}
            "http" => {
                return Err(format!(
                    "`{raw}` uses http on a non-loopback host; use https (http is only for 127.0.0.1, [::1] or localhost)"
                ));
            }
            // RFC 8252 §7.1: private-use URI schemes are reversed domain names.
            scheme if scheme.contains('.') => {}
            scheme => return Err(format!("`{raw}` has an unsupported scheme `{scheme}`")),
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URI as a parsed URL, to append response parameters to.
    pub fn to_url(&self) -> Url {
        // Parsing succeeded when the value was made.
        Url::parse(&self.0).unwrap_or_else(|_| unreachable!("RedirectUri holds a parsed URL"))
    }
}

impl AsRef<str> for RedirectUri {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUri({})", self.0)
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RedirectUri> for String {
    fn from(value: RedirectUri) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_and_native_schemes_are_accepted() {
        for ok in [
            "https://app.example.com/cb",
            "https://app.example.com/cb?x=1",
            "http://127.0.0.1:3000/cb",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn relative_fragment_plain_http_and_odd_schemes_are_refused() {
        for bad in [
            "/cb",
            "app.example.com/cb",
            "https://app.example.com/cb#frag",
            "http://app.example.com/cb",
            "javascript:alert(1)",
            "ftp://x/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_original_text_is_kept_for_exact_matching() {
        let a = RedirectUri::parse("https://APP.example.com/cb").unwrap();
        assert_eq!(a.as_str(), "https://APP.example.com/cb");
        assert_ne!(a, RedirectUri::parse("https://app.example.com/cb").unwrap());
    }
}
