//! The files a board serves besides its pages, compiled into the binary (no build step, nothing fetched at run
//! time): the NL Design System's CSS components with the EUPL-1.2 "voorbeeld" theme (pinned copies, licence in
//! `web/assets/LICENSE-nl-design-system.md`), the boards' own styles and their one small script.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::io::Write;
use std::sync::LazyLock;

/// `(file name, content type, content)`, served under `/assets/{file name}`.
const FILES: &[(&str, &str, &str)] = &[
    (
        "utrecht.css",
        "text/css; charset=utf-8",
        include_str!("../assets/utrecht.css"),
    ),
    (
        "theme.css",
        "text/css; charset=utf-8",
        include_str!("../assets/voorbeeld-theme.css"),
    ),
    (
        "board.css",
        "text/css; charset=utf-8",
        include_str!("../assets/board.css"),
    ),
    (
        "board.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/board.js"),
    ),
];

/// Every file gzipped once, at the best level, when first asked for: pages are compressed as they are sent,
/// quickly; files that never change are not compressed again for every browser.
static GZIPPED: LazyLock<Vec<Bytes>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(_, _, content)| {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            encoder
                .write_all(content.as_bytes())
                .and_then(|()| encoder.finish())
                .map(Bytes::from)
                .expect("gzip into memory")
        })
        .collect()
});

/// The file `name`, gzipped to a browser that takes gzip; `None` when there is no such file (the board answers
/// with its own "not found" page).
pub fn file(name: &str, headers: &HeaderMap) -> Option<Response> {
    let index = FILES.iter().position(|(file, _, _)| *file == name)?;
    let (_, content_type, content) = FILES[index];
    let takes_gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| coding.split(';').next().is_some_and(|c| c.trim() == "gzip"));
    let mut response = if takes_gzip {
        let mut response = GZIPPED[index].clone().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        content.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn fetch(accept_encoding: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(coding) = accept_encoding {
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(coding).unwrap(),
            );
        }
        file("board.css", &headers).expect("the file")
    }

    async fn body(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn a_file_goes_gzipped_to_who_takes_gzip_and_plain_to_who_does_not() {
        let original = include_str!("../assets/board.css").as_bytes();
        let gzipped = fetch(Some("br;q=1.0, gzip;q=0.8"));
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gzipped.headers()[header::VARY], "accept-encoding");
        let packed = body(gzipped).await;
        assert!(packed.len() < original.len() / 2, "{} bytes", packed.len());
        let mut unpacked = Vec::new();
        flate2::read::GzDecoder::new(packed.as_slice())
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, original);

        for plain in [None, Some("br, deflate"), Some("gzipx")] {
            let response = fetch(plain);
            assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
            assert_eq!(body(response).await, original, "{plain:?}");
        }
    }

    #[test]
    fn an_unknown_file_is_none() {
        assert!(file("../Cargo.toml", &HeaderMap::new()).is_none());
        assert!(file("board.css.map", &HeaderMap::new()).is_none());
    }
}
