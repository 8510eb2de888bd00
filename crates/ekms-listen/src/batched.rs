//! [`Batched`]: fewer, larger socket reads and writes under TLS, with buffers held only while
//! bytes pass through them.
//!
//! rustls reads at most 4 KiB from the socket per call and tokio-rustls writes the records of
//! every `write` at once, so a large body costs one `recv` per 4 KiB and one `writev` per HTTP/2
//! frame: on loopback those system calls, not the cipher, were most of the server's time (see
//! BENCHMARKS.md, "Streams toward 500 MB/s"). Below TLS, [`Batched`] reads up to [`BLOCK`] bytes
//! per system call and hands them out from memory, and gathers written records until the writer
//! flushes or [`BLOCK`] bytes are waiting. tokio's `BufReader`/`BufWriter` would do the same
//! but allocate their buffers for the life of the connection; here a buffer exists only while
//! it holds bytes, so thousands of idle connections cost no memory.

use bytes::{Buf, BytesMut};
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;

/// The most read ahead, and written in one call, per connection.
pub const BLOCK: usize = 256 * 1024;

/// A byte stream whose small reads and writes are gathered into calls of up to [`BLOCK`]
/// bytes. Written bytes reach the inner stream on `flush`, on `shutdown`, or when [`BLOCK`]
/// bytes are waiting; the writer must flush (hyper and tokio-rustls do).
pub struct Batched<IO> {
    inner: IO,
    /// Bytes read ahead and not yet handed out; no allocation when all were.
    read: BytesMut,
    /// Bytes written but not yet passed on, from `write_at`; empty when all were.
    write: Vec<u8>,
    write_at: usize,
}

impl<IO> Batched<IO> {
    pub fn new(inner: IO) -> Self {
        Self {
            inner,
            read: BytesMut::new(),
            write: Vec::new(),
            write_at: 0,
        }
    }

    pub fn get_ref(&self) -> &IO {
        &self.inner
    }
}

impl<IO: AsyncWrite + Unpin> Batched<IO> {
    /// Passes every waiting byte to the inner stream, then frees the buffer.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.write_at < self.write.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.write[self.write_at..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.write_at += n;
        }
        self.write = Vec::new();
        self.write_at = 0;
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Batched<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.read.is_empty() {
            if buf.remaining() >= BLOCK {
                return Pin::new(&mut this.inner).poll_read(cx, buf);
            }
            // Filled without zeroing first; dropped again if nothing came.
            let mut block = BytesMut::with_capacity(BLOCK);
            ready!(poll_read_buf(Pin::new(&mut this.inner), cx, &mut block))?;
            this.read = block;
        }
        let n = this.read.len().min(buf.remaining());
        buf.put_slice(&this.read[..n]);
        if n == this.read.len() {
            this.read = BytesMut::new();
        } else {
            this.read.advance(n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Batched<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        if this.write.len() - this.write_at + len > BLOCK {
            ready!(this.poll_drain(cx))?;
        }
        if len >= BLOCK {
            // Nothing waits (drained above): large writes go through as they are.
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        if this.write.is_empty() {
            this.write.reserve(BLOCK);
        }
        for b in bufs {
            this.write.extend_from_slice(b);
        }
        Poll::Ready(Ok(len))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<IO: AsFd> AsFd for Batched<IO> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An inner stream that serves `data` in reads of at most what the caller asks, and
    /// records every write call it gets.
    #[derive(Default)]
    struct Counting {
        data: Vec<u8>,
        at: usize,
        reads: usize,
        writes: Vec<usize>,
        written: Vec<u8>,
        flushes: usize,
        shut: bool,
    }

    impl AsyncRead for Counting {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.reads += 1;
            let n = buf.remaining().min(self.data.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Counting {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.writes.push(buf.len());
            self.written.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.shut = true;
            Poll::Ready(Ok(()))
        }
    }

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    #[tokio::test]
    async fn small_reads_come_from_few_large_ones_and_no_buffer_is_kept() {
        let data = bytes(4 * BLOCK + 100);
        let mut s = Batched::new(Counting {
            data: data.clone(),
            ..Default::default()
        });
        let mut got = Vec::new();
        let mut piece = [0u8; 4096];
        loop {
            let n = s.read(&mut piece).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&piece[..n]);
        }
        assert_eq!(got, data);
        // Five reads for the data, one that saw its end: against 258 of 4 KiB.
        assert_eq!(s.inner.reads, 6);
        assert_eq!(s.read.capacity(), 0);
    }

    #[tokio::test]
    async fn writes_wait_for_a_flush_or_a_full_block() {
        let data = bytes(2 * BLOCK);
        let mut s = Batched::new(Counting::default());
        for piece in data[..BLOCK / 2].chunks(1000) {
            s.write_all(piece).await.unwrap();
        }
        assert!(s.inner.writes.is_empty(), "nothing written before a flush");
        s.flush().await.unwrap();
        assert_eq!(s.inner.writes, [BLOCK / 2]);
        assert_eq!((s.inner.flushes, s.write.capacity()), (1, 0));
        // More than a block waiting: what waited goes first, in one write.
        for piece in data[BLOCK / 2..].chunks(5000) {
            s.write_all(piece).await.unwrap();
        }
        assert_eq!(s.inner.writes.len(), 2);
        s.shutdown().await.unwrap();
        assert!(s.inner.shut);
        assert_eq!(s.inner.written, data, "every byte, in order");
        assert_eq!(s.inner.writes.len(), 3);
    }

    #[tokio::test]
    async fn a_write_of_a_block_or_more_goes_through_at_once() {
        let data = bytes(2 * BLOCK);
        let mut s = Batched::new(Counting::default());
        s.write_all(b"head").await.unwrap();
        s.write_all(&data).await.unwrap();
        // What waited first, then the large write as it came.
        assert_eq!(s.inner.writes, [4, 2 * BLOCK]);
        assert_eq!(&s.inner.written[4..], &data[..]);
    }
}
