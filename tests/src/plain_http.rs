//! A browser's requests without a browser: plain HTTP/1.1 to a board or the dashboard served in-process, with
//! the session cookie carried by hand, for tests of every page's status, headers and refusals.

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

pub type HttpClient = Client<HttpConnector, Full<bytes::Bytes>>;

pub fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// What a request got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: String,
    /// The `name=value` of a `Set-Cookie`.
    pub cookie: Option<String>,
    /// The whole `Set-Cookie` header, with its attributes.
    pub set_cookie: String,
    pub headers: http::HeaderMap,
    pub body: String,
}

/// Sends `form` (URL-encoded) with `cookie` by `method` to `url`.
pub async fn send(
    client: &HttpClient,
    method: &str,
    url: &str,
    cookie: &str,
    form: &str,
) -> Answer {
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::from(form.to_owned()))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let headers = response.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let set_cookie = header("set-cookie").unwrap_or_default();
    let cookie = (!set_cookie.is_empty())
        .then(|| set_cookie.split(';').next().map(str::to_owned))
        .flatten();
    let status = response.status().as_u16();
    let location = header("location").unwrap_or_default();
    let body = String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes())
        .into_owned();
    Answer {
        status,
        location,
        cookie,
        set_cookie,
        headers,
        body,
    }
}

/// The text in `html` after `marker`, up to `end` (the enrolment secret, a form's CSRF token).
pub fn value_after(html: &str, marker: &str, end: char) -> String {
    let start = html.find(marker).expect(marker) + marker.len();
    html[start..].split(end).next().unwrap().to_owned()
}

/// Takes the second step of a sign-in that waits at `/aanmelden/code` to set up the second factor: reads the
/// secret and the CSRF token from the page and answers with the code an app shows at `now_ms`; the answer must
/// send the person on to `landing`. The session's cookie from then on (the dashboard renews its token here).
pub async fn confirm_second_factor(
    client: &HttpClient,
    site: &str,
    cookie: &str,
    now_ms: i64,
    landing: &str,
) -> String {
    let page = send(client, "GET", &format!("{site}/aanmelden/code"), cookie, "").await;
    let secret = value_after(&page.body, "id=\"sleutel\" class=\"board-secret\">", '<');
    let csrf = value_after(&page.body, "name=\"csrf\" value=\"", '"');
    let code = expertnet_web::second_factor::TotpSecret::from_base32(&secret.replace(' ', ""))
        .code_at((now_ms / 1000) as u64);
    let answer = send(
        client,
        "POST",
        &format!("{site}/aanmelden/code"),
        cookie,
        &format!("csrf={csrf}&code={code}"),
    )
    .await;
    assert_eq!(answer.location, landing, "{}", answer.body);
    answer.cookie.unwrap_or_else(|| cookie.to_owned())
}
