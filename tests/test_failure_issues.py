"""scripts.failure_issues against a fake GitHub REST API on 127.0.0.1.

The fake implements only the endpoints the script uses, keeps issues, labels and comments in memory,
checks the token on every request, records every request, and can be told to answer the next requests
with errors (5xx, rate limits) to test the retries and the outage handling. Vendors and pages here are
fictional.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from scripts.github import failure_issues as fi

ROOT = Path(__file__).resolve().parent.parent
REPO = "example-org/example-watch"
TOKEN = "test-token-not-secret"
EXAMPLE_RECORD = ROOT / "tests" / "validate_cases" / "example-tools.yaml"  # a fictional, valid record


class FakeGitHub:
    def __init__(self, page_size: int = 100):
        self.page_size = page_size
        self.issues: dict[int, dict] = {}
        self.labels: dict[str, dict] = {}
        self.comments: list[tuple[int, str]] = []
        self.requests: list[tuple[str, str, dict | None]] = []
        self.faults: list[tuple[int, dict, dict]] = []  # answered, in order, before normal handling
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def add_issue(self, key: str | None, title: str = "Watch failure", labels=("watch-failure",),
                  state: str = "open", pull_request: bool = False) -> int:
        number = len(self.issues) + 1
        body = f"<!-- erpwatch-watch-failure: {key} -->\nold body\n" if key else "A person's issue."
        issue = {"number": number, "title": title, "body": body, "state": state,
                 "labels": [{"name": n} for n in labels]}
        if pull_request:
            issue["pull_request"] = {"url": "https://example.test/pr"}
        self.issues[number] = issue
        return number

    def writes(self) -> list[tuple[str, str, dict | None]]:
        return [r for r in self.requests if r[0] != "GET"]

    def open_for(self, key: str) -> list[dict]:
        return [i for i in self.issues.values() if i["state"] == "open" and f"erpwatch-watch-failure: {key} " in i["body"]]

    # --- request handling -------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body=None, headers: dict | None = None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length)) if length else None
                with fake.lock:
                    fake.requests.append((self.command, parts.path, payload))
                    assert self.headers.get("Accept") == "application/vnd.github+json"
                    if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                        return self._send(401, {"message": "Bad credentials"})
                    if fake.faults:
                        status, headers, body = fake.faults.pop(0)
                        return self._send(status, body, headers)
                    return self._route(parts.path, parse_qs(parts.query), payload)

            def _route(self, path: str, query: dict, payload):
                prefix = f"/repos/{REPO}"
                if not path.startswith(prefix):
                    return self._send(404, {"message": "Not Found"})
                rest = path[len(prefix):].split("/")[1:]
                method = self.command
                if rest == ["issues"] and method == "GET":
                    assert query["state"] == ["open"] and query["labels"] == ["watch-failure"]
                    page = int(query.get("page", ["1"])[0])
                    found = [i for _, i in sorted(fake.issues.items()) if i["state"] == "open"
                             and any(lb["name"] == "watch-failure" for lb in i["labels"])]
                    chunk = found[(page - 1) * fake.page_size: page * fake.page_size]
                    headers = {}
                    if page * fake.page_size < len(found):
                        headers["Link"] = (f'<{fake.url}{path}?state=open&labels=watch-failure&per_page='
                                           f'{fake.page_size}&page={page + 1}>; rel="next"')
                    return self._send(200, chunk, headers)
                if rest == ["issues"] and method == "POST":
                    assert set(payload) == {"title", "body", "labels"}
                    number = fake.add_issue(None, payload["title"], payload["labels"])
                    fake.issues[number]["body"] = payload["body"]
                    return self._send(201, fake.issues[number])
                if len(rest) >= 2 and rest[0] == "issues" and rest[1].isdigit():
                    issue = fake.issues.get(int(rest[1]))
                    if issue is None:
                        return self._send(404, {"message": "Not Found"})
                    if len(rest) == 2 and method == "PATCH":
                        assert set(payload) <= {"body", "state", "state_reason", "title"}
                        issue.update(payload)
                        return self._send(200, issue)
                    if rest[2:] == ["comments"] and method == "POST":
                        fake.comments.append((issue["number"], payload["body"]))
                        return self._send(201, {"id": len(fake.comments)})
                    if rest[2:] == ["labels"] and method == "POST":
                        for name in payload["labels"]:
                            assert name in fake.labels, f"label {name} used before it exists"
                            if name not in [lb["name"] for lb in issue["labels"]]:
                                issue["labels"].append({"name": name})
                        return self._send(200, issue["labels"])
                    if len(rest) == 4 and rest[2] == "labels" and method == "DELETE":
                        name = unquote(rest[3])
                        before = len(issue["labels"])
                        issue["labels"] = [lb for lb in issue["labels"] if lb["name"] != name]
                        return self._send(200 if len(issue["labels"]) < before else 404, issue["labels"])
                if rest[:1] == ["labels"]:
                    if len(rest) == 2 and method == "GET":
                        name = unquote(rest[1])
                        return self._send(200, fake.labels[name]) if name in fake.labels else \
                            self._send(404, {"message": "Not Found"})
                    if len(rest) == 1 and method == "POST":
                        assert payload["name"] not in fake.labels
                        fake.labels[payload["name"]] = payload
                        return self._send(201, payload)
                return self._send(404, {"message": f"fake: no route {method} {path}"})

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        return Handler


@pytest.fixture
def github():
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def env(github, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    for name in ("GITHUB_SERVER_URL", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def summary(ok=(), failed=()) -> dict:
    """A watcher summary: `ok` keys as unchanged, `failed` as {key: (class, message)}."""
    failed = dict(failed)

    def items(keys):
        return [{"vendor": k.split("/")[0], "document": k.split("/")[1]} for k in keys]

    return {"checked": len(ok) + len(failed), "changed": [], "unchanged": items(sorted(ok)),
            "failed": [dict(i, failure=failed[f"{i['vendor']}/{i['document']}"][0],
                            message=failed[f"{i['vendor']}/{i['document']}"][1]) for i in items(sorted(failed))]}


class Runner:
    """Runs the script in-process once per watch run, with a recorded (not real) sleep."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.store = tmp / "store"
        self.store.mkdir(exist_ok=True)
        self.sleeps: list[float] = []
        self.runs = 0

    @property
    def state_path(self) -> Path:
        return self.store / "_failures.json"

    def state(self) -> dict:
        return json.loads(self.state_path.read_text(encoding="utf-8"))

    def __call__(self, data: dict, *extra: str, capsys=None) -> int:
        self.runs += 1
        path = self.tmp / f"summary-{self.runs}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        argv = ["--summary", str(path), "--store", str(self.store), "--now", f"2030-01-{self.runs:02d}T06:00:00Z",
                "--backoff", "1", *extra]
        return fi.main(argv, sleep=self.sleeps.append)


@pytest.fixture
def run(env):
    return Runner(env)


DOC = "example-tools/privacy-policy"
OTHER = "example-tools/terms-of-service"


def test_an_issue_opens_after_three_consecutive_failed_runs_and_only_once(github, run):
    for n in (1, 2):
        assert run(summary(failed={DOC: ("http-status", "HTTP 503")})) == 0
        assert github.issues == {} and run.state()["documents"][DOC]["consecutive_failures"] == n
    assert run(summary(failed={DOC: ("http-status", "HTTP 503")})) == 0
    (issue,) = github.open_for(DOC)
    assert issue["title"] == "Watch failure: example-tools/privacy-policy"
    assert [lb["name"] for lb in issue["labels"]] == ["watch-failure", "failure:http-status"]
    assert issue["body"].startswith("<!-- erpwatch-watch-failure: example-tools/privacy-policy -->\n")
    assert "3 consecutive run(s)" in issue["body"] and "`HTTP 503`" in issue["body"]
    assert set(github.labels) == {"watch-failure", "failure:http-status"}
    entry = run.state()["documents"][DOC]
    assert entry == {"consecutive_failures": 3, "failure": "http-status", "message": "HTTP 503",
                     "first_failed_at": "2030-01-01T06:00:00Z", "last_failed_at": "2030-01-03T06:00:00Z",
                     "issue": issue["number"]}
    # a fourth failure with the same class: no new issue, no comment, the body is kept current
    writes_before = len(github.writes())
    assert run(summary(failed={DOC: ("http-status", "HTTP 503")})) == 0
    assert len(github.issues) == 1 and github.comments == []
    assert [w[0] for w in github.writes()[writes_before:]] == ["PATCH"]
    assert "4 consecutive run(s)" in github.issues[issue["number"]]["body"]


def test_a_changed_failure_class_swaps_the_label_and_comments(github, run):
    for _ in range(3):
        run(summary(failed={DOC: ("http-status", "HTTP 503")}))
    (issue,) = github.open_for(DOC)
    run(summary(failed={DOC: ("selector-miss", "select 'main .policy' matched nothing")}))
    assert [lb["name"] for lb in github.issues[issue["number"]]["labels"]] == ["watch-failure",
                                                                              "failure:selector-miss"]
    ((number, comment),) = github.comments
    assert number == issue["number"]
    assert "from `http-status` to `selector-miss`" in comment
    assert "scrapers.check" in github.issues[number]["body"]  # the hint for the new class
    assert len(github.open_for(DOC)) == 1


def test_recovery_closes_the_issue_with_a_comment_and_clears_the_state(github, run):
    for _ in range(3):
        run(summary(failed={DOC: ("timeout", "read timed out")}, ok=[OTHER]))
    (issue,) = github.open_for(DOC)
    assert run(summary(ok=[DOC, OTHER])) == 0
    closed = github.issues[issue["number"]]
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    assert github.comments[-1][0] == issue["number"] and "checked successfully again" in github.comments[-1][1]
    assert run.state()["documents"] == {}
    # a later failure streak starts from one again and, at the threshold, gets a new issue
    for _ in range(3):
        run(summary(failed={DOC: ("timeout", "read timed out")}))
    (again,) = github.open_for(DOC)
    assert again["number"] != issue["number"]


def test_a_lost_state_file_never_opens_a_duplicate(github, run):
    for _ in range(3):
        run(summary(failed={DOC: ("network", "connection refused")}))
    run.state_path.unlink()
    for _ in range(4):
        run(summary(failed={DOC: ("network", "connection refused")}))
    assert len(github.open_for(DOC)) == 1 and len(github.issues) == 1
    assert run.state()["documents"][DOC]["issue"] == 1


def test_an_issue_found_by_its_marker_is_adopted_below_the_threshold(github, run):
    number = github.add_issue(DOC, labels=("watch-failure", "failure:timeout"))
    run(summary(failed={DOC: ("timeout", "slow")}))
    assert run.state()["documents"][DOC]["issue"] == number
    assert "erpwatch-watch-failure: example-tools/privacy-policy" in github.issues[number]["body"]
    assert len(github.issues) == 1


def test_an_issue_closed_by_a_person_is_not_reopened_during_the_same_streak(github, run):
    for _ in range(3):
        run(summary(failed={DOC: ("bot-challenge", "captcha")}))
    (issue,) = github.open_for(DOC)
    github.issues[issue["number"]]["state"] = "closed"  # someone closed it: known, not fixable now
    for _ in range(3):
        run(summary(failed={DOC: ("bot-challenge", "captcha")}))
    assert github.open_for(DOC) == [] and len(github.issues) == 1


def test_documents_not_checked_in_a_run_keep_their_count_and_issue(github, run):
    for _ in range(3):
        run(summary(failed={DOC: ("http-status", "HTTP 500")}))
    (issue,) = github.open_for(DOC)
    writes = len(github.writes())
    run(summary(ok=[OTHER]))  # DOC's shard produced nothing
    assert github.issues[issue["number"]]["state"] == "open" and len(github.writes()) == writes
    assert run.state()["documents"][DOC]["consecutive_failures"] == 3


def test_issues_of_documents_no_longer_watched_are_closed(github, run, tmp_path):
    vendors = tmp_path / "vendors"
    vendors.mkdir()
    shutil.copy(EXAMPLE_RECORD, vendors / "example-tools.yaml")  # watches privacy-policy and terms-of-service
    gone = github.add_issue("example-tools/old-faq", labels=("watch-failure", "failure:network"))
    kept = github.add_issue(DOC, labels=("watch-failure", "failure:network"))
    assert run(summary(ok=[OTHER]), "--vendors", str(vendors)) == 0
    assert github.issues[gone]["state"] == "closed" and github.issues[gone]["state_reason"] == "not_planned"
    assert github.issues[kept]["state"] == "open"
    # with an invalid record among the vendors, nothing is closed on the ground of not being watched
    (vendors / "broken.yaml").write_text("schema_version: 1\nid: broken\n", encoding="utf-8")
    other = github.add_issue("example-tools/old-blog", labels=("watch-failure", "failure:network"))
    assert run(summary(ok=[OTHER]), "--vendors", str(vendors)) == 0
    assert github.issues[other]["state"] == "open"


def test_pull_requests_and_unmarked_issues_are_ignored_and_pages_are_followed(github, run):
    github.page_size = 1
    github.add_issue(None)  # a person's issue with the label but without the marker
    github.add_issue(DOC, pull_request=True)  # the issues API lists pull requests too
    number = github.add_issue(DOC, labels=("watch-failure", "failure:decode"))
    run(summary(failed={DOC: ("decode", "no charset fits")}))
    assert run.state()["documents"][DOC]["issue"] == number
    assert sum(1 for m, p, _ in github.requests if m == "GET" and p.endswith("/issues")) == 3
    assert len(github.issues) == 3


def test_untrusted_message_text_stays_inside_a_code_span(github, run):
    message = "``evil`` @maintainer <script>alert(1)</script>\n# heading"
    for _ in range(3):
        run(summary(failed={DOC: ("empty-extraction", message)}))
    (issue,) = github.open_for(DOC)
    line = next(x for x in issue["body"].splitlines() if x.startswith("- Message:"))
    assert line == "- Message: ``` ``evil`` @maintainer <script>alert(1)</script> # heading ```"


def test_server_errors_are_retried_with_backoff(github, run):
    github.faults = [(502, {}, {"message": "Bad Gateway"}), (503, {}, {"message": "Unavailable"})]
    for _ in range(3):
        assert run(summary(failed={DOC: ("network", "reset")})) == 0
    assert run.sleeps == [1, 2]
    assert len(github.open_for(DOC)) == 1


def test_creating_an_issue_is_not_retried_blindly(github, run, capsys):
    """GitHub may have opened the issue before failing to answer: the next run looks before it opens."""
    github.faults = [(200, {}, []), (404, {}, {"message": "Not Found"}), (201, {}, {}),
                     (404, {}, {"message": "Not Found"}), (201, {}, {}), (502, {}, {"message": "Bad Gateway"})]
    assert run(summary(failed={DOC: ("network", "reset")}), "--threshold", "1") == 0
    assert "not retried: it may have been carried out" in capsys.readouterr().out
    assert [m for m, p, _ in github.requests].count("POST") == 3 and run.sleeps == []  # 2 labels, 1 issue
    assert run(summary(failed={DOC: ("network", "reset")}), "--threshold", "1") == 0
    assert len(github.open_for(DOC)) == 1


def test_rate_limits_wait_for_retry_after(github, run):
    github.faults = [(429, {"Retry-After": "7"}, {"message": "Too many requests"}),
                     (403, {"Retry-After": "3"}, {"message": "You have exceeded a secondary rate limit"})]
    run(summary(failed={DOC: ("network", "reset")}), "--threshold", "1")
    assert run.sleeps == [7, 3]
    assert len(github.open_for(DOC)) == 1


def test_an_outage_is_a_warning_and_the_counts_are_still_saved(github, run, capsys):
    github.faults = [(503, {}, {"message": "Unavailable"})] * 10
    assert run(summary(failed={DOC: ("network", "reset")}), "--threshold", "1", "--retries", "2") == 0
    out = capsys.readouterr().out
    assert "::warning title=Failure issues not updated::GitHub is unavailable" in out
    assert "HTTP 503" in out and "gave up after 3 attempts" in out
    assert run.sleeps == [1, 2]
    assert run.state()["documents"][DOC]["consecutive_failures"] == 1
    github.faults = []
    run(summary(failed={DOC: ("network", "reset")}), "--threshold", "1")  # the next run catches up
    assert len(github.open_for(DOC)) == 1


def test_a_long_rate_limit_gives_up_at_once(github, run, capsys):
    github.faults = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9999999999"},
                      {"message": "API rate limit exceeded"})]
    assert run(summary(failed={DOC: ("network", "reset")})) == 0
    assert run.sleeps == []
    assert "rate limited for another" in capsys.readouterr().out


def test_a_refused_token_is_an_error(github, run, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    assert run(summary(failed={DOC: ("network", "reset")})) == 1
    out = capsys.readouterr().out
    assert out.startswith("::error title=Failure issues not updated::GET ")
    assert "HTTP 401: Bad credentials (is GITHUB_TOKEN set and valid?)" in out
    assert run.state()["documents"][DOC]["consecutive_failures"] == 1


def test_the_token_is_never_sent_to_another_host(github):
    api = fi.GitHub(REPO, TOKEN, github.url, sleep=lambda s: None)
    with pytest.raises(fi.GitHubError, match="refusing to follow"):
        api.request("GET", "http://127.0.0.2:9/repos/x/y/issues")
    assert github.requests == []


def test_dry_run_changes_nothing(github, run, capsys):
    for _ in range(2):
        run(summary(failed={DOC: ("network", "reset")}))
    before = run.state_path.read_bytes()
    assert run(summary(failed={DOC: ("network", "reset")}), "--dry-run") == 0
    assert github.writes() == [] and github.issues == {}
    assert run.state_path.read_bytes() == before
    assert "dry run: POST /repos/example-org/example-watch/issues" in capsys.readouterr().err


def test_the_state_file_is_deterministic(run):
    data = summary(failed={OTHER: ("timeout", "slow"), DOC: ("network", "reset")})
    run(data, "--dry-run")  # nothing saved
    assert not run.state_path.exists()
    run(data, "--threshold", "99")
    text = run.state_path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    assert list(json.loads(text)["documents"]) == [DOC, OTHER]
    assert not [p for p in run.store.iterdir() if p.name != "_failures.json"]  # no temporary files left


def test_update_state_is_a_pure_function():
    state = {"version": 1, "documents": {DOC: {"consecutive_failures": 2, "failure": "timeout", "message": "",
                                               "first_failed_at": "t0", "last_failed_at": "t1", "issue": None}}}
    new, ok = fi.update_state(state, summary(ok=[OTHER], failed={DOC: ("../etc", "x")}), "t2")
    assert state["documents"][DOC]["consecutive_failures"] == 2  # input untouched
    assert new["documents"][DOC]["consecutive_failures"] == 3
    assert new["documents"][DOC]["failure"] == "other"  # not a slug: never becomes a label as given
    assert ok == {OTHER}


def test_the_command_line_end_to_end(github, tmp_path):
    """As the workflow runs it: a subprocess with the environment GitHub Actions sets."""
    data = tmp_path / "summary.json"
    data.write_text(json.dumps(summary(failed={DOC: ("selector-miss", "nothing matched")})), encoding="utf-8")
    env = dict(os.environ, GITHUB_TOKEN=TOKEN, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=github.url,
               GITHUB_SERVER_URL="https://github.example.test", GITHUB_RUN_ID="42")
    cmd = [sys.executable, "-m", "scripts.failure_issues", "--summary", str(data), "--store",
           str(tmp_path / "store"), "--threshold", "1"]
    done = subprocess.run(cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("#1 example-tools/privacy-policy: opened (selector-miss, 1 consecutive")
    assert "https://github.example.test/example-org/example-watch/actions/runs/42" in github.issues[1]["body"]
    assert (tmp_path / "store" / "_failures.json").exists()
    missing = dict(env)
    del missing["GITHUB_TOKEN"]
    done = subprocess.run(cmd, check=False, cwd=ROOT, env=missing, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "GITHUB_TOKEN must be set" in done.stderr
