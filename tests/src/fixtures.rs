//! Requests and case set-ups shared by the end-to-end tests.

use crate::TestNode;
use expertnet_proto::v1 as pb;

pub const ACTOR: &str = "test-actor";
/// A valid BSN (passes the elfproef) that is no real person's: used only in tests.
pub const TEST_BSN: &str = "111222333";
pub const TEST_NAME: &str = "Fixture Jongere";

pub fn submit_request(request_id: &str) -> pb::SubmitCaseRequest {
    pb::SubmitCaseRequest {
        request_id: request_id.to_owned(),
        referrer: Some(pb::Referrer {
            organisation: "Sociaal team Nieuwegein".into(),
            kind: pb::ReferrerKind::SocialTeam as i32,
        }),
        youth: Some(pb::YouthIdentity {
            name: TEST_NAME.into(),
            bsn: TEST_BSN.into(),
            date_of_birth: "2011-01-15".into(),
        }),
        age: 15,
        municipality: "Nieuwegein".into(),
        question: "Geen passende plek na de opname".into(),
        tried_so_far: "Ambulante begeleiding en twee crisisplaatsingen".into(),
        categories: vec![
            pb::BottleneckCategory::ResidentialOutflow as i32,
            pb::BottleneckCategory::WaitingList as i32,
        ],
    }
}

pub fn case_ref(case_id: &str) -> pb::CaseRef {
    pb::CaseRef {
        case_id: case_id.to_owned(),
        actor: ACTOR.into(),
    }
}

pub fn date(iso: &str) -> Option<pb::Date> {
    Some(pb::Date { iso: iso.into() })
}

/// A date after the test clock's "today".
pub const FUTURE: &str = "2026-04-01";

pub fn new_commitment(provider: &str) -> pb::NewCommitment {
    pb::NewCommitment {
        provider: provider.into(),
        description: "Start maatwerktraject".into(),
        due: date(FUTURE),
        authority_confirmed: true,
    }
}

impl TestNode {
    pub async fn submit(&self) -> String {
        self.cases
            .clone()
            .submit_case(submit_request(""))
            .await
            .expect("submit")
            .into_inner()
            .id
    }

    pub async fn new_session(&self) -> String {
        self.sessions
            .clone()
            .create_session(pb::CreateSessionRequest {
                date: date("2026-03-10"),
                start_time: "13:30".into(),
                duration_minutes: 0,
                location: "Stadshuis Nieuwegein".into(),
                chair: "Voorzitter".into(),
                actor: ACTOR.into(),
            })
            .await
            .expect("create session")
            .into_inner()
            .id
    }

    pub async fn state_of(&self, case_id: &str) -> (pb::CaseState, usize) {
        let detail = self
            .cases
            .clone()
            .get_case(pb::GetCaseRequest {
                case_id: case_id.into(),
            })
            .await
            .expect("get case")
            .into_inner();
        let state =
            pb::CaseState::try_from(detail.summary.expect("summary").state).expect("known state");
        (state, detail.history.len())
    }

    /// A new case brought to `state` through the node's own RPCs; an intake case is accepted unless
    /// `accepted` is false. Returns the case id and the session it is (or was) on.
    pub async fn case_in(&self, state: pb::CaseState, accepted: bool) -> (String, Option<String>) {
        use pb::CaseState::*;
        let mut cases = self.cases.clone();
        let id = self.submit().await;
        if state == Submitted {
            return (id, None);
        }
        if state == Returned {
            cases
                .return_case(pb::ReturnCaseRequest {
                    case_id: id.clone(),
                    actor: ACTOR.into(),
                    reason: "Hoort bij de wijkteams".into(),
                })
                .await
                .expect("return");
            return (id, None);
        }
        cases.start_intake(case_ref(&id)).await.expect("intake");
        if state == Intake && !accepted {
            return (id, None);
        }
        cases.accept_case(case_ref(&id)).await.expect("accept");
        if state == Intake {
            return (id, None);
        }
        let session = self.new_session().await;
        self.sessions
            .clone()
            .add_to_agenda(pb::AddToAgendaRequest {
                session_id: session.clone(),
                case_id: id.clone(),
                actor: ACTOR.into(),
            })
            .await
            .expect("agenda");
        if state == Scheduled {
            return (id, Some(session));
        }
        cases
            .record_discussion(pb::RecordDiscussionRequest {
                case_id: id.clone(),
                session_id: session.clone(),
                actor: ACTOR.into(),
                summary: String::new(),
                next_step: "Aanbieder doet binnen een week een voorstel".into(),
                regie_holder: String::new(),
                commitments: vec![new_commitment("Accare")],
            })
            .await
            .expect("discussion");
        match state {
            Discussed => return (id, Some(session)),
            Escalated => {
                // The escalation RPC belongs to the federation; until then the state is set directly.
                sqlx::query("UPDATE cases SET state = 'escalated' WHERE id = $1")
                    .bind(&id)
                    .execute(self.workflow.storage().pool())
                    .await
                    .expect("escalate");
                return (id, Some(session));
            }
            _ => {}
        }
        cases.start_plan(case_ref(&id)).await.expect("plan");
        if state == InProgress {
            return (id, Some(session));
        }
        cases
            .close_case(pb::CloseCaseRequest {
                case_id: id.clone(),
                actor: ACTOR.into(),
                outcome: pb::Outcome::Solved as i32,
                closing_note: String::new(),
            })
            .await
            .expect("close");
        (id, Some(session))
    }
}

/// A quarter of one region: `scale` cases in every category × outcome (age band and lead time varying), a
/// small flow and no-fitting-answer signals for two categories.
pub fn signals_quarter(region: &str, period: &str, scale: u64) -> pb::SignalSnapshot {
    let mut cells = Vec::new();
    for category in 1..=10 {
        for outcome in 1..=5 {
            cells.push(pb::SignalCell {
                category,
                age_band: 1 + (category + outcome) % 4,
                outcome,
                lead_time: 1 + (category * outcome) % 4,
                count: scale,
            });
        }
    }
    let closed = cells.iter().map(|c| c.count).sum();
    pb::SignalSnapshot {
        region: region.into(),
        period: period.into(),
        computed_at_ms: 1,
        cells,
        totals: Some(pb::SignalTotals {
            submitted: closed + 20,
            returned: 2,
            discussed: closed + 10,
            escalated: 15,
            closed,
            sessions_held: 12,
            escalations_accepted: 10,
            escalations_accepted_within_14_days: 5,
            consultations_asked: 40,
            consultations_answered: 35,
            consultations_answered_within_7_days: 25,
        }),
        no_fitting_answer: vec![
            pb::CategoryCount {
                category: pb::BottleneckCategory::ResidentialOutflow as i32,
                count: 30,
            },
            pb::CategoryCount {
                category: pb::BottleneckCategory::FundingDispute as i32,
                count: 2,
            },
        ],
    }
}
