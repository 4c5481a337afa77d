//! The stdio transport: newline-delimited JSON-RPC messages (MCP spec, "Transports", stdio),
//! read with limits, where every malformed request gets an answer.
//!
//! rmcp's own `AsyncRwTransport` drops unparsable lines silently (as the other official SDKs
//! do, see rust-sdk issue 938), so a client that sent one waits forever. JSON-RPC 2.0 §5.1
//! says otherwise, and so does issue 9 §4. Here:
//! - a line that is not UTF-8 (raw `0xff`), or not JSON (a lone surrogate `\ud800`, JSON
//!   nested deeper than serde_json's 128 levels) is answered with `-32700 Parse error`;
//! - JSON that is not a valid message of this protocol (`params` a string, no `method`) is
//!   answered with `-32600 Invalid Request`;
//! - a line longer than [`MAX_LINE_BYTES`] is discarded as it streams (never buffered whole)
//!   and answered with `-32600`;
//! - each answer carries the request's `id` when it can be read from the text (a best-effort
//!   scan of the line's first [`ID_SCAN_BYTES`]), and omits it otherwise (MCP 2026-07-28
//!   "Error responses"). Notifications (no `id`) that do not parse are ignored: JSON-RPC
//!   never answers a notification.
//!
//! Outgoing messages are written one per line under a lock, so the error answers written here
//! never interleave with rmcp's.

use std::sync::{Arc, LazyLock};

use regex::Regex;
use rmcp::RoleServer;
use rmcp::model::{ErrorData, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

/// The longest incoming line, in bytes: 16 MiB (rmcp's default too). A tool call's arguments
/// are limited far below this ([`crate::bounds::Limits`]).
pub const MAX_LINE_BYTES: usize = 16 << 20;
/// How much of a malformed or oversized line is scanned for its `id`.
pub const ID_SCAN_BYTES: usize = 4096;

/// A JSON-RPC transport over a byte stream pair (stdin/stdout for `serve`).
pub struct GuardedTransport<R, W> {
    read: BufReader<R>,
    line: Vec<u8>,
    /// The current line passed [`MAX_LINE_BYTES`]: its first bytes are kept in `line` for the
    /// id, the rest is dropped until the newline.
    discarding: bool,
    max_line: usize,
    write: Arc<Mutex<Option<W>>>,
    /// Cancelled when the input ends (the client closed stdin: the session is over).
    on_eof: Option<tokio_util::sync::CancellationToken>,
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> GuardedTransport<R, W> {
    /// Reads messages from `read` and writes them to `write`, one JSON text per line.
    pub fn new(read: R, write: W) -> Self {
        Self::with_max_line(read, write, MAX_LINE_BYTES)
    }

    /// As [`GuardedTransport::new`] with another line limit (tests).
    pub fn with_max_line(read: R, write: W, max_line: usize) -> Self {
        GuardedTransport {
            read: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            max_line,
            write: Arc::new(Mutex::new(Some(write))),
            on_eof: None,
        }
    }

    /// Cancels `token` when the input ends. For stdio the client closes stdin to end the
    /// session (MCP spec, "Lifecycle", stdio shutdown): the server's running calls can stop at
    /// once instead of waiting for rmcp's drain timeout.
    pub fn cancel_on_eof(mut self, token: tokio_util::sync::CancellationToken) -> Self {
        self.on_eof = Some(token);
        self
    }
}

enum Line {
    Whole,
    Oversized,
    Eof,
}

impl<R: AsyncRead + Unpin, W> GuardedTransport<R, W> {
    /// Reads up to the next newline into `self.line`. Cancellation-safe: rmcp polls
    /// `receive` inside a `select!`, so bytes are moved out of the reader's buffer only
    /// together with their copy into `self.line`, and a dropped call resumes the same line.
    async fn read_line(&mut self) -> std::io::Result<Line> {
        loop {
            let buf = self.read.fill_buf().await?;
            if buf.is_empty() {
                return Ok(Line::Eof);
            }
            let (chunk, ends) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (&buf[..i], true),
                None => (buf, false),
            };
            let used = chunk.len() + usize::from(ends);
            if !self.discarding {
                self.line.extend_from_slice(chunk);
                if self.line.len() > self.max_line {
                    self.line.truncate(ID_SCAN_BYTES);
                    self.discarding = true;
                }
            }
            self.read.consume(used);
            if ends {
                return Ok(if std::mem::take(&mut self.discarding) {
                    Line::Oversized
                } else {
                    Line::Whole
                });
            }
        }
    }
}

impl<R, W> GuardedTransport<R, W>
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    /// Answers a malformed request in the background (a write must not be cut short by the
    /// `select!` that polls `receive`).
    fn answer(&self, error: ErrorData, id: Option<RequestId>) {
        tracing::warn!(code = error.code.0, message = %error.message, id = ?id, "malformed JSON-RPC input answered with an error");
        let msg = TxJsonRpcMessage::<RoleServer>::error(error, id);
        let write = self.write.clone();
        tokio::spawn(async move {
            if let Err(e) = write_message(&write, &msg).await {
                tracing::debug!(error = %e, "could not answer a malformed request");
            }
        });
    }
}

async fn write_message<W: AsyncWrite + Unpin>(
    write: &Mutex<Option<W>>,
    msg: &TxJsonRpcMessage<RoleServer>,
) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(msg)?;
    bytes.push(b'\n');
    let mut guard = write.lock().await;
    let w = guard
        .as_mut()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotConnected, "transport closed"))?;
    w.write_all(&bytes).await?;
    w.flush().await
}

/// The `id` of a request, read from the start of its text without parsing it: the first
/// `"id": <number or string>` member. Best effort, for error answers only.
pub fn scan_id(text: &[u8]) -> Option<RequestId> {
    static ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#""id"\s*:\s*(-?[0-9]{1,18}(?:[^0-9.eE]|$)|"(?:[^"\\]|\\.){0,256}")"#)
            .expect("static regex")
    });
    let head = &text[..text.len().min(ID_SCAN_BYTES)];
    let head = String::from_utf8_lossy(head);
    let raw = ID.captures(&head)?.get(1)?.as_str();
    let raw = raw.trim_end_matches(|c: char| !c.is_ascii_digit() && c != '"');
    serde_json::from_str::<RequestId>(raw).ok()
}

impl<R, W> Transport<RoleServer> for GuardedTransport<R, W>
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let write = self.write.clone();
        async move { write_message(&write, &item).await }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let line = match self.read_line().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read from the client");
                    return None;
                }
            };
            let text = std::mem::take(&mut self.line);
            match line {
                Line::Eof => {
                    if let Some(t) = &self.on_eof {
                        t.cancel();
                    }
                    return None;
                }
                Line::Oversized => {
                    self.answer(
                        ErrorData::invalid_request(
                            format!(
                                "Invalid request: the message is longer than {} bytes",
                                self.max_line
                            ),
                            None,
                        ),
                        scan_id(&text),
                    );
                    continue;
                }
                Line::Whole => {}
            }
            let body = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&text);
            let body = body.strip_suffix(b"\r").unwrap_or(body);
            if body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(s) = std::str::from_utf8(body) else {
                self.answer(
                    ErrorData::parse_error("Parse error: the message is not UTF-8", None),
                    scan_id(body),
                );
                continue;
            };
            match serde_json::from_str::<RxJsonRpcMessage<RoleServer>>(s) {
                Ok(msg) => return Some(msg),
                Err(shape) => match serde_json::from_str::<serde_json::Value>(s) {
                    Err(e) => self.answer(
                        ErrorData::parse_error(format!("Parse error: {e}"), None),
                        scan_id(body),
                    ),
                    Ok(v) => match v.get("id") {
                        // A notification: never answered; unknown ones are ignored.
                        None if v.get("method").is_some() => {
                            tracing::debug!(error = %shape, "ignoring a notification that does not parse");
                        }
                        id => self.answer(
                            ErrorData::invalid_request(format!("Invalid request: {shape}"), None),
                            id.and_then(|i| serde_json::from_value(i.clone()).ok()),
                        ),
                    },
                },
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        if let Some(mut w) = self.write.lock().await.take() {
            w.shutdown().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tokio::io::AsyncReadExt;

    /// Feeds `input` to a transport and returns what it received and what it wrote.
    async fn run(input: Vec<u8>, max_line: usize) -> (Vec<Value>, Vec<Value>) {
        let (mut client_w, server_r) = tokio::io::duplex(1 << 20);
        let (server_w, mut client_r) = tokio::io::duplex(1 << 20);
        let mut t = GuardedTransport::with_max_line(server_r, server_w, max_line);
        let writer = tokio::spawn(async move {
            client_w.write_all(&input).await.unwrap();
            drop(client_w);
        });
        let mut received = Vec::new();
        while let Some(m) = t.receive().await {
            received.push(serde_json::to_value(&m).unwrap());
        }
        writer.await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        t.close().await.unwrap();
        let mut out = String::new();
        client_r.read_to_string(&mut out).await.unwrap();
        let written = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (received, written)
    }

    fn ping(id: u32) -> Vec<u8> {
        format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"ping\"}}\n").into_bytes()
    }

    #[tokio::test]
    async fn every_malformed_request_is_answered_and_valid_ones_still_pass() {
        let mut input = Vec::new();
        input.extend(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"\ud800"}}"#);
        input.push(b'\n');
        input.extend(b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"x\":\"\xff\"}\n");
        let deep = "[".repeat(100_000);
        input.extend(
            format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":\"three\",\"method\":\"ping\",\"params\":{deep}\n"
            )
            .bytes(),
        );
        input.extend(br#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":"get pods"}"#);
        input.push(b'\n');
        input.extend(br#"{"jsonrpc":"2.0","method":"notifications/bogus","params":"x"}"#);
        input.push(b'\n');
        input.extend(b"\n   \n");
        input.extend(ping(5));
        input.extend(b"garbage without an id\n");
        let (received, written) = run(input, MAX_LINE_BYTES).await;
        assert_eq!(received.len(), 1, "{received:?}");
        assert_eq!(received[0]["id"], json!(5));
        let by_id = |id: Value| {
            written
                .iter()
                .find(|w| w.get("id") == Some(&id))
                .unwrap_or_else(|| panic!("no answer for {id}: {written:?}"))
                .clone()
        };
        assert_eq!(by_id(json!(1))["error"]["code"], json!(-32700));
        assert_eq!(by_id(json!(2))["error"]["code"], json!(-32700));
        assert_eq!(by_id(json!("three"))["error"]["code"], json!(-32700));
        assert_eq!(by_id(json!(4))["error"]["code"], json!(-32600));
        // The garbage line gets an answer without an id; the notification none at all.
        assert_eq!(written.len(), 5, "{written:?}");
        assert!(
            written
                .iter()
                .any(|w| w.get("id").is_none() && w["error"]["code"] == json!(-32700))
        );
    }

    #[tokio::test]
    async fn an_oversized_line_is_answered_and_the_next_one_is_read() {
        let mut input =
            br#"{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"a":""#.to_vec();
        input.extend(std::iter::repeat_n(b'x', 200_000));
        input.extend(b"\"}}\n");
        input.extend(ping(8));
        let (received, written) = run(input, 64 << 10).await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0]["id"], json!(8));
        assert_eq!(written.len(), 1, "{written:?}");
        assert_eq!(written[0]["id"], json!(77));
        assert_eq!(written[0]["error"]["code"], json!(-32600));
    }

    #[test]
    fn ids_are_scanned_from_the_text() {
        assert_eq!(
            scan_id(br#"{"id": 12, "x": 1"#),
            serde_json::from_value(json!(12)).ok()
        );
        assert_eq!(
            scan_id(br#"{"id":"a\"b"}"#),
            serde_json::from_value(json!("a\"b")).ok()
        );
        assert_eq!(scan_id(br#"{"jsonrpc":"2.0"}"#), None);
        assert_eq!(scan_id(br#"{"id": 1.5}"#), None);
    }
}
