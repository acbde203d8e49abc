//! Property tests of the case lifecycle through the real workflow and storage (SQLite): for random sequences of
//! actions, what the workflow accepts is exactly what the rule table allows, the stored state follows the
//! model, every accepted change adds one history entry, and every refused one writes nothing.

use expertnet_node::Error;
use expertnet_node::domain::*;
use expertnet_node::workflow::Workflow;
use expertnet_tests::{TestDb, workflow_on};
use proptest::prelude::*;
use time::macros::date;

/// The actions a team takes on a case, as the workflow offers them.
#[derive(Debug, Clone, Copy)]
enum Step {
    StartIntake,
    Accept,
    Return,
    Schedule,
    Discuss,
    StartPlan,
    Close,
    Note,
}

impl Step {
    fn action(self) -> Action {
        match self {
            Step::StartIntake => Action::StartIntake,
            Step::Accept => Action::Accept,
            Step::Return => Action::Return,
            Step::Schedule => Action::Schedule,
            Step::Discuss => Action::RecordDiscussion,
            Step::StartPlan => Action::StartPlan,
            Step::Close => Action::Close,
            Step::Note => Action::AddProgressNote,
        }
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::StartIntake),
        Just(Step::Accept),
        Just(Step::Return),
        Just(Step::Schedule),
        Just(Step::Discuss),
        Just(Step::StartPlan),
        Just(Step::Close),
        Just(Step::Note),
    ]
}

fn new_case() -> NewCase {
    NewCase {
        request_id: None,
        referrer: Referrer {
            organisation: "Sociaal team Houten".into(),
            kind: ReferrerKind::SocialTeam,
        },
        youth: YouthIdentity {
            name: "Eigenschap Kind".into(),
            bsn: None,
            date_of_birth: None,
        },
        age: 14,
        municipality: "Houten".into(),
        question: "Geen passende plek".into(),
        tried_so_far: "Ambulante hulp".into(),
        categories: vec![BottleneckCategory::WaitingList],
    }
}

/// Runs one step; `Ok(true)` when the workflow accepted it, `Ok(false)` when it refused it as illegal.
async fn run(
    workflow: &Workflow,
    case_id: &str,
    session_id: &str,
    step: Step,
) -> Result<bool, Error> {
    let outcome = match step {
        Step::StartIntake => workflow.start_intake(case_id, "p").await.map(drop),
        Step::Accept => workflow.accept_case(case_id, "p").await.map(drop),
        Step::Return => workflow
            .return_case(case_id, "p", "hoort niet aan tafel")
            .await
            .map(drop),
        Step::Schedule => workflow
            .add_to_agenda(session_id, case_id, "p")
            .await
            .map(drop),
        Step::Discuss => workflow
            .record_discussion(NewDiscussion {
                case_id: case_id.into(),
                session_id: session_id.into(),
                actor: "p".into(),
                summary: "besproken".into(),
                next_step: "volgende stap".into(),
                regie_holder: None,
                commitments: vec![],
            })
            .await
            .map(drop),
        Step::StartPlan => workflow.start_plan(case_id, "p").await.map(drop),
        Step::Close => workflow
            .close_case(case_id, "p", Outcome::Solved, "")
            .await
            .map(drop),
        Step::Note => workflow
            .add_progress_note(case_id, "p", "notitie".into())
            .await
            .map(drop),
    };
    match outcome {
        Ok(()) => Ok(true),
        Err(Error::IllegalAction(_) | Error::FailedPrecondition(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// What the rule table says, plus the workflow's own preconditions: acceptance once, a discussion only for a case
/// on that session's agenda, scheduling only after acceptance.
#[derive(Debug, Clone, Copy)]
struct Model {
    state: CaseState,
    accepted: bool,
    on_agenda: bool,
}

impl Model {
    fn expect(&self, step: Step) -> Option<Model> {
        let next = step.action().apply(self.state).ok()?;
        let mut model = Model {
            state: next,
            ..*self
        };
        match step {
            Step::Accept if self.accepted => return None,
            Step::Accept => model.accepted = true,
            Step::Schedule if self.state == CaseState::Intake && !self.accepted => return None,
            Step::Schedule if self.on_agenda => return None,
            Step::Schedule => model.on_agenda = true,
            Step::Discuss if !self.on_agenda => return None,
            Step::Discuss => model.on_agenda = false,
            _ => {}
        }
        Some(model)
    }
}

async fn history_len(workflow: &Workflow, case_id: &str) -> usize {
    workflow.case_detail(case_id).await.unwrap().history.len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_workflow_follows_the_rule_table(steps in prop::collection::vec(step(), 1..14)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let db = TestDb::sqlite();
            let (workflow, _clock) = workflow_on(&db).await;
            let case = workflow.submit_case(new_case(), "test-operator").await.unwrap().case().clone();
            let mut model = Model { state: CaseState::Submitted, accepted: false, on_agenda: false };
            let mut entries = history_len(&workflow, &case.id).await;
            for step in steps {
                let session = workflow
                    .create_session(NewSession {
                        date: date!(2099 - 03 - 10),
                        start_time: "13:30".into(),
                        duration_minutes: 120,
                        location: "Houten".into(),
                        chair: "Ilse".into(),
                    })
                    .await
                    .unwrap();
                // A discussion belongs to the session the case was put on; keep using that one.
                let session_id = workflow
                    .case_detail(&case.id)
                    .await
                    .unwrap()
                    .session_ids
                    .last()
                    .cloned()
                    .filter(|_| matches!(step, Step::Discuss))
                    .unwrap_or(session.id);
                let expected = model.expect(step);
                let accepted = run(&workflow, &case.id, &session_id, step).await.unwrap();
                assert_eq!(accepted, expected.is_some(), "{step:?} from {model:?}");
                let stored = workflow.case_detail(&case.id).await.unwrap();
                let now = history_len(&workflow, &case.id).await;
                if let Some(next) = expected {
                    model = next;
                    if !matches!(step, Step::Note) {
                        assert_eq!(now, entries + 1, "one history entry per change ({step:?})");
                    }
                } else {
                    assert_eq!(now, entries, "a refused {step:?} writes nothing");
                }
                entries = now;
                assert_eq!(stored.summary.state, model.state, "after {step:?}");
            }
            workflow.storage().close().await;
            db.remove().await;
        });
    }
}
