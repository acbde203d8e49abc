//! A client's connection as hyper reads it: first the connection preface the gateway has already taken off it
//! ([`super::preface`]), then what the client sends, watched on the way. The watch reads the HTTP/2 frame headers
//! as they pass and closes a connection that sends control frames (PING, SETTINGS, PRIORITY, RST_STREAM) faster
//! than any client does. Such a flood makes the server answer or track every frame; `h2` bounds what is kept for
//! it, not how long it goes on (CVE-2019-9512, -9515 and their kin). Frames are counted, never parsed further;
//! payloads pass untouched.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes of an HTTP/2 frame header: length (3), type, flags, stream id (4).
const FRAME_HEADER: usize = 9;
const RST_STREAM: u8 = 0x3;
const PRIORITY: u8 = 0x2;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;

/// How many control frames a client may send within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlFrameLimit {
    pub frames: u32,
    pub per: Duration,
}

/// `io` with the preface put back in front, counting the control frames read from it.
#[derive(Debug)]
pub struct FrameGuard<IO> {
    io: IO,
    /// What is replayed before `io` is read: the preface, taken off before the guard was put on.
    unread: &'static [u8],
    limit: ControlFrameLimit,
    header: [u8; FRAME_HEADER],
    header_filled: usize,
    payload_left: usize,
    window_started: Instant,
    in_window: u32,
}

impl<IO> FrameGuard<IO> {
    /// Watches `io` from the first frame on, the connection preface already read from it and replayed.
    pub fn after_preface(io: IO, limit: ControlFrameLimit) -> FrameGuard<IO> {
        FrameGuard {
            io,
            unread: super::preface::PREFACE,
            limit,
            header: [0; FRAME_HEADER],
            header_filled: 0,
            payload_left: 0,
            window_started: Instant::now(),
            in_window: 0,
        }
    }

    pub fn get_ref(&self) -> &IO {
        &self.io
    }

    /// Follows the frame boundaries through `bytes`; an error once the control frames are too many.
    fn watch(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            if self.payload_left > 0 {
                let skipped = self.payload_left.min(bytes.len());
                self.payload_left -= skipped;
                bytes = &bytes[skipped..];
                continue;
            }
            let taken = (FRAME_HEADER - self.header_filled).min(bytes.len());
            self.header[self.header_filled..self.header_filled + taken]
                .copy_from_slice(&bytes[..taken]);
            self.header_filled += taken;
            bytes = &bytes[taken..];
            if self.header_filled < FRAME_HEADER {
                return Ok(());
            }
            self.header_filled = 0;
            self.payload_left = usize::from(self.header[0]) << 16
                | usize::from(self.header[1]) << 8
                | usize::from(self.header[2]);
            if matches!(self.header[3], PING | SETTINGS | PRIORITY | RST_STREAM) {
                self.count()?;
            }
        }
        Ok(())
    }

    fn count(&mut self) -> io::Result<()> {
        let now = Instant::now();
        if now.duration_since(self.window_started) > self.limit.per {
            self.window_started = now;
            self.in_window = 0;
        }
        self.in_window += 1;
        if self.in_window > self.limit.frames {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "more than {} control frames within {:?}: a flood",
                    self.limit.frames, self.limit.per
                ),
            ));
        }
        Ok(())
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for FrameGuard<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.unread.is_empty() {
            let n = self.unread.len().min(buf.remaining());
            buf.put_slice(&self.unread[..n]);
            self.unread = &self.unread[n..];
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => Poll::Ready(this.watch(&buf.filled()[before..])),
            other => other,
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for FrameGuard<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut bytes = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            0,
            0,
            0,
            0,
            0,
        ];
        bytes.extend_from_slice(payload);
        bytes
    }

    fn guard() -> FrameGuard<tokio::io::Empty> {
        FrameGuard::after_preface(
            tokio::io::empty(),
            ControlFrameLimit {
                frames: 10,
                per: Duration::from_secs(60),
            },
        )
    }

    #[test]
    fn data_and_headers_pass_however_many_and_however_cut() {
        let mut guard = guard();
        let mut stream = Vec::new();
        for _ in 0..100 {
            stream.extend(frame(0x1, &[0x82; 40]));
            // A DATA frame whose payload holds bytes that look like a PING frame header.
            stream.extend(frame(0x0, &frame(PING, &[0; 8])));
        }
        for piece in stream.chunks(7) {
            guard.watch(piece).unwrap();
        }
        assert_eq!(guard.in_window, 0);
    }

    #[tokio::test]
    async fn the_preface_is_read_again_before_the_frames() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(&frame(0x1, b"x")).await.unwrap();
        let mut guarded = FrameGuard::after_preface(server, guard().limit);
        let mut first = vec![0; super::super::preface::PREFACE.len() + 10];
        guarded.read_exact(&mut first).await.unwrap();
        assert_eq!(&first[..24], super::super::preface::PREFACE);
        assert_eq!(&first[24..], frame(0x1, b"x").as_slice());
    }

    #[test]
    fn a_flood_of_pings_is_stopped_at_the_limit() {
        let mut guard = guard();
        for _ in 0..10 {
            guard.watch(&frame(PING, &[0; 8])).unwrap();
        }
        let flood = guard.watch(&frame(PING, &[0; 8])).unwrap_err();
        assert_eq!(flood.kind(), io::ErrorKind::InvalidData);
        let mut settings = self::guard();
        let many: Vec<u8> = (0..11).flat_map(|_| frame(SETTINGS, &[])).collect();
        assert!(settings.watch(&many).is_err());
    }
}
