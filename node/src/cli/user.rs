//! `expertnet-node user …`: the operator adds users, issues and revokes their API tokens. Like `keys`, these
//! open the node's database directly (on the node's machine); every change lands in the audit trail under the
//! operator's login name.

use super::args::UserCommand;
use super::output::{table, timestamp};
use super::{open_local, operator_name};
use crate::access::password::Password;
use crate::domain::people::{Role, roles_text};
use crate::workflow::NewUser;
use anyhow::Result;

pub async fn run(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add(args) => {
            let (_, workflow) = open_local(args.database).await?;
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
                .add_user(&operator_name(), new, args.valid_days)
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
            let (_, workflow) = open_local(args.database).await?;
            let token = workflow
                .issue_token(
                    &operator_name(),
                    &args.name,
                    args.valid_days,
                    args.revoke_others,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!("a new API token for {}, shown only now:", args.name);
            println!("{}", token.reveal());
            Ok(())
        }
        UserCommand::Revoke(args) => {
            let (_, workflow) = open_local(args.database).await?;
            workflow
                .disable_user(&operator_name(), &args.name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} is disabled; all their tokens are revoked", args.name);
            Ok(())
        }
        UserCommand::Password(args) => {
            let password = match std::env::var("EXPERTNET_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    eprintln!(
                        "the new password for {} (one line on standard input):",
                        args.name
                    );
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let (_, workflow) = open_local(args.database).await?;
            workflow
                .set_password(&operator_name(), &args.name, Password::new(password))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}'s password is set; their board sessions have ended",
                args.name
            );
            Ok(())
        }
        UserCommand::ResetSecondFactor(args) => {
            let (_, workflow) = open_local(args.database).await?;
            workflow
                .reset_second_factor(&operator_name(), &args.name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}'s second factor is removed; they set up a new one at their next sign-in",
                args.name
            );
            Ok(())
        }
        UserCommand::List(database) => {
            let (_, workflow) = open_local(database).await?;
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
