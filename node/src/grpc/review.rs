//! `ReviewService`: the region's own yearly review, and its form on the wire both ways (the CLI turns a reply
//! back into the review it renders).

use super::convert::{required_enum, wire_enum};
use crate::domain::review::{
    Attendance, ConsultationFigures, LeadTime, ProviderRecord, RegionReview, YearTotals,
};
use crate::error::Result;
use crate::workflow::Workflow;
use expertnet_proto::v1 as wire;
use expertnet_proto::v1::review_service_server::ReviewService;
use tonic::{Request, Response, Status};

#[derive(Debug, Clone)]
pub struct ReviewApi {
    workflow: Workflow,
}

impl ReviewApi {
    pub fn new(workflow: Workflow) -> ReviewApi {
        ReviewApi { workflow }
    }
}

#[tonic::async_trait]
impl ReviewService for ReviewApi {
    async fn get_region_review(
        &self,
        request: Request<wire::RegionReviewRequest>,
    ) -> std::result::Result<Response<wire::RegionReview>, Status> {
        let year = request.into_inner().year;
        let review = self.workflow.region_review(year).await?;
        Ok(Response::new(to_wire(review, &self.workflow.region_name())))
    }
}

fn totals_to_wire(t: YearTotals) -> wire::ReviewTotals {
    wire::ReviewTotals {
        submitted: t.submitted,
        taken_in: t.taken_in,
        handed_back: t.handed_back,
        discussed: t.discussed,
        closed: t.closed,
        sessions_held: t.sessions_held,
        escalations_sent: t.escalations_sent,
        escalations_received: t.escalations_received,
    }
}

fn totals_from_wire(t: Option<wire::ReviewTotals>) -> YearTotals {
    let t = t.unwrap_or_default();
    YearTotals {
        submitted: t.submitted,
        taken_in: t.taken_in,
        handed_back: t.handed_back,
        discussed: t.discussed,
        closed: t.closed,
        sessions_held: t.sessions_held,
        escalations_sent: t.escalations_sent,
        escalations_received: t.escalations_received,
    }
}

/// The review on the wire.
pub fn to_wire(r: RegionReview, region: &str) -> wire::RegionReview {
    let c = r.consultations;
    wire::RegionReview {
        year: r.year,
        region: region.to_owned(),
        totals: Some(totals_to_wire(r.totals)),
        totals_year_before: Some(totals_to_wire(r.totals_year_before)),
        submitted_per_quarter: r.submitted_per_quarter.to_vec(),
        submitted_per_quarter_year_before: r.submitted_per_quarter_year_before.to_vec(),
        returns: r
            .return_reasons
            .into_iter()
            .map(|(reason, cases)| wire::ReviewReturn {
                withheld: reason.is_none(),
                reason: reason.unwrap_or_default(),
                cases,
            })
            .collect(),
        lead_times: r
            .lead_times
            .into_iter()
            .map(|l| wire::ReviewLeadTime {
                category: wire_enum(l.category),
                cases: l.cases,
                median_days: l.median_days,
                p25_days: l.p25_days,
                p75_days: l.p75_days,
                shortest_days: l.shortest_days,
                longest_days: l.longest_days,
            })
            .collect(),
        outcomes: r
            .outcomes
            .into_iter()
            .map(|(outcome, cases)| wire::ReviewOutcome {
                outcome: wire_enum(outcome),
                cases,
            })
            .collect(),
        no_fitting_answer: r
            .no_fitting_answer
            .into_iter()
            .map(|(category, cases)| wire::ReviewCategory {
                category: wire_enum(category),
                cases,
            })
            .collect(),
        commitments: r
            .commitments
            .into_iter()
            .map(|p| wire::ReviewProvider {
                provider: p.provider,
                on_time: p.on_time,
                late: p.late,
                overdue: p.overdue,
                running: p.running,
                withdrawn: p.withdrawn,
            })
            .collect(),
        attendance: Some(wire::ReviewAttendance {
            discussions: r.attendance.discussions,
            youth_present: r.attendance.youth_present,
            parents_present: r.attendance.parents_present,
        }),
        escalations: r
            .escalations
            .into_iter()
            .map(|(direction, status, count)| wire::ReviewEscalations {
                direction: wire_enum(direction),
                status: wire_enum(status),
                count,
            })
            .collect(),
        consultations: Some(wire::ReviewConsultations {
            asked: c.asked,
            asked_answered: c.asked_answered,
            asked_median_hours: c.asked_median_hours,
            received: c.received,
            received_answered: c.received_answered,
            received_median_hours: c.received_median_hours,
        }),
    }
}

fn quarters(values: &[u64]) -> [u64; 4] {
    let mut quarters = [0; 4];
    for (into, value) in quarters.iter_mut().zip(values) {
        *into = *value;
    }
    quarters
}

/// A review read from the wire (the CLI renders it); an unknown enum value is refused naming its field.
pub fn from_wire(r: wire::RegionReview) -> Result<RegionReview> {
    let c = r.consultations.unwrap_or_default();
    let a = r.attendance.unwrap_or_default();
    Ok(RegionReview {
        year: r.year,
        totals: totals_from_wire(r.totals),
        totals_year_before: totals_from_wire(r.totals_year_before),
        submitted_per_quarter: quarters(&r.submitted_per_quarter),
        submitted_per_quarter_year_before: quarters(&r.submitted_per_quarter_year_before),
        return_reasons: r
            .returns
            .into_iter()
            .map(|ret| ((!ret.withheld).then_some(ret.reason), ret.cases))
            .collect(),
        lead_times: r
            .lead_times
            .into_iter()
            .map(|l| {
                Ok(LeadTime {
                    category: required_enum("lead_times.category", l.category)?,
                    cases: l.cases,
                    median_days: l.median_days,
                    p25_days: l.p25_days,
                    p75_days: l.p75_days,
                    shortest_days: l.shortest_days,
                    longest_days: l.longest_days,
                })
            })
            .collect::<Result<_>>()?,
        outcomes: r
            .outcomes
            .into_iter()
            .map(|o| Ok((required_enum("outcomes.outcome", o.outcome)?, o.cases)))
            .collect::<Result<_>>()?,
        no_fitting_answer: r
            .no_fitting_answer
            .into_iter()
            .map(|n| {
                Ok((
                    required_enum("no_fitting_answer.category", n.category)?,
                    n.cases,
                ))
            })
            .collect::<Result<_>>()?,
        commitments: r
            .commitments
            .into_iter()
            .map(|p| ProviderRecord {
                provider: p.provider,
                on_time: p.on_time,
                late: p.late,
                overdue: p.overdue,
                running: p.running,
                withdrawn: p.withdrawn,
            })
            .collect(),
        attendance: Attendance {
            discussions: a.discussions,
            youth_present: a.youth_present,
            parents_present: a.parents_present,
        },
        escalations: r
            .escalations
            .into_iter()
            .map(|e| {
                Ok((
                    required_enum("escalations.direction", e.direction)?,
                    required_enum("escalations.status", e.status)?,
                    e.count,
                ))
            })
            .collect::<Result<_>>()?,
        consultations: ConsultationFigures {
            asked: c.asked,
            asked_answered: c.asked_answered,
            asked_median_hours: c.asked_median_hours,
            received: c.received,
            received_answered: c.received_answered,
            received_median_hours: c.received_median_hours,
        },
    })
}
