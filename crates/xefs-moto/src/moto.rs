//! A moto server on a free loopback port, for the life of a test (or of the test binary).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long moto may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs moto and, once our end of its stdin closes, stops it. The pipe closes when the
/// [`Moto`] is dropped *and* when the test process exits for any reason (statics are never
/// dropped), so no moto outlives the tests that started it.
const WATCHDOG: &str = r#"
moto_server -H 127.0.0.1 -p "$1" >"$2" 2>&1 </dev/null &
moto=$!
read -r _ignored || true
kill "$moto" 2>/dev/null
wait "$moto" 2>/dev/null
exit 0
"#;

/// A running moto server (`moto_server -H 127.0.0.1 -p PORT`).
///
/// Tests share one through [`Moto::shared`]; isolation comes from giving each test its own
/// fresh account ids (see [`crate::fresh_account_id`]), since moto keeps every account's
/// resources apart.
pub struct Moto {
    endpoint: String,
    watchdog: Child,
    stdin: Option<ChildStdin>,
    _log_dir: tempfile::TempDir,
}

impl std::fmt::Debug for Moto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Moto")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Moto {
    /// The server shared by every test of this binary, started on first use.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// Starts a server of one's own, stopped when dropped.
    ///
    /// # Panics
    ///
    /// When `moto_server` is not on `PATH`, or does not answer within 20 seconds (the message
    /// then holds its log).
    pub fn start() -> Moto {
        assert!(
            on_path("moto_server"),
            "moto_server not found: pip install 'moto[server]'"
        );
        let log_dir = tempfile::tempdir().expect("a temporary directory for moto's log");
        let log = log_dir.path().join("moto.log");
        let port = free_port();
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("moto-watchdog")
            .arg(port.to_string())
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh starts");
        let stdin = watchdog.stdin.take();
        let moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            watchdog,
            stdin,
            _log_dir: log_dir,
        };
        moto.wait_until_ready(port, &log);
        moto
    }

    /// The URL to send every service's requests to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn wait_until_ready(&self, port: u16, log: &Path) {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while Instant::now() < deadline {
            if answers_http(address) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(log).unwrap_or_default();
        panic!(
            "moto_server did not answer on {} within {STARTUP_TIMEOUT:?}; its log:\n{log}",
            self.endpoint
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // EOF on the watchdog's stdin: it stops moto and exits.
        drop(self.stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// Whether an HTTP server answers on `address`.
fn answers_http(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(250)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0_u8; 8];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Whether `program` is an executable file in a directory of `PATH`.
fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
