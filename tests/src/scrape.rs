//! Reads a metrics endpoint as Prometheus does: `GET /metrics` over plain HTTP, parsed by an exposition-format
//! parser, so a test asserts on samples, not on substrings.

use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prometheus_parse::{Sample, Scrape, Value};
use std::io::BufRead;
use std::net::SocketAddr;

/// One scrape of the endpoint at `addr`, with its raw text.
#[derive(Debug)]
pub struct Scraped {
    pub text: String,
    pub scrape: Scrape,
}

pub async fn scrape(addr: SocketAddr) -> Scraped {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    let response = client
        .get(format!("http://{addr}/metrics").parse().expect("URI"))
        .await
        .unwrap_or_else(|e| panic!("scrape {addr}: {e}"));
    assert_eq!(response.status(), 200, "scrape {addr}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let text = String::from_utf8(body.to_vec()).expect("UTF-8 exposition");
    let scrape = Scrape::parse(text.as_bytes().lines()).expect("the text exposition format");
    Scraped { text, scrape }
}

impl Scraped {
    /// The samples of `metric` whose labels include all of `labels`.
    pub fn samples<'a>(
        &'a self,
        metric: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.scrape.samples.iter().filter(move |s| {
            s.metric == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(k).is_some_and(|have| have == *v))
        })
    }

    /// The sum of the matching counters, gauges or untyped values (0 when none); a histogram counts its
    /// observations.
    pub fn value(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples(metric, labels)
            .map(|s| match &s.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
                Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
                Value::Summary(_) => 0.0,
            })
            .sum()
    }

    /// Every label value in the scrape.
    pub fn label_values(&self) -> impl Iterator<Item = &str> {
        self.scrape
            .samples
            .iter()
            .flat_map(|s| s.labels.values().map(String::as_str))
    }
}
