//! Connections: the accept loop under [`super::serve_on`], and what keeps a hostile
//! client from holding the server.
//!
//! Each connection is in one of three phases, and each phase has its bound:
//!
//! | phase | from | ends | bound |
//! |---|---|---|---|
//! | `Head` | accept, or the first byte of the next request | the request head is read | [`ServeConfig::header_timeout`], in all (a client that drips a byte now and then still runs out) |
//! | `Busy` | the head is read | the response is handed to HTTP | [`ServeConfig::timeout`] (a layer of the router answers 503) |
//! | `Idle` | the response is handed over | the next request's first byte | [`ServeConfig::idle_timeout`] without progress: no byte read or written (a keep-alive wait, or a client that stopped reading its response) |
//!
//! The number of open connections is capped by [`ServeConfig::max_connections`] and by
//! the process's open-file limit (less what the index and the process itself need).
//! At the cap, a new connection takes the place of the connection that has waited
//! longest without a request in progress, so idle or half-open connections can never
//! lock out a real client; when every connection is busy, new ones wait in the
//! listener's backlog. Running out of file descriptors on `accept` does the same instead
//! of sleeping.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use super::ServeConfig;

const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// File descriptors kept free for the index (segments opened on reload, a rebuild's
/// files) beside those open when the server starts.
const SPARE_FDS: usize = 32;

/// What the accept loop and a connection's watchdog know of one connection.
struct Conn {
    /// `HEAD`, `BUSY` or `IDLE`.
    phase: AtomicU8,
    /// When the phase began, in milliseconds since the server started.
    phase_since: AtomicU64,
    /// The last byte read or written, in the same clock.
    last_progress: AtomicU64,
    /// Wakes the connection's task to close it.
    close: Notify,
    clock: Instant,
}

impl Conn {
    fn new(clock: Instant) -> Conn {
        let now = millis(clock);
        Conn {
            phase: AtomicU8::new(HEAD),
            phase_since: AtomicU64::new(now),
            last_progress: AtomicU64::new(now),
            close: Notify::new(),
            clock,
        }
    }

    fn enter(&self, phase: u8) {
        let now = millis(self.clock);
        self.phase_since.store(now, Ordering::Relaxed);
        self.last_progress.store(now, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// A byte crossed the socket; the first of a request starts its head.
    fn progress(&self, read: bool) {
        if read && self.phase.load(Ordering::Acquire) == IDLE {
            self.enter(HEAD);
        } else {
            self.last_progress
                .store(millis(self.clock), Ordering::Relaxed);
        }
    }

    /// When this connection must be closed unless something happens first.
    fn deadline(&self, limits: &Limits) -> u64 {
        match self.phase.load(Ordering::Acquire) {
            HEAD => self.phase_since.load(Ordering::Relaxed) + limits.header_ms,
            IDLE => self.last_progress.load(Ordering::Relaxed) + limits.idle_ms,
            // The request timeout bounds a busy connection; look again later.
            _ => millis(self.clock) + limits.idle_ms,
        }
    }

    /// Since when this connection has waited without a request in progress, or `None`
    /// when one is in progress.
    fn waiting_since(&self) -> Option<u64> {
        match self.phase.load(Ordering::Acquire) {
            BUSY => None,
            _ => Some(self.phase_since.load(Ordering::Relaxed)),
        }
    }
}

fn millis(clock: Instant) -> u64 {
    clock.elapsed().as_millis() as u64
}

#[derive(Clone, Copy)]
struct Limits {
    header_ms: u64,
    idle_ms: u64,
}

/// The open connections, for the cap and for eviction.
#[derive(Default)]
struct Registry {
    /// Connections serving or waiting for requests.
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    /// Connections told to close whose sockets are not closed yet.
    closing: AtomicUsize,
    /// Signalled when a connection ends, for an accept loop waiting at the cap.
    freed: Notify,
}

impl Registry {
    /// Open sockets: serving, waiting, or closing.
    fn open(&self) -> usize {
        self.lock().len() + self.closing.load(Ordering::Acquire)
    }

    /// Makes room for one more connection: closes the longest-waiting one unless
    /// some are closing already, then waits until one is gone (or `patience` passes).
    async fn make_room(&self, patience: Duration) {
        // When every connection is busy, nothing is evicted: a request ends within
        // the request timeout.
        if self.closing.load(Ordering::Acquire) == 0 {
            self.evict_one();
        }
        let _ = tokio::time::timeout(patience, self.freed.notified()).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Closes the connection that has waited longest without a request in progress.
    /// Returns false when every connection is busy.
    fn evict_one(&self) -> bool {
        let mut conns = self.lock();
        let oldest = conns
            .iter()
            .filter_map(|(id, c)| c.waiting_since().map(|since| (since, *id)))
            .min();
        // Out of the count at once, so that the next accept does not evict another.
        match oldest.and_then(|(_, id)| conns.remove(&id)) {
            Some(conn) => {
                self.closing.fetch_add(1, Ordering::AcqRel);
                conn.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the registry when its task ends, however it ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if self.registry.lock().remove(&self.id).is_none() {
            // It was evicted, and counted as closing since.
            self.registry.closing.fetch_sub(1, Ordering::AcqRel);
        }
        self.registry.freed.notify_one();
    }
}

/// The most connections this process can hold: the configured cap, lowered to fit the
/// open-file limit.
pub(super) fn connection_cap(configured: usize) -> usize {
    let fit = match open_file_limit() {
        Some(limit) => limit.saturating_sub(open_files() + SPARE_FDS),
        None => configured,
    };
    configured.min(fit).max(1)
}

#[cfg(unix)]
fn open_file_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as usize)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<usize> {
    None
}

/// File descriptors open now (a guess of `SPARE_FDS` where `/proc` cannot tell).
fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(SPARE_FDS, |dir| dir.count())
}

/// Accepts connections on `listener` and serves `app` on each until `shutdown`
/// resolves; then stops accepting and lets the requests in flight finish.
pub(super) async fn accept_loop(
    listener: TcpListener,
    app: Router,
    config: &ServeConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let limits = Limits {
        header_ms: config.header_timeout.as_millis() as u64,
        idle_ms: config.idle_timeout.as_millis() as u64,
    };
    let cap = connection_cap(config.max_connections);
    let registry = Arc::new(Registry::default());
    let clock = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut next_id = 0u64;
    tokio::pin!(shutdown);
    loop {
        while registry.open() >= cap {
            tokio::select! {
                _ = registry.make_room(Duration::from_millis(100)) => {}
                _ = &mut shutdown => return drain(&registry, stop_tx, config.timeout).await,
            }
        }
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    if is_fd_exhaustion(&e) {
                        registry.make_room(Duration::from_millis(20)).await;
                    }
                    continue;
                }
            },
            _ = &mut shutdown => return drain(&registry, stop_tx, config.timeout).await,
        };
        next_id += 1;
        let conn = Arc::new(Conn::new(clock));
        registry.lock().insert(next_id, conn.clone());
        let registered = Registered {
            registry: registry.clone(),
            id: next_id,
        };
        let app = app.clone();
        let stop = stop_rx.clone();
        let max_buf = config.max_header_bytes;
        tokio::spawn(async move {
            serve_connection(stream, app, conn, limits, max_buf, stop).await;
            drop(registered);
        });
    }
}

/// Whether `accept` failed for want of file descriptors (other errors, such as a
/// connection reset before it was accepted, need nothing but the next accept).
fn is_fd_exhaustion(error: &io::Error) -> bool {
    #[cfg(unix)]
    return matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
    #[cfg(not(unix))]
    return false;
}

/// Asks every connection to finish its request and close, and waits (at most the
/// request timeout's worth) for them to go.
async fn drain(registry: &Registry, stop: watch::Sender<bool>, request_timeout: Duration) {
    let _ = stop.send(true);
    let deadline = tokio::time::Instant::now() + request_timeout;
    while registry.open() > 0 {
        if tokio::time::timeout_at(deadline, registry.freed.notified())
            .await
            .is_err()
        {
            break;
        }
    }
}

/// Serves HTTP/1.1 on one connection until the client leaves, a bound of its phase
/// runs out, it is evicted, or the server stops.
async fn serve_connection(
    stream: TcpStream,
    app: Router,
    conn: Arc<Conn>,
    limits: Limits,
    max_buf: usize,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        inner: stream,
        conn: conn.clone(),
    });
    let phases = conn.clone();
    let service = app.map_request(move |request: axum::http::Request<_>| {
        phases.enter(BUSY);
        request
    });
    let phases = conn.clone();
    let service = service.map_response(move |response| {
        phases.enter(IDLE);
        response
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .max_buf_size(max_buf.max(8192))
        .max_header_size(max_buf);
    let connection = builder.serve_connection(io, TowerToHyperService::new(service));
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        if !stopping && *stop.borrow() {
            // Stopping: a request in progress is finished, a waiting client is let go.
            if conn.waiting_since().is_some() {
                return;
            }
            stopping = true;
            connection.as_mut().graceful_shutdown();
        }
        let wait = conn.deadline(&limits).saturating_sub(millis(conn.clock));
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = conn.close.notified() => return,
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {
                if conn.deadline(&limits) <= millis(conn.clock) {
                    return;
                }
            }
            _ = stop.changed(), if !stopping => {}
        }
    }
}

/// The socket, noting every byte that crosses it on its [`Conn`].
struct Watched {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.progress(true);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.progress(false);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.progress(false);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_ms: 5_000,
            idle_ms: 15_000,
        }
    }

    #[test]
    fn a_head_must_be_complete_within_the_header_timeout_however_it_drips() {
        let conn = Conn::new(Instant::now());
        let start = conn.phase_since.load(Ordering::Relaxed);
        conn.progress(true);
        conn.progress(true);
        assert_eq!(conn.deadline(&limits()), start + 5_000);
    }

    #[test]
    fn an_idle_connection_lives_from_its_last_progress() {
        let conn = Conn::new(Instant::now());
        conn.enter(BUSY);
        assert_eq!(conn.waiting_since(), None);
        conn.enter(IDLE);
        let since = conn.last_progress.load(Ordering::Relaxed);
        assert_eq!(conn.deadline(&limits()), since + 15_000);
        // The next request's first byte starts its head.
        conn.progress(true);
        assert_eq!(conn.phase.load(Ordering::Relaxed), HEAD);
    }

    #[test]
    fn eviction_takes_the_longest_waiting_connection_and_never_a_busy_one() {
        let registry = Registry::default();
        let clock = Instant::now();
        let busy = Arc::new(Conn::new(clock));
        busy.phase_since.store(0, Ordering::Relaxed);
        busy.enter(BUSY);
        let old = Arc::new(Conn::new(clock));
        old.phase_since.store(1, Ordering::Relaxed);
        let young = Arc::new(Conn::new(clock));
        young.phase_since.store(50, Ordering::Relaxed);
        for (id, conn) in [(1, &busy), (2, &young), (3, &old)] {
            registry.lock().insert(id, conn.clone());
        }
        assert!(registry.evict_one());
        assert!(
            !registry.lock().contains_key(&3),
            "the oldest waiting one goes first"
        );
        assert!(registry.evict_one());
        assert!(registry.lock().contains_key(&1));
        assert!(!registry.evict_one(), "busy connections are never evicted");
    }

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        let cap = connection_cap(usize::MAX);
        if let Some(limit) = open_file_limit() {
            assert!(cap < limit, "cap {cap} with an open-file limit of {limit}");
        }
        assert_eq!(connection_cap(3), 3.min(cap));
    }
}
