//! The real `expertnet-node` binary as a child process: a serving node and one-shot CLI calls against it.

use crate::node_binary;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `expertnet-node serve` process; killed when dropped.
#[derive(Debug)]
pub struct NodeProcess {
    pub child: Child,
    /// Holds the node's keyring until the process is gone.
    _keyring: tempfile::TempDir,
    pub url: String,
    pub log: mpsc::Receiver<String>,
    /// The API token of the test user, who holds every role; the CLI calls use it.
    pub token: String,
}

/// Adds a user holding every role through the real `user add` command (with `args` naming the database and
/// `env` the keyring, as `serve` gets them); returns the token it printed.
pub fn add_test_user(args: &[&str], env: &[(&str, &std::path::Path)]) -> String {
    let mut command = Command::new(node_binary());
    command.args([
        "user",
        "add",
        crate::TEST_USER,
        "--organisation",
        "Test organisation",
    ]);
    for role in expertnet_node::domain::people::Role::ALL {
        command.args(["--role", role.as_str()]);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .args(args)
        .output()
        .expect("run expertnet-node user add");
    assert!(
        output.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("token is text")
        .trim()
        .to_owned()
}

/// Writes `count` synthetic cases into the database of the node configured in `config` (`expertnet-node seed`).
pub fn seed_cases(config: &str, count: u32) {
    let output = Command::new(node_binary())
        .args(["seed", "--config", config, "--count", &count.to_string()])
        .output()
        .expect("run expertnet-node seed");
    assert!(
        output.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl NodeProcess {
    /// Starts `serve` on port 0 with the given extra arguments and waits until it logs its address.
    pub fn start(database_url: &str, extra: &[&str]) -> NodeProcess {
        let keyring = tempfile::tempdir().expect("a folder for the keyring");
        let keyring_file = keyring.path().join("identity-keys.toml");
        let mut env: Vec<(&str, &std::path::Path)> = Vec::new();
        if database_url.starts_with("postgres") {
            // A node on PostgreSQL names its keyring; one on SQLite keeps it beside the database file.
            env.push(("EXPERTNET_IDENTITY__KEYRING", &keyring_file));
        }
        let token = add_test_user(&["--database-url", database_url], &env);
        let mut command = Command::new(node_binary());
        for (key, value) in &env {
            command.env(key, value);
        }
        let mut child = command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args(extra)
            // The web board on a port of its own too, so that processes of parallel tests do not meet.
            .env("EXPERTNET_WEB__LISTEN", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start expertnet-node serve");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            let Ok(line) = log.recv_timeout(Duration::from_secs(30)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("node did not start; log so far: {seen:?}");
            };
            if let Some(rest) = line.split("listen=").nth(1) {
                let addr = rest.split_whitespace().next().expect("address").to_owned();
                return NodeProcess {
                    child,
                    _keyring: keyring,
                    url: format!("http://{addr}"),
                    log,
                    token,
                };
            }
            seen.push(line);
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "node did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every log line so far.
    pub fn drain_log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }

    /// Runs a client command against this node.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(node_binary())
            .args(["--node", &self.url, "--actor", "cli-test"])
            .args(args)
            .env("EXPERTNET_TOKEN", &self.token)
            .output()
            .expect("run expertnet-node")
    }

    /// Runs a client command with `stdin` as its standard input.
    pub fn cli_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(node_binary())
            .args(["--node", &self.url, "--actor", "cli-test"])
            .args(args)
            .env("EXPERTNET_TOKEN", &self.token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run expertnet-node");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait for expertnet-node")
    }

    /// Runs a client command with `--json`, requires success and parses the reply.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let output = self.cli(&[&["--json"], args].concat());
        assert!(
            output.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON reply")
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
