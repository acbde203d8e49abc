//! The session cookie of a board: read from a request, and set or taken away in an answer. It is `HttpOnly`
//! (no script reads it), `SameSite=Strict` (no other site's form sends it) and, over TLS, `Secure`.

use axum::http::{HeaderMap, HeaderValue, header};

/// The value of the cookie `name` a request carries.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that gives the browser `token` as cookie `name`, or with `None` takes it away.
pub fn set(name: &str, token: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match token {
        Some(token) => format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_read_by_its_whole_name_and_set_with_its_guards() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("other=1; expertnet_x=exn_abc; expertnet=no"),
        );
        assert_eq!(read(&headers, "expertnet_x").as_deref(), Some("exn_abc"));
        assert_eq!(read(&headers, "expertnet_"), None);
        assert_eq!(
            set("s", Some("t"), true),
            "s=t; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert_eq!(
            set("s", None, false),
            "s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        );
    }
}
