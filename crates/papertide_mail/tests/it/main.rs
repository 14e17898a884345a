//! Integration tests of the mail crate: messages rendered from real papers, sent to a real SMTP
//! server on loopback (Python's aiosmtpd, started by the tests), and the digest run's outbox.

mod digest;
mod latex;
mod message;
mod smtp;
