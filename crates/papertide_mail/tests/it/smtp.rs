//! `SmtpMailer` against a real SMTP server: Python's aiosmtpd on a free loopback port,
//! storing what it receives in a Maildir that the test then parses (mailparse). The Python
//! comes from `PAPERTIDE_TEST_SMTP_PYTHON`, which `scripts/test` sets (a pinned venv made by
//! `scripts/lib/smtp-server.sh`); without it those tests say so and skip. Errors are checked
//! for real too: a closed port is transient, a 5xx reply permanent, a 4xx reply transient.

use std::io::Read as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap, ParsedMail};
use papertide_mail::message::render_digest;
use papertide_mail::smtp::{MailError, Mailer, Security, SmtpConfig, SmtpMailer};

/// The handler aiosmtpd runs: its Maildir handler, refusing two recipients the way real
/// servers do (550: no such user; 451: try again later).
const HANDLER: &str = r#"
from aiosmtpd.handlers import Mailbox


class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("unknown@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

/// The Python with aiosmtpd, or `None` (after saying how to get it) to skip.
fn smtp_python() -> Option<PathBuf> {
    match std::env::var_os("PAPERTIDE_TEST_SMTP_PYTHON") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            eprintln!(
                "SKIPPED: the real-SMTP test needs PAPERTIDE_TEST_SMTP_PYTHON (a Python with aiosmtpd 1.4.6); \
                 scripts/test sets it, or run: (. scripts/lib/smtp-server.sh && setup_smtp_test_python && \
                 cargo test -p papertide_mail --test it smtp)"
            );
            None
        }
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// aiosmtpd running on loopback; killed when dropped.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(python: &Path) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("papertide_test_handler.py"), HANDLER).unwrap();
        let log = dir.path().join("aiosmtpd.log");
        let port = free_port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "papertide_test_handler.Handler"])
            .arg(&maildir)
            .env("PYTHONPATH", dir.path())
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("aiosmtpd.err")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let mut server = SmtpServer { child, port, maildir, log, _dir: dir };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                // Wait for the greeting too, so the server is really serving.
                stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut greeting = [0u8; 3];
                if stream.read_exact(&mut greeting).is_ok() && &greeting == b"220" {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("aiosmtpd exited ({status}): {}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on port {} within 30 s: {}",
                self.port,
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        let err = self.log.with_file_name("aiosmtpd.err");
        std::fs::read_to_string(err).unwrap_or_default()
    }

    /// The messages delivered so far (the files in `new/`), oldest name first.
    fn messages(&self) -> Vec<Vec<u8>> {
        let mut paths: Vec<PathBuf> =
            std::fs::read_dir(self.maildir.join("new")).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    fn mailer(&self) -> SmtpMailer {
        SmtpMailer::new(&SmtpConfig {
            host: "127.0.0.1".to_string(),
            port: self.port,
            security: Security::None,
            from: "papertide <digest@papers.example.org>".to_string(),
            timeout_ms: 10_000,
            ..SmtpConfig::default()
        })
        .unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn part<'a>(mail: &'a ParsedMail<'a>, mimetype: &str) -> &'a ParsedMail<'a> {
    mail.subparts.iter().find(|p| p.ctype.mimetype == mimetype).unwrap_or_else(|| {
        panic!("no {mimetype} part among {:?}", mail.subparts.iter().map(|p| &p.ctype.mimetype).collect::<Vec<_>>())
    })
}

#[test]
fn a_digest_goes_through_a_real_smtp_server() {
    let Some(python) = smtp_python() else { return };
    let server = SmtpServer::start(&python);
    let mail = render_digest(&crate::message::sample_digest()).unwrap();
    server.mailer().send(&mail).unwrap();

    let messages = server.messages();
    assert_eq!(messages.len(), 1, "one message in the Maildir");
    let parsed = mailparse::parse_mail(&messages[0]).unwrap();
    let h = &parsed.headers;
    assert_eq!(h.get_first_value("From").unwrap(), "papertide <digest@papers.example.org>");
    assert_eq!(h.get_first_value("To").unwrap(), "reader@example.org");
    assert_eq!(h.get_first_value("Subject").unwrap(), "papertide: 3 papers for Thursday, March 5, 2026");
    assert_eq!(h.get_first_value("Message-ID").unwrap(), "<digest-2026-03-05-42@papers.example.org>");
    assert_eq!(
        h.get_first_value("List-Unsubscribe").unwrap(),
        "<https://papers.example.org/digest/unsubscribe?s=42&t=AbC-123_x>"
    );
    assert_eq!(h.get_first_value("List-Unsubscribe-Post").unwrap(), "List-Unsubscribe=One-Click");
    assert_eq!(h.get_first_value("List-Id").unwrap(), "papertide digest <digest.papers.example.org>");
    assert!(h.get_first_value("Date").is_some());
    assert_eq!(h.get_first_value("MIME-Version").as_deref(), Some("1.0"));
    // The envelope, as the server saw it.
    assert_eq!(h.get_first_value("X-MailFrom").as_deref(), Some("digest@papers.example.org"));
    assert_eq!(h.get_first_value("X-RcptTo").as_deref(), Some("reader@example.org"));

    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert_eq!(parsed.subparts.len(), 2);
    let text = part(&parsed, "text/plain");
    let html = part(&parsed, "text/html");
    assert_eq!(text.ctype.charset.to_lowercase(), "utf-8");
    assert_eq!(html.ctype.charset.to_lowercase(), "utf-8");
    let text_body = text.get_body().unwrap();
    let html_body = html.get_body().unwrap();
    // What arrives is exactly what was rendered (CRLF line ends aside).
    assert_eq!(text_body.replace("\r\n", "\n").trim_end(), mail.text.trim_end());
    assert_eq!(html_body.replace("\r\n", "\n").trim_end(), mail.html.trim_end());
    for body in [&text_body, &html_body] {
        assert!(body.contains("From dyadic Λ_α to Λ_α"), "{body}");
        assert!(body.contains("α ≥ 0"), "{body}");
        assert!(body.contains("ℚ(√5)"), "{body}");
        assert!(body.contains("https://papers.example.org/papers/0704.0159"), "{body}");
        assert!(body.contains("https://papers.example.org/settings/digest"), "{body}");
    }
    assert!(html_body.contains(r#"<a href="https://papers.example.org/papers/0704.0011""#));
    assert!(
        text_body.contains("Unsubscribe (one click): https://papers.example.org/digest/unsubscribe?s=42&t=AbC-123_x")
    );
}

#[test]
fn refusals_are_permanent_or_transient_as_the_server_says() {
    let Some(python) = smtp_python() else { return };
    let server = SmtpServer::start(&python);
    let mailer = server.mailer();
    let mut digest = crate::message::sample_digest();

    digest.to = "unknown@example.org".to_string();
    let err = mailer.send(&render_digest(&digest).unwrap()).unwrap_err();
    assert!(matches!(err, MailError::Permanent { .. }), "550 must be permanent: {err:?}");
    assert!(err.to_string().contains("No such user"), "{err}");
    assert!(!err.is_transient());

    digest.to = "busy@example.org".to_string();
    let err = mailer.send(&render_digest(&digest).unwrap()).unwrap_err();
    assert!(matches!(err, MailError::Transient { .. }), "451 must be transient: {err:?}");
    assert!(err.is_transient());

    // The server still works, and nothing was delivered for the refused recipients.
    digest.to = "reader@example.org".to_string();
    mailer.send(&render_digest(&digest).unwrap()).unwrap();
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn a_closed_port_is_transient() {
    let port = free_port();
    let mailer = SmtpMailer::new(&SmtpConfig {
        host: "127.0.0.1".to_string(),
        port,
        security: Security::None,
        timeout_ms: 2_000,
        ..SmtpConfig::default()
    })
    .unwrap();
    let mail = render_digest(&crate::message::sample_digest()).unwrap();
    let err = mailer.send(&mail).unwrap_err();
    assert!(matches!(err, MailError::Transient { .. }), "{err:?}");
}

#[test]
fn a_server_that_never_answers_times_out_as_transient() {
    // Accepts connections and then says nothing (a stuck or overloaded relay): each send gives
    // up after the timeout with a transient error, so the message is retried later and the
    // sender is never stuck.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let mailer = SmtpMailer::new(&SmtpConfig {
        host: "127.0.0.1".to_string(),
        port,
        security: Security::None,
        timeout_ms: 700,
        ..SmtpConfig::default()
    })
    .unwrap();
    let mail = render_digest(&crate::message::sample_digest()).unwrap();
    for _ in 0..2 {
        let started = std::time::Instant::now();
        let err = mailer.send(&mail).unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, MailError::Transient { .. }), "{err:?}");
        assert!(took >= Duration::from_millis(600) && took < Duration::from_secs(5), "{took:?}");
    }
    assert!(!held.lock().unwrap().is_empty(), "the connection was made");
}

#[test]
fn starttls_is_required_when_configured() {
    // A server that offers no STARTTLS: with `starttls` the mailer refuses to send in plain
    // text (and says so as a transient error: the server may be fixed).
    let Some(python) = smtp_python() else { return };
    let server = SmtpServer::start(&python);
    let mailer = SmtpMailer::new(&SmtpConfig {
        host: "127.0.0.1".to_string(),
        port: server.port,
        security: Security::StartTls,
        timeout_ms: 5_000,
        ..SmtpConfig::default()
    })
    .unwrap();
    let err = mailer.send(&render_digest(&crate::message::sample_digest()).unwrap()).unwrap_err();
    assert!(matches!(err, MailError::Transient { .. }), "{err:?}");
    assert!(server.messages().is_empty());
}

#[test]
fn formatted_message_has_every_header() {
    let mailer = SmtpMailer::new(&SmtpConfig {
        security: Security::None,
        from: "papertide <digest@papers.example.org>".to_string(),
        ..SmtpConfig::default()
    })
    .unwrap();
    let mail = render_digest(&crate::message::sample_digest()).unwrap();
    let bytes = mailer.format(&mail).unwrap();
    let parsed = mailparse::parse_mail(&bytes).unwrap();
    assert_eq!(parsed.headers.get_first_value("Message-ID").unwrap(), "<digest-2026-03-05-42@papers.example.org>");
    assert_eq!(parsed.headers.get_first_value("List-Unsubscribe-Post").unwrap(), "List-Unsubscribe=One-Click");
    assert!(bytes.is_ascii(), "the wire form is 7-bit (UTF-8 parts are encoded)");

    // Reserved or broken extra headers are refused before anything is sent.
    let mut bad = mail.clone();
    bad.headers.push(("Bcc".to_string(), "someone@example.org".to_string()));
    assert!(matches!(mailer.format(&bad), Err(MailError::Header { .. })));
    let mut bad = mail.clone();
    bad.headers.push(("X-Note".to_string(), "a\r\nBcc: someone@example.org".to_string()));
    assert!(matches!(mailer.format(&bad), Err(MailError::Header { .. })));
    let mut bad = mail;
    bad.headers.push(("Bad Name".to_string(), "x".to_string()));
    assert!(matches!(mailer.format(&bad), Err(MailError::Header { .. })));
}
