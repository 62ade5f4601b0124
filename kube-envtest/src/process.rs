//! Child processes with their output in a log file, graceful stop, and readiness polling.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, Result};

/// How often readiness is polled.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Lines of log included in start errors.
const LOG_TAIL_LINES: usize = 30;

/// A running server process. Dropping it stops it (SIGTERM, then SIGKILL).
#[derive(Debug)]
pub(crate) struct Proc {
    pub name: &'static str,
    program: PathBuf,
    args: Vec<OsString>,
    pub log: PathBuf,
    child: Option<Child>,
    stop_timeout: Duration,
    kill_on_parent_death: bool,
}

impl Proc {
    pub(crate) fn new(
        name: &'static str,
        program: &Path,
        args: Vec<OsString>,
        log: PathBuf,
        stop_timeout: Duration,
        kill_on_parent_death: bool,
    ) -> Self {
        Proc {
            name,
            program: program.to_path_buf(),
            args,
            log,
            child: None,
            stop_timeout,
            kill_on_parent_death,
        }
    }

    /// Starts the process; output is appended to the log so a restart keeps the history.
    pub(crate) fn spawn(&mut self) -> Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| Error::io(format!("opening {}", self.log.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| Error::io("duplicating log file handle", e))?;
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = spawn(cmd, self.kill_on_parent_death)
            .map_err(|e| Error::io(format!("starting {}", self.program.display()), e))?;
        tracing::debug!(process = self.name, pid = child.id(), "started");
        self.child = Some(child);
        Ok(())
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `Some(status)` if the process has exited.
    fn exit_status(&mut self) -> Option<String> {
        match self.child.as_mut()?.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown status: {e}")),
        }
    }

    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read(&self.log)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|e| format!("<cannot read log: {e}>"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
    }

    /// Polls `probe` every [`POLL_INTERVAL`] until it returns true, failing early if the
    /// process exits and with the log tail after `timeout`.
    pub(crate) async fn wait_until<F, Fut>(&mut self, timeout: Duration, mut probe: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exit_status() {
                return Err(Error::ProcessExited {
                    process: self.name,
                    status,
                    log: self.log.clone(),
                    log_tail: self.log_tail(),
                });
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            // Bound each probe so a hanging connection cannot outlive the start timeout.
            let probe_timeout = remaining.min(Duration::from_secs(2));
            if let Ok(true) = tokio::time::timeout(probe_timeout, probe()).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::StartTimeout {
                    process: self.name,
                    timeout,
                    log: self.log.clone(),
                    log_tail: self.log_tail(),
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Graceful stop without blocking the async runtime.
    pub(crate) async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let started = Instant::now();
        if terminate(&mut child) {
            while started.elapsed() < self.stop_timeout {
                if !matches!(child.try_wait(), Ok(None)) {
                    self.stopped(started, "SIGTERM");
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        kill(&mut child);
        self.stopped(started, "SIGKILL");
    }

    /// Graceful stop for `Drop`, which cannot await.
    pub(crate) fn stop_blocking(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let started = Instant::now();
        if terminate(&mut child) {
            while started.elapsed() < self.stop_timeout {
                if !matches!(child.try_wait(), Ok(None)) {
                    self.stopped(started, "SIGTERM");
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        kill(&mut child);
        self.stopped(started, "SIGKILL");
    }

    fn stopped(&self, started: Instant, how: &str) {
        tracing::debug!(process = self.name, elapsed = ?started.elapsed(), how, "stopped");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop_blocking();
    }
}

/// Sends SIGTERM; false if the process is already gone or cannot be signalled.
fn terminate(child: &mut Child) -> bool {
    if !matches!(child.try_wait(), Ok(None)) {
        return false;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(child.id()) else {
            return false;
        };
        // SAFETY: kill(2) has no memory-safety preconditions; the child is not yet reaped
        // (try_wait returned None above), so the pid still names our child.
        unsafe { libc::kill(pid, libc::SIGTERM) == 0 }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// SIGKILL and reap, so no zombie is left behind.
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(target_os = "linux")]
fn spawn(mut cmd: Command, kill_on_parent_death: bool) -> io::Result<Child> {
    if !kill_on_parent_death {
        return cmd.spawn();
    }
    use std::os::unix::process::CommandExt;
    let parent = libc::pid_t::try_from(std::process::id()).map_err(io::Error::other)?;
    // SAFETY: the closure runs between fork and exec and only calls the async-signal-safe
    // prctl(2) and getppid(2); it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    spawner::spawn(cmd)
}

#[cfg(not(target_os = "linux"))]
fn spawn(mut cmd: Command, _kill_on_parent_death: bool) -> io::Result<Child> {
    cmd.spawn()
}

/// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process.
/// Test threads and runtime worker threads come and go (e.g. an environment kept in a
/// `static` outlives the test that started it), so children are forked from one thread
/// that lives as long as the process.
#[cfg(target_os = "linux")]
mod spawner {
    use std::io;
    use std::process::{Child, Command};
    use std::sync::OnceLock;
    use std::sync::mpsc::{Sender, channel};

    type Request = (Command, Sender<io::Result<Child>>);

    static SPAWNER: OnceLock<Result<Sender<Request>, String>> = OnceLock::new();

    pub(super) fn spawn(cmd: Command) -> io::Result<Child> {
        let sender = SPAWNER
            .get_or_init(|| {
                let (tx, rx) = channel::<Request>();
                std::thread::Builder::new()
                    .name("kube-envtest-spawner".into())
                    .spawn(move || {
                        for (mut cmd, reply) in rx {
                            let _ = reply.send(cmd.spawn());
                        }
                    })
                    .map(|_| tx)
                    .map_err(|e| format!("starting the spawner thread: {e}"))
            })
            .as_ref()
            .map_err(|e| io::Error::other(e.clone()))?;
        let (reply_tx, reply_rx) = channel();
        sender
            .send((cmd, reply_tx))
            .map_err(|_| io::Error::other("spawner thread is gone"))?;
        reply_rx
            .recv()
            .map_err(|_| io::Error::other("spawner thread is gone"))?
    }
}

/// True if an error is a bind race: a free port taken between our probe and the child's bind.
pub(crate) fn is_address_in_use(err: &Error) -> bool {
    match err {
        Error::ProcessExited { log_tail, .. } => log_tail.contains("address already in use"),
        _ => false,
    }
}

/// `GET path` over plain HTTP on 127.0.0.1; true on status 200 (etcd's `/health`).
pub(crate) async fn http_get_ok(port: u16, path: &str) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        // HTTP/1.0 without keep-alive: the server closes after the response.
        stream.read_to_end(&mut response).await?;
        let status_line = response.split(|b| *b == b'\n').next().unwrap_or_default();
        let status = String::from_utf8_lossy(status_line);
        io::Result::Ok(status.split_whitespace().nth(1) == Some("200"))
    };
    attempt.await.unwrap_or(false)
}
