//! The command line against a real `expertnet-node serve` process: the whole workflow on SQLite and on
//! PostgreSQL, bad input with non-zero exits naming the field, configuration errors naming the key, and a
//! clean stop on SIGTERM.

use expertnet_tests::TestDb;
use expertnet_tests::process::NodeProcess;
use serde_json::Value;

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {value}"))
        .to_owned()
}

fn submit_args() -> Vec<&'static str> {
    vec![
        "case",
        "submit",
        "--request-id",
        "walk-1",
        "--referrer",
        "Sociaal team Houten",
        "--referrer-kind",
        "social_team",
        "--name",
        "Walk Through",
        "--bsn",
        "111222333",
        "--age",
        "15",
        "--municipality",
        "Houten",
        "--question",
        "Geen passende plek",
        "--tried",
        "Ambulante hulp",
        "--category",
        "residential_outflow",
        "--category",
        "school_absence",
    ]
}

/// The README's walk-through, step by step.
fn walk_through(node: &NodeProcess) {
    let case = node.json(&submit_args());
    let id = text(&case, "id");
    assert_eq!(text(&case, "state"), "CASE_STATE_SUBMITTED");
    let again = node.json(&submit_args());
    assert_eq!(
        text(&again, "id"),
        id,
        "a retried submit returns the same case"
    );
    node.json(&["case", "intake", &id]);
    let accepted = node.json(&["case", "accept", &id]);
    assert_eq!(accepted["intake_accepted"], Value::Bool(true));
    let session = node.json(&[
        "session",
        "create",
        "--date",
        "2099-03-10",
        "--start",
        "13:30",
        "--location",
        "Stadshuis",
        "--chair",
        "Ilse",
    ]);
    let session_id = text(&session, "id");
    assert_eq!(session["duration_minutes"], 120);
    node.json(&["session", "agenda-add", &session_id, &id]);
    node.json(&[
        "session",
        "attendance",
        &session_id,
        &id,
        "--attendee",
        "youth",
        "--attendee",
        "parent",
        "--attendee",
        "provider:Accare",
        "--attendee",
        "compulsory_education_officer:Leerplicht Houten",
        "--youth-present",
        "--parents-present",
    ]);
    let discussed = node.json(&[
        "case",
        "discuss",
        &id,
        "--session",
        &session_id,
        "--next-step",
        "Accare start een maatwerktraject",
        "--commitment",
        "provider=Accare; due=2099-04-01; what=Maatwerktraject; authority=yes",
    ]);
    assert_eq!(text(&discussed, "state"), "CASE_STATE_DISCUSSED");
    node.json(&[
        "case",
        "procesregisseur",
        &id,
        "--name",
        "P. Regisseur",
        "--organisation",
        "RET",
    ]);
    node.json(&[
        "case",
        "case-manager",
        &id,
        "--arrangement",
        "verblijf",
        "--name",
        "C. Manager",
        "--organisation",
        "Accare",
    ]);
    node.json(&["case", "plan", &id]);
    let task = node.json(&[
        "case",
        "task",
        "add",
        &id,
        "--what",
        "Schoolplan",
        "--owner",
        "Leerplicht",
        "--due",
        "2099-03-20",
    ]);
    node.json(&[
        "case",
        "task",
        "update",
        &text(&task, "id"),
        "--status",
        "done",
    ]);
    node.json(&["case", "note", &id, "--text", "Eerste week goed verlopen"]);
    let overdue = node.json(&["overdue", "--as-of", "2099-12-31"]);
    assert_eq!(overdue["commitments"].as_array().unwrap().len(), 1);
    let closed = node.json(&[
        "case",
        "close",
        &id,
        "--outcome",
        "solved",
        "--note",
        "Plek gevonden",
    ]);
    assert_eq!(text(&closed, "state"), "CASE_STATE_CLOSED");
    assert_eq!(text(&closed, "outcome"), "OUTCOME_SOLVED");
    let detail = node.json(&["case", "show", &id]);
    let actions: Vec<String> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| text(h, "action"))
        .collect();
    assert_eq!(
        actions,
        [
            "submit",
            "start_intake",
            "accept",
            "schedule",
            "record_attendance",
            "record_discussion",
            "appoint_procesregisseur",
            "assign_case_manager",
            "start_plan",
            "add_task",
            "update_task",
            "add_progress_note",
            "close",
        ]
    );
    let closed_list = node.json(&["case", "list", "--state", "closed"]);
    assert_eq!(closed_list["cases"].as_array().unwrap().len(), 1);
    let identity = node.json(&["case", "identity", &id]);
    assert_eq!(text(&identity, "bsn"), "111222333");
    let asked = node.json(&[
        "consult",
        "ask",
        "--asker",
        "parent",
        "--question",
        "Waar kunnen we terecht?",
        "--tag",
        "lvb",
    ]);
    let answered = node.json(&[
        "consult",
        "answer",
        &text(&asked, "id"),
        "--expert",
        "RET",
        "--answer",
        "Bel het RET",
    ]);
    assert_eq!(text(&answered, "status"), "CONSULTATION_STATUS_ANSWERED");

    // Human output: a table, and no identifiers in lists.
    let listing = node.cli(&["case", "list"]);
    assert!(listing.status.success());
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.contains(&id) && listing.contains("closed"));
    assert!(!listing.contains("Walk Through") && !listing.contains("111222333"));
}

#[tokio::test]
async fn walk_through_on_sqlite() {
    let db = TestDb::sqlite();
    let node = NodeProcess::start(&db.url, &[]);
    walk_through(&node);
    assert!(node.terminate().success());
}

#[tokio::test]
async fn walk_through_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let node = NodeProcess::start(&db.url, &[]);
    walk_through(&node);
    assert!(node.terminate().success());
    db.remove().await;
}

/// `--youth-stdin` keeps the identifiers out of the process list; bad JSON is refused without echoing it.
#[tokio::test]
async fn youth_identifiers_can_come_from_stdin() {
    let db = TestDb::sqlite();
    let node = NodeProcess::start(&db.url, &[]);
    let args = [
        "--json",
        "case",
        "submit",
        "--referrer",
        "Team",
        "--referrer-kind",
        "social_team",
        "--youth-stdin",
        "--age",
        "12",
        "--municipality",
        "Lopik",
        "--question",
        "Vraag",
        "--tried",
        "Niets",
        "--category",
        "waiting_list",
    ];
    let output = node.cli_with_stdin(
        &args,
        r#"{"name": "Stdin Kind", "bsn": "111222333", "date_of_birth": "2014-01-02"}"#,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let case: Value = serde_json::from_slice(&output.stdout).unwrap();
    let identity = node.json(&["case", "identity", &text(&case, "id")]);
    assert_eq!(text(&identity, "name"), "Stdin Kind");
    assert_eq!(text(&identity, "date_of_birth"), "2014-01-02");

    let refused = node.cli_with_stdin(&args, r#"{"name": "X", "bsn": 987654321}"#);
    assert_eq!(refused.status.code(), Some(1));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("--youth-stdin"), "{message}");
    assert!(
        !message.contains("987654321"),
        "the value is not echoed: {message}"
    );

    let both = node.cli_with_stdin(&[&args[..], &["--name", "Y"]].concat(), "{}");
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("--name"));

    let list = node.json(&["case", "list"]);
    assert_eq!(list["cases"].as_array().map_or(0, Vec::len), 1, "{list}");
    assert!(node.terminate().success());
}

#[tokio::test]
async fn bad_input_exits_non_zero_naming_the_field() {
    let db = TestDb::sqlite();
    let node = NodeProcess::start(&db.url, &[]);
    let submit = |bsn: &str, category: &str| {
        node.cli(&[
            "case",
            "submit",
            "--referrer",
            "Team",
            "--referrer-kind",
            "social_team",
            "--name",
            "X",
            "--bsn",
            bsn,
            "--age",
            "12",
            "--municipality",
            "Lopik",
            "--question",
            "Vraag",
            "--tried",
            "Niets",
            "--category",
            category,
        ])
    };
    let wrong_bsn = submit("123456789", "waiting_list");
    assert_eq!(wrong_bsn.status.code(), Some(1));
    let message = String::from_utf8_lossy(&wrong_bsn.stderr);
    assert!(
        message.contains("youth.bsn") && message.contains("InvalidArgument"),
        "{message}"
    );
    assert!(
        !message.contains("123456789"),
        "the refused BSN is not echoed: {message}"
    );

    let unknown_category = submit("111222333", "homesick");
    assert_eq!(unknown_category.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_category.stderr).contains("--category"));

    let bad_commitment = node.cli(&[
        "case",
        "discuss",
        "0190f2a4-5b6c-7d8e-9f00-112233445566",
        "--session",
        "0190f2a4-5b6c-7d8e-9f00-112233445566",
        "--next-step",
        "x",
        "--commitment",
        "provider=A; when=tomorrow",
    ]);
    assert_eq!(bad_commitment.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_commitment.stderr).contains("--commitment[0]"));

    let unknown_case = node.cli(&["case", "show", "0190f2a4-5b6c-7d8e-9f00-112233445566"]);
    assert_eq!(unknown_case.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown_case.stderr).contains("NotFound"));

    let list = node.json(&["case", "list"]);
    assert!(
        list["cases"].as_array().is_none_or(|c| c.is_empty()),
        "nothing was written: {list}"
    );
    assert!(node.terminate().success());
}

#[test]
fn unreachable_node_is_reported() {
    let output = std::process::Command::new(expertnet_tests::node_binary())
        .args([
            "--node",
            "http://127.0.0.1:1",
            "--actor",
            "x",
            "case",
            "list",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot reach the node"));
}

/// Runs the binary under `timeout`, so a configuration wrongly accepted fails the test instead of serving on.
fn run_limited(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let binary = expertnet_tests::node_binary();
    let mut command = std::process::Command::new("timeout");
    command.arg("20").arg(binary).args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn configuration_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        "region = \"lekstroom\"\n[server]\nlisten = \"not an address\"\n",
    )
    .unwrap();
    let output = run_limited(&["serve", "--config", config.to_str().unwrap()], &[]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("server.listen"), "{message}");

    std::fs::write(&config, "[database]\nurl = \"sqlite://x.db\"\npool = 3\n").unwrap();
    let output = run_limited(&["serve", "--config", config.to_str().unwrap()], &[]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("pool"));

    let output = run_limited(&["serve"], &[("EXPERTNET_DATABASE__MAX_CONNECTIONS", "0")]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("database.max_connections"));

    let output = run_limited(&["serve"], &[("EXPERTNET_RETENTION__AUDIT_YEARS", "2")]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("retention.audit_years: 2 is not between 5"),
        "{message}"
    );
}

#[test]
fn seed_fills_a_node_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("seeded.db").display());
    let output = std::process::Command::new(expertnet_tests::node_binary())
        .args([
            "seed",
            "--count",
            "2500",
            "--seed",
            "9",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrote 2500 synthetic cases"));
    let node = NodeProcess::start(&url, &[]);
    let closed = node.json(&["case", "list", "--state", "closed", "--page-size", "500"]);
    assert!(closed["cases"].as_array().unwrap().len() > 100);
    let page = node.json(&["case", "list", "--page-size", "500"]);
    assert!(!text(&page, "next_page_token").is_empty());
    assert!(node.terminate().success());
}

/// Runs the binary with `args` and `env`, nothing else from this test's environment that matters.
fn run_with(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(expertnet_tests::node_binary());
    command.args(args).env_remove("EXPERTNET_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// The operator's `user` commands and the auditor's `audit` commands, end to end through the real binary.
#[tokio::test]
async fn users_tokens_and_the_audit_trail_from_the_command_line() {
    let db = TestDb::sqlite();
    let node = NodeProcess::start(&db.url, &[]);
    let database = ["--database-url", db.url.as_str()];
    let added = run_with(
        &[
            &[
                "user",
                "add",
                "a.auditor",
                "--organisation",
                "Inspectie",
                "--role",
                "auditor",
            ][..],
            &database,
        ]
        .concat(),
        &[],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let auditor_token = String::from_utf8(added.stdout).unwrap().trim().to_owned();
    assert!(
        auditor_token.starts_with("exn_"),
        "only the token goes to stdout"
    );
    assert!(String::from_utf8_lossy(&added.stderr).contains("shown only now"));

    for (args, field) in [
        (
            vec![
                "user",
                "add",
                "a.auditor",
                "--organisation",
                "X",
                "--role",
                "auditor",
            ],
            "name: a user named 'a.auditor' exists already",
        ),
        (
            vec![
                "user",
                "add",
                "bad name",
                "--organisation",
                "X",
                "--role",
                "chair",
            ],
            "name: must be 1-64",
        ),
        (
            vec![
                "user",
                "add",
                "b.jansen",
                "--organisation",
                "X",
                "--role",
                "janitor",
            ],
            "--role",
        ),
        (
            vec![
                "user",
                "add",
                "b.jansen",
                "--organisation",
                "X",
                "--role",
                "chair",
                "--valid-days",
                "0",
            ],
            "valid_days:",
        ),
        (
            vec!["user", "revoke", "nobody"],
            "active user nobody not found",
        ),
    ] {
        let output = run_with(&[&args[..], &database].concat(), &[]);
        assert!(!output.status.success(), "{args:?}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(field), "{args:?}: {message}");
    }

    let case = node.json(&submit_args());
    let id = text(&case, "id");
    let as_auditor = [("EXPERTNET_TOKEN", auditor_token.as_str())];
    let node_arg = ["--node", node.url.as_str()];

    let verify = run_with(&[&node_arg[..], &["audit", "verify"]].concat(), &as_auditor);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).starts_with("intact: "));

    let report = run_with(
        &[&node_arg[..], &["--json", "audit", "access-report", &id]].concat(),
        &as_auditor,
    );
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(
        report["accesses"][0]["purpose"],
        "registering the case at the expert table"
    );

    let export = run_with(&[&node_arg[..], &["audit", "export"]].concat(), &as_auditor);
    assert!(export.status.success());
    let lines: Vec<Value> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|e| e["action"] == "user add" && e["on_behalf_of"] == "a.auditor")
    );
    assert!(
        lines
            .iter()
            .any(|e| e["action"] == "CaseService/SubmitCase" && e["case_id"] == id.as_str())
    );

    let case_read = run_with(
        &[&node_arg[..], &["case", "show", &id]].concat(),
        &as_auditor,
    );
    assert!(!case_read.status.success());
    assert!(String::from_utf8_lossy(&case_read.stderr).contains("PermissionDenied"));

    let anonymous = run_with(&[&node_arg[..], &["audit", "verify"]].concat(), &[]);
    assert!(!anonymous.status.success());
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("EXPERTNET_TOKEN"));

    let revoked = run_with(
        &[&["user", "revoke", "a.auditor"][..], &database].concat(),
        &[],
    );
    assert!(revoked.status.success());
    let after = run_with(&[&node_arg[..], &["audit", "verify"]].concat(), &as_auditor);
    assert!(String::from_utf8_lossy(&after.stderr).contains("Unauthenticated"));

    let listed = run_with(&[&["user", "list"][..], &database].concat(), &[]);
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.contains("a.auditor") && listed.contains("Inspectie"),
        "{listed}"
    );
    assert!(node.terminate().success());
}
