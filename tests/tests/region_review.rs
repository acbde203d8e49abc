//! A region's own yearly review against what the test itself seeded: cases through their lifecycle over a year
//! (and a year before), commitments settled on time and late, attendance and consultation answers, then
//! `ReviewService/GetRegionReview` over gRPC — on SQLite and PostgreSQL — checked figure by figure against
//! counts the test computes from its own scenario. Also: no identifier in the reply, the reading on the audit
//! trail, the refusals, and `expertnet-node review --out` writing the document.

use expertnet_node::access::BearerToken;
use expertnet_node::domain::people::Role;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::review_service_client::ReviewServiceClient;
use expertnet_tests::fixtures::{ACTOR, TEST_BSN, TEST_NAME, case_ref, date, submit_request};
use expertnet_tests::{TestDb, TestNode, add_user, spawn_node_on};
use pb::BottleneckCategory::{ResidentialOutflow, SchoolAbsence, WaitingList};
use std::collections::BTreeMap;
use tonic::Code;

const DAY_MS: i64 = 86_400_000;

/// 10:00 UTC on `iso` (YYYY-MM-DD).
fn at(iso: &str) -> i64 {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(iso, &format).unwrap();
    day.with_hms(10, 0, 0)
        .unwrap()
        .assume_utc()
        .unix_timestamp()
        * 1000
}

/// One case of the scenario and what happens to it.
struct Seeded {
    categories: Vec<pb::BottleneckCategory>,
    returned: Option<&'static str>,
    youth_present: bool,
    parents_present: bool,
    /// Provider, due date and the day it is delivered (if it is).
    commitment: Option<(&'static str, &'static str, Option<&'static str>)>,
    /// Outcome and the day the case is closed.
    closed: Option<(pb::Outcome, &'static str)>,
}

const SUBMITTED_ON: &str = "2026-02-02";
const REVIEWED_ON: &str = "2026-06-01";

fn scenario() -> Vec<Seeded> {
    let case = |categories: Vec<pb::BottleneckCategory>| Seeded {
        categories,
        returned: None,
        youth_present: false,
        parents_present: false,
        commitment: None,
        closed: None,
    };
    vec![
        Seeded {
            returned: Some("Hoort bij de wijkteams"),
            ..case(vec![WaitingList])
        },
        Seeded {
            // Words that name the youth by BSN: the review must leave them out.
            returned: Some("Eerder aangemeld onder BSN 111222333"),
            ..case(vec![WaitingList])
        },
        Seeded {
            youth_present: true,
            parents_present: true,
            commitment: Some(("Karakter", "2026-03-01", Some("2026-02-11"))),
            closed: Some((pb::Outcome::Solved, "2026-02-12")),
            ..case(vec![ResidentialOutflow, WaitingList])
        },
        Seeded {
            parents_present: true,
            commitment: Some(("Karakter", "2026-02-20", Some("2026-02-25"))),
            closed: Some((pb::Outcome::NoFittingAnswer, "2026-03-04")),
            ..case(vec![SchoolAbsence, WaitingList])
        },
        Seeded {
            commitment: Some(("Lindenhout", "2026-05-01", None)),
            ..case(vec![SchoolAbsence])
        },
    ]
}

/// Brings the scenario into the node, in the order of its days.
async fn seed(node: &TestNode, cases: &[Seeded]) {
    let mut api = node.cases.clone();
    let mut sessions = node.sessions.clone();

    // The year before: three submissions in May 2025, one handed back.
    node.clock.set_ms(at("2025-05-06"));
    for n in 0..3 {
        let mut request = submit_request("");
        request.age = 14;
        let id = api.submit_case(request).await.unwrap().into_inner().id;
        if n == 0 {
            api.return_case(pb::ReturnCaseRequest {
                case_id: id,
                actor: ACTOR.into(),
                reason: "Past bij het wijkteam".into(),
            })
            .await
            .unwrap();
        }
    }

    node.clock.set_ms(at(SUBMITTED_ON));
    let session = node.new_session().await;
    // Settling commitments and closing cases happen later, in date order.
    let mut later: BTreeMap<&str, Vec<(String, Option<pb::Outcome>)>> = BTreeMap::new();
    for seeded in cases {
        let mut request = submit_request("");
        request.categories = seeded.categories.iter().map(|c| *c as i32).collect();
        let id = api.submit_case(request).await.unwrap().into_inner().id;
        if let Some(reason) = seeded.returned {
            api.return_case(pb::ReturnCaseRequest {
                case_id: id,
                actor: ACTOR.into(),
                reason: reason.into(),
            })
            .await
            .unwrap();
            continue;
        }
        api.start_intake(case_ref(&id)).await.unwrap();
        api.accept_case(case_ref(&id)).await.unwrap();
        sessions
            .add_to_agenda(pb::AddToAgendaRequest {
                session_id: session.clone(),
                case_id: id.clone(),
                actor: ACTOR.into(),
            })
            .await
            .unwrap();
        sessions
            .record_attendance(pb::RecordAttendanceRequest {
                session_id: session.clone(),
                case_id: id.clone(),
                actor: ACTOR.into(),
                attendees: vec![],
                youth_present: seeded.youth_present,
                parents_present: seeded.parents_present,
            })
            .await
            .unwrap();
        let commitments = seeded
            .commitment
            .iter()
            .map(|(provider, due, _)| pb::NewCommitment {
                provider: (*provider).into(),
                description: "Start maatwerktraject".into(),
                due: date(due),
                authority_confirmed: true,
            })
            .collect();
        api.record_discussion(pb::RecordDiscussionRequest {
            case_id: id.clone(),
            session_id: session.clone(),
            actor: ACTOR.into(),
            summary: String::new(),
            next_step: "Aanbieder doet binnen een week een voorstel".into(),
            regie_holder: String::new(),
            commitments,
        })
        .await
        .unwrap();
        api.start_plan(case_ref(&id)).await.unwrap();
        if let Some((_, _, Some(delivered))) = seeded.commitment {
            let detail = api
                .get_case(pb::GetCaseRequest {
                    case_id: id.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            later
                .entry(delivered)
                .or_default()
                .push((detail.commitments[0].id.clone(), None));
        }
        if let Some((outcome, closed_on)) = seeded.closed {
            later
                .entry(closed_on)
                .or_default()
                .push((id.clone(), Some(outcome)));
        }
    }
    for (day, steps) in later {
        node.clock.set_ms(at(day));
        for (id, outcome) in steps {
            match outcome {
                None => {
                    api.update_commitment(pb::UpdateCommitmentRequest {
                        commitment_id: id,
                        actor: ACTOR.into(),
                        status: pb::CommitmentStatus::Delivered as i32,
                    })
                    .await
                    .unwrap();
                }
                Some(outcome) => {
                    api.close_case(pb::CloseCaseRequest {
                        case_id: id,
                        actor: ACTOR.into(),
                        outcome: outcome as i32,
                        closing_note: String::new(),
                    })
                    .await
                    .unwrap();
                }
            }
        }
    }

    // Consultation: one question answered two hours later, one not answered.
    node.clock.set_ms(at("2026-03-05"));
    let mut consultations = node.consultations.clone();
    let mut asked = Vec::new();
    for question in [
        "Wie kent een plek voor 16-jarigen?",
        "Wie heeft ervaring met lvb?",
    ] {
        let reply = consultations
            .ask_consultation(pb::AskConsultationRequest {
                asker_kind: pb::AskerKind::Professional as i32,
                asker_organisation: "Sociaal team Houten".into(),
                question: question.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        asked.push(reply.id);
    }
    node.clock.set_ms(at("2026-03-05") + 2 * 3_600_000);
    consultations
        .answer_consultation(pb::AnswerConsultationRequest {
            consultation_id: asked[0].clone(),
            expert: "Expert Karakter".into(),
            answer: "Bel de crisisdienst van Karakter".into(),
        })
        .await
        .unwrap();
    node.clock.set_ms(at(REVIEWED_ON));
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn days_between(from: &str, to: &str) -> f64 {
    (at(to) - at(from)) as f64 / DAY_MS as f64
}

async fn the_review_counts_what_was_seeded(node: TestNode) {
    let cases = scenario();
    seed(&node, &cases).await;
    let token = add_user(&node.workflow, "t.lid", &[Role::TableMember]).await;
    let mut client =
        ReviewServiceClient::new(BearerToken::new(&token).sign(node.raw_channel.clone()));
    let review = client
        .get_region_review(pb::RegionReviewRequest { year: 2026 })
        .await
        .unwrap()
        .into_inner();

    // The flow, from the scenario.
    let accepted: Vec<&Seeded> = cases.iter().filter(|c| c.returned.is_none()).collect();
    let closed: Vec<&Seeded> = cases.iter().filter(|c| c.closed.is_some()).collect();
    let totals = review.totals.unwrap();
    assert_eq!(totals.submitted, cases.len() as u64);
    assert_eq!(totals.taken_in, accepted.len() as u64);
    assert_eq!(totals.handed_back, (cases.len() - accepted.len()) as u64);
    assert_eq!(totals.discussed, accepted.len() as u64);
    assert_eq!(totals.closed, closed.len() as u64);
    assert_eq!(totals.sessions_held, 1, "the one session, held in March");
    assert_eq!(
        (totals.escalations_sent, totals.escalations_received),
        (0, 0)
    );
    let before = review.totals_year_before.unwrap();
    assert_eq!(
        (before.submitted, before.handed_back, before.taken_in),
        (3, 1, 0)
    );
    assert_eq!(
        review.submitted_per_quarter,
        vec![cases.len() as u64, 0, 0, 0]
    );
    assert_eq!(review.submitted_per_quarter_year_before, vec![0, 3, 0, 0]);

    // Why cases were handed back: the intake's words, except those that name the youth.
    let mut reasons: Vec<(String, bool, u64)> = review
        .returns
        .iter()
        .map(|r| (r.reason.clone(), r.withheld, r.cases))
        .collect();
    reasons.sort();
    let mut expected: Vec<(String, bool, u64)> = cases
        .iter()
        .filter_map(|c| c.returned)
        .map(|r| {
            if r.contains(TEST_BSN) {
                (String::new(), true, 1)
            } else {
                (r.to_owned(), false, 1)
            }
        })
        .collect();
    expected.sort();
    assert_eq!(reasons, expected);

    // Lead times per category named, and outcomes.
    for lead in &review.lead_times {
        let category = pb::BottleneckCategory::try_from(lead.category).unwrap();
        let days: Vec<f64> = closed
            .iter()
            .filter(|c| c.categories.contains(&category))
            .map(|c| days_between(SUBMITTED_ON, c.closed.unwrap().1))
            .collect();
        assert_eq!(lead.cases, days.len() as u64, "{category:?}");
        assert!(
            (lead.median_days - median(days.clone())).abs() < 1e-6,
            "{category:?}"
        );
        let shortest = days.iter().copied().fold(f64::MAX, f64::min);
        assert!((lead.shortest_days - shortest).abs() < 1e-6, "{category:?}");
    }
    let named: std::collections::BTreeSet<i32> = closed
        .iter()
        .flat_map(|c| c.categories.iter().map(|k| *k as i32))
        .collect();
    assert_eq!(review.lead_times.len(), named.len());
    for outcome in &review.outcomes {
        let expected = closed
            .iter()
            .filter(|c| c.closed.unwrap().0 as i32 == outcome.outcome)
            .count();
        assert_eq!(
            outcome.cases, expected as u64,
            "outcome {}",
            outcome.outcome
        );
    }
    let signals: Vec<(i32, u64)> = review
        .no_fitting_answer
        .iter()
        .map(|n| (n.category, n.cases))
        .collect();
    assert_eq!(
        signals,
        vec![(WaitingList as i32, 1), (SchoolAbsence as i32, 1)]
    );

    // Commitments per provider, judged on the day of the review.
    for provider in &review.commitments {
        let mine: Vec<_> = cases
            .iter()
            .filter_map(|c| c.commitment)
            .filter(|(p, _, _)| *p == provider.provider)
            .collect();
        let on_time = mine
            .iter()
            .filter(|(_, due, delivered)| delivered.is_some_and(|d| d <= *due))
            .count() as u64;
        let late = mine
            .iter()
            .filter(|(_, due, delivered)| delivered.is_some_and(|d| d > *due))
            .count() as u64;
        let overdue = mine
            .iter()
            .filter(|(_, due, delivered)| delivered.is_none() && *due < REVIEWED_ON)
            .count() as u64;
        assert_eq!(
            (provider.on_time, provider.late, provider.overdue),
            (on_time, late, overdue),
            "{}",
            provider.provider
        );
    }
    assert_eq!(review.commitments.len(), 2, "Karakter and Lindenhout");

    // At the table, and consultation.
    let attendance = review.attendance.unwrap();
    assert_eq!(attendance.discussions, accepted.len() as u64);
    assert_eq!(
        attendance.youth_present,
        accepted.iter().filter(|c| c.youth_present).count() as u64
    );
    assert_eq!(
        attendance.parents_present,
        accepted.iter().filter(|c| c.parents_present).count() as u64
    );
    let consultations = review.consultations.unwrap();
    assert_eq!((consultations.asked, consultations.asked_answered), (2, 1));
    assert_eq!(consultations.asked_median_hours, Some(2.0));
    assert_eq!(consultations.received, 0);

    // No identifier anywhere in the reply.
    let everything = format!("{review:?}");
    assert!(!everything.contains(TEST_BSN) && !everything.contains(TEST_NAME));

    // The reading is on the audit trail, under the person who read.
    let read: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE user_name = 't.lid' \
         AND action LIKE '%ReviewService/GetRegionReview' AND outcome = 'ok'",
    )
    .fetch_one(node.workflow.storage().pool())
    .await
    .unwrap();
    assert_eq!(read, 1);

    // Refusals: a year out of range, and a role that does not read the region's cases.
    let status = client
        .get_region_review(pb::RegionReviewRequest { year: 1999 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "year: must be a year from 2000 to 2026");
    let status = client
        .get_region_review(pb::RegionReviewRequest { year: 2027 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let auditor = add_user(&node.workflow, "a.uditor", &[Role::Auditor]).await;
    let status =
        ReviewServiceClient::new(BearerToken::new(&auditor).sign(node.raw_channel.clone()))
            .get_region_review(pb::RegionReviewRequest { year: 2026 })
            .await
            .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    // The same review as a document from the command line.
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("jaaroverzicht-2026.html");
    // Run without blocking the runtime: the node answering the command serves on it.
    let output = tokio::process::Command::new(expertnet_tests::node_binary())
        .args(["--node", &node.url, "review", "--year", "2026", "--out"])
        .arg(&file)
        .env("EXPERTNET_TOKEN", &token)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.contains("<title>Jaaroverzicht 2026</title>"), "{html}");
    assert!(
        html.contains(
            "Meer jongeren hadden de tafel nodig: 5 aanmeldingen in 2026 tegen 3 het jaar ervoor (2 meer)."
        ),
        "{html}"
    );
    assert!(html.contains("Hoort bij de wijkteams"));
    assert!(html.contains("niet getoond: de tekst noemt mogelijk de jongere"));
    assert!(html.contains("<svg"), "charts beside the tables");
    assert!(!html.contains(TEST_BSN) && !html.contains(TEST_NAME));
    node.stop().await;
}

#[tokio::test]
async fn the_review_counts_what_was_seeded_on_sqlite() {
    the_review_counts_what_was_seeded(spawn_node_on(TestDb::sqlite()).await).await;
}

#[tokio::test]
async fn the_review_counts_what_was_seeded_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    the_review_counts_what_was_seeded(spawn_node_on(db).await).await;
}
