//! gRPC's message framing (a compression flag, a four-byte big-endian length, the protobuf message), for the
//! forwarding path that reads and passes on messages below tonic's codec.

use crate::error::{Error, Result};
use bytes::{BufMut, Bytes, BytesMut};
use std::time::Duration;

/// The header a gRPC caller gives its deadline in.
pub const GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");

/// The content type of every gRPC request and answer.
pub const APPLICATION_GRPC: http::HeaderValue = http::HeaderValue::from_static("application/grpc");

/// The header (or trailer) a gRPC answer's status goes in.
pub const GRPC_STATUS: http::HeaderName = http::HeaderName::from_static("grpc-status");

/// The framing in front of every message.
pub const PREFIX_BYTES: usize = 5;

/// `message` framed, uncompressed.
pub fn frame(message: &impl prost::Message) -> Bytes {
    let length = message.encoded_len();
    let mut framed = BytesMut::with_capacity(PREFIX_BYTES + length);
    framed.put_u8(0);
    framed.put_u32(u32::try_from(length).unwrap_or(u32::MAX));
    message
        .encode(&mut framed)
        .expect("a buffer sized by encoded_len holds the message");
    framed.freeze()
}

/// The one message of a unary call's body: its bytes without the framing. `what` names it in errors.
pub fn unframe(body: &Bytes, max_bytes: usize, what: &str) -> Result<Bytes> {
    if body.len() < PREFIX_BYTES {
        return Err(Error::invalid(
            what,
            "the request holds no complete message",
        ));
    }
    if body[0] != 0 {
        return Err(Error::Unimplemented(format!(
            "{what}: compressed messages are not accepted"
        )));
    }
    let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    if length > max_bytes {
        return Err(Error::TooLarge(format!(
            "{what}: {length} bytes is over the limit of {max_bytes} bytes"
        )));
    }
    if body.len() != PREFIX_BYTES + length {
        return Err(Error::invalid(
            what,
            "the body must hold exactly one message of the length its framing gives",
        ));
    }
    Ok(body.slice(PREFIX_BYTES..))
}

/// What to pass on of a received `framed` message whose `message_bytes` decoded to `checked`: the bytes as they
/// came if they are exactly what was checked, else `checked` framed anew. Decoding drops fields this build does
/// not know and keeps only the last of a repeated one, and either makes the bytes longer than the message's own
/// encoding: a receiver with a newer schema must not be handed what the gateway could not check.
pub fn as_checked(framed: Bytes, message_bytes: usize, checked: &impl prost::Message) -> Bytes {
    if checked.encoded_len() == message_bytes {
        framed
    } else {
        frame(checked)
    }
}

/// The deadline a caller set in its `grpc-timeout` header (`<at most 8 digits><H|M|S|m|u|n>`); `None` when
/// there is none or it cannot be read, as gRPC servers treat it.
pub fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(GRPC_TIMEOUT)?.to_str().ok()?;
    let split = value.len().checked_sub(1)?;
    let (digits, unit) = value.split_at(split);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// How long a call may take: the caller's `grpc-timeout`, at most `limit`.
pub fn deadline_within(headers: &http::HeaderMap, limit: Duration) -> Duration {
    grpc_timeout(headers).map_or(limit, |t| t.min(limit))
}

/// Request headers with `grpc-timeout: value`, for tests.
#[cfg(test)]
pub(crate) fn with_grpc_timeout(value: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert("grpc-timeout", value.parse().unwrap());
    headers
}

/// `timeout` as a `grpc-timeout` value: whole milliseconds, or microseconds below one.
pub fn grpc_timeout_value(timeout: Duration) -> http::HeaderValue {
    let millis = timeout.as_millis();
    let value = if millis > 0 {
        format!("{}m", millis.min(99_999_999))
    } else {
        format!("{}u", timeout.as_micros())
    };
    http::HeaderValue::from_str(&value).expect("digits and a unit")
}

#[cfg(test)]
mod tests {
    use super::*;
    use expertnet_proto::v1::RouteReply;

    #[test]
    fn a_framed_message_unframes_to_its_encoding() {
        let reply = RouteReply {
            delivered_to: vec!["rivierenland".into()],
        };
        let framed = frame(&reply);
        assert_eq!(framed[0], 0);
        let message = unframe(&framed, 1024, "reply").unwrap();
        assert_eq!(message, prost::Message::encode_to_vec(&reply));
    }

    #[test]
    fn only_exactly_checked_bytes_pass_on_unchanged() {
        use prost::Message;
        let reply = RouteReply {
            delivered_to: vec!["rivierenland".into()],
        };
        let framed = frame(&reply);
        let passed = as_checked(framed.clone(), framed.len() - PREFIX_BYTES, &reply);
        assert_eq!(
            passed.as_ptr(),
            framed.as_ptr(),
            "the same bytes, not a copy"
        );
        // An unknown field 15 (varint 1) after the known ones: decoding drops it, so it must not go on.
        let mut with_unknown = reply.encode_to_vec();
        with_unknown.extend_from_slice(&[15 << 3, 1]);
        let decoded = RouteReply::decode(with_unknown.as_slice()).unwrap();
        assert_eq!(decoded, reply);
        let mut received = vec![0];
        received.extend_from_slice(&(with_unknown.len() as u32).to_be_bytes());
        received.extend_from_slice(&with_unknown);
        let passed = as_checked(received.into(), with_unknown.len(), &decoded);
        assert_eq!(passed, frame(&reply));
    }

    #[test]
    fn bad_framing_is_named() {
        let framed = frame(&RouteReply {
            delivered_to: vec!["rivierenland".into()],
        });
        let short = framed.slice(..3);
        assert!(matches!(
            unframe(&short, 1024, "envelope"),
            Err(Error::InvalidArgument { .. })
        ));
        let mut compressed = framed.to_vec();
        compressed[0] = 1;
        assert!(matches!(
            unframe(&compressed.into(), 1024, "envelope"),
            Err(Error::Unimplemented(_))
        ));
        assert!(matches!(
            unframe(&framed, 4, "envelope"),
            Err(Error::TooLarge(m)) if m.contains("limit of 4")
        ));
        let truncated = framed.slice(..framed.len() - 1);
        assert!(matches!(
            unframe(&truncated, 1024, "envelope"),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn a_grpc_timeout_reads_in_every_unit_and_nothing_else() {
        let read = |value: &str| grpc_timeout(&with_grpc_timeout(value));
        assert_eq!(read("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(read("3M"), Some(Duration::from_secs(180)));
        assert_eq!(read("10S"), Some(Duration::from_secs(10)));
        assert_eq!(read("4500m"), Some(Duration::from_millis(4500)));
        assert_eq!(read("250u"), Some(Duration::from_micros(250)));
        assert_eq!(read("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "S", "123456789S", "10s", "1.5S", "-1S", "10"] {
            assert_eq!(read(bad), None, "{bad:?}");
        }
        assert_eq!(grpc_timeout(&http::HeaderMap::new()), None);
    }

    #[test]
    fn a_deadline_written_as_grpc_timeout_reads_back() {
        for timeout in [Duration::from_millis(5000), Duration::from_micros(250)] {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", grpc_timeout_value(timeout));
            assert_eq!(grpc_timeout(&headers), Some(timeout));
        }
        assert_eq!(grpc_timeout_value(Duration::from_secs(5)), "5000m");
    }
}
