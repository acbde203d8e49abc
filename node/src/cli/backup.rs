//! `expertnet-node backup` and `restore`: run on the node's machine, against its configuration.

use super::args::{BackupArgs, DatabaseArgs, RestoreArgs};
use crate::backup::{self, BackupFiles, Checked};
use crate::config::{NodeConfig, Overrides};
use anyhow::Result;

pub async fn back_up(args: BackupArgs) -> Result<()> {
    let config = load(args.database)?;
    let files = BackupFiles {
        database: args.out,
        keyring: args.keyring_out,
    };
    let checked = backup::back_up(&config, &files, &super::operator_name()).await?;
    println!(
        "backup {} and keyring {}: {}",
        files.database.display(),
        files.keyring.display(),
        summary(&checked)
    );
    println!("keep the keyring apart from the database copy: one opens the other");
    Ok(())
}

pub async fn restore(args: RestoreArgs) -> Result<()> {
    let config = load(args.database)?;
    let files = BackupFiles {
        database: args.from,
        keyring: args.keyring,
    };
    let checked = backup::restore(&config, &files, &super::operator_name()).await?;
    println!(
        "restored into {}: {}; the node can be started on it",
        config.database.url,
        summary(&checked)
    );
    Ok(())
}

fn load(database: DatabaseArgs) -> Result<NodeConfig> {
    let overrides = Overrides {
        listen: None,
        database_url: database.database_url,
    };
    Ok(NodeConfig::load(database.config.as_deref(), &overrides)?)
}

fn summary(checked: &Checked) -> String {
    format!(
        "{} cases, {} youths' identifiers open with the keyring, {} audit events verified",
        checked.cases, checked.identities, checked.audit_events
    )
}
