//! Admin commands: `papertide feature ID... [--date DATE]` puts papers on a day's feed;
//! `papertide user create NAME [--admin] [--email E]` creates an account (the password is
//! read from `PAPERTIDE_NEW_PASSWORD` or the first line of stdin, never from the command
//! line, where other users could see it); `papertide user password NAME` sets a new one the
//! same way and signs the user out everywhere; `papertide user admin NAME` / `user demote NAME`.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use papertide_core::SubmitOutcome;
use papertide_core::{PaperId, Role, UserName};
use papertide_store::Store;

use crate::config::Config;

/// Arguments of `papertide feature`.
#[derive(Debug, clap::Args)]
pub struct FeatureArgs {
    /// Papers (arXiv ids or URLs) to put on the feed
    #[arg(required = true)]
    ids: Vec<String>,
    /// The feed day [default: today, UTC]
    #[arg(long, value_name = "DATE")]
    date: Option<NaiveDate>,
}

/// `papertide user` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account; the password comes from PAPERTIDE_NEW_PASSWORD or stdin
    Create {
        /// User name (3 to 32 letters, digits, - or _; starts with a letter)
        name: String,
        /// Make the user an admin
        #[arg(long)]
        admin: bool,
        /// Email address
        #[arg(long)]
        email: Option<String>,
    },
    /// Set a new password (from PAPERTIDE_NEW_PASSWORD or stdin) and end the user's sessions
    Password {
        /// User name
        name: String,
    },
    /// Give a user the admin role
    Admin {
        /// User name
        name: String,
    },
    /// Take the admin role away
    Demote {
        /// User name
        name: String,
    },
}

pub fn feature(config: &Config, args: FeatureArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let date = args.date.unwrap_or_else(|| Utc::now().date_naive());
    let mut failed = false;
    for text in &args.ids {
        let id: PaperId = match text.parse() {
            Ok(id) => id,
            Err(e) => {
                eprintln!("{text}: not a paper id ({e})");
                failed = true;
                continue;
            }
        };
        match store.submit(&id, date, None, true, Utc::now()) {
            Ok(SubmitOutcome::Submitted) => println!("featured {id} on {date}"),
            Ok(SubmitOutcome::AlreadyOnFeed { .. }) => println!("{id} is already on the feed of {date}"),
            Err(e) => {
                eprintln!("{id}: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("PAPERTIDE_NEW_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (one line on stdin):");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Reads a new password ([`read_password`]), checks its length and hashes it.
fn new_password_hash() -> anyhow::Result<String> {
    use papertide_web::pages::auth::{check_password_length, hash_password, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
    let password = read_password()?;
    anyhow::ensure!(
        check_password_length(&password).is_ok(),
        "the password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
    );
    hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn user(config: &Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(config)?;
    let parse = |name: &str| name.parse::<UserName>().with_context(|| format!("invalid user name `{name}`"));
    match command {
        UserCommand::Create { name, admin, email } => {
            let name = parse(&name)?;
            let hash = new_password_hash()?;
            let role = if admin { Role::Admin } else { Role::User };
            let user = store
                .create_user(&name, email.as_deref(), &hash, role)
                .with_context(|| format!("creating user {name}"))?;
            println!("created {} user {}", role.as_str(), user.name);
        }
        UserCommand::Password { name } => {
            let name = parse(&name)?;
            let (user, old) = store.password_hash_of(&name)?.with_context(|| format!("no user {name}"))?;
            let hash = new_password_hash()?;
            anyhow::ensure!(
                store.replace_password_hash(user.id, &old, &hash)?,
                "the password of {name} changed meanwhile; nothing was done"
            );
            println!("new password set for {}; their sessions are ended", user.name);
        }
        UserCommand::Admin { name } => set_role(store.as_ref(), &parse(&name)?, Role::Admin)?,
        UserCommand::Demote { name } => set_role(store.as_ref(), &parse(&name)?, Role::User)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn set_role(store: &dyn Store, name: &UserName, role: Role) -> anyhow::Result<()> {
    let user = store.user_by_name(name)?.with_context(|| format!("no user {name}"))?;
    store.set_role(user.id, role)?;
    println!("{} is now {}", user.name, role.as_str());
    Ok(())
}
