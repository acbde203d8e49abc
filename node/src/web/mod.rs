//! The web board: the expert table in the browser, in Dutch (or English, [`i18n`]), for the people who run it.
//! Server-rendered pages (askama templates compiled into the binary) that work without JavaScript; every page and
//! form goes through the same workflow functions, role table and audit trail as the gRPC API, so no rule is written
//! twice.
//!
//! Security: people sign in with password and second factor ([`signin`]); the session lives in the node's
//! database and its cookie is `HttpOnly`, `SameSite=Strict` and, over TLS, `Secure`; every form carries the
//! session's CSRF token; every answer carries a Content-Security-Policy without inline script and
//! `frame-ancestors 'none'`, and pages are never cached (`expertnet_web::headers`, shared with the gateway's
//! dashboard).

mod assets;
mod audit;
mod calendar;
mod case;
mod cases;
mod chair;
mod consultation;
mod deadlines;
mod error;
mod escalation;
mod form;
mod i18n;
mod minutes;
mod people;
mod review;
mod session;
mod signin;
mod tables;
mod wording;
mod work;

pub use review::document as review_document;

/// Serves the board on `listener` until `shutdown` resolves; over TLS with `tls`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    board: Board,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> std::io::Result<()> {
    expertnet_web::serve::serve(listener, router(board), tls, "web board", shutdown).await
}

/// The address a request came from, for the audit trail.
pub(crate) fn access_point(peer: std::net::SocketAddr) -> String {
    format!("web {peer}")
}

use crate::workflow::{SignInPolicy, Workflow};
use axum::Router;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

/// What every handler of the board shares.
#[derive(Debug, Clone)]
pub struct Board {
    pub workflow: Workflow,
    pub policy: SignInPolicy,
    /// The region whose node this is, shown in the page header.
    pub region: String,
    /// Whether the board is served over TLS (the session cookie is then `Secure`).
    pub secure: bool,
}

/// Every page and form of the board.
pub fn router(board: Board) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/werk") }))
        .route("/aanmelden", get(signin::form).post(signin::submit))
        .route(
            "/aanmelden/code",
            get(signin::code_form).post(signin::code_submit),
        )
        .route("/afmelden", post(signin::sign_out))
        .route("/werk", get(work::page))
        .route("/casussen", get(cases::list))
        .route("/casussen/nieuw", get(cases::new_form).post(cases::submit))
        .route("/casussen/{id}", get(case::page))
        .route("/casussen/{id}/{step}", post(case::act))
        .route("/tafels", get(tables::list).post(tables::create))
        .route("/tafels/{id}", get(tables::page))
        .route("/tafels/{id}/agenda", post(tables::add_to_agenda))
        .route("/tafels/{id}/volgorde", post(tables::reorder))
        .route("/tafels/{id}/verslag", get(minutes::page))
        .route("/tafels/{id}/voorzitter", get(chair::page))
        .route("/tafels/{id}/aanwezigheid", post(chair::attendance))
        .route("/tafels/{id}/bespreking", post(chair::discussion))
        .route(
            "/consultatie",
            get(consultation::list).post(consultation::ask),
        )
        .route("/consultatie/{id}", get(consultation::page))
        .route("/consultatie/{id}/antwoord", post(consultation::answer))
        .route("/status/consultatie/{id}", get(consultation::status))
        .route("/termijnen", get(deadlines::page))
        .route("/opschalingen", get(escalation::page))
        .route("/opschalingen/opnieuw", post(escalation::replay))
        .route("/status/opschaling/{id}", get(escalation::status))
        .route("/beheer", get(people::page).post(people::add))
        .route("/beheer/{name}/{step}", post(people::change))
        .route("/jaaroverzicht", get(review::page))
        .route("/audit", get(audit::page))
        .route("/audit/export", get(audit::export))
        .route("/toegankelijkheid", get(assets::accessibility))
        .route("/assets/{file}", get(assets::file))
        .route("/taal/{code}", get(i18n::switch))
        .fallback(|| async { error::WebError::NotFound.into_response() })
        .layer(axum::middleware::from_fn(i18n::choose))
        .layer(axum::middleware::from_fn(
            expertnet_web::headers::security_headers,
        ))
        .layer(
            tower_http::compression::CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .with_state(board)
}
