//! OpenTelemetry across the federation: the gateway and two nodes run as processes with the standard
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at an OTLP collector in this test (the real OTLP/gRPC protocol). A
//! consultation asked at Lekstroom for Flevoland-Utrecht must be one trace: the asking RPC at Lekstroom, the
//! gateway's routing, and the delivery into Flevoland-Utrecht's inbox, each span a child of the one before.

use expertnet_proto::v1 as pb;
use expertnet_tests::federation::*;
use expertnet_tests::process_federation::{Launch, ProcessFederation};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use std::sync::{Arc, Mutex};
use tokio_stream::wrappers::TcpListenerStream;

/// One exported span, as far as this test needs it.
#[derive(Debug, Clone)]
struct Exported {
    service: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    path: String,
}

#[derive(Debug, Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Exported>>>,
}

fn text(attributes: &[KeyValue], key: &str) -> String {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .map(|value| match value {
            Value::StringValue(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .unwrap_or_default()
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().expect("collector lock");
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .as_ref()
                .map(|r| text(&r.attributes, "service.name"))
                .unwrap_or_default();
            for span in resource_spans.scope_spans.into_iter().flat_map(|s| s.spans) {
                spans.push(Exported {
                    service: service.clone(),
                    path: text(&span.attributes, "path"),
                    trace_id: span.trace_id,
                    span_id: span.span_id,
                    parent_span_id: span.parent_span_id,
                });
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn start_collector() -> (Collector, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the collector");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let collector = Collector::default();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    (collector, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consultation_is_one_trace_across_node_gateway_and_node() {
    let (collector, endpoint) = start_collector().await;
    let fed = ProcessFederation::launch(
        &[LEKSTROOM, FLEVOLAND_UTRECHT],
        Launch {
            env: vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), endpoint.clone()),
                ("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()),
            ],
            ..Launch::default()
        },
    )
    .await;
    let lekstroom = fed.team(LEKSTROOM);
    lekstroom
        .consultations
        .clone()
        .ask_consultation(pb::AskConsultationRequest {
            asker_kind: pb::AskerKind::Professional as i32,
            asker_organisation: "Sociaal team Houten".into(),
            question: "Wie kent een plek voor verblijf op maat?".into(),
            to_network: true,
            target_region: FLEVOLAND_UTRECHT.into(),
            ..Default::default()
        })
        .await
        .expect("ask");

    let is = |span: &Exported, service: &str, path: &str| {
        span.service == service && span.path.ends_with(path)
    };
    let (asking, routing, delivery) = eventually("one trace across the federation", WAIT, || {
        let spans = collector.spans.lock().expect("collector lock").clone();
        async move {
            let asking = spans
                .iter()
                .find(|s| is(s, "expertnet-node", "ConsultationService/AskConsultation"))?
                .clone();
            let in_trace = |service: &str, path: &str| {
                spans
                    .iter()
                    .find(|s| s.trace_id == asking.trace_id && is(s, service, path))
                    .cloned()
            };
            let routing = in_trace("expertnet-gateway", "GatewayService/Route")?;
            let delivery = in_trace("expertnet-node", "InboxService/Deliver")?;
            Some((asking, routing, delivery))
        }
    })
    .await;

    let spans = collector.spans.lock().expect("collector lock").clone();
    let parent_of = |child: &Exported| {
        spans
            .iter()
            .find(|s| s.span_id == child.parent_span_id)
            .cloned()
            .unwrap_or_else(|| panic!("the parent of {child:?} was exported"))
    };
    assert_eq!(
        parent_of(&routing).service,
        "expertnet-node",
        "the gateway's span continues the asking node's trace"
    );
    assert_eq!(
        parent_of(&delivery).service,
        "expertnet-gateway",
        "the receiving node's span continues the gateway's"
    );
    assert!(
        asking.parent_span_id.is_empty(),
        "the asking RPC starts the trace"
    );
    fed.stop().await;
}
