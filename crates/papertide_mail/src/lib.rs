//! Email for papertide: what a digest or confirmation message says, how it is sent, and the
//! outbox that makes delivery lose nothing and send nothing twice.
//!
//! - [`latex`]: titles and abstracts with LaTeX turned into readable plain text.
//! - [`message`]: [`message::OutgoingMail`] and the templates (subject, `body.txt`,
//!   `body.html` per kind) that render digests and confirmation mails.
//! - [`smtp`]: the [`smtp::Mailer`] trait and [`smtp::SmtpMailer`] (lettre; STARTTLS or TLS;
//!   credentials masked in logs).
//! - [`config`]: the `[mail]` config section.
//! - [`link`]: signed confirmation and one-click unsubscribe links.
//! - [`digest`]: the digest run that fills the outbox once per period and drains it.
//!
//! Subscriptions and the outbox rows live in the store (`papertide_store`).

pub mod config;
pub mod digest;
pub mod latex;
pub mod link;
pub mod message;
pub mod smtp;
