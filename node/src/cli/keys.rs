//! `expertnet-node keys`: the keyring of the youth's encrypted identifiers. These commands open the node's
//! database and keyring directly, like `seed`; they never print a key.

use super::args::{DatabaseArgs, KeysCommand};
use crate::audit::NewAuditEvent;
use crate::config::{NodeConfig, Overrides};
use crate::storage::{Storage, identity};
use crate::vault::Vault;
use crate::vault::keyring::Keyring;
use anyhow::{Context, Result};
use std::path::PathBuf;

pub async fn run(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Status(database) => status(database).await,
        KeysCommand::Rotate(database) => rotate(database).await,
        KeysCommand::Prune(database) => prune(database).await,
    }
}

struct Opened {
    database_url: String,
    path: PathBuf,
    keyring: Keyring,
    storage: Storage,
}

async fn open(database: DatabaseArgs) -> Result<Opened> {
    let overrides = Overrides {
        listen: None,
        database_url: database.database_url,
    };
    let config = NodeConfig::load(database.config.as_deref(), &overrides)?;
    let path = config.keyring_path()?;
    let keyring = Keyring::load_or_create(&path).context("identity.keyring")?;
    let storage = Storage::connect(
        &config.database.url,
        1,
        Vault::new(&keyring).context("identity.keyring")?,
    )
    .await
    .context("opening the node's database")?;
    Ok(Opened {
        database_url: config.database.url,
        path,
        keyring,
        storage,
    })
}

async fn print_usage(opened: &Opened) -> Result<()> {
    let in_use = identity::keys_in_use(&opened.storage).await?;
    println!("keyring {}", opened.path.display());
    for key in &opened.keyring.keys {
        let rows = in_use
            .iter()
            .find(|(id, _)| id.as_deref() == Some(key.id.as_str()))
            .map_or(0, |(_, n)| *n);
        let current = if key.id == opened.keyring.current {
            " (current)"
        } else {
            ""
        };
        println!("  {}{current}: seals {rows} youths' identifiers", key.id);
    }
    for (id, rows) in &in_use {
        match id {
            None => println!("  not yet encrypted: {rows} (sealed when the node starts)"),
            Some(id) if opened.keyring.decoded_key(id)?.is_none() => {
                println!("  {id}: seals {rows}, but is NOT in this keyring")
            }
            Some(_) => {}
        }
    }
    Ok(())
}

async fn status(database: DatabaseArgs) -> Result<()> {
    let opened = open(database).await?;
    print_usage(&opened).await?;
    opened.storage.close().await;
    Ok(())
}

async fn rotate(database: DatabaseArgs) -> Result<()> {
    let mut opened = open(database).await?;
    let new = opened.keyring.rotate();
    // The new key is on disk before anything is sealed with it.
    opened
        .keyring
        .save(&opened.path)
        .context("identity.keyring")?;
    opened.storage.close().await;
    let storage = Storage::connect(&opened.database_url, 1, Vault::new(&opened.keyring)?)
        .await
        .context("opening the node's database")?;
    let resealed = identity::reseal(&storage).await?;
    audited(
        &storage,
        &format!("keys rotate: new key {new}, {resealed} identities re-encrypted"),
    )
    .await?;
    println!("new current key {new}; re-encrypted {resealed} youths' identifiers");
    let opened = Opened { storage, ..opened };
    print_usage(&opened).await?;
    opened.storage.close().await;
    Ok(())
}

async fn prune(database: DatabaseArgs) -> Result<()> {
    let mut opened = open(database).await?;
    let in_use = identity::keys_in_use(&opened.storage).await?;
    let unused: Vec<String> = opened
        .keyring
        .keys
        .iter()
        .map(|k| k.id.clone())
        .filter(|id| {
            !in_use
                .iter()
                .any(|(used, _)| used.as_deref() == Some(id.as_str()))
        })
        .collect();
    let before = opened.keyring.keys.len();
    opened.keyring.remove(&unused);
    let removed = before - opened.keyring.keys.len();
    opened
        .keyring
        .save(&opened.path)
        .context("identity.keyring")?;
    audited(
        &opened.storage,
        &format!("keys prune: {removed} unused key(s) removed"),
    )
    .await?;
    println!("removed {removed} unused key(s)");
    print_usage(&opened).await?;
    opened.storage.close().await;
    Ok(())
}

/// Writes what an operator did to the keys to the audit trail.
async fn audited(storage: &Storage, action: &str) -> Result<()> {
    let now = crate::clock::Clock::now_ms(&crate::clock::SystemClock);
    let event = NewAuditEvent::operator(now, &super::operator_name(), action, "");
    crate::storage::audit::append_one(storage, event)
        .await
        .context("writing the audit trail")
}
