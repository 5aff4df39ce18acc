//! A browser for one flow: its cookie jar, redirects, and the forms found in the pages.

use super::*;

/// One browser's cookies (a single host): name and path → value.
#[derive(Default)]
pub(crate) struct Jar(pub(crate) HashMap<(String, String), String>);

impl Jar {
    pub(crate) fn header(&self, path: &str) -> String {
        self.0
            .iter()
            .filter(|((_, p), _)| {
                path == p
                    || (path.starts_with(p.as_str())
                        && (p.ends_with('/') || path.as_bytes().get(p.len()) == Some(&b'/')))
            })
            .map(|((n, _), v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn store(&mut self, request_path: &str, res: &reqwest::Response) {
        for line in res.headers().get_all(SET_COOKIE) {
            let Ok(line) = line.to_str() else { continue };
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let mut path = match request_path.rfind('/') {
                Some(0) | None => "/".to_owned(),
                Some(i) => request_path[..i].to_owned(),
            };
            let mut dead = value.trim().is_empty();
            for attr in parts {
                let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
                match k.trim().to_ascii_lowercase().as_str() {
                    "path" if v.trim().starts_with('/') => path = v.trim().to_owned(),
                    "max-age" => dead |= v.trim().parse::<i64>().map(|s| s <= 0).unwrap_or(false),
                    _ => {}
                }
            }
            let key = (name.trim().to_owned(), path);
            if dead {
                self.0.remove(&key);
            } else {
                self.0.insert(key, value.trim().to_owned());
            }
        }
    }
}

#[derive(Debug)]
pub(crate) struct StepError {
    pub(crate) step: &'static str,
    pub(crate) message: String,
}

pub(crate) fn fail<T>(step: &'static str, message: impl Into<String>) -> Result<T, StepError> {
    Err(StepError {
        step,
        message: message.into(),
    })
}

/// A page reached by following redirects, or the callback's URL.
pub(crate) enum Landing {
    Page { url: url::Url, html: String },
    Callback(url::Url),
}

pub(crate) struct Browser<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) jar: Jar,
}

impl Browser<'_> {
    /// Sends a request and follows redirects until a page or the callback.
    pub(crate) async fn go(
        &mut self,
        step: &'static str,
        mut method: reqwest::Method,
        mut url: url::Url,
        mut body: Option<String>,
    ) -> Result<Landing, StepError> {
        for _ in 0..MAX_PAGES {
            if url.as_str().starts_with(REDIRECT_URI) {
                return Ok(Landing::Callback(url));
            }
            let mut req = self.http.request(method.clone(), url.clone());
            let cookies = self.jar.header(url.path());
            if !cookies.is_empty() {
                req = req.header(COOKIE, cookies);
            }
            if let Some(body) = body.take() {
                req = req
                    .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body);
            }
            let res = match req.send().await {
                Ok(res) => res,
                Err(e) => return fail(step, format!("{} {}: {e:?}", method, url.path())),
            };
            self.jar.store(url.path(), &res);
            let status = res.status();
            if status.is_redirection() {
                let Some(location) = res.headers().get(LOCATION).and_then(|l| l.to_str().ok())
                else {
                    return fail(step, "a redirect without Location");
                };
                url = url.join(location).map_err(|e| StepError {
                    step,
                    message: e.to_string(),
                })?;
                method = reqwest::Method::GET;
                let _ = res.bytes().await;
                continue;
            }
            let html = res.text().await.map_err(|e| StepError {
                step,
                message: format!("{e:?}"),
            })?;
            if !status.is_success() {
                return fail(
                    step,
                    format!("HTTP {status} at {}: {}", url.path(), text_of(&html)),
                );
            }
            return Ok(Landing::Page { url, html });
        }
        fail(step, "too many redirects")
    }
}

pub(crate) fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(160)
        .collect()
}

// ---------------------------------------------------------------- forms

pub(crate) type Attrs = HashMap<String, String>;

pub(crate) fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

/// The attributes of a tag, from just after its name to its `>`.
pub(crate) fn attrs(tag: &str) -> Attrs {
    let mut out = Attrs::new();
    let b = tag.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = tag[start..i].to_ascii_lowercase();
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let quote = b[i];
                let vstart = i + 1;
                i = vstart;
                while i < b.len() && b[i] != quote {
                    i += 1;
                }
                value = unescape(&tag[vstart..i.min(b.len())]);
                i += 1;
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = unescape(&tag[vstart..i]);
            }
        }
        out.insert(name, value);
    }
    out
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum FormKind {
    Code,
    Phone,
    Login,
    Other,
}

impl FormKind {
    pub(crate) fn step(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Phone => "phone",
            Self::Login => "login",
            Self::Other => "consent",
        }
    }
}

pub(crate) struct Form {
    pub(crate) kind: FormKind,
    pub(crate) method: String,
    pub(crate) action: String,
    /// `input`s and `button`s, in order.
    pub(crate) fields: Vec<(String, Attrs)>,
}

/// Every tag `<name …>` in `html`, as (attributes).
pub(crate) fn tags<'a>(html: &'a str, name: &'a str) -> impl Iterator<Item = (usize, Attrs)> + 'a {
    let open = format!("<{name}");
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let at = from + html[from..].find(&open)?;
            let after = at + open.len();
            from = after;
            let next = html.as_bytes().get(after).copied().unwrap_or(b'>');
            if !(next.is_ascii_whitespace() || next == b'>' || next == b'/') {
                continue;
            }
            let end = after + html[after..].find('>')?;
            from = end + 1;
            return Some((at, attrs(&html[after..end])));
        }
    })
}

pub(crate) fn forms(html: &str) -> Vec<Form> {
    let mut out = Vec::new();
    for (at, form_attrs) in tags(html, "form") {
        let body_end = html[at..].find("</form").map_or(html.len(), |e| at + e);
        let body = &html[at..body_end];
        let mut fields: Vec<(usize, String, Attrs)> = tags(body, "input")
            .map(|(i, a)| (i, "input".to_owned(), a))
            .chain(tags(body, "button").map(|(i, a)| (i, "button".to_owned(), a)))
            .collect();
        fields.sort_by_key(|(i, _, _)| *i);
        let inputs: Vec<&Attrs> = fields
            .iter()
            .filter(|(_, t, _)| t == "input")
            .map(|(_, _, a)| a)
            .collect();
        let has = |k: &str, v: &str| inputs.iter().any(|a| a.get(k).is_some_and(|x| x == v));
        let kind = if has("autocomplete", "one-time-code") {
            FormKind::Code
        } else if has("type", "tel") || has("autocomplete", "tel") {
            FormKind::Phone
        } else if has("type", "password") {
            FormKind::Login
        } else {
            FormKind::Other
        };
        out.push(Form {
            kind,
            method: form_attrs
                .get("method")
                .cloned()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            action: form_attrs.get("action").cloned().unwrap_or_default(),
            fields: fields.into_iter().map(|(_, t, a)| (t, a)).collect(),
        });
    }
    out
}

/// The form a user submits on a page: code > phone > login > any POST form.
pub(crate) fn pick(html: &str) -> Option<Form> {
    let mut all = forms(html);
    for kind in [FormKind::Code, FormKind::Phone, FormKind::Login] {
        if let Some(i) = all.iter().position(|f| f.kind == kind) {
            return Some(all.swap_remove(i));
        }
    }
    let i = all.iter().position(|f| f.method == "post")?;
    Some(all.swap_remove(i))
}

/// Every named field at its default value, `fill` overriding, plus the
/// first submit button.
pub(crate) fn form_body(form: &Form, fill: impl Fn(&Attrs) -> Option<String>) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut button = false;
    for (tag, a) in &form.fields {
        let Some(name) = a.get("name") else { continue };
        let kind = a
            .get("type")
            .map(|t| t.to_ascii_lowercase())
            .unwrap_or_default();
        let is_button = tag == "button" || kind == "submit";
        if is_button {
            if !button {
                button = true;
                pairs.push((name.clone(), a.get("value").cloned().unwrap_or_default()));
            }
            continue;
        }
        if (kind == "checkbox" || kind == "radio") && !a.contains_key("checked") {
            continue;
        }
        let value = fill(a).unwrap_or_else(|| a.get("value").cloned().unwrap_or_default());
        pairs.push((name.clone(), value));
    }
    serde_urlencoded::to_string(pairs).unwrap()
}

// ---------------------------------------------------------------- one flow
