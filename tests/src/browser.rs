//! A real browser for the board's tests: Debian's headless Chromium driven over WebDriver (chromedriver on a
//! port of its own), with axe-core injected into pages to check their accessibility. Outside CI a machine
//! without chromedriver skips the browser tests; in CI they may not be skipped.

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// axe-core 4.14.1 (MPL-2.0, `tests/assets/LICENSE-axe-core`), from the npm package.
const AXE: &str = include_str!("../assets/axe.min.js");

/// What a test types into the board's submission form.
#[derive(Debug, Clone, Copy)]
pub struct CaseForm<'a> {
    pub organisation: &'a str,
    pub name: &'a str,
    pub age: &'a str,
    pub municipality: &'a str,
    pub question: &'a str,
    pub tried: &'a str,
    /// The bottleneck category's value, e.g. `school_absence`.
    pub category: &'a str,
}

/// The code an authenticator app holding `secret` (as the enrolment page shows it) displays at `node_ms`.
pub fn totp_code(secret: &str, node_ms: i64) -> String {
    expertnet_web::second_factor::TotpSecret::from_base32(&secret.replace(' ', ""))
        .code_at((node_ms / 1000) as u64)
}

/// A browser session; the browser and its driver end with it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Browser")
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, or `None` (outside CI) when they are not installed.
    pub async fn start() -> Option<Browser> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var("CI").is_err(),
                "{CHROMEDRIVER} is missing: CI installs chromium and chromium-driver"
            );
            eprintln!("skipping a browser test: {CHROMEDRIVER} is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("browser profile folder");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("acceptInsecureCerts".into(), json!(true));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(err) => {
                    last_error = Some(err.to_string());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("chromedriver did not start a browser: {last_error:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("open page");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear field");
        field.send_keys(text).await.expect("type into field");
    }

    /// Clicks an element as a person would; when chromedriver reports the click as intercepted (it misjudges
    /// where elements low on these long pages are), the element's own click is used.
    pub async fn click(&self, css: &str) {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        if element.click().await.is_err() {
            self.client
                .execute(
                    "arguments[0].click();",
                    vec![serde_json::to_value(&element).expect("element")],
                )
                .await
                .expect("click");
        }
    }

    /// The text of the element matching `css`, waiting (up to 30 s: a sign-in's deliberate password hash is slow
    /// on a loaded machine) for it to appear; read again when the page was replaced between finding the element
    /// and reading it (a form's answer arriving).
    pub async fn text(&self, css: &str) -> String {
        let mut last_error = None;
        for _ in 0..20 {
            let element = self
                .client
                .wait()
                .at_most(Duration::from_secs(30))
                .for_element(Locator::Css(css))
                .await
                .expect(css);
            match element.text().await {
                Ok(text) => return text,
                Err(err) => last_error = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: {last_error:?}");
    }

    /// The value of `attribute` on the first element matching `css` (empty when it has none).
    pub async fn attribute(&self, css: &str, attribute: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element
            .attr(attribute)
            .await
            .expect("read attribute")
            .unwrap_or_default()
    }

    /// Chooses the option with `value` in the select field matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field
            .select_by_value(value)
            .await
            .expect("choose an option");
    }

    /// The current value of the form field matching `css` (what is chosen or typed, not its first value).
    pub async fn value(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await.expect(css);
        element
            .prop("value")
            .await
            .expect("read value")
            .unwrap_or_default()
    }

    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find")
            .is_empty()
    }

    /// Waits (up to 10 s) until the page has no element matching `css`: a form's answer may still be loading.
    pub async fn wait_gone(&self, css: &str) -> bool {
        for _ in 0..100 {
            if !self.exists(css).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Waits (up to 10 s) until the element matching `css` shows `text`; returns what it shows last.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let mut shown = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                shown = element.text().await.unwrap_or_default();
                if shown == text {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shown
    }

    /// Waits (up to 10 s) until the browser is at `path`; returns where it is last.
    pub async fn wait_path(&self, path: &str) -> String {
        let mut at = String::new();
        for _ in 0..100 {
            at = self.path().await;
            if at == path {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        at
    }

    /// Waits (up to 10 s) until the browser's path starts with `prefix`.
    pub async fn wait_path_prefix(&self, prefix: &str) -> bool {
        for _ in 0..100 {
            if self.path().await.starts_with(prefix) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// The whole address the browser is at.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("url").to_string()
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }

    /// Fills in the board's sign-in form and sends it.
    pub async fn sign_in(&self, board: &str, name: &str, password: &str) {
        self.goto(&format!("{board}/aanmelden")).await;
        self.fill("#naam", name).await;
        self.fill("#wachtwoord", password).await;
        self.click("button[type=submit]").await;
    }

    /// Signs in a person who still has to set up their second factor, taking the secret from the page and
    /// answering with the code an authenticator app shows at `node_ms` (the node's clock); lands on Mijn werk.
    pub async fn sign_in_enrolling(&self, board: &str, name: &str, password: &str, node_ms: i64) {
        self.sign_in_enrolling_to(board, name, password, node_ms, "/werk")
            .await;
    }

    /// [`Browser::sign_in_enrolling`] on a site whose first page after signing in is `landing` (the
    /// coordinators' dashboard lands on `/netwerk`).
    pub async fn sign_in_enrolling_to(
        &self,
        site: &str,
        name: &str,
        password: &str,
        now_ms: i64,
        landing: &str,
    ) {
        self.sign_in(site, name, password).await;
        let secret = self.text("#sleutel").await;
        self.fill("#code", &totp_code(&secret, now_ms)).await;
        self.click("button[type=submit]").await;
        assert_eq!(self.wait_path(landing).await, landing);
    }

    /// What `url` (on the page's own site, with its cookies) answers: its status and its text, fetched by the
    /// page's script as a download link would be.
    pub async fn fetch(&self, url: &str) -> (u16, String) {
        let answer = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0], { credentials: 'same-origin' })
                   .then(r => r.text().then(t => done([r.status, t])))
                   .catch(e => done([0, String(e)]));",
                vec![serde_json::Value::String(url.to_owned())],
            )
            .await
            .expect("fetch from the page");
        serde_json::from_value(answer).expect("status and text")
    }

    /// Submits a case on the board's form and returns its id, from the case page the board then shows.
    pub async fn submit_case(&self, board: &str, form: CaseForm<'_>) -> String {
        self.goto(&format!("{board}/casussen/nieuw")).await;
        self.fill("#organisatie", form.organisation).await;
        self.fill("#naam", form.name).await;
        self.fill("#leeftijd", form.age).await;
        self.fill("#gemeente", form.municipality).await;
        self.fill("#vraag", form.question).await;
        self.fill("#geprobeerd", form.tried).await;
        self.click(&format!("label[for=knelpunt-{}]", form.category))
            .await;
        self.click("form[action='/casussen/nieuw'] button[type=submit]")
            .await;
        assert_eq!(self.wait_text("#status", "aangemeld").await, "aangemeld");
        self.path()
            .await
            .trim_start_matches("/casussen/")
            .to_owned()
    }

    /// On a submitted case's page: starts the intake and accepts the case.
    pub async fn take_in(&self) {
        self.click("form[action$='/intake'] button").await;
        assert_eq!(self.wait_text("#status", "in intake").await, "in intake");
        self.click("form[action$='/aannemen'] button").await;
        assert!(self.wait_gone("form[action$='/aannemen']").await);
    }

    /// Waits (up to 30 s, without reloading) until `css` shows `text`: brought by the page's own script, or by the
    /// page a form's answer loads.
    pub async fn live_text(&self, css: &str, text: &str) -> String {
        let mut shown = String::new();
        for _ in 0..300 {
            shown = self.text(css).await;
            if shown.contains(text) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shown
    }

    /// Runs axe-core on the page and fails on any serious or critical violation, naming them.
    pub async fn assert_accessible(&self, page: &str) {
        self.client
            .execute(AXE, vec![])
            .await
            .expect("inject axe-core");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
                   .then(r => done(r.violations
                     .filter(v => v.impact === 'serious' || v.impact === 'critical')
                     .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.length + 'x: '
                        + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ') + ')')))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("run axe-core");
        let violations: Vec<String> = serde_json::from_value(result).expect("axe's answer");
        assert!(violations.is_empty(), "{page}: {violations:#?}");
    }

    /// Saves a screenshot of the page as `docs/screens/<name>.png`, for the README.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screens");
        std::fs::create_dir_all(&dir).expect("docs/screens");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
