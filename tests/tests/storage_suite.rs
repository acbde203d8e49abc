//! The storage test suite, written once and run against every backend: an SQLite file and a PostgreSQL
//! database. A backend that passes is interchangeable with the other. Tests drive the workflow directly
//! (no socket) so that what they check is storage and its transactions.

use expertnet_node::Error;
use expertnet_node::clock::ManualClock;
use expertnet_node::domain::*;
use expertnet_node::workflow::{SubmitOutcome, Workflow};
use expertnet_tests::TestDb;
use expertnet_tests::fixtures::ACTOR;
use time::macros::date;

fn new_case(request_id: Option<&str>) -> NewCase {
    NewCase {
        request_id: request_id.map(str::to_owned),
        referrer: Referrer {
            organisation: "Sociaal team Houten".into(),
            kind: ReferrerKind::SocialTeam,
        },
        youth: YouthIdentity {
            name: "Storage Suite Kind".into(),
            bsn: Some("111222333".into()),
            date_of_birth: Some(date!(2010 - 05 - 01)),
        },
        age: 15,
        municipality: "Houten".into(),
        question: "Geen passende plek".into(),
        tried_so_far: "Ambulante hulp".into(),
        categories: vec![
            BottleneckCategory::WaitingList,
            BottleneckCategory::SchoolAbsence,
        ],
    }
}

async fn submit(workflow: &Workflow) -> CaseSummary {
    workflow
        .submit_case(new_case(None), ACTOR)
        .await
        .unwrap()
        .case()
        .clone()
}

async fn session(workflow: &Workflow, day: time::Date) -> TableSession {
    workflow
        .create_session(NewSession {
            date: day,
            start_time: "13:30".into(),
            duration_minutes: 120,
            location: "Gemeentehuis Houten".into(),
            chair: "Ilse".into(),
        })
        .await
        .unwrap()
}

/// Brings a case to the table and records its discussion with one commitment.
async fn discussed(workflow: &Workflow) -> (CaseSummary, TableSession) {
    let case = submit(workflow).await;
    workflow.start_intake(&case.id, "intake").await.unwrap();
    workflow.accept_case(&case.id, "intake").await.unwrap();
    let s = session(workflow, date!(2026 - 03 - 10)).await;
    workflow
        .add_to_agenda(&s.id, &case.id, "chair")
        .await
        .unwrap();
    let case = workflow
        .record_discussion(NewDiscussion {
            case_id: case.id.clone(),
            session_id: s.id.clone(),
            actor: "chair".into(),
            summary: "besproken".into(),
            next_step: "Aanbieder start maatwerk".into(),
            regie_holder: None,
            commitments: vec![NewCommitment {
                provider: "Accare".into(),
                description: "Plek binnen twee weken".into(),
                due: date!(2026 - 03 - 20),
                authority_confirmed: true,
            }],
        })
        .await
        .unwrap();
    (case, s)
}

async fn submit_is_idempotent_per_request_id(workflow: Workflow, _clock: ManualClock) {
    let first = workflow
        .submit_case(new_case(Some("req-1")), ACTOR)
        .await
        .unwrap();
    let again = workflow
        .submit_case(new_case(Some("req-1")), ACTOR)
        .await
        .unwrap();
    assert!(matches!(first, SubmitOutcome::Created(_)));
    assert!(matches!(again, SubmitOutcome::Replayed(_)));
    assert_eq!(first.case().id, again.case().id);
    let mut other = new_case(Some("req-1"));
    other.question = "Een andere vraag".into();
    let err = workflow.submit_case(other, ACTOR).await.unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref field, .. } if field == "request_id"),
        "{err}"
    );
    let mut other_youth = new_case(Some("req-1"));
    other_youth.youth.bsn = Some("123456782".into());
    let err = workflow.submit_case(other_youth, ACTOR).await.unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref field, .. } if field == "request_id"),
        "a retry about another youth must not replay the first youth's case: {err}"
    );
    let all = workflow
        .list_cases(&CaseFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

async fn concurrent_retries_make_one_case(workflow: Workflow, _clock: ManualClock) {
    let tries = (0..8).map(|_| {
        let workflow = workflow.clone();
        tokio::spawn(async move {
            workflow
                .submit_case(new_case(Some("same-key")), ACTOR)
                .await
        })
    });
    let mut ids = Vec::new();
    for t in tries {
        ids.push(t.await.unwrap().unwrap().case().id.clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let all = workflow
        .list_cases(&CaseFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

async fn full_lifecycle_keeps_history(workflow: Workflow, _clock: ManualClock) {
    let (case, _) = discussed(&workflow).await;
    assert_eq!(case.state, CaseState::Discussed);
    workflow.start_plan(&case.id, "regisseur").await.unwrap();
    let closed = workflow
        .close_case(
            &case.id,
            "regisseur",
            Outcome::NoFittingAnswer,
            "geen aanbod in de regio",
        )
        .await
        .unwrap();
    assert_eq!(closed.state, CaseState::Closed);
    assert_eq!(closed.outcome, Some(Outcome::NoFittingAnswer));
    assert_eq!(closed.lead_time_ms(), Some(0), "manual clock did not move");
    let detail = workflow.case_detail(&case.id).await.unwrap();
    let actions: Vec<&str> = detail.history.iter().map(|t| t.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "submit",
            "start_intake",
            "accept",
            "schedule",
            "record_discussion",
            "start_plan",
            "close"
        ]
    );
    let sequences: Vec<i64> = detail.history.iter().map(|t| t.sequence).collect();
    assert_eq!(sequences, (1..=7).collect::<Vec<_>>());
    assert_eq!(detail.history[6].from, CaseState::InProgress);
    assert_eq!(detail.history[6].to, CaseState::Closed);
    assert_eq!(detail.discussions.len(), 1);
    assert_eq!(detail.discussions[0].regie_holder, "Sociaal team Houten");
    assert_eq!(detail.commitments.len(), 1);
    assert!(detail.commitments[0].authority_confirmed);
    assert_eq!(
        detail.closing_note.as_deref(),
        Some("geen aanbod in de regio")
    );
}

async fn lead_time_follows_the_clock(workflow: Workflow, clock: ManualClock) {
    let (case, _) = discussed(&workflow).await;
    clock.advance_ms(9 * 86_400_000);
    workflow.start_plan(&case.id, "r").await.unwrap();
    clock.advance_ms(30 * 86_400_000 + 5);
    let closed = workflow
        .close_case(&case.id, "r", Outcome::Solved, "")
        .await
        .unwrap();
    assert_eq!(closed.lead_time_ms(), Some(39 * 86_400_000 + 5));
    assert_eq!(
        closed.closed_at,
        Some(case.submitted_at + 39 * 86_400_000 + 5)
    );
}

async fn illegal_transition_writes_nothing(workflow: Workflow, _clock: ManualClock) {
    let case = submit(&workflow).await;
    let err = workflow
        .close_case(&case.id, "x", Outcome::Solved, "")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot move case from submitted to closed (close is allowed from: discussed, in_progress)"
    );
    let detail = workflow.case_detail(&case.id).await.unwrap();
    assert_eq!(detail.history.len(), 1);
    assert_eq!(detail.summary.state, CaseState::Submitted);
    assert!(detail.closing_note.is_none());
}

async fn concurrent_transitions_move_a_case_once(workflow: Workflow, _clock: ManualClock) {
    let case = submit(&workflow).await;
    let tries = (0..6).map(|i| {
        let workflow = workflow.clone();
        let id = case.id.clone();
        tokio::spawn(async move { workflow.start_intake(&id, &format!("worker-{i}")).await })
    });
    let mut ok = 0;
    let mut refused = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::IllegalAction(_)) => refused += 1,
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!((ok, refused), (1, 5));
    let detail = workflow.case_detail(&case.id).await.unwrap();
    assert_eq!(detail.history.len(), 2);
}

async fn concurrent_accepts_accept_once(workflow: Workflow, _clock: ManualClock) {
    let case = submit(&workflow).await;
    workflow.start_intake(&case.id, "intake").await.unwrap();
    let tries = (0..2).map(|i| {
        let workflow = workflow.clone();
        let id = case.id.clone();
        tokio::spawn(async move { workflow.accept_case(&id, &format!("worker-{i}")).await })
    });
    let mut outcomes = Vec::new();
    for t in tries {
        outcomes.push(t.await.unwrap());
    }
    let accepted = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(accepted, 1, "{outcomes:?}");
    for refused in outcomes.iter().filter_map(|o| o.as_ref().err()) {
        assert!(
            matches!(refused, Error::FailedPrecondition(_) | Error::Conflict(_)),
            "{refused}"
        );
    }
    let history = workflow.case_detail(&case.id).await.unwrap().history;
    let accepts = history.iter().filter(|t| t.action == "accept").count();
    assert_eq!(accepts, 1, "{history:?}");
}

async fn concurrent_task_updates_close_a_task_once(workflow: Workflow, _clock: ManualClock) {
    let (case, _) = discussed(&workflow).await;
    workflow.start_plan(&case.id, "r").await.unwrap();
    let task = workflow
        .add_task(
            &case.id,
            "r",
            "Plek zoeken".into(),
            "Gemeente".into(),
            date!(2026 - 06 - 01),
        )
        .await
        .unwrap();
    let tries = [TaskStatus::Done, TaskStatus::Cancelled].map(|status| {
        let workflow = workflow.clone();
        let id = task.id.clone();
        tokio::spawn(async move { workflow.update_task(&id, "r", status).await })
    });
    let mut outcomes = Vec::new();
    for t in tries {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    let history = workflow.case_detail(&case.id).await.unwrap().history;
    let updates = history.iter().filter(|t| t.action == "update_task").count();
    assert_eq!(updates, 1, "{history:?}");
}

/// Two people withdraw the same consent at once: one withdrawal, one refusal, one entry in the history.
async fn concurrent_withdrawals_withdraw_a_consent_once(workflow: Workflow, _clock: ManualClock) {
    let (case, _) = discussed(&workflow).await;
    let consent = workflow
        .record_consent(
            &case.id,
            "r",
            NewConsent {
                basis: LegalBasis::Consent,
                given_by: "parent".into(),
                note: String::new(),
                scope: ConsentScope::ConsultWithIdentifiers,
                scope_target: None,
                valid_until: None,
            },
        )
        .await
        .unwrap();
    let tries = ["de moeder", "de vader"].map(|reason| {
        let workflow = workflow.clone();
        let id = case.id.clone();
        tokio::spawn(async move {
            workflow
                .withdraw_consent(&id, consent.sequence, "r", reason.into())
                .await
        })
    });
    let mut outcomes = Vec::new();
    for t in tries {
        outcomes.push(t.await.unwrap());
    }
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().any(
            |o| matches!(o, Err(Error::FailedPrecondition(m)) if m.contains("withdrawn already"))
        ),
        "{outcomes:?}"
    );
    let history = workflow.case_detail(&case.id).await.unwrap().history;
    let withdrawals = history
        .iter()
        .filter(|t| t.action == "withdraw_consent")
        .count();
    assert_eq!(withdrawals, 1, "{history:?}");
}

async fn list_filters_and_pages(workflow: Workflow, _clock: ManualClock) {
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut c = new_case(None);
        c.municipality = if i % 2 == 0 {
            "Houten".into()
        } else {
            "Lopik".into()
        };
        if i == 3 {
            c.categories = vec![BottleneckCategory::FundingDispute];
        }
        ids.push(
            workflow
                .submit_case(c, ACTOR)
                .await
                .unwrap()
                .case()
                .id
                .clone(),
        );
    }
    workflow.start_intake(&ids[0], "x").await.unwrap();
    let lopik = CaseFilter {
        municipality: Some("Lopik".into()),
        ..Default::default()
    };
    assert_eq!(
        workflow
            .list_cases(&lopik, None, 50)
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    let dispute = CaseFilter {
        category: Some(BottleneckCategory::FundingDispute),
        ..Default::default()
    };
    let found = workflow.list_cases(&dispute, None, 50).await.unwrap().items;
    assert_eq!(found.iter().map(|c| &c.id).collect::<Vec<_>>(), [&ids[3]]);
    let intake = CaseFilter {
        state: Some(CaseState::Intake),
        ..Default::default()
    };
    assert_eq!(
        workflow.list_cases(&intake, None, 50).await.unwrap().items[0].id,
        ids[0]
    );

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = workflow
            .list_cases(&CaseFilter::default(), after.as_deref(), 3)
            .await
            .unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.into_iter().map(|c| c.id));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
}

async fn sessions_agenda_and_attendance(workflow: Workflow, _clock: ManualClock) {
    let case = submit(&workflow).await;
    workflow.start_intake(&case.id, "x").await.unwrap();
    let s = session(&workflow, date!(2026 - 04 - 01)).await;
    let err = workflow
        .add_to_agenda(&s.id, &case.id, "x")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not been accepted"), "{err}");
    workflow.accept_case(&case.id, "x").await.unwrap();
    let s = workflow.add_to_agenda(&s.id, &case.id, "x").await.unwrap();
    assert_eq!(s.agenda, vec![case.id.clone()]);
    // Lists count the agenda without reading it; a session without cases counts zero.
    let empty = session(&workflow, date!(2026 - 02 - 01)).await;
    let overview = workflow.session_overview(None, None).await.unwrap();
    let counted: Vec<(String, u64)> = overview
        .iter()
        .map(|l| (l.id.clone(), l.on_agenda))
        .collect();
    assert_eq!(counted, vec![(empty.id.clone(), 0), (s.id.clone(), 1)]);
    assert_eq!(overview[1], SessionListing::from(&s));
    let err = workflow
        .add_to_agenda(&s.id, &case.id, "x")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let recorded = workflow
        .record_attendance(
            Attendance {
                session_id: s.id.clone(),
                case_id: case.id.clone(),
                attendees: vec![
                    Attendee {
                        role: AttendeeRole::Youth,
                        organisation: String::new(),
                    },
                    Attendee {
                        role: AttendeeRole::CompulsoryEducationOfficer,
                        organisation: "Leerplicht Houten".into(),
                    },
                    Attendee {
                        role: AttendeeRole::Ggd,
                        organisation: "GGD regio Utrecht".into(),
                    },
                ],
                youth_present: true,
                parents_present: false,
            },
            "chair",
        )
        .await
        .unwrap();
    assert_eq!(recorded.attendees.len(), 3);
    assert!(recorded.youth_present && !recorded.parents_present);
    let listed = workflow
        .list_sessions(Some(date!(2026 - 03 - 01)), Some(date!(2026 - 04 - 30)))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        workflow
            .list_sessions(Some(date!(2026 - 05 - 01)), None)
            .await
            .unwrap()
            .is_empty()
    );
    let on_session = CaseFilter {
        session_id: Some(s.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        workflow
            .list_cases(&on_session, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn plan_and_overdue(workflow: Workflow, _clock: ManualClock) {
    let (case, _) = discussed(&workflow).await;
    workflow.start_plan(&case.id, "r").await.unwrap();
    let task = workflow
        .add_task(
            &case.id,
            "r",
            "Schoolplan maken".into(),
            "Leerplicht".into(),
            date!(2026 - 03 - 05),
        )
        .await
        .unwrap();
    workflow
        .appoint_procesregisseur(&case.id, "r", "P. Regisseur".into(), "RET".into(), None)
        .await
        .unwrap();
    let err = workflow
        .appoint_procesregisseur(&case.id, "r", "Ander".into(), "RET".into(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FailedPrecondition(_)), "{err}");
    workflow
        .appoint_procesregisseur(
            &case.id,
            "r",
            "Ander".into(),
            "RET".into(),
            Some("ziekte".into()),
        )
        .await
        .unwrap();
    workflow
        .assign_case_manager(
            &case.id,
            "r",
            "verblijf".into(),
            "C. Manager".into(),
            "Pluryn".into(),
        )
        .await
        .unwrap();
    workflow
        .assign_case_manager(
            &case.id,
            "r",
            "verblijf".into(),
            "D. Manager".into(),
            "Pluryn".into(),
        )
        .await
        .unwrap();
    workflow
        .add_progress_note(&case.id, "r", "Gesprek gevoerd".into())
        .await
        .unwrap();

    let (_, none) = workflow.overdue(None, 50).await.unwrap();
    assert!(none.tasks.is_empty() && none.commitments.is_empty());
    let (_, later) = workflow
        .overdue(Some(date!(2026 - 03 - 25)), 50)
        .await
        .unwrap();
    assert_eq!(later.tasks.len(), 1);
    assert_eq!(later.commitments.len(), 1);
    let overdue_filter = CaseFilter {
        overdue_before: Some(date!(2026 - 03 - 25)),
        ..Default::default()
    };
    assert_eq!(
        workflow
            .list_cases(&overdue_filter, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    let done = workflow
        .update_task(&task.id, "r", TaskStatus::Done)
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Done);
    let err = workflow
        .update_task(&task.id, "r", TaskStatus::Open)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::FailedPrecondition(_)), "{err}");
    let commitment = &later.commitments[0];
    workflow
        .update_commitment(&commitment.id, "r", CommitmentStatus::Delivered)
        .await
        .unwrap();
    let (_, after) = workflow
        .overdue(Some(date!(2026 - 03 - 25)), 50)
        .await
        .unwrap();
    assert!(after.tasks.is_empty() && after.commitments.is_empty());

    let detail = workflow.case_detail(&case.id).await.unwrap();
    let reasons: Vec<&str> = detail.history.iter().map(|t| t.reason.as_str()).collect();
    assert!(
        reasons.contains(&"Ander (RET) replaces P. Regisseur (RET): ziekte"),
        "the replaced procesregisseur stays on record: {reasons:?}"
    );
    assert!(
        reasons.contains(&"arrangement verblijf: D. Manager (Pluryn), replaces C. Manager"),
        "the replaced case manager stays on record: {reasons:?}"
    );
    assert_eq!(detail.procesregisseur.unwrap().name, "Ander");
    assert_eq!(detail.care_arrangements.len(), 1);
    assert_eq!(detail.care_arrangements[0].case_manager, "D. Manager");
    assert_eq!(detail.notes.len(), 1);
    assert_eq!(detail.tasks.len(), 1);
}

async fn consultations_are_kept_with_answers(workflow: Workflow, _clock: ManualClock) {
    let asked = workflow
        .ask_consultation(NewConsultation {
            request_id: Some("c-1".into()),
            asker_kind: AskerKind::Parent,
            asker_organisation: String::new(),
            question: "Waar kan mijn kind terecht na de opname?".into(),
            expertise_tags: vec!["residential-outflow".into()],
            case_id: None,
            to_network: false,
            target_region: None,
        })
        .await
        .unwrap();
    let retry = NewConsultation {
        request_id: Some("c-1".into()),
        asker_kind: AskerKind::Parent,
        asker_organisation: String::new(),
        question: "Waar kan mijn kind terecht na de opname?".into(),
        expertise_tags: vec!["residential-outflow".into()],
        case_id: None,
        to_network: false,
        target_region: None,
    };
    let again = workflow.ask_consultation(retry.clone()).await.unwrap();
    assert_eq!(asked.id, again.id);
    let err = workflow
        .ask_consultation(NewConsultation {
            question: "Een heel andere vraag".into(),
            ..retry
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists { ref field, .. } if field == "request_id"),
        "{err}"
    );
    let answered = workflow
        .answer_consultation(
            &asked.id,
            "Expert RET".into(),
            "Neem contact op met het RET".into(),
        )
        .await
        .unwrap();
    assert_eq!(answered.status, ConsultationStatus::Answered);
    assert_eq!(answered.answers.len(), 1);
    let open = workflow
        .list_consultations(Some(ConsultationStatus::Open), None, 10)
        .await
        .unwrap();
    assert!(open.items.is_empty());
    let all = workflow.list_consultations(None, None, 10).await.unwrap();
    assert_eq!(all.items.len(), 1);
    let err = workflow
        .answer_consultation(&expertnet_node_id(), "x".into(), "y".into())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

fn expertnet_node_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The identifiers are in no table in clear — the identity table holds them sealed — and, on SQLite, nowhere
/// in the database's files either.
async fn identifiers_are_nowhere_in_clear(workflow: Workflow, _clock: ManualClock) {
    let (case, _) = discussed(&workflow).await;
    let youth = workflow.youth_identity(&case.id).await.unwrap();
    assert_eq!(youth.name, "Storage Suite Kind");
    assert_eq!(youth.bsn.as_deref(), Some("111222333"));
    assert_eq!(youth.date_of_birth, Some(date!(2010 - 05 - 01)));
    assert_eq!(format!("{youth:?}"), "YouthIdentity(redacted)");
    let in_clear = |text: &str| {
        ["Storage Suite Kind", "111222333", "2010-05-01"]
            .iter()
            .any(|identifier| text.contains(identifier))
    };
    let pool = workflow.storage().pool();
    for table in expertnet_tests::TABLES {
        let rows: Vec<sqlx::any::AnyRow> =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(pool)
                .await
                .unwrap();
        for row in rows {
            use sqlx::Row;
            for i in 0..row.len() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    assert!(!in_clear(&text), "an identifier in clear in {table}");
                }
            }
        }
    }
    let sealed: Vec<(String, String)> = sqlx::query_as("SELECT name, key_id FROM youth_identities")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(
        sealed
            .iter()
            .all(|(name, key)| name.starts_with(&format!("v1:{key}:")))
    );
    if workflow.storage().backend() == expertnet_node::storage::Backend::Sqlite {
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(pool)
                .await
                .unwrap();
        for path in [file.clone(), format!("{file}-wal")] {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!in_clear(&text), "an identifier in clear in {path}");
        }
    }
}

/// A youth submitted again (the same BSN) is recognised by the keyed pseudonym; another youth is not.
async fn earlier_cases_are_found_by_pseudonym(workflow: Workflow, clock: ManualClock) {
    let first = submit(&workflow).await;
    clock.advance_ms(60_000);
    let mut other_youth = new_case(None);
    other_youth.youth.bsn = Some("123456782".into());
    let other = workflow
        .submit_case(other_youth, ACTOR)
        .await
        .unwrap()
        .case()
        .clone();
    clock.advance_ms(60_000);
    let again = submit(&workflow).await;
    let detail = workflow.case_detail(&again.id).await.unwrap();
    assert_eq!(detail.earlier_cases, std::slice::from_ref(&first.id));
    let detail = workflow.case_detail(&first.id).await.unwrap();
    assert!(detail.earlier_cases.is_empty(), "only earlier cases");
    assert!(
        workflow
            .case_detail(&other.id)
            .await
            .unwrap()
            .earlier_cases
            .is_empty()
    );
}

async fn synthetic_fill_is_deterministic(workflow: Workflow, _clock: ManualClock) {
    expertnet_node::synthetic::fill(workflow.storage(), "lekstroom", 3_000, 7, |_| {})
        .await
        .unwrap();
    let page = workflow
        .list_cases(&CaseFilter::default(), None, 500)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 500);
    let closed = CaseFilter {
        state: Some(CaseState::Closed),
        ..Default::default()
    };
    let closed = workflow.list_cases(&closed, None, 500).await.unwrap().items;
    assert!(!closed.is_empty());
    assert!(
        closed
            .iter()
            .all(|c| c.outcome.is_some() && c.lead_time_ms().unwrap() > 0)
    );
    let detail = workflow.case_detail(&closed[0].id).await.unwrap();
    assert_eq!(detail.history.last().unwrap().to, CaseState::Closed);
    assert_eq!(detail.discussions.len(), 1);
    let bsn = workflow
        .youth_identity(&closed[0].id)
        .await
        .unwrap()
        .bsn
        .unwrap();
    assert!(
        bsn.starts_with("9999"),
        "synthetic BSNs come from the test range"
    );
    // The overdue filter, read from the case row, agrees with the open work itself.
    let day = date!(2025 - 06 - 01);
    let truth: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases WHERE state NOT IN ('closed', 'returned') AND id IN (\
         SELECT case_id FROM tasks WHERE status IN ('open', 'in_progress') AND due_date < '2025-06-01' \
         UNION SELECT case_id FROM commitments WHERE status = 'open' AND due_date < '2025-06-01')",
    )
    .fetch_one(workflow.storage().pool())
    .await
    .unwrap();
    let overdue = CaseFilter {
        overdue_before: Some(day),
        ..Default::default()
    };
    let listed = workflow
        .list_cases(&overdue, None, 500)
        .await
        .unwrap()
        .items
        .len() as i64;
    assert!(truth > 10, "synthetic data has overdue work: {truth}");
    assert_eq!(listed, truth.min(500));
    // Same seed, same first case: fill a second database and compare.
    let other = TestDb::sqlite();
    let (second, _) = expertnet_tests::workflow_on(&other).await;
    expertnet_node::synthetic::fill(second.storage(), "lekstroom", 3_000, 7, |_| {})
        .await
        .unwrap();
    let a = workflow
        .list_cases(&CaseFilter::default(), None, 20)
        .await
        .unwrap()
        .items;
    let b = second
        .list_cases(&CaseFilter::default(), None, 20)
        .await
        .unwrap()
        .items;
    assert_eq!(a, b);
}

/// A transaction that reads before it writes still commits when a write outside the writers' turn (a courier's
/// bookkeeping, another process) lands between its read and its write. On SQLite a deferred transaction failed
/// there with SQLITE_BUSY_SNAPSHOT (517), which no busy handler waits out: found by the national replay.
async fn a_write_between_a_read_and_a_write_fails_no_transaction(
    workflow: Workflow,
    _clock: ManualClock,
) {
    let case = submit(&workflow).await;
    let storage = workflow.storage().clone();
    let mut tx = storage.begin().await.unwrap();
    let cases: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(cases, 1);
    let outside = tokio::spawn({
        let (storage, id) = (storage.clone(), case.id.clone());
        async move {
            sqlx::query("UPDATE cases SET municipality = 'Nieuwegein' WHERE id = $1")
                .bind(id)
                .execute(storage.pool())
                .await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    sqlx::query("UPDATE cases SET age = 16 WHERE id = $1")
        .bind(&case.id)
        .execute(&mut *tx)
        .await
        .expect("the transaction's write after another write");
    tx.commit().await.unwrap();
    outside
        .await
        .unwrap()
        .expect("the write outside the turn, after the transaction");
    let (age, municipality): (i64, String) =
        sqlx::query_as("SELECT age, municipality FROM cases WHERE id = $1")
            .bind(&case.id)
            .fetch_one(storage.pool())
            .await
            .unwrap();
    assert_eq!((age, municipality.as_str()), (16, "Nieuwegein"));
}

macro_rules! storage_suite {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let db = expertnet_tests::TestDb::sqlite();
                    let (workflow, clock) = expertnet_tests::workflow_on(&db).await;
                    super::$test(workflow.clone(), clock).await;
                    workflow.storage().close().await;
                    db.remove().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let Some(db) = expertnet_tests::TestDb::postgres().await else { return };
                    let (workflow, clock) = expertnet_tests::workflow_on(&db).await;
                    super::$test(workflow.clone(), clock).await;
                    workflow.storage().close().await;
                    db.remove().await;
                }
            )*
        }
    };
}

storage_suite!(
    a_write_between_a_read_and_a_write_fails_no_transaction,
    submit_is_idempotent_per_request_id,
    concurrent_retries_make_one_case,
    full_lifecycle_keeps_history,
    lead_time_follows_the_clock,
    illegal_transition_writes_nothing,
    concurrent_transitions_move_a_case_once,
    concurrent_accepts_accept_once,
    concurrent_task_updates_close_a_task_once,
    concurrent_withdrawals_withdraw_a_consent_once,
    list_filters_and_pages,
    sessions_agenda_and_attendance,
    plan_and_overdue,
    consultations_are_kept_with_answers,
    identifiers_are_nowhere_in_clear,
    earlier_cases_are_found_by_pseudonym,
    synthetic_fill_is_deterministic,
);
