//! The one fixture of the integration tests: a [`Workspace`] (a temporary folder with a
//! corpus and an index) that runs the real `k2search` binary and hands back the
//! library's typed values, and the [`Server`] it starts. Also the team's shared data and
//! the embedding model, which some tests read when they are there.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use k2search::eval::EvalReport;
use k2search::passage::Passage;
use k2search::search::SearchResponse;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The repository: the bundled corpus, `tests/fixtures/`, `deploy/`, `web/`.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The index of the bundled seed articles (read in place), built once and shared by
/// every test that only reads it.
pub fn seed_index() -> &'static Workspace {
    static SEEDS: std::sync::OnceLock<Workspace> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let ws = Workspace::reading(Path::new(ROOT).join("corpus")).removed_at_exit();
        ws.index(&["--quiet"]);
        ws
    })
}

/// The fields of a passage in JSON (`passages --json`, `export`, and inline in every
/// search hit): the documented contract, each always present.
pub const PASSAGE_FIELDS: [&str; 13] = [
    "id",
    "path",
    "title",
    "headings",
    "kind",
    "category",
    "line_start",
    "line_end",
    "byte_start",
    "byte_end",
    "text",
    "aliases",
    "metadata",
];

/// The fields a passage of a PDF adds to [`PASSAGE_FIELDS`] (absent for other formats).
pub const PDF_PAGE_FIELDS: [&str; 2] = ["page_start", "page_end"];

/// Longest any one command may take before a test calls it hung (an index of MedQuAD
/// in a debug build takes about a minute).
const HANG_GUARD: Duration = Duration::from_secs(300);

/// A temporary folder holding a corpus and an index (`index/`), where the tests run
/// the real binary. Removed when dropped.
pub struct Workspace {
    dir: tempfile::TempDir,
    corpus: PathBuf,
}

impl Workspace {
    /// An empty workspace: `corpus/` is made by the first [`write`](Self::write).
    pub fn empty() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let corpus = dir.path().join("corpus");
        Workspace { dir, corpus }
    }

    /// A workspace whose `corpus/` is a copy of the bundled seed articles.
    pub fn seeds() -> Workspace {
        let ws = Workspace::empty();
        for entry in fs::read_dir(Path::new(ROOT).join("corpus")).expect("corpus/") {
            let entry = entry.expect("corpus/ entry");
            ws.write(entry.file_name(), fs::read(entry.path()).expect("seed"));
        }
        ws
    }

    /// A workspace over a corpus read in place (`tests/fixtures/…`, the shared MedQuAD
    /// folder), never written to; the index is in the workspace.
    pub fn reading(corpus: impl Into<PathBuf>) -> Workspace {
        Workspace {
            corpus: corpus.into(),
            ..Workspace::empty()
        }
    }

    /// Marks a workspace a `static` holds (an index several tests share, built once)
    /// to be removed when the test binary exits: statics are never dropped.
    pub fn removed_at_exit(self) -> Workspace {
        static REGISTERED: std::sync::Once = std::sync::Once::new();
        #[cfg(unix)]
        // SAFETY: atexit only stores the pointer of a function that takes nothing.
        REGISTERED.call_once(|| unsafe {
            libc::atexit(remove_static_workspaces);
        });
        STATIC_WORKSPACES
            .lock()
            .expect("workspace list")
            .push(self.path().to_path_buf());
        self
    }

    /// The workspace folder, where commands run.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The corpus folder: `corpus/` of the workspace, or the one read in place.
    pub fn corpus(&self) -> &Path {
        &self.corpus
    }

    /// The index folder, `index/` of the workspace (the default index of a command
    /// run as typed there).
    pub fn index_dir(&self) -> PathBuf {
        self.path().join("index")
    }

    /// Writes a corpus file (folders made as needed) and returns its path.
    pub fn write(&self, rel: impl AsRef<Path>, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.corpus.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, bytes).expect("write corpus file");
        path
    }

    /// `k2search` in the workspace folder, without colour and without the environment's
    /// model (`K2SEARCH_MODEL` would make every index run embed).
    pub fn command(&self) -> Command {
        self.isolated(assert_cmd::cargo::cargo_bin("k2search"))
    }

    /// `program` in the workspace folder with the environment of every run here: no
    /// colour, no model from the environment (for wrappers such as `setpriv`, `sh`).
    fn isolated(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("K2SEARCH_MODEL")
            .env_remove("K2SEARCH_RERANKER");
        cmd
    }

    /// `k2search SUBCOMMAND --corpus C --index I REST…`: the workspace's folders given
    /// as flags, so none of the default index's conveniences (built on the first query,
    /// rebuilt when it is from another version) applies.
    fn command_on(&self, args: &[&str]) -> Command {
        let (subcommand, rest) = args.split_first().expect("a subcommand");
        let mut cmd = self.command();
        cmd.arg(subcommand)
            .arg("--corpus")
            .arg(&self.corpus)
            .arg("--index")
            .arg(self.index_dir())
            .args(rest);
        cmd
    }

    /// Runs `args` on the workspace's corpus and index (see [`Self::command_on`]).
    pub fn run(&self, args: &[&str]) -> Output {
        output_within(self.command_on(args), HANG_GUARD)
    }

    /// Runs `args` as [`Self::run`] does, but with the file permission checks root
    /// skips: under `setpriv`, without the capabilities that override them. `None`
    /// when `setpriv` cannot drop them here.
    pub fn run_without_dac_override(&self, args: &[&str]) -> Option<Output> {
        let drop_caps = "--bounding-set=-dac_override,-dac_read_search";
        let usable = Command::new("setpriv")
            .args([drop_caps, "true"])
            .output()
            .is_ok_and(|out| out.status.success());
        if !usable {
            return None;
        }
        let plain = self.command_on(args);
        let mut cmd = self.isolated("setpriv");
        cmd.args([drop_caps, "--"])
            .arg(plain.get_program())
            .args(plain.get_args());
        Some(output_within(cmd, HANG_GUARD))
    }

    /// Runs `args` as [`Self::run`] does, under `/usr/bin/time`: the output, and the
    /// run's peak resident memory in KiB.
    pub fn run_measured(&self, args: &[&str]) -> (Output, u64) {
        const MARK: &str = "k2search-test-peak-rss-kib ";
        let plain = self.command_on(args);
        let mut cmd = self.isolated("/usr/bin/time");
        cmd.args(["-f", &format!("{MARK}%M"), "--"])
            .arg(plain.get_program())
            .args(plain.get_args());
        let mut out = output_within(cmd, HANG_GUARD);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let (rest, peak) = err.rsplit_once(MARK).expect("/usr/bin/time's report");
        out.stderr = rest.as_bytes().to_vec();
        (out, peak.trim().parse().expect("peak RSS in KiB"))
    }

    /// Runs `args` as a user types them in the workspace folder: the default corpus
    /// (`corpus/`) and index (`index/`) unless the args name others.
    pub fn run_as_typed(&self, args: &[&str]) -> Output {
        let mut cmd = self.command();
        cmd.args(args);
        output_within(cmd, HANG_GUARD)
    }

    /// Runs `args` as [`Self::run`] does, with the environment variable `name` set to
    /// `value`.
    pub fn run_with_env(&self, (name, value): (&str, &str), args: &[&str]) -> Output {
        let mut cmd = self.command_on(args);
        cmd.env(name, value);
        output_within(cmd, HANG_GUARD)
    }

    /// Runs `args` (as [`Self::run`]); panics unless it succeeds; returns its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out);
        stdout(&out)
    }

    /// `k2search index EXTRA…`, which must succeed.
    #[track_caller]
    pub fn index(&self, extra: &[&str]) -> Output {
        let out = self.run(&[&["index"], extra].concat());
        assert_success(&out);
        out
    }

    /// `k2search query --json ARGS…`, which must succeed.
    #[track_caller]
    pub fn query(&self, args: &[&str]) -> SearchResponse {
        parsed(&self.run(&[&["query", "--json"], args].concat()))
    }

    /// Every passage of the index, in index order (`k2search passages --json`).
    #[track_caller]
    pub fn passages(&self) -> Vec<Passage> {
        ndjson(&self.run(&["passages", "--json"]))
    }

    /// `k2search eval --json ARGS…`, which must succeed.
    #[track_caller]
    pub fn eval(&self, args: &[&str]) -> EvalReport {
        parsed(&self.run(&[&["eval", "--json"], args].concat()))
    }

    /// Starts `k2search index EXTRA…` and returns at once.
    pub fn spawn_index(&self, extra: &[&str]) -> Child {
        self.command_on(&[&["index"], extra].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn k2search index")
    }

    /// Starts `k2search index EXTRA…` and stops it (SIGSTOP) part-way through: once it
    /// holds the index's writer lock, before its commit, and holding no lock a reader
    /// of the index waits on. All three are checked while it is stopped, so the state
    /// the caller sees is certain. Panics if the run commits or ends before it can be
    /// caught that way (give it a bigger corpus).
    #[cfg(target_os = "linux")]
    pub fn freeze_index_run(&self, extra: &[&str]) -> FrozenRun {
        let committed = last_commit(&self.index_dir());
        let mut run = FrozenRun {
            child: Some(self.spawn_index(extra)),
        };
        let pid = run.pid();
        loop {
            if holds_file(pid, WRITER_LOCK) {
                signal(pid, libc::SIGSTOP);
                wait_until_stopped(pid);
                let mid_run = holds_file(pid, WRITER_LOCK)
                    && !holds_file(pid, META_LOCK)
                    && last_commit(&self.index_dir()) == committed;
                if mid_run {
                    return run;
                }
                signal(pid, libc::SIGCONT);
            }
            assert_eq!(
                last_commit(&self.index_dir()),
                committed,
                "the index run committed before it could be stopped mid-run"
            );
            let child = run.child.as_mut().expect("child");
            if let Some(status) = child.try_wait().expect("wait") {
                panic!("the index run ended ({status}) before it could be stopped mid-run");
            }
        }
    }

    /// Starts `k2search serve EXTRA…` on a free loopback port over the workspace's index.
    pub fn serve(&self, extra: &[&str]) -> Server {
        self.serve_by(self.command(), extra)
    }

    /// [`Self::serve`] with the server's open-file limit at `files` (soft and hard).
    pub fn serve_with_open_files(&self, files: u32, extra: &[&str]) -> Server {
        let mut shell = self.isolated("sh");
        shell
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$0\" \"$@\""))
            .arg(assert_cmd::cargo::cargo_bin("k2search"));
        self.serve_by(shell, extra)
    }

    /// The server prints its URL on stdout; its log goes to a file of the workspace.
    fn serve_by(&self, mut command: Command, extra: &[&str]) -> Server {
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, Ordering::Relaxed);
        let log = self.path().join(format!("serve-{n}.log"));
        let mut child = command
            .args(["serve", "--addr", "127.0.0.1:0", "--index"])
            .arg(self.index_dir())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn k2search serve");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("URL line");
        let base = match line.find("http://") {
            Some(at) => line[at..].trim().trim_end_matches('/').to_string(),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "no URL on stdout: {line:?}; stderr: {}",
                    fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Server {
            child,
            base,
            log,
            agent: agent(Duration::from_secs(30)),
        }
    }
}

/// The folders of the workspaces [`Workspace::removed_at_exit`] marked.
static STATIC_WORKSPACES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

#[cfg(unix)]
extern "C" fn remove_static_workspaces() {
    if let Ok(folders) = STATIC_WORKSPACES.lock() {
        for folder in folders.iter() {
            let _ = fs::remove_dir_all(folder);
        }
    }
}

/// The writer lock a Tantivy index writer holds for its whole run.
#[cfg(target_os = "linux")]
const WRITER_LOCK: &str = ".tantivy-writer.lock";
/// The lock a reader of the index takes to open it; a writer holds it for moments.
#[cfg(target_os = "linux")]
const META_LOCK: &str = ".tantivy-meta.lock";

/// An index run stopped part-way (see [`Workspace::freeze_index_run`]). Killed if
/// dropped without [`resume`](Self::resume) or [`kill`](Self::kill).
#[cfg(target_os = "linux")]
pub struct FrozenRun {
    child: Option<Child>,
}

#[cfg(target_os = "linux")]
impl FrozenRun {
    fn pid(&self) -> i32 {
        let child = self.child.as_ref().expect("a running child");
        i32::try_from(child.id()).expect("pid")
    }

    /// Lets the run go on (SIGCONT) and returns it, running.
    pub fn resume(mut self) -> Child {
        signal(self.pid(), libc::SIGCONT);
        self.child.take().expect("child")
    }

    /// Lets the run go on to its end; returns its output.
    pub fn finish(self) -> Output {
        wait_within(self.resume(), HANG_GUARD)
    }

    /// Kills the run where it stands: SIGKILL, as `kill -9` does.
    pub fn kill(mut self) {
        let mut child = self.child.take().expect("child");
        child.kill().expect("kill -9");
        child.wait().expect("reap");
    }
}

#[cfg(target_os = "linux")]
impl Drop for FrozenRun {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(target_os = "linux")]
fn signal(pid: i32, signal: libc::c_int) {
    // SAFETY: kill(2) only sends a signal; `pid` is a child this process has not reaped.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill({pid}, {signal})");
}

/// The state letter of a process (`/proc/PID/stat`: `R`, `S`, `T` stopped, `Z`, …).
#[cfg(target_os = "linux")]
fn process_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "PID (COMMAND) STATE …": the command may hold spaces and parentheses.
    let (_, after) = stat.rsplit_once(") ")?;
    after.chars().next()
}

/// Waits until a SIGSTOP sent to `pid` has taken effect (or the process has ended).
#[cfg(target_os = "linux")]
fn wait_until_stopped(pid: i32) {
    let started = Instant::now();
    loop {
        match process_state(pid) {
            Some('T') | Some('Z') | None => return,
            _ => assert!(started.elapsed() < HANG_GUARD, "{pid} never stopped"),
        }
        std::thread::yield_now();
    }
}

/// Whether process `pid` has a file named `name` open.
#[cfg(target_os = "linux")]
fn holds_file(pid: i32, name: &str) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path()).is_ok_and(|target| target.file_name() == Some(name.as_ref()))
    })
}

/// The opstamp of the index's last commit (0 before the first), from Tantivy's
/// `meta.json`, which a commit replaces atomically.
pub fn last_commit(index: &Path) -> u64 {
    let Ok(meta) = fs::read_to_string(index.join("meta.json")) else {
        return 0;
    };
    let meta: Value = serde_json::from_str(&meta).expect("meta.json is JSON");
    meta["opstamp"].as_u64().expect("meta.json has an opstamp")
}

/// Runs a command, killing it (and failing the test) if it outlives `limit`.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn k2search");
    wait_within(child, limit)
}

/// Waits for a child whose stdout and stderr are piped, killing it (and failing the
/// test) if it outlives `limit`.
pub fn wait_within(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut buf).ok();
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("k2search still running after {limit:?}: hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// What a run printed on stdout, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What a run printed on stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON value a successful run printed.
#[track_caller]
pub fn parsed<T: DeserializeOwned>(out: &Output) -> T {
    assert_success(out);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not the JSON expected ({e}): {}", stdout(out)))
}

/// The JSON lines a successful run printed.
#[track_caller]
fn ndjson<T: DeserializeOwned>(out: &Output) -> Vec<T> {
    assert_success(out);
    stdout(out)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not the JSON line expected ({e}): {line}"))
        })
        .collect()
}

/// Exit code 0, or a failure that shows what the run printed.
#[track_caller]
pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "k2search failed ({:?})\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Exit code 2 and one line `k2search: error: …` on stderr that contains `needle`.
#[track_caller]
pub fn assert_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "expected exit 2; stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "error must be one line: {err}");
    assert!(lines[0].starts_with("k2search: error: "), "{err}");
    assert!(
        err.contains(needle),
        "error should mention {needle:?}: {err}"
    );
    assert_no_panic(out);
}

/// Nothing on stderr says the binary panicked.
#[track_caller]
pub fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

/// A file of the team's shared folder (`../shared`, or `$K2SEARCH_SHARED`), read in
/// place, never copied into the repository. Tests that call it are marked
/// `#[cfg_attr(not(k2search_shared), ignore = …)]`: `build.rs` sets `k2search_shared`
/// when the folder is there, so without it they are reported as ignored, never run
/// and passed. A test run anyway (`--include-ignored`) fails here, saying what to do.
#[track_caller]
pub fn shared(rel: &str) -> PathBuf {
    let root = std::env::var_os("K2SEARCH_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join("../shared"));
    let path = root.join(rel);
    assert!(
        path.exists(),
        "{} not found: set K2SEARCH_SHARED to the team's shared folder",
        path.display()
    );
    path
}

/// The embedding model folder for semantic tests: `$K2SEARCH_TEST_MODEL`, else
/// `models/all-MiniLM-L6-v2` (where `scripts/fetch-model.sh` puts it). Tests that
/// call it are marked `#[cfg_attr(not(k2search_model), ignore = …)]` (see [`shared`]).
///
/// Tests never set `K2SEARCH_MODEL`: every index run would then embed.
#[track_caller]
pub fn model() -> PathBuf {
    model_folder("K2SEARCH_TEST_MODEL", "all-MiniLM-L6-v2", "fetch-model.sh")
}

/// The cross-encoder for the re-ranking tests: `$K2SEARCH_TEST_RERANKER`, else
/// `models/ms-marco-MiniLM-L-12-v2` (where `scripts/fetch-reranker.sh` puts it).
#[track_caller]
pub fn reranker() -> PathBuf {
    model_folder(
        "K2SEARCH_TEST_RERANKER",
        "ms-marco-MiniLM-L-12-v2",
        "fetch-reranker.sh",
    )
}

/// The model folder `$var` names, else `models/name`; it must hold the weights that
/// `scripts/fetch` puts there.
#[track_caller]
fn model_folder(var: &str, name: &str, fetch: &str) -> PathBuf {
    let dir = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join("models").join(name));
    assert!(
        dir.join("model.safetensors").is_file(),
        "no model in {}: bash scripts/{fetch} DIR; {var}=DIR",
        dir.display()
    );
    dir
}

/// In CI (`CI` set, see `.ci/run`) no test may be ignored for want of data: the
/// shared folder, the models and the browser are all required there.
#[test]
fn ci_has_what_every_test_needs() {
    if std::env::var_os("CI").is_none() {
        return;
    }
    let missing: Vec<&str> = [
        (cfg!(k2search_shared), "the shared data (K2SEARCH_SHARED)"),
        (cfg!(k2search_model), "the model (scripts/fetch-model.sh)"),
        (
            cfg!(k2search_reranker),
            "the re-ranker (scripts/fetch-reranker.sh)",
        ),
        (cfg!(k2search_browser), "chromium and `npm ci` in web/"),
    ]
    .into_iter()
    .filter_map(|(found, what)| (!found).then_some(what))
    .collect();
    assert!(missing.is_empty(), "CI requires {}", missing.join(", "));
}

/// An HTTP client that takes error statuses as answers and gives up after `timeout`.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// A running `k2search serve`; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
    agent: ureq::Agent,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response: status, headers, body.
pub struct Answer {
    pub status: u16,
    /// The `content-type` header, or "".
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The body as raw JSON (for routes with no library type, and contract checks).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a JSON error with `status` and returns its message.
    #[track_caller]
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert!(
            self.content_type.starts_with("application/json"),
            "{}",
            self.content_type
        );
        match self.json().get("error") {
            Some(Value::String(message)) if !message.is_empty() => message.clone(),
            other => panic!("no error message: {other:?} in {}", self.body),
        }
    }
}

/// What a server answered to raw bytes ([`Server::raw`]).
pub struct Raw {
    pub text: String,
    /// The server closed the connection (end of file or a reset), rather than going
    /// quiet.
    pub closed: bool,
}

impl Raw {
    /// The status code of the first response, if there is one.
    pub fn status(&self) -> Option<&str> {
        self.text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
    }
}

/// Reads a ureq response into an [`Answer`].
pub fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Answer {
        status: response.status().as_u16(),
        content_type,
        headers,
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

impl Server {
    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    /// `GET path`, whatever the status.
    pub fn get(&self, path: &str) -> Answer {
        answer(self.agent.get(self.url(path)).call().expect("GET"))
    }

    /// `GET path` with one more header.
    pub fn get_with(&self, path: &str, header: (&str, &str)) -> Answer {
        let request = self.agent.get(self.url(path)).header(header.0, header.1);
        answer(request.call().expect("GET"))
    }

    /// `POST path` with a JSON body, whatever the status.
    pub fn post(&self, path: &str, body: &str) -> Answer {
        let request = self
            .agent
            .post(self.url(path))
            .header("content-type", "application/json");
        answer(request.send(body).expect("POST"))
    }

    /// A request of any method without a body.
    pub fn method(&self, method: &str, path: &str) -> Answer {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path))
            .body(())
            .expect("request");
        answer(self.agent.run(request).expect(method))
    }

    /// `GET /search?QUERY_STRING`, which must answer 200.
    #[track_caller]
    pub fn search(&self, query_string: &str) -> SearchResponse {
        let answer = self.get(&format!("/search?{query_string}"));
        assert_eq!(answer.status, 200, "{}", answer.body);
        serde_json::from_str(&answer.body).expect("a SearchResponse")
    }

    /// Sends raw request bytes and reads what the server answers until it closes the
    /// connection or goes quiet for `quiet`.
    pub fn raw(&self, request: &str, quiet: Duration) -> Raw {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(self.addr()).expect("connect");
        stream.set_read_timeout(Some(quiet)).expect("timeout");
        // A server may close the connection before the request is all sent.
        let _ = stream.write_all(request.as_bytes());
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        let closed = loop {
            match stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    break !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    )
                }
            }
        };
        Raw {
            text: String::from_utf8_lossy(&answer).into_owned(),
            closed,
        }
    }

    /// What the server logged on stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The server's open file descriptors (its sockets among them).
    pub fn open_files(&self) -> usize {
        fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }

    /// The server's resident memory in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("VmRSS");
        line.split_whitespace()
            .nth(1)
            .and_then(|kib| kib.parse().ok())
            .expect("VmRSS in KiB")
    }

    /// Waits up to `within` for the server's open files to come back to `files`.
    pub fn settles_to(&self, files: usize, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if self.open_files() <= files {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}
