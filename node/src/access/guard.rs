//! The guard in front of the team API: one tower layer that, for every request, establishes who calls
//! (bearer token), checks the RPC × role table, and writes the audit event once the handler has answered.
//! Handlers never see a request the table does not allow, and no answer leaves before its event is on record.

use super::limiter::FailureLimiter;
use super::policy::{self, Rule};
use super::token;
use crate::audit::NewAuditEvent;
use crate::domain::people::Caller;
use crate::workflow::Workflow;
use http::{Request, Response};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// What a handler tells the guard about a request it served: the case it concerned and on whose behalf.
#[derive(Debug, Clone, Default)]
pub struct AuditSubject {
    pub case_id: Option<String>,
    pub on_behalf_of: Option<String>,
}

/// Put in each request's extensions by the guard; handlers fill it in through [`note`].
#[derive(Debug, Clone, Default)]
pub struct AuditSlot(Arc<Mutex<AuditSubject>>);

impl AuditSlot {
    /// The slot the guard put in `request`, or a detached one (a request that did not pass the guard).
    pub fn of<T>(request: &tonic::Request<T>) -> AuditSlot {
        request
            .extensions()
            .get::<AuditSlot>()
            .cloned()
            .unwrap_or_default()
    }

    /// Records the case a request concerned and on whose behalf it was made; empty values are left out.
    pub fn note(&self, case_id: &str, on_behalf_of: &str) {
        let mut subject = self.0.lock().expect("audit slot");
        if !case_id.trim().is_empty() {
            subject.case_id = Some(case_id.trim().to_owned());
        }
        if !on_behalf_of.trim().is_empty() {
            subject.on_behalf_of = Some(on_behalf_of.trim().to_owned());
        }
    }
}

/// Who a change is recorded under, put in each request's extensions by the guard: see
/// [`policy::signature`].
#[derive(Debug, Clone)]
pub struct Acting(pub String);

/// The signed-in caller of a request that passed the guard.
pub fn caller<T>(request: &tonic::Request<T>) -> Option<&Caller> {
    request.extensions().get::<Caller>()
}

#[derive(Debug, Clone)]
pub struct GuardLayer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    workflow: Workflow,
    limiter: FailureLimiter,
}

impl GuardLayer {
    pub fn new(workflow: Workflow) -> GuardLayer {
        GuardLayer {
            shared: Arc::new(Shared {
                workflow,
                limiter: FailureLimiter::default(),
            }),
        }
    }
}

impl<S> tower_layer::Layer<S> for GuardLayer {
    type Service = Guarded<S>;
    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            shared: self.shared.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Guarded<S> {
    inner: S,
    shared: Arc<Shared>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> tower_service::Service<Request<Body>> for Guarded<S>
where
    S: tower_service::Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this request; the fresh clone stays for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        Box::pin(async move {
            let path = request.uri().path().to_owned();
            let rule = policy::rule_for(&path);
            if rule == Rule::Open {
                return inner.call(request).await;
            }
            let peer = peer_of(&request);
            let action = path.trim_start_matches('/').replace("expertnet.v1.", "");
            let access_point = format!(
                "team-api {}",
                peer.map_or_else(|| "unknown".to_owned(), |p| p.to_string())
            );
            let presented = request
                .headers()
                .get(http::header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let caller = match shared.authenticate(presented.as_deref(), peer).await {
                Ok(caller) => caller,
                Err(refusal) => {
                    let outcome = refusal.outcome;
                    crate::metrics::access_refused(shared.workflow.metrics(), &outcome);
                    let event = shared.event(
                        None,
                        &action,
                        &access_point,
                        outcome,
                        AuditSubject::default(),
                    );
                    return Ok(shared.refuse(event, refusal.status).await);
                }
            };
            if rule == Rule::Closed {
                // Not in the table is not in the contract: the caller asked for something that does not exist.
                let event = shared.event(
                    Some(&caller),
                    &action,
                    &access_point,
                    "unimplemented".into(),
                    AuditSubject::default(),
                );
                let status = Status::unimplemented(format!("{action}: no such method"));
                return Ok(shared.refuse(event, status).await);
            }
            if !policy::permits(&path, &caller.roles) {
                let status = Status::permission_denied(format!(
                    "{action}: not allowed for role(s) {}",
                    caller.roles_text()
                ));
                tracing::warn!(user = %caller.user, %action, "refused by the role table");
                crate::metrics::access_refused(shared.workflow.metrics(), "denied");
                let event = shared.event(
                    Some(&caller),
                    &action,
                    &access_point,
                    "denied".into(),
                    AuditSubject::default(),
                );
                return Ok(shared.refuse(event, status).await);
            }
            let slot = AuditSlot::default();
            request.extensions_mut().insert(slot.clone());
            request
                .extensions_mut()
                .insert(Acting(policy::signature(&caller, &path)));
            request.extensions_mut().insert(caller.clone());
            let response = inner.call(request).await?;
            let subject = slot.0.lock().expect("audit slot").clone();
            let outcome = outcome_of(&response);
            let event = shared.event(Some(&caller), &action, &access_point, outcome, subject);
            Ok(shared.answer_once_recorded(event, response).await)
        })
    }
}

/// Why a request was refused before any handler ran.
struct Refusal {
    status: Status,
    outcome: String,
}

impl Shared {
    async fn authenticate(
        &self,
        authorization: Option<&str>,
        peer: Option<SocketAddr>,
    ) -> Result<Caller, Refusal> {
        let now = self.workflow.clock().now_ms();
        let address = peer.map(|p| p.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if let Some(wait_ms) = self.limiter.blocked_for(address, now) {
            return Err(Refusal {
                status: Status::resource_exhausted(format!(
                    "too many failed sign-ins from this address; try again in {} s",
                    (wait_ms + 999) / 1000
                )),
                outcome: "rate-limited".into(),
            });
        }
        let presented = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .and_then(token::parse_presented);
        let caller = match presented {
            Some(digest) => {
                crate::storage::users::caller(self.workflow.storage().pool(), &digest, now)
                    .await
                    .map_err(|err| {
                        tracing::error!(error = %err, "credential lookup failed");
                        Refusal {
                            status: Status::unavailable(
                                "the node cannot check credentials now; retry",
                            ),
                            outcome: "unavailable".into(),
                        }
                    })?
            }
            None => None,
        };
        caller.ok_or_else(|| {
            self.limiter.failed(address, now);
            Refusal {
                // The same answer for a missing, malformed, unknown, revoked or expired credential.
                status: Status::unauthenticated(
                    "a valid API token is needed: send 'authorization: Bearer <token>'",
                ),
                outcome: "unauthenticated".into(),
            }
        })
    }

    fn event(
        &self,
        caller: Option<&Caller>,
        action: &str,
        access_point: &str,
        outcome: String,
        subject: AuditSubject,
    ) -> NewAuditEvent {
        let now = self.workflow.clock().now_ms();
        NewAuditEvent {
            on_behalf_of: subject.on_behalf_of.unwrap_or_default(),
            ..NewAuditEvent::by(caller, now, action, subject.case_id, access_point, &outcome)
        }
    }

    /// Records a refusal and answers with it.
    async fn refuse(&self, event: NewAuditEvent, status: Status) -> Response<Body> {
        self.answer_once_recorded(event, status.into_http()).await
    }

    /// Lets `response` go once `event` is on record; if the trail cannot be written, withholds it and answers
    /// UNAVAILABLE instead.
    async fn answer_once_recorded(
        &self,
        event: NewAuditEvent,
        response: Response<Body>,
    ) -> Response<Body> {
        match self.workflow.audit().record(event).await {
            Ok(()) => response,
            Err(err) => {
                tracing::error!(error = %err, "audit event not written; answer withheld");
                Status::unavailable("the audit trail cannot be written; nothing was shown, retry")
                    .into_http()
            }
        }
    }
}

fn peer_of(request: &Request<Body>) -> Option<SocketAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .and_then(|info| info.get_ref().remote_addr())
        })
}

/// `ok`, or the gRPC code a handler refused with (a refusal travels in the headers of a trailers-only answer).
fn outcome_of(response: &Response<Body>) -> String {
    match response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
    {
        None | Some(0) => "ok".into(),
        Some(code) => format!("refused:{:?}", tonic::Code::from_i32(code)),
    }
}
