//! Prometheus metrics for the nodes and the gateway (the `metrics` crate, rendered by
//! `metrics-exporter-prometheus`). Each server keeps its own registry — the local federation runs four nodes and
//! the gateway in one process, and each must show only its own figures — and serves it on a listener of its own,
//! off unless configured.
//!
//! Labels are chosen from closed sets only: an RPC's service and method are those of the contract (anything else
//! is `unknown`, so a caller cannot mint series), codes and outcomes are fixed words. No identifier, name or free
//! text is ever a label.

use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};
use prost::Message;
use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::Code;
use tonic::body::Body;

/// Buckets of every `_seconds` histogram: from a millisecond to a minute.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// How often recorded histogram samples are folded in when nobody scrapes, so memory stays bounded.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Where a server's metrics are served: `listen`, e.g. `127.0.0.1:9151`; empty (the default) for none.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    #[serde(default)]
    pub listen: String,
}

impl MetricsConfig {
    /// The endpoint's listener, bound; `None` when off. An error names the key (`metrics.listen`).
    pub async fn bind(&self) -> Result<Option<tokio::net::TcpListener>, String> {
        let Some(addr) = self.addr("metrics")? else {
            return Ok(None);
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("metrics.listen: cannot bind {addr}: {e}"))?;
        tracing::info!(listen = %addr, "metrics serving");
        Ok(Some(listener))
    }

    /// Binds the endpoint when it is on and serves it in a task of its own: `serve` gets the listener. `None`
    /// when off; an error names the key.
    pub async fn spawn<F>(
        &self,
        serve: impl FnOnce(tokio::net::TcpListener) -> F,
    ) -> Result<Option<tokio::task::JoinHandle<std::io::Result<()>>>, String>
    where
        F: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        Ok(self
            .bind()
            .await?
            .map(|listener| tokio::spawn(serve(listener))))
    }

    /// The address to serve on, `None` when off; an error names the key (prefixed by `section`).
    pub fn addr(&self, section: &str) -> Result<Option<std::net::SocketAddr>, String> {
        if self.listen.trim().is_empty() {
            return Ok(None);
        }
        self.listen.parse().map(Some).map_err(|_| {
            format!(
                "{section}.listen: '{}' is not an address like 127.0.0.1:9151",
                self.listen
            )
        })
    }
}

/// One server's registry. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    known: Arc<HashSet<String>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry for a server whose RPCs are those of `descriptor_sets` (encoded `FileDescriptorSet`s).
    /// Within a tokio runtime, a task folds histogram samples in every few seconds until the last clone goes.
    pub fn new(descriptor_sets: &[&[u8]]) -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics {
            recorder: Arc::new(recorder),
            handle,
            known: Arc::new(rpc_paths(descriptor_sets)),
        };
        metrics.record(|| {
            metrics::describe_counter!(
                RPCS_HANDLED,
                "RPCs answered, by service, method and gRPC status code"
            );
            metrics::describe_histogram!(
                RPC_SECONDS,
                metrics::Unit::Seconds,
                "Time from an RPC's request to its last byte or status, by service, method and code"
            );
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(upkeep(Arc::downgrade(&metrics.recorder)));
        }
        metrics
    }

    /// Runs `record` with this registry as the one the `metrics` macros write to. Keep it synchronous and short.
    pub fn record(&self, record: impl FnOnce()) {
        metrics::with_local_recorder(&*self.recorder, record);
    }

    /// The registry in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Counts one answered RPC and its time, under its contract name or `unknown`.
    pub fn rpc_finished(&self, path: &str, code: Code, elapsed: Duration) {
        let (service, method) = match path.strip_prefix('/').and_then(|p| p.split_once('/')) {
            Some((service, method)) if self.known.contains(path) => {
                (service.to_owned(), method.to_owned())
            }
            _ => ("unknown".to_owned(), "unknown".to_owned()),
        };
        let code = code_name(code);
        self.record(|| {
            let labels = [
                ("grpc_service", service),
                ("grpc_method", method),
                ("grpc_code", code.to_owned()),
            ];
            metrics::counter!(RPCS_HANDLED, &labels).increment(1);
            metrics::histogram!(RPC_SECONDS, &labels).record(elapsed.as_secs_f64());
        });
    }
}

pub const RPCS_HANDLED: &str = "grpc_server_handled_total";
pub const RPC_SECONDS: &str = "grpc_server_handling_seconds";

async fn upkeep(recorder: Weak<PrometheusRecorder>) {
    let mut ticks = tokio::time::interval(UPKEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(recorder) = recorder.upgrade() else {
            return;
        };
        recorder.handle().run_upkeep();
    }
}

/// Every `/package.Service/Method` the descriptor sets define.
fn rpc_paths(descriptor_sets: &[&[u8]]) -> HashSet<String> {
    let mut paths = HashSet::new();
    for encoded in descriptor_sets {
        let Ok(set) = prost_types::FileDescriptorSet::decode(*encoded) else {
            continue;
        };
        for file in set.file {
            let package = file.package().to_owned();
            for service in &file.service {
                for method in &service.method {
                    paths.insert(format!("/{package}.{}/{}", service.name(), method.name()));
                }
            }
        }
    }
    paths
}

/// The code's name as gRPC's own documentation spells it (`OK`, `INVALID_ARGUMENT`, …).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A call being timed: finished once, with the code its answer carried — or, dropped unfinished because the
/// client left before its answer was complete, as `CANCELLED`.
#[derive(Debug)]
pub struct RpcTimer {
    metrics: Metrics,
    path: String,
    started: Instant,
    finished: bool,
}

impl RpcTimer {
    pub fn start(metrics: &Metrics, path: &str) -> RpcTimer {
        RpcTimer {
            metrics: metrics.clone(),
            path: path.to_owned(),
            started: Instant::now(),
            finished: false,
        }
    }

    pub fn finish(mut self, code: Code) {
        self.finished = true;
        self.metrics
            .rpc_finished(&self.path, code, self.started.elapsed());
    }

    /// Finishes at once when the response's headers carry the status (a trailers-only answer, as every
    /// refusal is), or else when its body ends with its trailers.
    pub fn watch(self, response: http::Response<Body>) -> http::Response<Body> {
        if let Some(code) = status_in(response.headers()) {
            self.finish(code);
            return response;
        }
        if response.body().is_end_stream() {
            self.finish(Code::Unknown);
            return response;
        }
        response.map(|body| {
            Body::new(TimedBody {
                inner: body,
                timer: Some(self),
            })
        })
    }
}

fn status_in(headers: &http::HeaderMap) -> Option<Code> {
    headers
        .get("grpc-status")
        .map(|value| Code::from_bytes(value.as_bytes()))
}

/// A response body that finishes its call's timer at its trailers.
struct TimedBody {
    inner: Body,
    timer: Option<RpcTimer>,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let code = match &polled {
            Poll::Ready(Some(Ok(frame))) => frame
                .trailers_ref()
                .map(|trailers| status_in(trailers).unwrap_or(Code::Unknown)),
            Poll::Ready(Some(Err(status))) => Some(status.code()),
            Poll::Ready(None) => Some(Code::Unknown),
            Poll::Pending => None,
        };
        if let Some(code) = code
            && let Some(timer) = self.timer.take()
        {
            timer.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RpcTimer {
    fn drop(&mut self) {
        if !self.finished {
            self.metrics
                .rpc_finished(&self.path, Code::Cancelled, self.started.elapsed());
        }
    }
}

/// A tower layer timing every RPC of a tonic server.
#[derive(Debug, Clone)]
pub struct RpcMetricsLayer {
    metrics: Metrics,
}

impl RpcMetricsLayer {
    pub fn new(metrics: Metrics) -> RpcMetricsLayer {
        RpcMetricsLayer { metrics }
    }
}

impl<S> tower_layer::Layer<S> for RpcMetricsLayer {
    type Service = RpcMetricsService<S>;

    fn layer(&self, inner: S) -> RpcMetricsService<S> {
        RpcMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RpcMetricsService<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B> tower_service::Service<http::Request<B>> for RpcMetricsService<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let timer = RpcTimer::start(&self.metrics, request.uri().path());
        let answering = self.inner.call(request);
        Box::pin(async move { Ok(timer.watch(answering.await?)) })
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown`: `collect` first sets the gauges read at scrape time
/// (queue depths, pools), then the registry is rendered.
pub async fn serve<C, F>(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
    collect: C,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    C: Fn() -> F + Clone + Send + Sync + 'static,
    F: Future<Output = ()> + Send,
{
    let scrape = move || {
        let (metrics, collect) = (metrics.clone(), collect.clone());
        async move {
            collect().await;
            (
                [(
                    http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                metrics.render(),
            )
        }
    };
    let app = axum::Router::new().route("/metrics", axum::routing::get(scrape));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        Metrics::new(&[tonic_health::pb::FILE_DESCRIPTOR_SET])
    }

    #[test]
    fn a_call_is_counted_under_its_contract_name_and_a_made_up_one_as_unknown() {
        let metrics = metrics();
        let check = "/grpc.health.v1.Health/Check";
        metrics.rpc_finished(check, Code::Ok, Duration::from_millis(3));
        metrics.rpc_finished(check, Code::Ok, Duration::from_millis(4));
        metrics.rpc_finished(
            "/grpc.health.v1.Health/Check-a-name",
            Code::Unimplemented,
            Duration::ZERO,
        );
        metrics.rpc_finished(
            "/made.Up/Secret-0612345678",
            Code::Unauthenticated,
            Duration::ZERO,
        );
        let text = metrics.render();
        assert!(
            text.contains(
                r#"grpc_server_handled_total{grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"grpc_service="unknown",grpc_method="unknown",grpc_code="UNAUTHENTICATED"} 1"#
            ),
            "{text}"
        );
        assert!(
            !text.contains("Secret") && !text.contains("a-name"),
            "{text}"
        );
        assert!(
            text.contains("grpc_server_handling_seconds_bucket"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_streamed_answer_is_finished_at_its_trailers_and_an_abandoned_one_as_cancelled() {
        let metrics = metrics();
        let path = "/grpc.health.v1.Health/Watch";
        let answer = || {
            let body = http_body_util::StreamBody::new(futures_util::stream::iter(vec![
                Ok::<_, tonic::Status>(Frame::data(Bytes::from_static(b"x"))),
                Ok(Frame::trailers({
                    let mut trailers = http::HeaderMap::new();
                    trailers.insert("grpc-status", http::HeaderValue::from_static("5"));
                    trailers
                })),
            ]));
            http::Response::new(Body::new(body))
        };
        let watched = RpcTimer::start(&metrics, path).watch(answer());
        let collected = http_body_util::BodyExt::collect(watched.into_body()).await;
        assert!(collected.is_ok());
        drop(RpcTimer::start(&metrics, path).watch(answer()));
        let text = metrics.render();
        assert!(
            text.contains(r#"grpc_method="Watch",grpc_code="NOT_FOUND"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"grpc_method="Watch",grpc_code="CANCELLED"} 1"#),
            "{text}"
        );
    }
}
