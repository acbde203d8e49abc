//! `expertnet-node user …`: the operator adds users, issues and revokes their API tokens. Like `keys`, these
//! open the node's database directly (on the node's machine); every change lands in the audit trail under the
//! operator's login name.

use super::args::{DatabaseArgs, UserCommand};
use super::output::{table, timestamp};
use crate::clock::SystemClock;
use crate::config::{NodeConfig, Overrides};
use crate::domain::people::{Role, roles_text};
use crate::storage::Storage;
use crate::workflow::{NewUser, Workflow};
use anyhow::{Context, Result};
use std::sync::Arc;

pub async fn run(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add(args) => {
            let workflow = open(args.database).await?;
            let roles = args
                .roles
                .iter()
                .filter_map(|word| Role::parse(word))
                .collect();
            let new = NewUser {
                name: args.name,
                organisation: args.organisation,
                roles,
            };
            let (user, token) = workflow
                .add_user(&operator(), new, args.valid_days)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "added {} ({}, {}); their API token, shown only now:",
                user.name,
                user.organisation,
                roles_text(&user.roles)
            );
            println!("{}", token.reveal());
            Ok(())
        }
        UserCommand::Token(args) => {
            let workflow = open(args.database).await?;
            let token = workflow
                .issue_token(&operator(), &args.name, args.valid_days, args.revoke_others)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("a new API token for {}, shown only now:", args.name);
            println!("{}", token.reveal());
            Ok(())
        }
        UserCommand::Revoke(args) => {
            let workflow = open(args.database).await?;
            workflow
                .disable_user(&operator(), &args.name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} is disabled; all their tokens are revoked", args.name);
            Ok(())
        }
        UserCommand::List(database) => {
            let workflow = open(database).await?;
            let mut out = table(&[
                "user",
                "organisation",
                "roles",
                "valid tokens",
                "added",
                "disabled",
            ]);
            for (user, tokens) in workflow.users().await? {
                out.add_row(vec![
                    user.name,
                    user.organisation,
                    roles_text(&user.roles),
                    tokens.to_string(),
                    timestamp(user.created_at),
                    user.disabled_at.map(timestamp).unwrap_or_default(),
                ]);
            }
            println!("{out}");
            Ok(())
        }
    }
}

/// The operator's login name, as the audit trail records it.
fn operator() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "operator".into())
}

async fn open(database: DatabaseArgs) -> Result<Workflow> {
    let overrides = Overrides {
        listen: None,
        database_url: database.database_url,
    };
    let config = NodeConfig::load(database.config.as_deref(), &overrides)?;
    let storage = Storage::connect(&config.database.url, 1, config.vault()?)
        .await
        .context("opening the node's database")?;
    Ok(Workflow::new(storage, Arc::new(SystemClock)))
}
