//! A small SMTP server the tests start on 127.0.0.1, so email is tested as it really travels,
//! and the few MIME readers needed to check what arrived (subjects, text parts, attachments).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

// ---- A tiny SMTP server ------------------------------------------------------------------

/// One message as the SMTP server received it.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    pub(crate) raw: String,
}

/// What the server holds: the messages, and their count for those waiting on it.
struct Inbox {
    messages: Mutex<Vec<Received>>,
    count: watch::Sender<usize>,
}

impl Inbox {
    fn store(&self, message: Received) {
        let mut messages = self.messages.lock().unwrap();
        messages.push(message);
        self.count.send_replace(messages.len());
    }
}

/// Speaks enough SMTP for lettre. Recipients `rechazo-permanente@…` get `550`,
/// `rechazo-temporal@…` get `451`; everything else is accepted and stored.
pub(crate) struct SmtpServer {
    port: u16,
    inbox: Arc<Inbox>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpServer {
    pub(crate) async fn start() -> Self {
        Self::start_on(0).await
    }

    /// On `port` (0: any free port).
    pub(crate) async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind SMTP test server");
        let port = listener.local_addr().expect("local address").port();
        let inbox = Arc::new(Inbox {
            messages: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
        });
        let store = inbox.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, store.clone()));
            }
        });
        SmtpServer { port, inbox, task }
    }

    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.inbox.messages.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages arrived — woken by each arrival, never polling —
    /// or `seconds` passed; returns what arrived.
    pub(crate) async fn wait_for(&self, count: usize, seconds: u64) -> Vec<Received> {
        let mut arrivals = self.inbox.count.subscribe();
        let enough = arrivals.wait_for(|arrived| *arrived >= count);
        let _in_time = tokio::time::timeout(std::time::Duration::from_secs(seconds), enough).await;
        self.received()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn smtp_session(stream: TcpStream, inbox: Arc<Inbox>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(b"220 prueba.local ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 prueba.local\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command["MAIL FROM:".len()..]);
            to.clear();
            "250 2.1.0 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let recipient = address(&command["RCPT TO:".len()..]);
            if recipient.starts_with("rechazo-permanente@") {
                "550 5.1.1 El buzon no existe\r\n"
            } else if recipient.starts_with("rechazo-temporal@") {
                "451 4.3.0 Intente mas tarde\r\n"
            } else {
                to.push(recipient);
                "250 2.1.5 OK\r\n"
            }
        } else if upper == "DATA" {
            writer
                .write_all(b"354 Termine con <CRLF>.<CRLF>\r\n")
                .await?;
            let mut raw = String::new();
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line).await? == 0 {
                    return Ok(());
                }
                let text = String::from_utf8_lossy(&line);
                if text == ".\r\n" {
                    break;
                }
                // Undo dot-stuffing.
                raw.push_str(text.strip_prefix('.').unwrap_or(&text));
            }
            inbox.store(Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                raw,
            });
            "250 2.0.0 Recibido\r\n"
        } else if upper == "QUIT" {
            writer.write_all(b"221 2.0.0 Adios\r\n").await?;
            return Ok(());
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 2.0.0 OK\r\n"
        } else if upper == "NOOP" {
            "250 2.0.0 OK\r\n"
        } else {
            "502 5.5.2 Comando no reconocido\r\n"
        };
        writer.write_all(reply.as_bytes()).await?;
    }
}

/// `<ana@example.org> SIZE=123` → `ana@example.org`.
fn address(argument: &str) -> String {
    let argument = argument.trim();
    match (argument.find('<'), argument.find('>')) {
        (Some(start), Some(end)) if start < end => argument[start + 1..end].to_string(),
        _ => argument.to_string(),
    }
}

/// A port where nothing listens (for now).
pub(crate) async fn unused_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    listener.local_addr().expect("local address").port()
}

// ---- Reading MIME messages ---------------------------------------------------------------

/// A leaf MIME part: its (unfolded) headers and its decoded body.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) headers: String,
    pub(crate) body: Vec<u8>,
}

impl Part {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 text part")
    }
}

pub(crate) fn split_head(raw: &str) -> (String, &str) {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    (head.replace("\r\n ", " ").replace("\r\n\t", " "), body)
}

pub(crate) fn header(headers: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    headers
        .split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
        .map(|line| line[prefix.len()..].trim().to_string())
}

/// Every leaf part of a raw message, bodies decoded (base64, quoted-printable or as is).
pub(crate) fn mime_parts(raw: &str) -> Vec<Part> {
    let (headers, body) = split_head(raw);
    let content_type = header(&headers, "Content-Type").unwrap_or_default();
    if content_type.to_ascii_lowercase().starts_with("multipart/") {
        let boundary = content_type
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("boundary="))
            .next()
            .expect("multipart boundary")
            .trim_matches('"')
            .to_string();
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        for (i, section) in body.split(delimiter.as_str()).enumerate() {
            if i == 0 || section.starts_with("--") {
                continue; // preamble and epilogue
            }
            let section = section.strip_prefix("\r\n").unwrap_or(section);
            let section = section.strip_suffix("\r\n").unwrap_or(section);
            parts.extend(mime_parts(section));
        }
        return parts;
    }
    let encoding = header(&headers, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = match encoding.as_str() {
        "base64" => BASE64
            .decode(body.split_whitespace().collect::<String>())
            .expect("base64 body"),
        "quoted-printable" => quoted_printable(&body.replace("=\r\n", "")),
        _ => body.as_bytes().to_vec(),
    };
    vec![Part { headers, body }]
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The decoded text/plain part of a raw message.
pub(crate) fn plain_text(raw: &str) -> String {
    part(&mime_parts(raw), "text/plain").text()
}

/// The Subject header with RFC 2047 encoded words decoded.
pub(crate) fn subject(raw: &str) -> String {
    let (headers, _) = split_head(raw);
    let value = header(&headers, "Subject").expect("Subject header");
    let mut out = String::new();
    let mut previous_encoded = false;
    for token in value.split(' ') {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut pieces = t.splitn(3, '?');
                let (_charset, kind, text) = (pieces.next()?, pieces.next()?, pieces.next()?);
                let bytes = match kind.to_ascii_lowercase().as_str() {
                    "b" => BASE64.decode(text).ok()?,
                    "q" => quoted_printable(&text.replace('_', " ")),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            Some(text) => {
                if !out.is_empty() && !previous_encoded {
                    out.push(' ');
                }
                out.push_str(&text);
                previous_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                previous_encoded = false;
            }
        }
    }
    out
}

pub(crate) fn part<'a>(parts: &'a [Part], content_type: &str) -> &'a Part {
    parts
        .iter()
        .find(|p| {
            header(&p.headers, "Content-Type")
                .unwrap_or_default()
                .to_ascii_lowercase()
                .starts_with(content_type)
        })
        .unwrap_or_else(|| panic!("no {content_type} part in {parts:#?}"))
}
