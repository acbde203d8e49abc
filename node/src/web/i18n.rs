//! The board's languages: Dutch, the expert table's own, and English for colleagues who read it better.
//!
//! Every text of the board is written in Dutch where it is used and goes through [`t`] (or [`tf`] when it
//! has places for values, `{name}`) on its way out; templates do the same with the `t` filter. English comes
//! from one catalogue, `i18n/en.toml`, keyed by the Dutch text, so a translator edits one file and a missing
//! entry shows as Dutch, never as a blank or a key. A test holds every text of the templates and the code
//! against the catalogue.
//!
//! The language is the person's choice, remembered in a cookie (`expertnet_taal`) and set per request by
//! [`choose`], which runs every handler inside [`LANGUAGE`]'s scope. Only texts of the board itself are
//! translated: what people typed (questions, notes, names) is shown as they wrote it.

use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use super::Board;

/// The cookie that remembers the language. It is the same for every region's board on a host: a person who
/// reads English reads it in every region.
const COOKIE: &str = "expertnet_taal";

/// A language the board speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Dutch,
    English,
}

impl Language {
    /// The code used in the cookie, the switch's address and the page's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Language::Dutch => "nl",
            Language::English => "en",
        }
    }

    fn parse(code: &str) -> Option<Language> {
        match code {
            "nl" => Some(Language::Dutch),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// The other language, which the switch in the header offers.
    pub fn other(self) -> Language {
        match self {
            Language::Dutch => Language::English,
            Language::English => Language::Dutch,
        }
    }

    /// The language's name in itself, as the switch shows it.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::Dutch => "Nederlands",
            Language::English => "English",
        }
    }
}

tokio::task_local! {
    /// The language of the request being answered.
    static LANGUAGE: Language;
    /// The address of the page being answered, for the language switch to come back to.
    static PAGE: String;
}

/// The language of the request being answered; Dutch outside a request.
pub fn current() -> Language {
    LANGUAGE.try_with(|l| *l).unwrap_or(Language::Dutch)
}

/// The English catalogue: Dutch text → English text.
static ENGLISH: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    toml::from_str(include_str!("i18n/en.toml")).unwrap_or_else(|err| {
        tracing::error!(error = %err, "web board: the English catalogue does not parse");
        HashMap::new()
    })
});

/// `dutch` in the request's language. A text the catalogue lacks stays Dutch.
pub fn t(dutch: &'static str) -> &'static str {
    translated(dutch).unwrap_or(dutch)
}

/// The request's language's text for `dutch`, when it is not Dutch and the catalogue has it.
fn translated(dutch: &str) -> Option<&'static str> {
    match current() {
        Language::Dutch => None,
        Language::English => english(dutch),
    }
}

/// The English for `dutch`, when the catalogue has it.
fn english(dutch: &str) -> Option<&'static str> {
    ENGLISH.get(dutch).map(String::as_str)
}

/// `dutch` in the request's language with its places (`{name}`) filled from `values`.
pub fn tf(dutch: &'static str, values: &[(&str, &(dyn Display + Sync))]) -> String {
    let mut text = t(dutch).to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

/// Runs the request in the language its cookie names (Dutch without one), remembering the page's address
/// for the switch.
pub async fn choose(request: Request, next: Next) -> Response {
    let language = chosen(request.headers()).unwrap_or(Language::Dutch);
    let page = if request.method() == axum::http::Method::GET {
        request
            .uri()
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
    } else {
        "/".to_owned()
    };
    LANGUAGE
        .scope(language, PAGE.scope(page, next.run(request)))
        .await
}

fn chosen(headers: &HeaderMap) -> Option<Language> {
    expertnet_web::cookie::read(headers, COOKIE).and_then(|value| Language::parse(&value))
}

/// The address of the switch to the other language, coming back to this page.
pub fn switch_href() -> String {
    let page = PAGE
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "/".to_owned());
    let back: String = url_encode(&page);
    format!("/taal/{}?terug={back}", current().other().code())
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct Back {
    terug: Option<String>,
}

/// `GET /taal/{code}`: remembers the language for a year and goes back to the page the person was on. Only
/// an address on this board is followed back, so the switch cannot send anyone elsewhere.
pub async fn switch(
    axum::extract::State(board): axum::extract::State<Board>,
    Path(code): Path<String>,
    Query(back): Query<Back>,
) -> Response {
    let Some(language) = Language::parse(&code) else {
        return Redirect::to("/").into_response();
    };
    let back = back
        .terug
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".to_owned());
    let secure = if board.secure { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
        language.code()
    );
    let mut response = Redirect::to(&back).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The templates' side: `{{ "Dutch text"|t }}`, and the page's language for `<html lang>` and the switch.
pub mod filters {
    use std::fmt::Display;

    /// A template's Dutch text in the request's language.
    #[askama::filter_fn]
    pub fn t(dutch: impl Display, _env: &dyn askama::Values) -> askama::Result<String> {
        let dutch = dutch.to_string();
        Ok(super::translated(&dutch).map_or(dutch, str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses_and_is_not_empty() {
        assert!(ENGLISH.len() > 300, "{} entries", ENGLISH.len());
    }

    #[tokio::test]
    async fn a_text_is_english_only_inside_an_english_request() {
        assert_eq!(t("Mijn werk"), "Mijn werk");
        let english = LANGUAGE
            .scope(Language::English, async { t("Mijn werk") })
            .await;
        assert_eq!(english, "My work");
        let filled = LANGUAGE
            .scope(Language::English, async {
                tf(
                    "Casus {id} bestaat niet (meer) op deze node.",
                    &[("id", &"ab12")],
                )
            })
            .await;
        assert_eq!(filled, "Case ab12 does not exist (any more) on this node.");
    }

    #[test]
    fn the_address_back_is_encoded_whole() {
        assert_eq!(
            url_encode("/casussen?status=aangemeld&na=2"),
            "/casussen%3Fstatus%3Daangemeld%26na%3D2"
        );
    }

    /// Every text the board shows in Dutch — in a template, given to `t`/`tf` in code, or a word of the
    /// wording tables — has its English, and the catalogue holds nothing the board no longer says.
    #[test]
    fn every_text_of_the_board_has_its_english() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let literal = r#"(?s)"((?:[^"\\]|\\.)*)""#;
        let in_template = regex::Regex::new(&format!(r"{literal}\|t\b")).unwrap();
        let in_code = regex::Regex::new(&format!(r"\b(?:t|tf)\(\s*{literal}")).unwrap();
        let in_table = regex::Regex::new(&format!(r"=>\s*\{{?\s*{literal}")).unwrap();
        let unescape = |text: &str| {
            regex::Regex::new(r"\\\n\s*")
                .unwrap()
                .replace_all(text, "")
                .replace("\\\"", "\"")
        };
        let mut texts = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(root.join("templates")).unwrap() {
            let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            texts.extend(in_template.captures_iter(&source).map(|c| unescape(&c[1])));
        }
        for entry in std::fs::read_dir(root.join("src/web")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            texts.extend(in_code.captures_iter(code).map(|c| unescape(&c[1])));
            if path.ends_with("wording.rs") {
                texts.extend(in_table.captures_iter(code).map(|c| unescape(&c[1])));
            }
        }
        for month in 1..=12u8 {
            let date = time::Date::from_calendar_date(2026, month.try_into().unwrap(), 1).unwrap();
            let dutch = super::super::wording::date(date);
            texts.insert(dutch.split(' ').nth(1).unwrap().to_owned());
        }
        texts.extend(super::super::session::menu_labels().map(str::to_owned));
        let missing: Vec<&String> = texts.iter().filter(|t| english(t).is_none()).collect();
        assert!(missing.is_empty(), "no English for {missing:#?}");
        let unused: Vec<&String> = ENGLISH.keys().filter(|k| !texts.contains(*k)).collect();
        assert!(unused.is_empty(), "the board no longer says {unused:#?}");
        assert!(texts.len() > 450, "{} texts found", texts.len());
    }
}
