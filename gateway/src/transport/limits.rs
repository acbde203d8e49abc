//! How the gateway's port holds its clients to account: `[server]` in the gateway's configuration. The defaults
//! carry the network's four (or forty-two) regions and its coordinators with room to spare, and stop a client
//! that misbehaves — by accident or on purpose — from taking the port from the others.

use super::guard::ControlFrameLimit;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerLimits {
    /// Client connections open at once; one more is closed as soon as it is accepted (its caller sees
    /// `UNAVAILABLE` and tries again).
    pub max_connections: usize,
    /// Calls in flight over all connections; one more is answered `RESOURCE_EXHAUSTED` at once.
    pub max_calls_in_flight: usize,
    /// Streams one connection may have open at once (HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`).
    pub max_concurrent_streams: u32,
    /// The largest header block a client may send (`SETTINGS_MAX_HEADER_LIST_SIZE`).
    pub max_header_list_bytes: u32,
    /// How much a client may send before the gateway has read it, per stream and per connection. A snapshot of
    /// a few hundred kilobytes needs no window update.
    pub receive_window_bytes: u32,
    /// Longest a client may take from connecting to opening HTTP/2: the TLS handshake and the HTTP/2 preface.
    pub handshake_timeout_ms: u64,
    /// A PING goes out on a connection after this long without one…
    pub keepalive_interval_secs: u64,
    /// …and the connection is dropped when its answer takes longer than this.
    pub keepalive_timeout_secs: u64,
    /// After this long a connection is asked to go away (HTTP/2 GOAWAY; calls in flight finish, the client dials
    /// again), so that no connection lives for ever. 0: never.
    pub max_connection_age_secs: u64,
    /// TCP keep-alive probes start after the socket was this long idle: a peer whose machine vanished is found
    /// even when HTTP/2 has nothing to say.
    pub tcp_keepalive_secs: u64,
    /// Streams a client may open and reset before the gateway has answered them, at once (the "rapid reset"
    /// attack, CVE-2023-44487, is many of them); more closes the connection.
    pub max_pending_accept_reset_streams: usize,
    /// Control frames (PING, SETTINGS, PRIORITY, RST_STREAM) a client may send within 10 s; more closes the
    /// connection (a flood). A well-behaved client sends a handful.
    pub max_control_frames: u32,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            max_connections: 1024,
            max_calls_in_flight: 1024,
            max_concurrent_streams: 200,
            max_header_list_bytes: 16 * 1024,
            receive_window_bytes: 1024 * 1024,
            handshake_timeout_ms: 10_000,
            keepalive_interval_secs: 30,
            keepalive_timeout_secs: 20,
            max_connection_age_secs: 3600,
            tcp_keepalive_secs: 60,
            max_pending_accept_reset_streams: 20,
            max_control_frames: 1000,
        }
    }
}

impl ServerLimits {
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.handshake_timeout_ms)
    }

    pub fn keepalive_interval(&self) -> Duration {
        Duration::from_secs(self.keepalive_interval_secs)
    }

    pub fn keepalive_timeout(&self) -> Duration {
        Duration::from_secs(self.keepalive_timeout_secs)
    }

    /// `None` when connections may live for ever.
    pub fn max_connection_age(&self) -> Option<Duration> {
        (self.max_connection_age_secs > 0)
            .then(|| Duration::from_secs(self.max_connection_age_secs))
    }

    pub fn control_frames(&self) -> ControlFrameLimit {
        ControlFrameLimit {
            frames: self.max_control_frames,
            per: Duration::from_secs(10),
        }
    }

    pub fn tcp_keepalive(&self) -> Duration {
        Duration::from_secs(self.tcp_keepalive_secs)
    }

    /// The first value that cannot work, named by its key under `server.`.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("max_connections", self.max_connections as u64),
            ("max_calls_in_flight", self.max_calls_in_flight as u64),
            (
                "max_concurrent_streams",
                u64::from(self.max_concurrent_streams),
            ),
            (
                "max_header_list_bytes",
                u64::from(self.max_header_list_bytes),
            ),
            ("handshake_timeout_ms", self.handshake_timeout_ms),
            ("keepalive_interval_secs", self.keepalive_interval_secs),
            ("keepalive_timeout_secs", self.keepalive_timeout_secs),
            ("tcp_keepalive_secs", self.tcp_keepalive_secs),
            ("max_control_frames", u64::from(self.max_control_frames)),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("server.{key}: must be at least 1"));
        }
        // HTTP/2 allows windows from 65 535 bytes up to 2^31 - 1.
        if !(65_535..=i32::MAX as u32).contains(&self.receive_window_bytes) {
            return Err("server.receive_window_bytes: must be from 65535 to 2147483647".into());
        }
        Ok(())
    }
}
