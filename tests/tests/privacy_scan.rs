//! The whole workflow with a known youth — name, BSN, date of birth — across three regions running as real
//! processes, then a search for those identifiers in every file the federation wrote (databases with their
//! WAL files, logs at debug level, configuration) and in every byte that reached the gateway in clear (taken
//! from inside the TLS by a recording proxy the test puts in front of it). None may be found. Markers that are
//! meant to cross, and to be stored, are searched the same way and must be found, so the search itself works.

use expertnet_federation::Peer;
use expertnet_proto::v1 as pb;
use expertnet_tests::federation::{
    FLEVOLAND_UTRECHT, LEKSTROOM, RIVIERENLAND, WAIT, ask_network, consent_request, escalations,
    eventually, outgoing_reaches,
};
use expertnet_tests::fixtures::{ACTOR, case_ref};
use expertnet_tests::process_federation::{Launch, ProcessFederation};
use expertnet_tests::tap::Tap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tonic::Code;

const NAME: &str = "Zeynep Vermeulen-Testdata";
const BSN: &str = "271828183";
const BIRTH_DATE: &str = "2011-04-23";
const QUESTION_MARKER: &str = "MARKER-QUESTION-7731";
const REASON_MARKER: &str = "MARKER-REASON-4410";
const CONSULT_MARKER: &str = "MARKER-CONSULT-5521";

/// The youth's age today, which the node checks against the date of birth.
fn age_today() -> u32 {
    let born = time::macros::date!(2011 - 04 - 23);
    let today = time::OffsetDateTime::now_utc().date();
    expertnet_node::domain::validate::age_on(born, today) as u32
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_identifier_is_in_any_file_log_or_gateway_traffic() {
    let regions = [LEKSTROOM, RIVIERENLAND, FLEVOLAND_UTRECHT];
    let mut taps = BTreeMap::new();
    for region in regions {
        taps.insert(region.to_owned(), Tap::listen().await);
    }
    let through: BTreeMap<String, String> = taps
        .iter()
        .map(|(region, tap)| (region.clone(), format!("https://{}", tap.addr)))
        .collect();
    let fed = ProcessFederation::launch(
        &regions,
        Launch {
            env: vec![("RUST_LOG".into(), "debug".into())],
            gateway_for: through,
            ..Launch::default()
        },
    )
    .await;
    for (region, tap) in &taps {
        tap.arm(
            &fed.pki.files(&Peer::Gateway),
            &fed.pki.files(&Peer::Region(region.clone())),
            fed.gateway_addrs[0],
        );
    }

    let lekstroom = fed.team(LEKSTROOM);
    let rivierenland = fed.team(RIVIERENLAND);
    let flevoland = fed.team(FLEVOLAND_UTRECHT);
    let mut cases = lekstroom.cases.clone();
    let case = cases
        .submit_case(pb::SubmitCaseRequest {
            request_id: "scan-1".into(),
            referrer: Some(pb::Referrer {
                organisation: "Sociaal team Houten".into(),
                kind: pb::ReferrerKind::SocialTeam as i32,
            }),
            youth: Some(pb::YouthIdentity {
                name: NAME.into(),
                bsn: BSN.into(),
                date_of_birth: BIRTH_DATE.into(),
            }),
            age: age_today(),
            municipality: "Houten".into(),
            question: format!(
                "{QUESTION_MARKER}: geen school neemt hem aan; thuiszitter sinds maanden"
            ),
            tried_so_far: "Twee scholen, leerplicht betrokken".into(),
            categories: vec![pb::BottleneckCategory::SchoolAbsence as i32],
        })
        .await
        .unwrap()
        .into_inner();
    let identity = cases
        .get_youth_identity(pb::GetYouthIdentityRequest {
            case_id: case.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(identity.bsn, BSN, "the team itself sees the identifiers");
    cases.start_intake(case_ref(&case.id)).await.unwrap();
    lekstroom
        .escalations
        .clone()
        .record_consent(pb::RecordConsentRequest {
            note: "Ouders stemmen in".into(),
            ..consent_request(&case.id, "parent", RIVIERENLAND)
        })
        .await
        .unwrap();

    // A question naming the youth is stopped at the border.
    let named = lekstroom
        .escalations
        .clone()
        .escalate_case(pb::EscalateCaseRequest {
            case_id: case.id.clone(),
            actor: ACTOR.into(),
            to_region: RIVIERENLAND.into(),
            reason: REASON_MARKER.into(),
            question: format!("Kunnen jullie {NAME} helpen?"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(named.code(), Code::InvalidArgument);

    let sent = lekstroom
        .escalations
        .clone()
        .escalate_case(pb::EscalateCaseRequest {
            case_id: case.id.clone(),
            actor: ACTOR.into(),
            to_region: RIVIERENLAND.into(),
            reason: format!("{REASON_MARKER}: Rivierenland heeft een passende plek"),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let received = outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Received).await;
    rivierenland
        .cases
        .clone()
        .accept_case(case_ref(&received.partner_case_id))
        .await
        .unwrap();
    outgoing_reaches(&lekstroom, &sent.id, pb::EscalationStatus::Accepted).await;
    assert_eq!(
        escalations(&rivierenland, pb::EscalationDirection::Incoming)
            .await
            .len(),
        1
    );

    let asked = lekstroom
        .consultations
        .clone()
        .ask_consultation(ask_network(
            &format!("{CONSULT_MARKER}: wie kent een LVB-plek met verslavingszorg?"),
            &["lvb"],
            "",
        ))
        .await
        .unwrap()
        .into_inner();
    let theirs = eventually("the question reaches flevoland-utrecht", WAIT, || async {
        flevoland
            .consultations
            .clone()
            .list_consultations(pb::ListConsultationsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .consultations
            .into_iter()
            .next()
    })
    .await;
    flevoland
        .consultations
        .clone()
        .answer_consultation(pb::AnswerConsultationRequest {
            consultation_id: theirs.id,
            expert: "Gedragsdeskundige".into(),
            answer: "Bel ons.".into(),
        })
        .await
        .unwrap();
    eventually("the answer is back", WAIT, || async {
        let c = lekstroom
            .consultations
            .clone()
            .get_consultation(pb::GetConsultationRequest {
                consultation_id: asked.id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        (!c.answers.is_empty()).then_some(())
    })
    .await;

    let dir = fed.dir.path().to_owned();
    let traffic: Vec<u8> = taps.values().flat_map(Tap::recorded).collect();
    let files: Vec<(PathBuf, Vec<u8>)> = files_under(&dir)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    let logs: usize = files
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "log"))
        .map(|(_, b)| b.len())
        .sum();

    let identifiers = [
        NAME,
        "Zeynep",
        "Vermeulen-Testdata",
        BSN,
        BIRTH_DATE,
        "23-04-2011",
    ];
    for needle in identifiers {
        assert!(
            !holds(&traffic, needle),
            "{needle:?} reached the gateway in clear"
        );
        for (path, bytes) in &files {
            assert!(
                !holds(bytes, needle),
                "{needle:?} in clear in {}",
                path.display()
            );
        }
    }

    // The controls: what is meant to cross did cross, and what is meant to be stored was found in the files.
    assert!(
        holds(&traffic, REASON_MARKER),
        "the escalation reason crossed"
    );
    assert!(holds(&traffic, CONSULT_MARKER), "the consultation crossed");
    assert!(
        holds(&traffic, QUESTION_MARKER),
        "the case's question crossed in the minimum dataset"
    );
    assert!(
        files.iter().any(|(_, b)| holds(b, QUESTION_MARKER)),
        "the question is stored in a database file the scan read"
    );
    assert!(
        logs > 10_000,
        "the processes logged at debug level ({logs} bytes)"
    );
    eprintln!(
        "scanned {} files ({} bytes of logs) and {} bytes of gateway traffic for {} identifiers: none found",
        files.len(),
        logs,
        traffic.len(),
        identifiers.len()
    );
    fed.stop().await;
}
