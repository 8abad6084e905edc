//! The handler under test as a child process, and what /proc says about it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sink::Sink;

/// A running `entra-coralogix` in serve mode.
pub struct Handler {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    /// From spawn to the first `200` answer to `GET /`.
    pub start_to_ready: Duration,
}

impl Handler {
    /// Starts the binary as the Functions host does (no arguments, the port in the
    /// environment) and waits until `GET /` answers, polling every millisecond.
    /// Ships to `sink`, trusting its certificate through `EXTRA_CA_CERTS` when it speaks TLS.
    pub fn start(binary: &Path, sink: &Sink, env: &[(String, String)]) -> Result<Handler, String> {
        let port = free_port().map_err(|e| format!("finding a free port: {e}"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .env("CORALOGIX_PRIVATE_KEY", "cxtp_LoadgenDummyKey0123456789")
            .env("CORALOGIX_ENDPOINT", &sink.url)
            .envs(sink.ca_pem.iter().map(|pem| ("EXTRA_CA_CERTS", pem)))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null()) // one log line per invocation
            .stderr(Stdio::inherit()) // start errors are worth seeing
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        loop {
            if ready(addr) {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{} exited before it was ready: {status}",
                    binary.display()
                ));
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                return Err(format!("{} was not ready after 10 s", binary.display()));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(Handler {
            pid: child.id(),
            child,
            addr,
            start_to_ready: started.elapsed(),
        })
    }

    /// Stops the handler with SIGTERM (it finishes in-flight invocations) and waits for it.
    pub fn stop(mut self) {
        // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stats(&self) -> ProcStats {
        ProcStats::of(self.pid)
    }

    /// Resets the peak RSS (VmHWM) to the current RSS, so each measurement has its own peak.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").is_ok()
    }
}

/// One `GET /` over a fresh connection; true on a 200.
fn ready(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(50)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}

pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// CPU time and memory of a process, from /proc.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    /// User + system CPU seconds, over the process's lifetime (all threads, living and dead).
    pub cpu_seconds: f64,
    /// Current resident set (VmRSS), bytes.
    pub rss: u64,
    /// Peak resident set (VmHWM) since start or the last `reset_peak`, bytes.
    pub peak_rss: u64,
}

impl ProcStats {
    pub fn of(pid: u32) -> ProcStats {
        Self::read(&format!("/proc/{pid}"))
    }

    pub fn of_self() -> ProcStats {
        Self::read("/proc/self")
    }

    fn read(dir: &str) -> ProcStats {
        let stat = std::fs::read_to_string(format!("{dir}/stat")).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces:
        // state is field 3, utime field 14, stime field 15.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks = |i: usize| {
            fields
                .get(i - 3)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let status = std::fs::read_to_string(format!("{dir}/status")).unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        ProcStats {
            cpu_seconds: (ticks(14) + ticks(15)) as f64 / clock_ticks(),
            rss: kb("VmRSS:") * 1024,
            peak_rss: kb("VmHWM:") * 1024,
        }
    }
}

/// CPU seconds spent by the whole machine (all processes, all cores) since boot, from the first
/// line of /proc/stat: user + nice + system + irq + softirq + steal.
pub fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    busy as f64 / clock_ticks()
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`).
pub fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// CPU time of the calling thread.
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid pointer to a timespec.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
