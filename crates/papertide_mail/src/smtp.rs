//! Sending mail: the [`Mailer`] trait the digest run delivers through, [`SmtpMailer`] (lettre's
//! blocking SMTP transport: plain on loopback, STARTTLS or implicit TLS with rustls and
//! Mozilla's roots), its `[smtp]` settings ([`SmtpConfig`], the password masked in `Debug`),
//! and [`MailError`], which tells a delivery to retry later ([`MailError::Transient`]) from
//! one never to retry ([`MailError::Permanent`]).
//!
//! A message goes out as `multipart/alternative` (UTF-8 text and HTML, quoted-printable or
//! base64 as lettre picks) with From, To, Subject, Message-ID (the one given, so a retried
//! send keeps it), Date and the mail's extra headers (`List-Unsubscribe`, …).

use std::fmt;
use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};

use crate::message::OutgoingMail;

/// What can go wrong rendering or sending a mail.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A template failed to render (a bug in a template or in the context given to it).
    #[error("mail template: {0}")]
    Template(String),
    /// A sender or recipient is not a valid mailbox (`name@example.org` or
    /// `Name <name@example.org>`).
    #[error("invalid mail address {address:?}: {reason}")]
    Address {
        /// The address as given.
        address: String,
        /// Why it was refused.
        reason: String,
    },
    /// A link given to a message is not an absolute `http(s)` URL.
    #[error("invalid URL {url:?} in a mail: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A header cannot be sent: a bad name or value (line breaks, reserved names such as
    /// `From` or `Bcc`), or a Message-ID that is not `<left@right>`.
    #[error("invalid mail header {name}: {reason}")]
    Header {
        /// The header's name.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// The SMTP settings cannot be used (TLS setup failed, a username without a password).
    #[error("SMTP settings: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// Delivery failed for now and may work later: connection refused or reset, timeouts,
    /// TLS handshake failures, SMTP 4xx replies. Retry with backoff.
    #[error("mail delivery failed for now: {message}")]
    Transient {
        /// The transport's error.
        message: String,
    },
    /// The message was refused for good: SMTP 5xx replies (unknown recipient, rejected
    /// content) or a message that cannot be built. Do not retry.
    #[error("mail delivery failed permanently: {message}")]
    Permanent {
        /// The transport's error.
        message: String,
    },
}

impl MailError {
    /// Whether sending the same mail again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, MailError::Transient { .. })
    }
}

/// Something that delivers mails: [`SmtpMailer`], or a recorder in tests.
pub trait Mailer: Send + Sync {
    /// Delivers one mail, blocking until the server accepted or refused it.
    fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;
}

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text, no TLS: only for a relay on loopback or a trusted local network.
    None,
    /// Connect in plain text and upgrade with STARTTLS, refusing to go on without it (port
    /// 587, the submission port).
    #[default]
    StartTls,
    /// TLS from the first byte (port 465, "submissions").
    Tls,
}

/// The `[smtp]` section of the configuration: where and how digests are sent.
///
/// Serializing it (config defaults, showing the config) writes the password as `***`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    /// The SMTP server's host name (checked against its TLS certificate) or IP address.
    pub host: String,
    /// The server's port: 587 for STARTTLS, 465 for TLS, 25 or any for a local relay.
    pub port: u16,
    /// `none`, `starttls` (the default) or `tls`.
    pub security: Security,
    /// The user name to log in with (SMTP AUTH); none: no login.
    pub username: Option<String>,
    /// The password to log in with; required with `username`. Never logged, and written as
    /// `***` when the settings are serialized.
    #[serde(serialize_with = "serialize_masked")]
    pub password: Option<String>,
    /// The sender of every mail, as `Name <address>` or a bare address, e.g.
    /// `papertide <digest@example.org>`.
    pub from: String,
    /// How long to wait for the server (connecting, and each command) in milliseconds; 0 waits
    /// without limit.
    pub timeout_ms: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: "127.0.0.1".to_string(),
            port: 587,
            security: Security::StartTls,
            username: None,
            password: None,
            from: "papertide <papertide@localhost>".to_string(),
            timeout_ms: 10_000,
        }
    }
}

/// Serializes a secret as `***` (or none).
fn serialize_masked<S: serde::Serializer>(secret: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_some("***"),
        None => serializer.serialize_none(),
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Headers a mail's extra headers may not set: the ones the mailer writes itself, and
/// recipients that would bypass the envelope.
const RESERVED_HEADERS: [&str; 12] = [
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "return-path",
];

/// Sends mails over SMTP with lettre's blocking transport, reusing connections (lettre's pool:
/// a digest run sends thousands of mails, and a TLS handshake per mail would dominate).
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: Mailbox,
    host: String,
    port: u16,
    security: Security,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for these settings. Connects to nothing yet: the first [`Mailer::send`] does.
    pub fn new(config: &SmtpConfig) -> Result<SmtpMailer, MailError> {
        let from: Mailbox = config.from.parse().map_err(|e: lettre::address::AddressError| MailError::Address {
            address: config.from.clone(),
            reason: e.to_string(),
        })?;
        let tls_error =
            |e: lettre::transport::smtp::Error| MailError::Config { message: format!("TLS for {}: {e}", config.host) };
        let mut builder = match config.security {
            Security::None => SmtpTransport::builder_dangerous(config.host.as_str()),
            Security::StartTls => SmtpTransport::starttls_relay(&config.host).map_err(tls_error)?,
            Security::Tls => SmtpTransport::relay(&config.host).map_err(tls_error)?,
        };
        builder = builder.port(config.port).timeout(match config.timeout_ms {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        });
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (Some(_), None) => {
                return Err(MailError::Config { message: "smtp.username is set but smtp.password is not".into() })
            }
            (None, Some(_)) => {
                return Err(MailError::Config { message: "smtp.password is set but smtp.username is not".into() })
            }
            (None, None) => {}
        }
        tracing::debug!(config = ?config, "SMTP mailer configured");
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
            host: config.host.clone(),
            port: config.port,
            security: config.security,
        })
    }

    /// The message as it goes on the wire (RFC 5322 bytes, CRLF line ends): for previews and
    /// tests. Each call sets a fresh Date.
    pub fn format(&self, mail: &OutgoingMail) -> Result<Vec<u8>, MailError> {
        Ok(build_message(&self.from, mail)?.formatted())
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        match self.transport.send(&message) {
            Ok(response) => {
                tracing::info!(
                    to = %mail.to,
                    message_id = %mail.message_id,
                    host = %self.host,
                    port = self.port,
                    code = %response.code(),
                    "mail sent"
                );
                Ok(())
            }
            Err(e) => {
                let message = error_chain(&e);
                let error =
                    if e.is_permanent() { MailError::Permanent { message } } else { MailError::Transient { message } };
                tracing::warn!(
                    to = %mail.to,
                    message_id = %mail.message_id,
                    host = %self.host,
                    port = self.port,
                    permanent = !error.is_transient(),
                    error = %error,
                    "mail not sent"
                );
                Err(error)
            }
        }
    }
}

/// An error and its sources, `: `-joined (lettre's own message alone often says just
/// "Connection error").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// `<left@right>` from a Message-ID given with or without its angle brackets.
pub fn normalize_message_id(id: &str) -> Result<String, MailError> {
    let bad = |reason: &str| MailError::Header { name: "Message-ID".into(), reason: format!("{id:?}: {reason}") };
    let inner = id.trim();
    let inner = inner.strip_prefix('<').and_then(|s| s.strip_suffix('>')).unwrap_or(inner);
    if inner.is_empty() {
        return Err(bad("empty"));
    }
    if inner.chars().any(|c| !c.is_ascii_graphic() || matches!(c, '<' | '>' | '"' | '\\' | ',' | ';')) {
        return Err(bad("only printable ASCII without <>\",;\\ and spaces"));
    }
    match inner.split_once('@') {
        Some((left, right)) if !left.is_empty() && !right.is_empty() && !right.contains('@') => {}
        _ => return Err(bad("must be left@right")),
    }
    Ok(format!("<{inner}>"))
}

/// The lettre message for a mail: multipart/alternative, the standard headers, then the
/// mail's extra headers.
fn build_message(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    let to: Mailbox = mail.to.parse().map_err(|e: lettre::address::AddressError| MailError::Address {
        address: mail.to.clone(),
        reason: e.to_string(),
    })?;
    if mail.subject.contains(['\r', '\n']) {
        return Err(MailError::Header { name: "Subject".into(), reason: "contains a line break".into() });
    }
    let mut message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.as_str())
        .message_id(Some(normalize_message_id(&mail.message_id)?))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| MailError::Permanent { message: format!("cannot build the message: {e}") })?;
    for (name, value) in &mail.headers {
        let bad = |reason: &str| MailError::Header { name: name.clone(), reason: reason.to_string() };
        if RESERVED_HEADERS.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(bad("set by the mailer itself"));
        }
        if value.chars().any(char::is_control) {
            return Err(bad("the value contains a line break or control character"));
        }
        let header_name = HeaderName::new_from_ascii(name.clone())
            .map_err(|_| bad("not a valid header name (ASCII, no spaces or colons)"))?;
        message.headers_mut().insert_raw(HeaderValue::new(header_name, value.clone()));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_password() {
        let config = SmtpConfig {
            username: Some("digest".into()),
            password: Some("hunter2-secret".into()),
            ..SmtpConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("\"***\""), "{shown}");
        assert!(shown.contains("digest"), "{shown}");
        let json = serde_json::to_string(&config).unwrap();
        assert!(!json.contains("hunter2") && json.contains(r#""password":"***""#), "{json}");
        let json = serde_json::to_string(&SmtpConfig::default()).unwrap();
        assert!(json.contains(r#""password":null"#), "{json}");
    }

    #[test]
    fn defaults_and_serde_names() {
        let config: SmtpConfig = serde_json::from_str(r#"{"host":"mail.example.org","security":"tls"}"#).unwrap();
        assert_eq!(config.host, "mail.example.org");
        assert_eq!(config.port, 587);
        assert_eq!(config.security, Security::Tls);
        assert_eq!(config.timeout_ms, 10_000);
        assert_eq!(config.from, "papertide <papertide@localhost>");
        assert_eq!(SmtpConfig::default().security, Security::StartTls);
        for (name, security) in [("none", Security::None), ("starttls", Security::StartTls), ("tls", Security::Tls)] {
            let parsed: Security = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(parsed, security);
        }
        assert!(serde_json::from_str::<Security>("\"ssl\"").is_err());
    }

    #[test]
    fn message_ids() {
        assert_eq!(normalize_message_id("abc@example.org").unwrap(), "<abc@example.org>");
        assert_eq!(normalize_message_id("<abc@example.org>").unwrap(), "<abc@example.org>");
        for bad in ["", "<>", "abc", "a b@c", "a@b@c", "@b", "a@", "a@b\r\nBcc: x@y", "<a@b>>"] {
            assert!(normalize_message_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn half_credentials_are_refused() {
        let config = SmtpConfig { username: Some("u".into()), security: Security::None, ..SmtpConfig::default() };
        assert!(matches!(SmtpMailer::new(&config), Err(MailError::Config { .. })));
        let config = SmtpConfig { from: "not an address".into(), security: Security::None, ..SmtpConfig::default() };
        assert!(matches!(SmtpMailer::new(&config), Err(MailError::Address { .. })));
    }
}
