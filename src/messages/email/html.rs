//! The HTML part: the rendered text body in an askama layout, escaped by
//! askama; paragraphs and line breaks kept, web addresses made links.

use askama::Template;

/// A run of text, or a link when it is a web address.
pub struct Segment {
    pub text: String,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "email/layout.html")]
struct EmailLayout<'a> {
    lang: &'a str,
    subject: &'a str,
    /// Paragraphs, of lines, of segments.
    paragraphs: Vec<Vec<Vec<Segment>>>,
}

/// Splits a line into text and `http(s)://` links (a link ends at
/// whitespace; trailing punctuation stays text).
fn segments(line: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let push_text = |out: &mut Vec<Segment>, t: &str| {
        if let Some(last) = out.last_mut().filter(|s| s.href.is_none()) {
            last.text.push_str(t);
        } else if !t.is_empty() {
            out.push(Segment {
                text: t.to_owned(),
                href: None,
            });
        }
    };
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            push_text(&mut out, " ");
        }
        if word.starts_with("https://") || word.starts_with("http://") {
            let url = word.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
            out.push(Segment {
                text: url.to_owned(),
                href: Some(url.to_owned()),
            });
            push_text(&mut out, &word[url.len()..]);
        } else {
            push_text(&mut out, word);
        }
    }
    out
}

/// The HTML part of a mail whose text part is `text`.
pub fn wrap(lang: &str, subject: &str, text: &str) -> anyhow::Result<String> {
    let text = text.replace("\r\n", "\n");
    let paragraphs = text
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.lines().map(segments).collect())
        .collect();
    Ok(EmailLayout {
        lang,
        subject,
        paragraphs,
    }
    .render()?)
}
