//! The SMS webhook receiver: where ferrid's codes arrive.

use super::*;

/// Receives ferrid's webhook and hands each code to the flow waiting for it.
#[derive(Default)]
pub(crate) struct Receiver {
    pub(crate) waiting: Mutex<HashMap<String, oneshot::Sender<String>>>,
    pub(crate) connections: AtomicU64,
    pub(crate) messages: AtomicU64,
}

impl Receiver {
    pub(crate) fn expect(&self, phone: &str) -> oneshot::Receiver<String> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().insert(phone.to_owned(), tx);
        rx
    }

    pub(crate) fn deliver(&self, body: &[u8]) {
        let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let factor = &payload["factor"];
        let (Some(phone), Some(code)) = (
            factor["phoneNumber"].as_str(),
            factor["verificationCode"].as_str(),
        ) else {
            return;
        };
        self.messages.fetch_add(1, Ordering::Relaxed);
        if let Some(tx) = self.waiting.lock().unwrap().remove(phone) {
            let _ = tx.send(code.to_owned());
        }
    }
}

pub(crate) async fn serve_webhook(listener: tokio::net::TcpListener, receiver: Arc<Receiver>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        receiver.connections.fetch_add(1, Ordering::Relaxed);
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(4096);
            let mut chunk = [0u8; 4096];
            loop {
                // One request: the head, then Content-Length bytes.
                let (head_end, length) = loop {
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (end + 4, length);
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                receiver.deliver(&buf[head_end..head_end + length]);
                buf.drain(..head_end + length);
                if stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

// ---------------------------------------------------------------- a browser
