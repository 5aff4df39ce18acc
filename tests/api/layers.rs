//! The layers of ARCHITECTURE.md, checked on the source text of `src/`:
//! only `http/`, `cli/`, `startup.rs` and `main.rs` import actix; `domain/`
//! imports nothing else of ferrid; `oidc/` and `login/` do not import each
//! other (both use `session/`); nothing but `main.rs` and `cli/` imports
//! `startup`.

use std::path::{Path, PathBuf};

/// Where actix may be named: the HTTP side and what wires it.
const ACTIX_ALLOWED: &[&str] = &["http", "cli", "startup.rs", "main.rs"];

/// Areas that must not import each other, both ways.
const APART: (&str, &str) = ("oidc", "login");

/// Breaches known and being removed, by the start of their report line.
/// The passwordless API still sends its code through the hosted login's
/// pipeline until both call the one pipeline in `otp/send.rs`; each entry
/// must still be needed, so the list only shrinks.
const NOT_YET: &[&str] = &[];

/// A Rust file under `src/`: its path from `src/` and its text.
struct Source {
    path: PathBuf,
    text: String,
}

impl Source {
    /// The module path of the file: `oidc/authorize/mod.rs` is
    /// `["oidc", "authorize"]`, `oidc/token.rs` is `["oidc", "token"]`.
    fn module(&self) -> Vec<String> {
        let mut parts: Vec<String> = self
            .path
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if let Some(last) = parts.pop() {
            match last.as_str() {
                "mod.rs" | "lib.rs" | "main.rs" => {}
                file => parts.push(file.trim_end_matches(".rs").to_owned()),
            }
        }
        parts
    }

    /// The top-level area: `http`, `oidc`, `startup.rs`, `main.rs` …
    fn area(&self) -> String {
        self.path
            .iter()
            .next()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

fn read_sources(dir: &Path, root: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(Source {
                text: std::fs::read_to_string(&path).unwrap(),
                path: path.strip_prefix(root).unwrap().to_path_buf(),
            });
        }
    }
}

/// The text without line comments, so that prose may name anything.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The identifier at the start of `s`.
fn ident(s: &str) -> &str {
    let end = s.bytes().position(|b| !is_ident_byte(b)).unwrap_or(s.len());
    &s[..end]
}

/// The first segment of each item of a `{a::b, c}` group at the start of `s`.
fn group_heads(s: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in s.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        if depth == 1 && item_start && !c.is_whitespace() {
            item_start = false;
            heads.push(ident(&s[i..]).to_owned());
        }
    }
    heads
}

/// The top-level modules of ferrid that the code refers to: through
/// `crate::` (or `ferrid::` in the binary) and through `super::` chains
/// that climb out of the file's area.
fn referenced_areas(source: &Source, code: &str) -> Vec<String> {
    let module = source.module();
    let mut areas = Vec::new();
    let bytes = code.as_bytes();
    for (i, _) in code.char_indices() {
        if i > 0 && (is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b':') {
            continue;
        }
        let rest = &code[i..];
        let after = if let Some(r) = rest.strip_prefix("crate::") {
            Some(r)
        } else {
            rest.strip_prefix("ferrid::")
        };
        if let Some(after) = after {
            if after.starts_with('{') {
                areas.extend(group_heads(after));
            } else {
                areas.push(ident(after).to_owned());
            }
            continue;
        }
        if rest.starts_with("super::") {
            let mut up = 0;
            let mut tail = rest;
            while let Some(r) = tail.strip_prefix("super::") {
                up += 1;
                tail = r;
            }
            // A `super` chain that climbs to the crate root names an area.
            if up >= module.len() {
                let heads = if tail.starts_with('{') {
                    group_heads(tail)
                } else {
                    vec![ident(tail).to_owned()]
                };
                for head in heads {
                    if up == module.len() {
                        areas.push(head);
                    } else {
                        // Above the crate root: nonsense, so flag it.
                        areas.push(format!("<above the crate root>::{head}"));
                    }
                }
            }
        }
    }
    areas
}

/// Every breach of the layers in these files, one line each.
fn violations(sources: &[Source]) -> Vec<String> {
    let mut found = Vec::new();
    for source in sources {
        let area = source.area();
        let path = source.path.display();
        let code = code_of(&source.text);
        if !ACTIX_ALLOWED.contains(&area.as_str()) {
            for (n, line) in code.lines().enumerate() {
                if line.contains("actix_") {
                    found.push(format!(
                        "{path}:{}: imports actix outside http/, cli/, startup.rs, main.rs: {}",
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
        for referenced in referenced_areas(source, &code) {
            if area == "domain" && referenced != "domain" {
                found.push(format!(
                    "{path}: domain/ imports `{referenced}`; it must import nothing else of ferrid"
                ));
            }
            let (a, b) = APART;
            if (area == a && referenced == b) || (area == b && referenced == a) {
                found.push(format!(
                    "{path}: {area}/ imports `{referenced}`; {a}/ and {b}/ share session/ instead"
                ));
            }
            if referenced == "startup" && !matches!(area.as_str(), "main.rs" | "cli" | "startup.rs")
            {
                found.push(format!(
                    "{path}: imports `startup`; use cases take what they need from app.rs"
                ));
            }
        }
    }
    found
}

fn source(path: &str, text: &str) -> Source {
    Source {
        path: PathBuf::from(path),
        text: text.to_owned(),
    }
}

#[test]
fn the_source_tree_keeps_its_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    read_sources(&root, &root, &mut sources);
    assert!(
        sources
            .iter()
            .any(|s| s.path == Path::new("oidc/authorize/mod.rs")),
        "the layer check did not find the sources it is meant to read"
    );
    let found = violations(&sources);
    let known = |v: &String| NOT_YET.iter().any(|start| v.starts_with(start));
    let new: Vec<&String> = found.iter().filter(|v| !known(v)).collect();
    assert!(
        new.is_empty(),
        "layer violations:\n{}",
        new.iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for start in NOT_YET {
        assert!(
            found.iter().any(|v| v.starts_with(start)),
            "no longer true, remove it from NOT_YET: {start}"
        );
    }
}

#[test]
fn the_layer_check_catches_each_kind_of_breach() {
    let breaches = [
        source("login/verify_code.rs", "use actix_web::HttpRequest;\n"),
        source("otp/engine.rs", "fn f(r: actix_session::Session) {}\n"),
        source("domain/phone.rs", "use crate::store::users::User;\n"),
        source(
            "domain/phone.rs",
            "use crate::{domain::Scope, config::Settings};\n",
        ),
        source("domain/phone.rs", "use super::super::store;\n"),
        source("oidc/token.rs", "use crate::login::LoginTransaction;\n"),
        source("oidc/authorize/mod.rs", "use super::super::login::begin;\n"),
        source(
            "login/consent.rs",
            "let r = crate::oidc::authorize::s256(v);\n",
        ),
        source("login/consent.rs", "use super::super::oidc;\n"),
        source("otp/send.rs", "use crate::startup::Application;\n"),
    ];
    for breach in breaches {
        assert_eq!(
            violations(std::slice::from_ref(&breach)).len(),
            1,
            "not caught: {} `{}`",
            breach.path.display(),
            breach.text.trim()
        );
    }
}

#[test]
fn the_layer_check_lets_the_allowed_through() {
    let allowed = [
        source("http/login.rs", "use actix_web::HttpResponse;\n"),
        source("startup.rs", "use actix_session::SessionMiddleware;\n"),
        source("cli/client.rs", "use ferrid::startup::Application;\n"),
        source(
            "domain/scope.rs",
            "use crate::domain::RedirectUri;\nuse super::Scope;\n",
        ),
        source(
            "oidc/authorize/request.rs",
            "use super::super::error::OAuthError;\n",
        ),
        source("oidc/token.rs", "use crate::session::SsoSession;\n"),
        source("login/mod.rs", "use crate::session; // not crate::oidc\n"),
        source("app.rs", "//! Nothing of actix_web here.\n"),
    ];
    for ok in allowed {
        assert_eq!(
            violations(std::slice::from_ref(&ok)),
            Vec::<String>::new(),
            "{}",
            ok.path.display()
        );
    }
}
