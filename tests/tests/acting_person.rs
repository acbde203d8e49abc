//! A change is recorded under the person who signed in, never under a name the client sends: the request's
//! `actor` only says on whose behalf it was made.

use expertnet_node::access::BearerToken;
use expertnet_node::domain::people::Role;
use expertnet_proto::v1 as pb;
use expertnet_proto::v1::case_service_client::CaseServiceClient;
use expertnet_tests::{add_user, spawn_node};

#[tokio::test]
async fn a_forged_actor_does_not_reach_the_history() {
    let node = spawn_node().await;
    let case_id = node.submit().await;
    let token = add_user(
        &node.workflow,
        "m.devries",
        &[Role::TableMember, Role::Chair],
    )
    .await;
    let mut chair = CaseServiceClient::new(BearerToken::new(&token).sign(node.raw_channel.clone()));

    chair
        .start_intake(pb::CaseRef {
            case_id: case_id.clone(),
            actor: "de directeur".into(),
        })
        .await
        .expect("start intake");
    chair
        .return_case(pb::ReturnCaseRequest {
            case_id: case_id.clone(),
            actor: String::new(),
            reason: "Hoort bij het wijkteam".into(),
        })
        .await
        .expect("hand back without naming an actor");

    let detail = node
        .cases
        .clone()
        .get_case(pb::GetCaseRequest {
            case_id: case_id.clone(),
        })
        .await
        .expect("get case")
        .into_inner();
    let actors: Vec<&str> = detail.history.iter().map(|h| h.actor.as_str()).collect();
    assert_eq!(
        actors[1..],
        [
            "m.devries (Test organisation; chair)",
            "m.devries (Test organisation; chair)"
        ],
        "{actors:?}"
    );
    assert!(
        actors[0].starts_with("test.user (Test organisation;"),
        "{actors:?}"
    );
    assert!(!actors.iter().any(|a| a.contains("directeur")));

    // The name the client sent is kept only as whose behalf the call was made on, in the audit trail.
    let events = expertnet_node::storage::audit::of_case(node.workflow.storage().pool(), &case_id)
        .await
        .expect("audit events");
    let intake = events
        .iter()
        .find(|e| e.entry.action == "CaseService/StartIntake")
        .expect("the intake's audit event");
    assert_eq!(intake.entry.user, "m.devries");
    assert_eq!(intake.entry.on_behalf_of, "de directeur");
    node.stop().await;
}
