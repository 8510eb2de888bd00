//! A throwaway PostgreSQL cluster for tests: [`cluster`] starts one per test binary (initdb
//! into a temporary directory, a free port on 127.0.0.1, the Unix socket in that directory,
//! password authentication), and [`Cluster::database`] gives each test a database of its own.
//!
//! The server runs as an unprivileged system user ([`SYSTEM_USER`], created if missing when
//! the tests run as root, through `useradd` and `runuser`), since PostgreSQL refuses to run as
//! root. A watcher process stops the cluster and removes its directory once the test binary
//! has exited. When PostgreSQL is not installed, [`cluster`] prints one line naming the Debian
//! package and returns `None` (the test skips), or panics if the environment variable `CI` is
//! set, so that a CI run never passes without these tests. [`replica`] makes a primary with a
//! synchronous streaming replica, for the failover tests.

pub mod replica;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The Debian package that provides the PostgreSQL server.
pub const DEBIAN_PACKAGE: &str = "postgresql";

/// The system user the cluster runs as when the tests run as root.
pub const SYSTEM_USER: &str = "ekms-pg";

/// The database role the tests connect as.
pub const ROLE: &str = "ekms";

/// A running throwaway cluster.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    password: String,
    /// Whether the server runs as [`SYSTEM_USER`] (the tests run as root).
    as_user: bool,
    /// Further `-c name=value` options of the server.
    options: String,
    next: AtomicUsize,
}

/// The newest installed PostgreSQL's `bin` directory, or the one `EKMS_PG_BIN` names (none if
/// it holds no `initdb`).
fn find_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("EKMS_PG_BIN") {
        let bin = PathBuf::from(dir);
        return bin.join("initdb").is_file().then_some(bin);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// The cluster of this test binary, started at the first call; `None` if PostgreSQL is not
/// installed and `CI` is not set (one line printed).
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    CLUSTER.get_or_init(start).as_ref()
}

fn start() -> Option<Cluster> {
    let cluster = Cluster::create(installed()?, String::new());
    cluster.initdb();
    cluster.pg_ctl_start();
    cluster.watch();
    Some(cluster)
}

/// The `bin` directory of the installed PostgreSQL; `None` (one line printed) if there is none
/// and `CI` is not set.
fn installed() -> Option<PathBuf> {
    let bin = find_bin();
    if bin.is_none() {
        crate::missing("PostgreSQL", DEBIAN_PACKAGE);
    }
    bin
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// A cluster not made yet: its directory (owned by [`SYSTEM_USER`] when the tests run as
    /// root, the user created if missing), a free port, a new password, the server `options`.
    fn create(bin: PathBuf, options: String) -> Cluster {
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "ekms-pg-{}-{nanos:x}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let as_user = is_root();
        if as_user {
            let exists = Command::new("id")
                .arg(SYSTEM_USER)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !exists {
                run(
                    Command::new("useradd").args([
                        "--system",
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        SYSTEM_USER,
                    ]),
                    "useradd",
                );
            }
            run(
                Command::new("chown").arg(SYSTEM_USER).arg(&dir),
                "chown of the cluster directory",
            );
        }
        Cluster {
            bin,
            port: free_port(),
            dir,
            password: format!("pw-{:x}-{nanos:x}", std::process::id()),
            as_user,
            options,
            next: AtomicUsize::new(0),
        }
    }

    /// `initdb` of the cluster's data directory: [`ROLE`] its superuser, with the password.
    fn initdb(&self) {
        let pwfile = self.dir.join("pwfile");
        std::fs::write(&pwfile, &self.password).unwrap();
        if self.as_user {
            run(
                Command::new("chown").arg(SYSTEM_USER).arg(&pwfile),
                "chown of the password file",
            );
        }
        let data = self.data_dir();
        run(
            self.server_tool("initdb").args([
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                ROLE.as_ref(),
                "-A".as_ref(),
                "scram-sha-256".as_ref(),
                format!("--pwfile={}", pwfile.display()).as_ref(),
                "--no-sync".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
            ]),
            "initdb",
        );
        let _ = std::fs::remove_file(&pwfile);
    }

    /// Starts a watcher that stops the cluster and removes its directory once this process has
    /// exited.
    fn watch(&self) {
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {run_as}'{pg_ctl}' -D '{data}' stop -m immediate >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            run_as = if self.as_user {
                format!("runuser -u {SYSTEM_USER} -- ")
            } else {
                String::new()
            },
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data_dir().display(),
            dir = self.dir.display(),
        );
        // In a session of its own (`setsid -f` returns at once): whoever ends the test run's
        // process group as the run ends (a CI runner, a shell) must not end the watcher with it.
        Command::new("setsid")
            .args(["-f", "sh", "-c", &stop])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
    }

    /// A command running a server binary (`initdb`, `pg_ctl`) as the cluster's system user.
    fn server_tool(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.as_user {
            let mut c = Command::new("runuser");
            c.args(["-u", SYSTEM_USER, "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 {}",
            self.port,
            self.dir.display(),
            self.options
        );
        let log = self.dir.join("server.log");
        run(
            self.server_tool("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "60", "-o", &options, "start"]),
            "pg_ctl start",
        );
    }

    /// Stops the server (`pg_ctl stop -m fast`), for tests of an outage.
    pub fn stop(&self) {
        self.pg_ctl(&["-w", "-m", "fast", "stop"]);
    }

    /// `pg_ctl -D <data> <args>` as the cluster's system user, which must succeed.
    fn pg_ctl(&self, args: &[&str]) {
        run(
            self.server_tool("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .args(args),
            &format!("pg_ctl {}", args.last().unwrap_or(&"")),
        );
    }

    /// Starts the server again after [`Cluster::stop`].
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// The TCP port the server listens on (127.0.0.1), also the number of its Unix socket.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory of the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The password of [`ROLE`]; never part of a URL.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A client program of the cluster's release (`pg_dump`, `psql`) with the host, port,
    /// role and password set for `database`.
    pub fn client(&self, tool: &str, database: &str) -> Command {
        let mut c = Command::new(self.bin.join(tool));
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ROLE])
            .args(["-d", database])
            .env("PGPASSWORD", &self.password);
        c
    }

    /// A new, empty database for one test: its name.
    pub fn database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            self.next.fetch_add(1, Ordering::SeqCst)
        );
        run(
            Command::new(self.bin.join("createdb"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ROLE])
                .arg(&name)
                .env("PGPASSWORD", &self.password),
            "createdb",
        );
        name
    }

    /// The URL of `database` over TCP (no password in it).
    pub fn url(&self, database: &str) -> String {
        format!("postgresql://{ROLE}@127.0.0.1:{}/{database}", self.port)
    }

    /// The key-value connection string of `database` over the Unix socket.
    pub fn socket_conninfo(&self, database: &str) -> String {
        format!(
            "host={} port={} user={ROLE} dbname={database}",
            self.dir.display(),
            self.port
        )
    }

    /// `pg_dump` of `database` as plain SQL.
    pub fn dump(&self, database: &str) -> String {
        run(&mut self.client("pg_dump", database), "pg_dump")
    }
}
