"""One GitHub issue per watched document that keeps failing; it closes itself when the document recovers.

    python -m scripts.failure_issues --summary FILE [--store DIR] [--state FILE] [--vendors DIR]
                                     [--threshold N] [--dry-run]

Run by .github/workflows/watch.yml after each watch run, with the run's merged JSON summary
(`python -m scrapers.watch --json`, merged by scripts.watch_merge). GitHub's REST API is reached through
requests: GITHUB_TOKEN (issues: write), GITHUB_REPOSITORY (owner/name) and GITHUB_API_URL (default
https://api.github.com; the tests point it at a local fake server).

Consecutive failures are counted per run in a small state file, `<store>/_failures.json` by default:
`{"documents": {"<vendor>/<doc>": {consecutive_failures, failure, message, first_failed_at,
last_failed_at, issue}}}`, written atomically with sorted keys. A document checked successfully leaves
it; a document not checked in a run (its shard failed) keeps its count. The file lives in the store so
that it travels with the observed data: the watch workflow starts each run from the store of the open
watch pull request (or main's), so counts survive runs whose pull request has not been merged yet.

Issues carry the label `watch-failure`, a label `failure:<class>` (the watcher's failure class) and a
hidden marker `<!-- erpwatch-watch-failure: <vendor>/<doc> -->` in the body, by which they are found, so a
lost state file never leads to a duplicate. Rules:
- a document failing on THRESHOLD (default 3) consecutive runs without an open issue gets one; the issue's
  number is kept in the state for the rest of the failure streak, so an issue a person closed while the
  document still fails is not reopened nor opened again until the document has recovered once;
- while it fails, the issue body is kept current; when the failure class changes, the class label is
  swapped and a comment says so;
- when the document is checked successfully, the issue gets a comment and is closed; when it is no longer
  watched (its `policies:` entry was removed; needs --vendors and all records valid), likewise.

A GitHub outage (5xx, network errors, rate limits lasting longer than --max-wait) is retried, then
reported as a warning annotation and exit 0: the watch run's results are still published and the next
run catches up. Anything else GitHub refuses (401, 403 without rate limiting, 404, 422: a token without
issues: write, a wrong repository) is an error annotation and exit 1. Exit 2: usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

from scrapers.fsio import dumps, write_text

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository (this file is scripts/github/failure_issues.py)
LABEL = "watch-failure"
CLASS_PREFIX = "failure:"
MARKER = re.compile(r"<!--\s*erpwatch-watch-failure:\s*([a-z0-9-]+/[a-z0-9-]+)\s*-->")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEFAULT_THRESHOLD = 3
STATE_VERSION = 1
USER_AGENT = "erpwatch-failure-issues (+https://github.com/erpwatch/erpwatch)"

# What a person can do about each failure class (scrapers/failures.py defines the classes).
HINTS = {
    "network": "DNS, connection or TLS errors. Usually transient; if it persists, check that the site still "
               "exists at this address.",
    "timeout": "The site answered too slowly. Usually transient.",
    "http-status": "The site answered with an error status after retries. If the page moved, update "
                   "`url` in the record; a 403 from a bot filter may need a different URL for the same text.",
    "too-large": "The page is over the watcher's size cap. Point `url` at the policy itself, not a bundle.",
    "decode": "The response is not readable HTML, text or PDF (the message names the type), or the PDF is "
              "damaged or password-protected.",
    "no-text-layer": "The PDF holds scanned images and no text. Look for an HTML or text version of the same "
                     "document and point `url` at it.",
    "bot-challenge": "The site served a bot check instead of the page. Try another URL for the same "
                     "document, or `render: browser`.",
    "blocked": "The site answered with a block, firewall, consent or verification page instead of the "
               "document (kept as evidence: `evidence` in the document's status.json). If it persists, "
               "try another URL for the same text or `render: browser`.",
    "login-or-home": "The URL now ends on a login page or the home page: the document probably moved. "
                     "Find its new address and update `url`.",
    "empty-extraction": "Almost no text was extracted. The page may be built by JavaScript "
                        "(`render: browser`) or need a `select:` selector.",
    "selector-miss": "The record's `select:` matched nothing: the page's markup changed. Find a new "
                     "selector and try it with `python -m scrapers.check URL --select CSS`.",
    "suspicious-shrink": "Most of the text vanished at once. It is recorded once the same text has been "
                         "seen on several checks in a row; if the vendor really cut the policy, nothing "
                         "needs doing.",
    "robots": "robots.txt disallows the URL (or could not be read). The watcher honours it.",
    "private-address": "The URL or a redirect points at a private address; the watcher refuses it.",
    "browser-unavailable": "The record asks for `render: browser` but Chromium is not available where "
                           "the watch ran.",
    "storage": "The snapshots store could not be written (disk full, read-only or an I/O error); nothing "
               "half-written was kept. Free space or fix the disk; the next run records what was missed.",
}


class GitHubError(Exception):
    """GitHub refused a request for a reason a person must fix (token, permissions, repository)."""


class GitHubUnavailable(Exception):
    """GitHub could not be reached or kept refusing for load or rate limits, after retries."""


# --- the REST client ------------------------------------------------------------------------------

class GitHub:
    def __init__(self, repo: str, token: str | None, api_url: str = "https://api.github.com",
                 retries: int = 3, backoff: float = 2.0, max_wait: float = 60.0, timeout: float = 30.0,
                 dry_run: bool = False, sleep=time.sleep, log=None):
        self.repo = repo
        self.api_url = api_url.rstrip("/")
        self.retries, self.backoff, self.max_wait, self.timeout = retries, backoff, max_wait, timeout
        self.dry_run = dry_run
        self.sleep = sleep
        self.log = log or (lambda message: print(message, file=sys.stderr))
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/vnd.github+json", "User-Agent": USER_AGENT,
                                     "X-GitHub-Api-Version": "2022-11-28"})
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def repo_path(self, path: str) -> str:
        return f"/repos/{self.repo}{path}"

    def request(self, method: str, path_or_url: str, once: bool = False, **kwargs) -> requests.Response:
        """One API call, retried on network errors, 5xx and rate limits; raises GitHubError/Unavailable.

        `once`: for calls that must not be repeated blindly (creating an issue or a comment: GitHub may
        have done it before failing to answer), network errors and 5xx are not retried; the next run
        finds the issue by its marker instead of opening a second one. Rate limits are still waited out
        (a rate-limited request was not carried out)."""
        if method != "GET" and self.dry_run:
            self.log(f"dry run: {method} {path_or_url} {json.dumps(kwargs.get('json'), ensure_ascii=False)}")
            return _fake_response({"number": 0, "labels": []})
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.api_url + path_or_url
        if _origin(url) != _origin(self.api_url):  # never send the token anywhere else (e.g. a Link header)
            raise GitHubError(f"refusing to follow {url}: not on {self.api_url}")
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as e:
                problem = f"{method} {url}: {type(e).__name__}: {e}"
                if once:
                    raise GitHubUnavailable(f"{problem} (not retried: it may have been carried out)") from None
                wait = self.backoff * 2 ** (attempt - 1)
            else:
                if response.status_code < 400:
                    return response
                problem = f"{method} {url}: HTTP {response.status_code}: {_api_message(response)}"
                wait = _rate_limit_wait(response)
                if wait is None:
                    if response.status_code < 500:
                        raise GitHubError(problem + _permission_hint(response))
                    if once:
                        raise GitHubUnavailable(f"{problem} (not retried: it may have been carried out)")
                    wait = self.backoff * 2 ** (attempt - 1)
                elif wait > self.max_wait:
                    raise GitHubUnavailable(f"{problem}: rate limited for another {wait:.0f} s "
                                            f"(more than --max-wait {self.max_wait:.0f} s)")
            if attempt > self.retries:
                raise GitHubUnavailable(f"{problem} (gave up after {attempt} attempts)")
            self.log(f"{problem}; retrying in {wait:.0f} s")
            self.sleep(wait)

    def paginate(self, path: str, params: dict) -> list[dict]:
        items, url, first = [], path, True
        while url:
            response = self.request("GET", url, params=params if first else None)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {url}: expected a list, got {type(page).__name__}")
            items.extend(page)
            url, first = response.links.get("next", {}).get("url"), False
        return items

    # the few endpoints used

    def open_issues(self) -> list[dict]:
        issues = self.paginate(self.repo_path("/issues"),
                               {"state": "open", "labels": LABEL, "per_page": 100, "sort": "created",
                                "direction": "asc"})
        return [i for i in issues if "pull_request" not in i]  # the issues API lists pull requests too

    def ensure_label(self, name: str, color: str, description: str) -> None:
        try:
            self.request("GET", self.repo_path(f"/labels/{quote(name, safe='')}"))
        except GitHubError as e:
            if "HTTP 404" not in str(e):
                raise
            try:
                self.request("POST", self.repo_path("/labels"),
                             json={"name": name, "color": color, "description": description})
            except GitHubError as e:
                if "HTTP 422" not in str(e):  # 422: made meanwhile (e.g. by a retried request)
                    raise

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict:
        return self.request("POST", self.repo_path("/issues"), once=True,
                            json={"title": title, "body": body, "labels": labels}).json()

    def update_issue(self, number: int, **fields) -> dict:
        return self.request("PATCH", self.repo_path(f"/issues/{number}"), json=fields).json()

    def comment(self, number: int, body: str) -> None:
        self.request("POST", self.repo_path(f"/issues/{number}/comments"), once=True, json={"body": body})

    def add_labels(self, number: int, labels: list[str]) -> None:
        self.request("POST", self.repo_path(f"/issues/{number}/labels"), json={"labels": labels})

    def remove_label(self, number: int, name: str) -> None:
        try:
            self.request("DELETE", self.repo_path(f"/issues/{number}/labels/{quote(name, safe='')}"))
        except GitHubError as e:
            if "HTTP 404" not in str(e):  # already gone
                raise


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _api_message(response: requests.Response) -> str:
    try:
        data = response.json()
        message = data.get("message") if isinstance(data, dict) else None
    except ValueError:
        message = None
    return str(message or response.reason or "no message")[:300]


def _permission_hint(response: requests.Response) -> str:
    if response.status_code == 401:
        return " (is GITHUB_TOKEN set and valid?)"
    if response.status_code in (403, 404):
        return " (does the token have issues: write on GITHUB_REPOSITORY?)"
    return ""


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds to wait when `response` is a rate limit (429, or 403 with GitHub's rate-limit signs)."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError):
                return 60.0
    if headers.get("X-RateLimit-Remaining") == "0" and headers.get("X-RateLimit-Reset", "").isdigit():
        return max(0.0, int(headers["X-RateLimit-Reset"]) - time.time()) + 1
    if response.status_code == 429 or "rate limit" in _api_message(response).lower():
        return 60.0  # GitHub's advice for secondary rate limits without a Retry-After
    return None


def _fake_response(data) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(data).encode()
    return response


# --- the state: consecutive failures per document -------------------------------------------------

def load_state(path: Path) -> dict:
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": STATE_VERSION, "documents": {}}
    except ValueError as e:
        raise SystemExit(f"error: {path} is not valid JSON ({e}); delete it to start counting afresh") from e
    if not isinstance(state, dict) or not isinstance(state.get("documents"), dict):
        raise SystemExit(f"error: {path} is not a failure state file; delete it to start counting afresh")
    return state


def save_state(path: Path, state: dict) -> None:
    write_text(Path(path), dumps(state))


def summary_keys(summary: dict, name: str) -> dict[str, dict]:
    out = {}
    for item in summary.get(name) or []:
        vendor, doc = item.get("vendor"), item.get("document")
        if isinstance(vendor, str) and isinstance(doc, str) and SLUG.match(vendor) and SLUG.match(doc):
            out[f"{vendor}/{doc}"] = item
    return out


def update_state(state: dict, summary: dict, now: str) -> tuple[dict, set[str]]:
    """The state after one run, and the documents checked successfully in it."""
    docs = dict(state.get("documents", {}))
    ok = set(summary_keys(summary, "changed")) | set(summary_keys(summary, "unchanged"))
    for key in ok:
        docs.pop(key, None)
    for key, item in summary_keys(summary, "failed").items():
        entry = dict(docs.get(key) or {"consecutive_failures": 0, "first_failed_at": now, "issue": None})
        entry["consecutive_failures"] = int(entry.get("consecutive_failures", 0)) + 1
        entry["failure"] = _failure_class(item.get("failure"))
        entry["message"] = str(item.get("message") or "")[:2000]
        entry["last_failed_at"] = now
        docs[key] = entry
    return {"version": STATE_VERSION, "documents": dict(sorted(docs.items()))}, ok


def _failure_class(value) -> str:
    return value if isinstance(value, str) and SLUG.match(value) else "other"


# --- issues ---------------------------------------------------------------------------------------

@dataclass
class Context:
    """What the issue texts may mention besides the state: the store's last status, the run's address."""
    store: object | None = None  # scrapers.store.Store
    run_url: str | None = None

    def status(self, key: str) -> dict:
        if self.store is None:
            return {}
        vendor, doc = key.split("/", 1)
        return self.store.status(vendor, doc) or {}


def issue_title(key: str) -> str:
    return f"Watch failure: {key}"


def _code(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())[:limit]
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if not text or text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def issue_body(key: str, entry: dict, threshold: int, context: Context) -> str:
    vendor, _doc = key.split("/", 1)
    status = context.status(key)
    failure = entry["failure"]
    lines = [f"<!-- erpwatch-watch-failure: {key} -->",
             (f"The policy watcher could not check **{key}** on {entry['consecutive_failures']} consecutive "
             f"run(s) (an issue is opened after {threshold})."), ""]
    if status.get("url"):
        lines.append(f"- Page: <{status['url']}>")
    lines.append(f"- Failure class: {_code(failure)}")
    if status.get("http_status"):
        lines.append(f"- HTTP status: {int(status['http_status'])}")
    lines.append(f"- Message: {_code(entry.get('message', ''))}")
    lines.append(f"- Failing since: {entry.get('first_failed_at', 'unknown')}; last failed run: "
                 f"{entry.get('last_failed_at', 'unknown')}")
    lines.append(f"- Last successful check: {status.get('last_success_at') or 'none recorded'}")
    if context.run_url:
        lines.append(f"- Latest run: {context.run_url}")
    lines += ["", HINTS.get(failure, "See the failure classes in scrapers/failures.py."),
              f"The record is `vendors/{vendor}.yaml`; CONTRIBUTING.md explains watched pages.", "",
              ("_This issue is opened and updated by the watch workflow and closes itself when the document "
              "is checked successfully again._")]
    return "\n".join(lines) + "\n"


def ensure_labels(api: GitHub, classes: set[str], made: set[str]) -> None:
    wanted = {LABEL: ("d93f0b", "A watched document keeps failing (opened by the watch workflow)")}
    for c in classes:
        wanted[CLASS_PREFIX + c] = ("fbca04", f"Watch failure class: {c}")
    for name, (color, description) in sorted(wanted.items()):
        if name not in made:
            api.ensure_label(name, color, description)
            made.add(name)


def find_issues(issues: list[dict], log) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for issue in issues:
        m = MARKER.search(issue.get("body") or "")
        if not m:
            continue
        key = m.group(1)
        if key in found:
            log(f"{key}: issues #{found[key]['number']} and #{issue['number']} both track it; "
                f"keeping #{found[key]['number']}")
            continue
        found[key] = issue
    return found


def sync(api: GitHub, state: dict, ok: set[str], threshold: int, context: Context,
         watched: set[str] | None = None, log=print) -> list[str]:
    """Open, update and close issues so that they match `state`; updates `state` (issue numbers) in
    place and returns what was done, one line each."""
    done: list[str] = []
    open_by_key = find_issues(api.open_issues(), log)
    made: set[str] = set()
    for key, entry in state["documents"].items():
        issue = open_by_key.get(key)
        label = CLASS_PREFIX + entry["failure"]
        body = issue_body(key, entry, threshold, context)
        if issue is not None:
            entry["issue"] = issue["number"]
            old = sorted(lb["name"] for lb in issue.get("labels", []) if lb["name"].startswith(CLASS_PREFIX))
            if old != [label]:
                ensure_labels(api, {entry["failure"]}, made)
                if label not in old:
                    api.add_labels(issue["number"], [label])
                for name in old:
                    if name != label:
                        api.remove_label(issue["number"], name)
                if any(name != label for name in old):  # a class change, not just a label someone removed
                    was = ", ".join(_code(n[len(CLASS_PREFIX):]) for n in old if n != label)
                    api.comment(issue["number"], f"The failure class changed from {was} to "
                                                 f"{_code(entry['failure'])}: {_code(entry.get('message', ''))}")
                done.append(f"#{issue['number']} {key}: failure class now {entry['failure']}")
            if (issue.get("body") or "") != body:
                api.update_issue(issue["number"], body=body)
            continue
        if entry["consecutive_failures"] < threshold:
            continue
        if entry.get("issue"):
            log(f"{key}: issue #{entry['issue']} was closed while the document still fails; not reopening "
                f"it until the document has recovered")
            continue
        ensure_labels(api, {entry["failure"]}, made)
        created = api.create_issue(issue_title(key), body, [LABEL, label])
        if not api.dry_run:
            entry["issue"] = created["number"]
        done.append(f"#{created['number']} {key}: opened ({entry['failure']}, "
                    f"{entry['consecutive_failures']} consecutive failed runs)")
    for key, issue in sorted(open_by_key.items()):
        if key in state["documents"]:
            continue
        if key in ok:
            note = "The document was checked successfully again"
            reason = "completed"
        elif watched is not None and key not in watched:
            note = "The document is no longer watched (its `policies:` entry is gone)"
            reason = "not_planned"
        else:
            continue  # not checked in this run (its shard failed): leave it as it is
        run = f" ([run]({context.run_url}))" if context.run_url else ""
        api.comment(issue["number"], f"{note}{run}; closing.")
        api.update_issue(issue["number"], state="closed", state_reason=reason)
        done.append(f"#{issue['number']} {key}: closed ({reason})")
    return done


# --- command line ---------------------------------------------------------------------------------

def _default_store() -> Path:
    return Path(os.environ.get("ERPWATCH_SNAPSHOTS_DIR") or ROOT / "snapshots")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scripts.failure_issues", description=__doc__.splitlines()[0])
    p.add_argument("--summary", type=Path, required=True, metavar="FILE",
                   help="the run's JSON summary (`python -m scrapers.watch --json`, or merged shards)")
    p.add_argument("--store", type=Path, default=None, metavar="DIR",
                   help="the snapshots store, for each page's address and last success "
                        "(default: $ERPWATCH_SNAPSHOTS_DIR or snapshots/)")
    p.add_argument("--state", type=Path, default=None, metavar="FILE",
                   help="consecutive-failure state (default: STORE/_failures.json)")
    p.add_argument("--vendors", type=Path, default=None, metavar="DIR",
                   help="records folder: issues of documents no longer watched are closed")
    p.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD, metavar="N",
                   help=f"consecutive failed runs before an issue is opened (default {DEFAULT_THRESHOLD})")
    p.add_argument("--now", default=None, metavar="TIME", help="the run's time, UTC ISO (default: now)")
    p.add_argument("--retries", type=int, default=3, metavar="N", help="retries per API call (default 3)")
    p.add_argument("--backoff", type=float, default=2.0, metavar="SECONDS",
                   help="first retry wait, doubled each retry (default 2)")
    p.add_argument("--max-wait", type=float, default=60.0, metavar="SECONDS",
                   help="longest rate-limit wait before giving up for this run (default 60)")
    p.add_argument("--dry-run", action="store_true",
                   help="read issues but change nothing on GitHub and leave the state file as it is")
    return p


def _watched(vendors: Path | None) -> set[str] | None:
    if vendors is None:
        return None
    from scrapers.targets import load_targets

    targets, problems = load_targets(vendors)
    if problems:  # an invalid record's documents would look unwatched: close nothing on that basis
        print(f"{len(problems)} record problem(s): not closing issues of unwatched documents this time",
              file=sys.stderr)
        return None
    return {f"{t.vendor}/{t.doc}" for t in targets}


def main(argv: list[str] | None = None, sleep=time.sleep) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.threshold < 1:
        p.error("--threshold must be at least 1")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    token = os.environ.get("GITHUB_TOKEN")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        p.error("GITHUB_REPOSITORY must be set to owner/name")
    if not token and not args.dry_run:
        p.error("GITHUB_TOKEN must be set (or use --dry-run)")
    store_dir = args.store or _default_store()
    state_path = args.state or store_dir / "_failures.json"
    try:
        summary = json.loads(args.summary.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        p.error(f"cannot read the summary {args.summary}: {e}")
    now = args.now or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    state, ok = update_state(load_state(state_path), summary, now)
    context = Context(run_url=_run_url())
    if store_dir.is_dir():
        from scrapers.store import open_store

        context.store = open_store(store_dir)
    api = GitHub(repo, token, os.environ.get("GITHUB_API_URL") or "https://api.github.com", retries=args.retries,
                 backoff=args.backoff, max_wait=args.max_wait, dry_run=args.dry_run, sleep=sleep)
    code = 0
    try:
        for line in sync(api, state, ok, args.threshold, context, _watched(args.vendors),
                         log=lambda m: print(m, file=sys.stderr)):
            print(line)
    except GitHubUnavailable as e:
        print(f"::warning title=Failure issues not updated::GitHub is unavailable ({_annotation(e)}); the "
              f"failure counts are saved and the next run updates the issues")
    except GitHubError as e:
        print(f"::error title=Failure issues not updated::{_annotation(e)}")
        code = 1
    if not args.dry_run:
        save_state(state_path, state)
    failing = state["documents"]
    print(f"{len(failing)} document(s) failing; {sum(1 for e in failing.values() if e.get('issue'))} "
          f"with an issue", file=sys.stderr)
    return code


def _annotation(error: Exception) -> str:
    return str(error).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _run_url() -> str | None:
    server, repo, run = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run and run.isdigit() else None


if __name__ == "__main__":
    sys.exit(main())
