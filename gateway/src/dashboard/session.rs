//! Who is at the browser: the session cookie, looked up in the gateway's database on every request, and the
//! coordinator identity the person acts as.

use super::Dashboard;
use super::error::DashboardError;
use crate::coordination::Collected;
use crate::network::now_ms;
use crate::people::Session;
use axum::extract::FromRequestParts;
use axum::http::HeaderValue;
use axum::http::request::Parts;
use expertnet_web::sign_in::Stage;

/// The cookie that carries a session's token.
const COOKIE: &str = "expertnet_dashboard";

/// The `Set-Cookie` value that gives the browser `token`, or with `None` takes the session away.
pub fn set_cookie(dashboard: &Dashboard, token: Option<&str>) -> HeaderValue {
    expertnet_web::cookie::set(COOKIE, token, dashboard.secure)
}

/// A request with its session, whatever its stage, or none.
#[derive(Debug)]
pub struct Visit {
    pub dashboard: Dashboard,
    pub session: Option<Session>,
}

impl Visit {
    /// The request's session; `in_use` when the person did something (a page refreshing itself did not).
    async fn of(
        parts: &Parts,
        dashboard: &Dashboard,
        in_use: bool,
    ) -> Result<Visit, DashboardError> {
        let session = match expertnet_web::cookie::read(&parts.headers, COOKIE) {
            Some(token) => dashboard.people.session(&token, now_ms(), in_use).await?,
            None => None,
        };
        Ok(Visit {
            dashboard: dashboard.clone(),
            session,
        })
    }

    fn signed_in(self) -> Result<Coordinator, DashboardError> {
        match self.session {
            Some(session) if session.stage == Stage::SignedIn => Ok(Coordinator {
                dashboard: self.dashboard,
                session,
            }),
            _ => Err(DashboardError::NotSignedIn),
        }
    }
}

impl FromRequestParts<Dashboard> for Visit {
    type Rejection = DashboardError;

    async fn from_request_parts(
        parts: &mut Parts,
        dashboard: &Dashboard,
    ) -> Result<Visit, DashboardError> {
        Visit::of(parts, dashboard, true).await
    }
}

/// A request of a coordinator who is fully signed in.
#[derive(Debug)]
pub struct Coordinator {
    pub dashboard: Dashboard,
    pub session: Session,
}

impl FromRequestParts<Dashboard> for Coordinator {
    type Rejection = DashboardError;

    async fn from_request_parts(
        parts: &mut Parts,
        dashboard: &Dashboard,
    ) -> Result<Coordinator, DashboardError> {
        Visit::of(parts, dashboard, true).await?.signed_in()
    }
}

/// A signed-in coordinator's page reading itself again: it does not keep the session from ending when idle.
#[derive(Debug)]
pub struct Watching(pub Coordinator);

impl FromRequestParts<Dashboard> for Watching {
    type Rejection = DashboardError;

    async fn from_request_parts(
        parts: &mut Parts,
        dashboard: &Dashboard,
    ) -> Result<Watching, DashboardError> {
        Ok(Watching(
            Visit::of(parts, dashboard, false).await?.signed_in()?,
        ))
    }
}

/// One entry of the main menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

const MENU: [(&str, &str); 3] = [
    ("/netwerk", "Netwerk"),
    ("/statistieken", "Statistieken"),
    ("/jaaroverzicht", "Jaaroverzicht"),
];

/// What every signed-in page's frame shows: the person, whose rights they have, and the menu.
#[derive(Debug, Clone)]
pub struct Frame {
    pub person: String,
    pub rights: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}

impl Coordinator {
    /// The coordinator identity whose rights the person has.
    pub fn identity(&self) -> &str {
        &self.session.coordinator
    }

    /// Has every region asked for its figures of `periods`; a refused question (a period that is no quarter)
    /// collects nothing.
    pub async fn ask_regions(&self, periods: &[&str]) -> Result<Collected, DashboardError> {
        match self
            .dashboard
            .coordination
            .collect(self.identity(), periods)
            .await
        {
            Ok(collected) => Ok(collected),
            Err(err) if err.is_refusal() => Ok(Collected::default()),
            Err(err) => Err(err.into()),
        }
    }

    /// Refuses a form that does not carry this session's CSRF token.
    pub fn check_csrf(&self, presented: &str) -> Result<(), DashboardError> {
        if self.session.csrf_matches(presented) {
            Ok(())
        } else {
            Err(DashboardError::Csrf)
        }
    }

    pub fn frame(&self, current: &str) -> Frame {
        let registry = self.dashboard.coordination.registry();
        let areas: Vec<&str> = registry
            .areas_of_coordinator(self.identity())
            .map(|a| a.name.as_str())
            .collect();
        let reads = if areas.is_empty() {
            "leest landelijke cijfers".to_owned()
        } else {
            format!("leest landelijke cijfers en {}", areas.join(", "))
        };
        // The identity is named only when it is not the person's own name (the demo people's are).
        let rights = if self.session.person == self.identity() {
            reads
        } else {
            format!("als {} · {reads}", self.identity())
        };
        Frame {
            person: self.session.person.clone(),
            rights,
            csrf: self.session.csrf.clone(),
            nav: MENU
                .iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    current: *href == current,
                })
                .collect(),
        }
    }
}
