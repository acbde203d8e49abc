//! `expertnet-node seed`: fill a node's database with synthetic cases, with a progress bar.

use super::args::SeedArgs;
use crate::config::{NodeConfig, Overrides};
use crate::storage::Storage;
use crate::synthetic;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

pub async fn run(args: SeedArgs) -> Result<()> {
    let overrides = Overrides {
        listen: None,
        database_url: args.database.database_url,
    };
    let config = NodeConfig::load(args.database.config.as_deref(), &overrides)?;
    let storage = Storage::connect(
        &config.database.url,
        config.database.max_connections,
        config.vault()?,
    )
    .await
    .context("opening the node's database")?;
    let bar = ProgressBar::new(u64::from(args.count));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} cases ({per_sec})",
        )
        .context("progress template")?,
    );
    let started = Instant::now();
    synthetic::fill(
        &storage,
        &config.region,
        u64::from(args.count),
        args.seed,
        |done| bar.set_position(done),
    )
    .await?;
    bar.finish();
    eprintln!(
        "wrote {} synthetic cases for {} in {:.1} s",
        args.count,
        config.region,
        started.elapsed().as_secs_f64()
    );
    storage.close().await;
    Ok(())
}
