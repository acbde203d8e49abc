//! The coordinators' dashboard: the gateway in the browser, in Dutch, for the supra-regional coordinators.
//! Server-rendered pages (askama templates compiled into the binary) that work without JavaScript; the network
//! page refreshes itself with the boards' one small script. Every figure comes through [`Coordination`], the
//! same checks and tables as the `CoordinatorService` RPCs, so no rule is written twice.
//!
//! Security: coordinators sign in as people with password and second factor ([`crate::people`]), each mapped
//! to a coordinator identity whose rights they get; the session lives in the gateway's database and its
//! cookie is `HttpOnly`, `SameSite=Strict` and, over TLS, `Secure`; every form carries the session's CSRF
//! token; every answer carries the boards' Content-Security-Policy and pages are never cached
//! (`expertnet_web::headers`).

mod choice;
mod error;
mod network;
mod review;
mod session;
mod signin;
mod statistics;
mod wording;

use crate::coordination::Coordination;
use crate::people::CoordinatorPeople;
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use error::DashboardError;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler of the dashboard shares.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub coordination: Coordination,
    pub people: CoordinatorPeople,
    /// Whether the dashboard is served over TLS (the session cookie is then `Secure`).
    pub secure: bool,
    /// The gateway's metrics, which count sign-ins.
    pub metrics: expertnet_federation::metrics::Metrics,
}

/// Every page and form of the dashboard.
pub fn router(dashboard: Dashboard) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/netwerk") }))
        .route("/aanmelden", get(signin::form).post(signin::submit))
        .route(
            "/aanmelden/code",
            get(signin::code_form).post(signin::code_submit),
        )
        .route("/aanmelden/annuleren", post(signin::cancel))
        .route("/afmelden", post(signin::sign_out))
        .route("/netwerk", get(network::page))
        .route("/netwerk/stand", get(network::current))
        .route("/statistieken", get(statistics::page))
        .route("/statistieken/ruis", post(statistics::noisy))
        .route("/statistieken/ophalen", post(statistics::collect))
        .route("/statistieken/tabel.csv", get(statistics::csv))
        .route("/statistieken/tabel.json", get(statistics::json))
        .route("/jaaroverzicht", get(review::page))
        .route("/jaaroverzicht/ophalen", post(review::collect))
        .route("/assets/{file}", get(asset))
        .fallback(|| async { DashboardError::NotFound.into_response() })
        .layer(axum::middleware::from_fn(
            expertnet_web::headers::security_headers,
        ))
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .with_state(dashboard)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, DashboardError> {
    expertnet_web::assets::file(&name, &headers).ok_or(DashboardError::NotFound)
}

/// Serves the dashboard on `listener` until `shutdown` resolves; over TLS with `tls`.
pub async fn serve(
    listener: TcpListener,
    dashboard: Dashboard,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    expertnet_web::serve::serve(listener, router(dashboard), tls, "dashboard", shutdown).await
}
