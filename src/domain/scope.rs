use std::fmt;

/// The scopes ferrid knows; others in a request are ignored (OIDC Core §3.1.2.1).
pub const SUPPORTED_SCOPES: &[&str] = &["openid", "phone", "email", "profile", "offline_access"];

/// A set of known scope values, in the order first given, without duplicates.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Scope(Vec<String>);

impl Scope {
    /// Parses a space-separated scope string, keeping only supported values.
    pub fn parse_known(raw: &str) -> Self {
        let mut values: Vec<String> = Vec::new();
        for value in raw.split(' ').filter(|v| !v.is_empty()) {
            if SUPPORTED_SCOPES.contains(&value) && !values.iter().any(|v| v == value) {
                values.push(value.to_owned());
            }
        }
        Self(values)
    }

    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A scope of arbitrary values (a client's API scopes), deduplicated.
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut out: Vec<String> = Vec::new();
        for v in values {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_owned());
            }
        }
        Self(out)
    }

    /// Whether every value of `other` is in this scope.
    pub fn contains_all(&self, other: &Scope) -> bool {
        other.0.iter().all(|v| self.contains(v))
    }

    pub fn remove(&mut self, value: &str) {
        self.0.retain(|v| v != value);
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_duplicate_scopes_are_dropped() {
        let s = Scope::parse_known("openid  phone unknown phone address");
        assert_eq!(s.to_string(), "openid phone");
        assert!(s.contains("openid"));
        assert!(!s.contains("address"));
    }
}
