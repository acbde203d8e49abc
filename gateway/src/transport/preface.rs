//! The HTTP/2 connection preface, read by the gateway itself before the connection goes to hyper: a client has
//! [`super::ServerLimits::handshake_timeout_ms`] from connecting to sending it, or its connection is closed — a
//! socket that says nothing takes no place for long. The [`super::guard::FrameGuard`] replays it to hyper.

use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// What every HTTP/2 client sends first (RFC 9113, section 3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads the preface from `io`; an error when the client sent something else or closed first.
pub async fn read<IO: AsyncRead + Unpin>(io: &mut IO) -> io::Result<()> {
    let mut preface = [0u8; PREFACE.len()];
    io.read_exact(&mut preface).await?;
    if &preface == PREFACE {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not an HTTP/2 connection preface",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn the_preface_is_taken() {
        let (mut client, mut server) = tokio::io::duplex(64);
        client.write_all(PREFACE).await.unwrap();
        read(&mut server).await.unwrap();
    }

    #[tokio::test]
    async fn anything_else_is_refused() {
        let (mut client, mut server) = tokio::io::duplex(64);
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let err = read(&mut server).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
