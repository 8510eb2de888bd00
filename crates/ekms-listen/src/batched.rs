//! [`Batched`]: fewer, larger socket reads and writes under TLS, with buffers held only while
//! bytes pass through them.
//!
//! rustls reads at most 4 KiB from the socket per call and tokio-rustls writes the records of
//! every `write` at once, so a large body costs one `recv` per 4 KiB and one `writev` per HTTP/2
//! frame: on loopback those system calls, not the cipher, were most of the server's time (see
//! BENCHMARKS.md, "Streams toward 500 MB/s"). Below TLS, [`Batched`] reads up to [`BLOCK`] bytes
//! per system call and hands them out from memory, and gathers written records until the writer
//! flushes or [`BLOCK`] bytes are waiting (a write of a whole record or more that finds nothing
//! waiting goes through as it is: [`DIRECT`]). tokio's `BufReader`/`BufWriter` would do the same
//! but allocate their buffers for the life of the connection; here a buffer exists only while
//! it holds bytes, so thousands of idle connections cost no memory.
//!
//! A buffer is sized from what the connection last moved, not at [`BLOCK`] each time: a
//! connection of small requests reads straight into the caller's buffer and writes through a
//! buffer of its answer's size, where a 256 KiB allocation and free per request and direction
//! cost the HTTPS requests more than the copy (BENCHMARKS.md, "What an HTTPS request costs
//! around its operation"); a read that fills its buffer doubles the next one, up to [`BLOCK`].

use bytes::{Buf, BytesMut};
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;

/// The most read ahead, and written in one call, per connection.
pub const BLOCK: usize = 256 * 1024;

/// A write of at least this much (a full TLS record) finding nothing waiting goes to the socket
/// as it is: gathering pays off for many small records, while copying a large body's records
/// into the buffer first was 4% of the server's CPU in a stream and saved no system call.
pub const DIRECT: usize = 16 * 1024;

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
    /// How much the next read asks for: what the last one got, doubled when it filled its
    /// buffer (more was likely waiting), at most [`BLOCK`].
    next_read: usize,
}

impl<IO> Batched<IO> {
    pub fn new(inner: IO) -> Self {
        Self {
            inner,
            read: BytesMut::new(),
            write: Vec::new(),
            write_at: 0,
            next_read: 0,
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

/// The size of the next read after one that got `got` bytes into a buffer of `asked`.
fn next_read(got: usize, asked: usize) -> usize {
    if got >= asked {
        asked.saturating_mul(2).min(BLOCK)
    } else {
        got
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
            let room = buf.remaining();
            if room >= this.next_read.min(BLOCK) {
                // The caller's buffer holds what is expected: no copy, no allocation.
                let before = buf.filled().len();
                ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                this.next_read = next_read(buf.filled().len() - before, room);
                return Poll::Ready(Ok(()));
            }
            // Filled without zeroing first; dropped again if nothing came.
            let ask = this.next_read.min(BLOCK);
            let mut block = BytesMut::with_capacity(ask);
            ready!(poll_read_buf(Pin::new(&mut this.inner), cx, &mut block))?;
            this.next_read = next_read(block.len(), ask);
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
        let waiting = this.write_at < this.write.len();
        if len >= BLOCK || (len >= DIRECT && !waiting) {
            // Nothing waits (drained above, or nothing was): large writes go through as they
            // are, without a copy.
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        // Grown to what is written (doubling), not reserved at BLOCK: an answer of a few
        // KiB allocates a few KiB.
        this.write.reserve(len);
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
    /// records every write call it gets; with `accept`, a write takes at most that many bytes,
    /// and with `stall`, every other write call is not ready yet (as a full socket).
    #[derive(Default)]
    struct Counting {
        data: Vec<u8>,
        at: usize,
        reads: usize,
        writes: Vec<usize>,
        written: Vec<u8>,
        flushes: usize,
        shut: bool,
        accept: Option<usize>,
        stall: bool,
        stalled: bool,
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
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if self.stall {
                self.stalled = !self.stalled;
                if self.stalled {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            let n = self.accept.map_or(buf.len(), |a| a.min(buf.len()));
            self.writes.push(n);
            self.written.extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
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
        // Reads that double while they fill up, to BLOCK: 11 against 258 of 4 KiB.
        assert_eq!(s.inner.reads, 11);
        assert_eq!(s.read.capacity(), 0);
    }

    #[tokio::test]
    async fn small_messages_are_read_into_the_callers_buffer_and_written_through_a_small_one() {
        // A connection of small requests, each read by a caller with a 4 KiB buffer (rustls's):
        // read straight into it, with no buffer of BLOCK allocated for each.
        let data = bytes(1500);
        let mut s = Batched::new(Counting {
            data: data.clone(),
            ..Default::default()
        });
        let mut piece = [0u8; 4096];
        let n = s.read(&mut piece).await.unwrap();
        assert_eq!(&piece[..n], &data[..]);
        assert_eq!((s.inner.reads, s.next_read), (1, 1500));
        assert_eq!(s.read.capacity(), 0, "nothing read ahead, nothing held");
        // An answer of a few KiB: gathered in a buffer of about its size.
        s.write_all(&data).await.unwrap();
        assert!(s.write.capacity() < 4096, "{}", s.write.capacity());
        s.flush().await.unwrap();
        assert_eq!(s.inner.writes, [1500]);
    }

    #[test]
    fn a_read_that_fills_its_buffer_doubles_the_next_one_up_to_a_block() {
        assert_eq!(next_read(4096, 4096), 8192);
        assert_eq!(next_read(BLOCK, BLOCK), BLOCK);
        assert_eq!(next_read(BLOCK / 2 + 1, BLOCK / 2 + 1), BLOCK);
        // Less than asked: the next one asks for what came.
        assert_eq!(next_read(700, BLOCK), 700);
        assert_eq!(next_read(0, 4096), 0);
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
    async fn a_large_write_with_nothing_waiting_is_not_copied() {
        let data = bytes(3 * DIRECT);
        let mut s = Batched::new(Counting::default());
        s.write_all(&data[..DIRECT]).await.unwrap();
        assert_eq!(s.inner.writes, [DIRECT], "written as it came");
        assert_eq!(s.write.capacity(), 0, "through no buffer");
        // Behind a small write still waiting, it is gathered with it, in order.
        s.write_all(b"head").await.unwrap();
        s.write_all(&data[DIRECT..]).await.unwrap();
        assert_eq!(s.inner.writes, [DIRECT]);
        s.flush().await.unwrap();
        assert_eq!(s.inner.writes, [DIRECT, 4 + 2 * DIRECT]);
        assert_eq!(&s.inner.written[..DIRECT], &data[..DIRECT]);
        assert_eq!(&s.inner.written[DIRECT..DIRECT + 4], b"head");
        assert_eq!(&s.inner.written[DIRECT + 4..], &data[DIRECT..]);
    }

    #[tokio::test]
    async fn a_direct_write_taken_in_part_or_later_loses_and_reorders_nothing() {
        let data = bytes(5 * DIRECT + 123);
        let mut s = Batched::new(Counting {
            accept: Some(DIRECT / 3),
            stall: true,
            ..Default::default()
        });
        s.write_all(&data[..3 * DIRECT]).await.unwrap();
        s.write_all(b"tail").await.unwrap();
        s.write_all(&data[3 * DIRECT..]).await.unwrap();
        s.flush().await.unwrap();
        let mut expected = data[..3 * DIRECT].to_vec();
        expected.extend_from_slice(b"tail");
        expected.extend_from_slice(&data[3 * DIRECT..]);
        assert_eq!(s.inner.written, expected);
        assert!(s.inner.writes.iter().all(|&n| n <= DIRECT / 3));
        assert_eq!(s.write.capacity(), 0, "nothing held after the flush");
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
