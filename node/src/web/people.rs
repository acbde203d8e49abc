//! Beheer, for the administrator: the node's people — add someone with their roles and a first password, set a
//! new password, remove a second factor (a lost phone), lift a lock, give an API token (shown once) and disable
//! an account. Every change is on the audit trail under the administrator's name, from the board.

use super::error::WebError;
use super::form::Fields;
use super::i18n::{filters, tf};
use super::session::{Frame, SignedIn};
use super::wording;
use crate::access::password::Password;
use crate::domain::Role;
use crate::error::Error;
use crate::workflow::{NewUser, Operator};
use askama::Template;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Redirect, Response};

const ACTION: &str = "Board/ManagePeople";

struct PersonRow {
    name: String,
    organisation: String,
    roles: String,
    tokens: i64,
    password: bool,
    second_factor: bool,
    locked: Option<String>,
    disabled: bool,
}

struct RoleChoice {
    value: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    frame: Option<Frame>,
    csrf: String,
    people: Vec<PersonRow>,
    roles: Vec<RoleChoice>,
    /// A token to show once, for whom.
    token: Option<(String, String)>,
    done: Option<String>,
    error: Option<String>,
}

async fn people_page(
    signed_in: &SignedIn,
    token: Option<(String, String)>,
    done: Option<String>,
    error: Option<String>,
) -> Result<PeoplePage, WebError> {
    let workflow = &signed_in.board.workflow;
    let now = workflow.clock().now_ms();
    let standing = workflow.sign_in_standing().await?;
    let people = workflow
        .users()
        .await?
        .into_iter()
        .map(|(user, tokens)| {
            let (password, second_factor, locked) = standing
                .iter()
                .find(|(name, ..)| *name == user.name)
                .map(|(_, p, s, l)| (*p, *s, *l))
                .unwrap_or_default();
            PersonRow {
                organisation: user.organisation,
                roles: wording::roles(&user.roles),
                tokens,
                password,
                second_factor,
                locked: locked.filter(|until| *until > now).map(wording::moment),
                disabled: user.disabled_at.is_some(),
                name: user.name,
            }
        })
        .collect();
    Ok(PeoplePage {
        frame: Some(signed_in.frame("/beheer")),
        csrf: signed_in.session.csrf.clone(),
        people,
        roles: Role::ALL
            .iter()
            .map(|r| RoleChoice {
                value: r.as_str(),
                label: wording::role(*r),
            })
            .collect(),
        token,
        done,
        error,
    })
}

fn operator(signed_in: &SignedIn) -> Operator {
    Operator {
        name: signed_in.session.caller.user.clone(),
        access_point: super::access_point(signed_in.peer),
    }
}

pub async fn page(signed_in: SignedIn) -> Result<Response, WebError> {
    signed_in.require(ACTION).await?;
    signed_in.audit(ACTION, None, "ok").await?;
    Ok(Html(people_page(&signed_in, None, None, None).await?.render()?).into_response())
}

pub async fn add(signed_in: SignedIn, fields: Fields) -> Result<Response, WebError> {
    signed_in.require(ACTION).await?;
    signed_in.check_csrf(&fields)?;
    let workflow = &signed_in.board.workflow;
    let roles: Vec<Role> = fields
        .all("role")
        .into_iter()
        .filter_map(Role::parse)
        .collect();
    let password = Password::new(fields.get("password"));
    let added = async {
        if let Some(weakness) = password.weakness() {
            return Err(Error::invalid("password", weakness));
        }
        let new = NewUser {
            name: fields.get("name").to_owned(),
            organisation: fields.get("organisation").to_owned(),
            roles,
        };
        let (user, token) = workflow.add_user(operator(&signed_in), new, None).await?;
        workflow
            .set_password(operator(&signed_in), &user.name, password)
            .await?;
        Ok((user, token))
    }
    .await;
    match added {
        Ok((user, token)) => {
            let page = people_page(
                &signed_in,
                Some((user.name.clone(), token.reveal().to_owned())),
                Some(tf(
                    "{naam} is toegevoegd. Geef het wachtwoord persoonlijk door; wie identificerende gegevens of \
                     het auditspoor mag zien, stelt bij de eerste aanmelding een tweede stap in.",
                    &[("naam", &user.name)],
                )),
                None,
            )
            .await?;
            Ok(Html(page.render()?).into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(ACTION, None, err).await?;
            let page = people_page(&signed_in, None, None, Some(reason)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// One change to one person: a new password, a removed second factor, a lifted lock, a token, or disabling.
pub async fn change(
    signed_in: SignedIn,
    Path((name, step)): Path<(String, String)>,
    fields: Fields,
) -> Result<Response, WebError> {
    signed_in.require(ACTION).await?;
    signed_in.check_csrf(&fields)?;
    let workflow = &signed_in.board.workflow;
    let op = operator(&signed_in);
    let mut token = None;
    let result = match step.as_str() {
        "wachtwoord" => workflow
            .set_password(op, &name, Password::new(fields.get("password")))
            .await
            .map(|()| {
                tf(
                    "Het wachtwoord van {naam} is gewijzigd; hun sessies zijn beëindigd.",
                    &[("naam", &name)],
                )
            }),
        "tweede-stap" => workflow.reset_second_factor(op, &name).await.map(|()| {
            tf(
                "De tweede stap van {naam} is verwijderd; bij de volgende aanmelding stellen zij een nieuwe in.",
                &[("naam", &name)],
            )
        }),
        "ontgrendelen" => workflow
            .unlock_user(op, &name)
            .await
            .map(|()| tf("{naam} kan weer aanmelden.", &[("naam", &name)])),
        "token" => workflow.issue_token(op, &name, Some(365), false).await.map(|t| {
            token = Some((name.clone(), t.reveal().to_owned()));
            tf(
                "Een nieuw API-token voor {naam}, een jaar geldig.",
                &[("naam", &name)],
            )
        }),
        "uitschakelen" => workflow.disable_user(op, &name).await.map(|()| {
            tf(
                "{naam} is uitgeschakeld: geen aanmelding en geen API-token werkt nog.",
                &[("naam", &name)],
            )
        }),
        _ => return Err(WebError::NotFound),
    };
    match result {
        Ok(done) => {
            if token.is_none() {
                return Ok(Redirect::to("/beheer").into_response());
            }
            let page = people_page(&signed_in, token, Some(done), None).await?;
            Ok(Html(page.render()?).into_response())
        }
        Err(err) => {
            let (status, reason) = signed_in.refusal(ACTION, None, err).await?;
            let page = people_page(&signed_in, None, None, Some(reason)).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}
