//! A small SMTP server for tests: speaks EHLO/HELO, AUTH PLAIN, MAIL, RCPT,
//! DATA, RSET, NOOP and QUIT on a free port, keeps every message it accepts
//! (and, when it wants a login, the logins), answers
//! RCPT with a 4xx or 5xx when told to, and can be stopped (the port then
//! refuses connections) and started again on the same port.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server answers `RCPT TO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpMode {
    Accept,
    /// `451 4.3.0`: try again later.
    Transient,
    /// `550 5.1.1`: the mailbox does not exist.
    Permanent,
}

/// A message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a MIME message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The text/plain part.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .expect("a text part")
            .into_owned()
    }

    /// The text/html part, which must be a real one (not made from the text).
    pub fn html(&self) -> String {
        let parsed = self.parsed();
        assert!(
            parsed.html_body_count() > 0 && parsed.text_body_count() > 0,
            "both a text and an HTML part"
        );
        let html_part = parsed.html_part(0).expect("an HTML part");
        assert!(
            html_part.is_text_html(),
            "the HTML part is text/html, not derived from the text"
        );
        parsed.body_html(0).expect("an HTML part").into_owned()
    }

    /// A header's raw value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().header_raw(name).map(|v| v.trim().to_owned())
    }
}

#[derive(Default)]
struct Shared {
    /// The user and password it wants, when it wants a login.
    login: Mutex<Option<(String, String)>>,
    /// The users that logged in.
    logins: Mutex<Vec<String>>,
    mode: Mutex<Option<SmtpMode>>,
    received: Mutex<Vec<Received>>,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

/// The test's SMTP server.
pub struct SmtpServer {
    port: u16,
    shared: Arc<Shared>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    /// Starts accepting on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().unwrap().port();
        let server = Self {
            port,
            shared: Arc::new(Shared::default()),
            accept: Mutex::new(None),
        };
        server.serve(listener);
        server
    }

    /// From now on, mail is taken only after `AUTH PLAIN` with these.
    pub fn require_login(&self, user: &str, password: &str) {
        *self.shared.login.lock().unwrap() = Some((user.to_owned(), password.to_owned()));
    }

    /// The users that logged in, in order.
    pub fn logins(&self) -> Vec<String> {
        self.shared.logins.lock().unwrap().clone()
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let conn = tokio::spawn(session(stream, shared.clone()));
                shared.connections.lock().unwrap().push(conn);
            }
        });
        *self.accept.lock().unwrap() = Some(task);
    }

    /// Stops listening and drops open connections: connecting is refused.
    pub async fn stop(&self) {
        let task = self.accept.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        for conn in self.shared.connections.lock().unwrap().drain(..) {
            conn.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the same SMTP port again");
        self.serve(listener);
    }

    /// How `RCPT TO` is answered from now on.
    pub fn set_mode(&self, mode: SmtpMode) {
        *self.shared.mode.lock().unwrap() = Some(mode);
    }

    /// Every message accepted so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits (at most 15 s) until `n` messages arrived; they all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} messages, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 test ESMTP ready\r\n").await.is_err() {
        return;
    }
    let wanted = shared.login.lock().unwrap().clone();
    let mut logged_in = wanted.is_none();
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let answer: String = if upper.starts_with("EHLO") {
            let auth = if wanted.is_some() {
                "250-AUTH PLAIN\r\n"
            } else {
                ""
            };
            format!("250-test\r\n{auth}250-8BITMIME\r\n250 SMTPUTF8\r\n")
        } else if upper.starts_with("AUTH PLAIN") {
            let mut response = command.get(11..).unwrap_or("").trim().to_owned();
            if response.is_empty() {
                if write.write_all(b"334 \r\n").await.is_err() {
                    return;
                }
                let mut l = String::new();
                if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                    return;
                }
                response = l.trim().to_owned();
            }
            // RFC 4616: authzid NUL authcid NUL passwd.
            let decoded = base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                response.as_bytes(),
            )
            .unwrap_or_default();
            let parts: Vec<String> = decoded
                .split(|b| *b == 0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect();
            match (&wanted, parts.as_slice()) {
                (Some((user, password)), [_, u, p]) if u == user && p == password => {
                    logged_in = true;
                    shared.logins.lock().unwrap().push(u.clone());
                    "235 2.7.0 Authentication successful\r\n".into()
                }
                _ => "535 5.7.8 Authentication credentials invalid\r\n".into(),
            }
        } else if upper.starts_with("MAIL FROM:") && !logged_in {
            "530 5.7.0 Authentication required\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 test\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().to_owned();
            to.clear();
            "250 2.1.0 OK\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            let mode = shared.mode.lock().unwrap().unwrap_or(SmtpMode::Accept);
            let rcpt = command[8..].trim().to_owned();
            match mode {
                SmtpMode::Accept => {
                    to.push(rcpt);
                    "250 2.1.5 OK\r\n".into()
                }
                SmtpMode::Transient => "451 4.3.0 Try again later\r\n".into(),
                SmtpMode::Permanent => {
                    format!("550 5.1.1 {rcpt}: Recipient address rejected\r\n")
                }
            }
        } else if upper == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = Vec::new();
            loop {
                let mut l = String::new();
                match lines.read_line(&mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == ".\r\n" || l == ".\n" {
                    break;
                }
                // RFC 5321 §4.5.2: a leading dot was doubled by the client.
                let l = l.strip_prefix('.').unwrap_or(&l);
                data.extend_from_slice(l.as_bytes());
            }
            shared.received.lock().unwrap().push(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            });
            "250 2.0.0 Queued\r\n".into()
        } else if upper == "RSET" {
            to.clear();
            "250 2.0.0 OK\r\n".into()
        } else if upper == "NOOP" {
            "250 2.0.0 OK\r\n".into()
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
            return;
        } else {
            "502 5.5.2 Command not recognized\r\n".into()
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}
