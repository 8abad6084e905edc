//! The real binary serving on a loopback port, as the Functions host starts it, with its
//! output collected.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_entra-coralogix");

/// A loopback port nobody listens on (right now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The binary serving on a port, with its output collected.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub ready_after: Duration,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

/// Drains a pipe on its own thread, so a chatty child never blocks on a full pipe.
pub fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

impl Served {
    pub fn start(env: &[(&str, &str)]) -> Served {
        let port = free_port();
        let started = Instant::now();
        let mut child = Command::new(BIN)
            .env_clear()
            .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        // Poll GET / as the host does (it polls every 25 ms).
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Write;
                s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .unwrap();
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "not ready in 10 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        Served {
            child,
            port,
            ready_after: started.elapsed(),
            stdout,
            stderr,
        }
    }

    /// Stops with SIGTERM and returns (exit success, stdout, stderr).
    pub fn stop(self) -> (bool, String, String) {
        // SAFETY: signals our own child process, which has not been waited for yet.
        let sent = unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(sent, 0, "could not send SIGTERM");
        self.stop_waiting()
    }

    /// Waits for the process to end (after a signal sent elsewhere).
    pub fn stop_waiting(mut self) -> (bool, String, String) {
        let status = self.child.wait().unwrap();
        (
            status.success(),
            self.stdout.join().unwrap(),
            self.stderr.join().unwrap(),
        )
    }
}

/// Invokes the served binary (the test's runtime also runs the ingress).
pub async fn invoke(served: Served, body: Vec<u8>) -> (Served, u16, Value) {
    let (status, answer) = post(served.port, body).await;
    (served, status, serde_json::from_slice(&answer).unwrap())
}

/// POSTs an invocation to the served binary, as the host does: (status, body).
pub async fn post(port: u16, body: Vec<u8>) -> (u16, Vec<u8>) {
    // The client needs a TLS provider even for plain HTTP; the handler's own is not in this
    // process.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/EventHubTrigger"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}
