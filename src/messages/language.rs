//! Which language a message is written in: the first of the request's
//! preferences that has a template, matched by whole BCP 47 tag and then by
//! primary subtag (`fr-CA` falls back to `fr`), else the default.

/// The languages a request asked for, most preferred first, from (in order)
/// the `x-request-language` header, `ui_locales`, and `Accept-Language`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LanguagePreference(Vec<String>);

impl LanguagePreference {
    pub fn from_sources(
        x_request_language: Option<&str>,
        ui_locales: Option<&str>,
        accept_language: Option<&str>,
    ) -> Self {
        let mut tags: Vec<String> = Vec::new();
        if let Some(h) = x_request_language {
            tags.extend(h.split(',').map(|t| t.trim().to_owned()));
        }
        if let Some(u) = ui_locales {
            tags.extend(u.split(' ').map(|t| t.trim().to_owned()));
        }
        if let Some(a) = accept_language {
            tags.extend(parse_accept_language(a));
        }
        tags.retain(|t| is_tag(t));
        Self(tags)
    }

    /// The most preferred language, as the request gave it.
    pub fn first(&self) -> Option<&str> {
        self.0.first().map(String::as_str)
    }

    pub fn tags(&self) -> &[String] {
        &self.0
    }
}

fn is_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 35
        && t.split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `Accept-Language` (RFC 9110 §12.5.4), ordered by quality; `*` and q=0 dropped.
fn parse_accept_language(header: &str) -> Vec<String> {
    let mut weighted: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_owned();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .map(|q| q.parse::<f32>().unwrap_or(0.0))
                })
                .unwrap_or(1.0);
            (tag != "*" && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    weighted.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1))
    });
    weighted.into_iter().map(|(_, _, tag)| tag).collect()
}

/// The best of `available` (language tags) for the preference: exact tag
/// first, then primary subtag, in preference order; `None` for the default.
pub fn negotiate<'a>(
    preference: &LanguagePreference,
    available: impl Iterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    for wanted in preference.tags() {
        if let Some(exact) = available.clone().find(|a| a.eq_ignore_ascii_case(wanted)) {
            return Some(exact);
        }
        let primary = wanted.split('-').next().unwrap_or(wanted);
        if let Some(general) = available.clone().find(|a| a.eq_ignore_ascii_case(primary)) {
            return Some(general);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_taken_in_order_and_accept_language_by_quality() {
        let p = LanguagePreference::from_sources(
            Some("nl"),
            Some("de fr"),
            Some("es;q=0.5, it, *;q=0.1"),
        );
        assert_eq!(p.tags(), ["nl", "de", "fr", "it", "es"]);
        assert_eq!(p.first(), Some("nl"));
    }

    #[test]
    fn exact_tag_then_primary_subtag_then_default() {
        let available = ["fr", "nl", "pt-BR"];
        let pick = |tags: &str| {
            negotiate(
                &LanguagePreference::from_sources(None, Some(tags), None),
                available.iter().copied(),
            )
        };
        assert_eq!(pick("fr-CA"), Some("fr"));
        assert_eq!(pick("pt-BR"), Some("pt-BR"));
        assert_eq!(pick("pt-PT"), None, "pt-BR is not pt");
        assert_eq!(pick("de nl"), Some("nl"));
        assert_eq!(pick("se"), None);
    }
}
