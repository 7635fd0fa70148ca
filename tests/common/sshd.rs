//! A real OpenSSH server on 127.0.0.1 for end-to-end sync tests: generated host and
//! client keys, its own sshd_config, a free high port, started in the foreground as
//! a child and killed on drop. No system configuration is read or changed (except
//! creating sshd's privilege separation directory when running as root and it is
//! missing, as the distribution's service would).

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Variables the generated client config may send with `SetEnv`: where a remote's
/// home is (sshd sets HOME itself, to the real user's).
const ACCEPTED_ENV: &str = "XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME TT_CLAUDE__PROJECTS_DIR";

pub struct Sshd {
    port: u16,
    user: String,
    client_key: PathBuf,
    child: Child,
}

/// An executable named `name`: `$PATH` first, then the usual sbin directories.
fn find_program(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates =
        std::env::split_paths(&path).chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from));
    for dir in candidates {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "{name} not found on PATH or in /usr/sbin: install openssh-server (the sync tests need a real sshd)"
    );
}

fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("bind 127.0.0.1:0")
        .local_addr()
        .unwrap()
        .port()
}

/// A port nothing listens on, for an unreachable remote.
pub fn closed_port() -> u16 {
    free_port()
}

impl Sshd {
    /// Starts sshd with its files under `dir` and waits until it accepts connections.
    pub fn start(dir: &Path) -> Sshd {
        let sshd = find_program("sshd");
        let keygen = find_program("ssh-keygen");
        fs::create_dir_all(dir).unwrap();
        let host_key = dir.join("host_key");
        let client_key = dir.join("client_key");
        for key in [&host_key, &client_key] {
            run(Command::new(&keygen)
                .args(["-q", "-t", "ed25519", "-N", ""])
                .arg("-f")
                .arg(key));
        }
        let authorized = dir.join("authorized_keys");
        fs::copy(client_key.with_extension("pub"), &authorized).unwrap();
        let user = run(Command::new("id").arg("-un"));
        let uid = run(Command::new("id").arg("-u"));
        if uid == "0" && !Path::new("/run/sshd").is_dir() {
            fs::create_dir_all("/run/sshd").expect("create /run/sshd");
            fs::set_permissions("/run/sshd", fs::Permissions::from_mode(0o755)).unwrap();
        }

        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let config = dir.join("sshd_config");
            let pid_file = dir.join("sshd.pid");
            fs::write(
                &config,
                format!(
                    "ListenAddress 127.0.0.1\n\
                     Port {port}\n\
                     HostKey {host}\n\
                     AuthorizedKeysFile {authorized}\n\
                     PidFile {pid}\n\
                     StrictModes no\n\
                     UsePAM no\n\
                     PermitRootLogin yes\n\
                     PubkeyAuthentication yes\n\
                     PasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\n\
                     AllowUsers {user}\n\
                     AcceptEnv {ACCEPTED_ENV}\n\
                     MaxStartups 50\n\
                     LogLevel ERROR\n",
                    host = host_key.display(),
                    authorized = authorized.display(),
                    pid = pid_file.display(),
                ),
            )
            .unwrap();
            let log = dir.join("sshd.log");
            let mut child = Command::new(&sshd)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", sshd.display()));
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    last_log = fs::read_to_string(&log).unwrap_or_default();
                    eprintln!("sshd exited ({status}) on port {port}: {last_log}");
                    break;
                }
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Sshd {
                        port,
                        user,
                        client_key,
                        child,
                    };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("sshd did not accept connections on port {port} within 10 s");
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        panic!("sshd could not start after 5 attempts: {last_log}");
    }

    /// A `Host` block of a client config reaching this server as `alias`, sending
    /// `env` with `SetEnv`.
    pub fn host_block(&self, alias: &str, env: &[(&str, &Path)]) -> String {
        self.host_block_on_port(alias, self.port, env)
    }

    /// Like [`Sshd::host_block`] with another port (a closed one: unreachable).
    pub fn host_block_on_port(&self, alias: &str, port: u16, env: &[(&str, &Path)]) -> String {
        let mut block = format!(
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {key}\n  \
             IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n",
            user = self.user,
            key = self.client_key.display(),
        );
        if !env.is_empty() {
            let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={}", v.display())).collect();
            block.push_str(&format!("  SetEnv {}\n", vars.join(" ")));
        }
        block
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
