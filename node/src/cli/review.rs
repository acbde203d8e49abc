//! `expertnet-node review`: the region's own yearly review, over the node's `ReviewService` — as a standalone
//! HTML file to read, print or save as a PDF (`--out`), as the figures in JSON (`--json`), or as a short table.

use super::args::{ClientArgs, ReviewArgs};
use super::client::{answer, review};
use super::output::{emit, table};
use anyhow::{Context, Result};
use expertnet_proto::v1 as pb;

pub async fn run(args: &ClientArgs, command: ReviewArgs) -> Result<()> {
    let year = command
        .year
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().year());
    let mut client = review(args).await?;
    let reply = answer(
        client
            .get_region_review(pb::RegionReviewRequest { year })
            .await,
    )?;
    if let Some(out) = command.out {
        let region = reply.region.clone();
        let figures = crate::grpc::review::from_wire(reply)?;
        let html = crate::web::review_document(&figures, &region)?;
        std::fs::write(&out, html)
            .with_context(|| format!("--out: cannot write {}", out.display()))?;
        println!(
            "wrote the review of {year} for {region} to {}",
            out.display()
        );
        return Ok(());
    }
    emit(&reply, args.json, |r| {
        let (now, before) = (
            r.totals.unwrap_or_default(),
            r.totals_year_before.unwrap_or_default(),
        );
        let mut out = table(&["", &(r.year - 1).to_string(), &r.year.to_string()]);
        for (what, before, now) in [
            ("submitted", before.submitted, now.submitted),
            ("taken in", before.taken_in, now.taken_in),
            ("handed back", before.handed_back, now.handed_back),
            ("discussed", before.discussed, now.discussed),
            ("closed", before.closed, now.closed),
            ("sessions held", before.sessions_held, now.sessions_held),
            (
                "escalations sent",
                before.escalations_sent,
                now.escalations_sent,
            ),
            (
                "escalations received",
                before.escalations_received,
                now.escalations_received,
            ),
        ] {
            out.add_row(vec![what.to_owned(), before.to_string(), now.to_string()]);
        }
        println!(
            "yearly review of {} for {} (--out FILE for the whole review)\n{out}",
            r.year, r.region
        );
    })
}
