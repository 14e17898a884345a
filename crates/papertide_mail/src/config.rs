//! [`MailConfig`]: the `[mail]` section of papertide's config (`PAPERTIDE_MAIL__ENABLED=true`,
//! `PAPERTIDE_MAIL__SMTP__HOST=smtp.example.org`, `PAPERTIDE_MAIL__SMTP__PASSWORD=…`).

use crate::digest::DigestConfig;
use crate::smtp::SmtpConfig;

/// Email settings.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MailConfig {
    /// Send mail from `papertide serve` (the digest scheduler and confirmations). Off by
    /// default: subscriptions are still recorded, and `papertide digest run` sends on demand.
    pub enabled: bool,
    /// Seconds between two passes of `serve`'s mail worker (confirmations go out within this).
    pub poll_secs: u64,
    /// The hour (UTC, 0–23) after which a day's digests (and on Mondays the weekly ones) go out.
    pub send_hour_utc: u32,
    /// The digest run.
    pub digest: DigestConfig,
    /// The SMTP server. Never serialised (it holds the password); read from the file and the
    /// environment only.
    #[serde(skip_serializing)]
    pub smtp: SmtpConfig,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            enabled: false,
            poll_secs: 30,
            send_hour_utc: 6,
            digest: DigestConfig::default(),
            smtp: SmtpConfig::default(),
        }
    }
}
