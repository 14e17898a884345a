//! `papertide token create|list|revoke`: personal API tokens from the command line (for
//! admins and scripts; users also manage theirs on their profile page). `create` prints the
//! secret once, on stdout alone, so `TOKEN=$(papertide token create ...)` works.

use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use papertide_core::{token_name, TokenId, TokenScope, UserName};

use crate::config::Config;

/// `papertide token` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a token for a user and print its secret (shown this once)
    Create {
        /// Whose token
        #[arg(long)]
        user: String,
        /// A name to tell it apart ("laptop script")
        #[arg(long, default_value = "cli")]
        name: String,
        /// What it may do: read, or write (submit, upvote, comment)
        #[arg(long, default_value = "read")]
        scope: TokenScope,
    },
    /// List a user's tokens (never the secrets)
    List {
        /// Whose tokens
        #[arg(long)]
        user: String,
    },
    /// Revoke one of a user's tokens
    Revoke {
        /// Whose token
        #[arg(long)]
        user: String,
        /// The token's id (from `token list`)
        id: i64,
    },
}

pub fn run(config: &Config, command: Command) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let owner = |name: &str| -> anyhow::Result<papertide_core::User> {
        let name: UserName = name.parse().with_context(|| format!("invalid user name `{name}`"))?;
        store.user_by_name(&name)?.with_context(|| format!("no user {name}"))
    };
    match command {
        Command::Create { user, name, scope } => {
            let user = owner(&user)?;
            let name = token_name(&name).map_err(anyhow::Error::msg)?;
            let minted = papertide_web::api::auth::mint();
            let token = store
                .create_api_token(user.id, &name, &minted.hash, &minted.hint, scope, Utc::now())
                .with_context(|| format!("creating a token for {}", user.name))?;
            eprintln!(
                "created {} token {} ({}) for {}; it is shown this once:",
                token.scope, token.id, token.name, user.name
            );
            println!("{}", minted.secret);
        }
        Command::List { user } => {
            let user = owner(&user)?;
            let tokens = store.api_tokens(user.id)?;
            if tokens.is_empty() {
                eprintln!("{} has no tokens", user.name);
            }
            for t in tokens {
                let used = t.last_used_at.map(|u| u.to_rfc3339()).unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}…\t{}\t{}\tcreated {}\tlast used {}",
                    t.id,
                    t.hint,
                    t.scope,
                    t.name,
                    t.created_at.to_rfc3339(),
                    used
                );
            }
        }
        Command::Revoke { user, id } => {
            let user = owner(&user)?;
            anyhow::ensure!(store.revoke_api_token(user.id, TokenId(id))?, "{} has no token {id}", user.name);
            println!("revoked token {id} of {}", user.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
