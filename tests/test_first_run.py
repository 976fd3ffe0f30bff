"""A newcomer's first run: the README's first command copies .env.example to .env, and then

- `serve` and `check` say which credential still holds its example value, without trying it against Slack;
- once the two required ones are pasted, `serve` serves HTTP (the example sets no app token, which would
  switch it to Socket Mode) and says in one line what the migrations did;
- the processes the tests and the benchmarks start never read that .env.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench
from bot.config import EXAMPLE_VALUES, VARIABLES
from tests.conftest import clean_environ
from tests.fake_slack import FakeSlack
from tests.serve_process import EXECUTABLE, Serve, free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]+)=(.*)$")
# .env.example as it was: the example app token set, which switched every server started here to Socket Mode.
OLD_EXAMPLE_LINE = "SLACK_APP_TOKEN=xapp-your-app-level-token\n"


def assignments() -> dict[str, tuple[bool, str]]:
    """Each variable .env.example mentions: (set, not commented out; its value)."""
    found = {}
    for line in EXAMPLE.read_text().splitlines():
        match = ASSIGNMENT.match(line.strip())
        if match:
            found.setdefault(match.group(2), (match.group(1) is None, match.group(3).strip()))
    return found


def reading_env(fake: FakeSlack, **more: str) -> dict[str, str]:
    """An environment in which `persona-grata` reads the working directory's .env, as on a newcomer's
    machine (the test session itself turns that off for everything else)."""
    env = {k: v for k, v in clean_environ().items() if k != "PYTHON_DOTENV_DISABLED"}
    env.update({"SLACK_API_URL": fake.url, "PORT": str(free_port()), "LOG_LEVEL": "INFO", **more})
    return env


def fresh_env(directory: Path) -> Path:
    """What the README's first command does: `cp -n .env.example .env`."""
    env_file = directory / ".env"
    env_file.write_text(EXAMPLE.read_text())
    return env_file


def paste(env_file: Path, name: str, value: str) -> None:
    text = env_file.read_text()
    example = EXAMPLE_VALUES[name][0]
    assert f"{name}={example}" in text
    env_file.write_text(text.replace(f"{name}={example}", f"{name}={value}"))


def run(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, command], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_env_example_sets_only_the_two_required_credentials_and_names_every_setting() -> None:
    found = assignments()
    assert {name for name, (active, _) in found.items() if active} == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}
    for name, (example, _) in EXAMPLE_VALUES.items():  # the values serve and check recognise are the file's
        assert found[name][1] == example, name
    assert set(found) == set(VARIABLES)


def test_serve_from_a_fresh_env_says_what_to_paste_then_serves_http(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env_file = fresh_env(tmp_path)
    env = reading_env(fake_slack)
    for name, pasted in (("SLACK_BOT_TOKEN", "xoxb-pasted"), ("SLACK_SIGNING_SECRET", "pasted-secret")):
        result = run("serve", env, tmp_path)
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines == [f"persona-grata: configuration error: {name}: still holds the example value from "
                         f".env.example: {EXAMPLE_VALUES[name][1]}"]
        assert fake_slack.calls == [], "an example value was tried against Slack"
        assert not (tmp_path / "persona_grata.db").exists()
        paste(env_file, name, pasted)
    server = Serve(env, tmp_path).start()  # healthy on PORT: HTTP mode, not Socket Mode
    try:
        assert [c.method for c in fake_slack.calls_to("apps.connections.open")] == []
        assert fake_slack.calls_to("auth.test")[0].headers.get("Authorization") == "Bearer xoxb-pasted"
    finally:
        assert server.terminate() == 0
    log = server.log.read_text()
    assert "database schema migrated from empty to" in log
    assert "alembic" not in log, log


def test_check_from_a_fresh_env_names_every_example_value(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env_file = fresh_env(tmp_path)
    env_file.write_text(env_file.read_text() + OLD_EXAMPLE_LINE)
    result = run("check", reading_env(fake_slack), tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"configuration: FAILED: {name}: still holds the example value from .env.example: {instead}"
        for name, (_, instead) in EXAMPLE_VALUES.items()
    ]
    assert fake_slack.calls == []


@pytest.mark.e2e
def test_servers_the_tests_start_never_read_the_working_directorys_env(
    serve_env: dict[str, str], fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env_file = fresh_env(tmp_path)
    env_file.write_text(env_file.read_text() + OLD_EXAMPLE_LINE + "DATABASE_URL=sqlite:////nonexistent/x.db\n")
    assert os.environ["PYTHON_DOTENV_DISABLED"] == "1"  # tests/conftest.py, for every process started here
    server = Serve(serve_env, tmp_path).start()  # HTTP, on the test's database: nothing from the .env
    try:
        assert fake_slack.calls_to("apps.connections.open") == []
        assert fake_slack.calls_to("auth.test")[0].headers.get("Authorization") == "Bearer xoxb-e2e"
    finally:
        assert server.terminate() == 0


def test_benchmark_servers_get_their_settings_explicitly_and_read_no_env(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-the-shell")
    monkeypatch.setenv("ESCALATE_TO", "U0SHELL")
    env = bench.child_env(PORT="3999")
    assert env["PYTHON_DOTENV_DISABLED"] == "1"
    assert {k for k in env if k in VARIABLES} == {"PORT"}
    log = tmp_path / "proc.log"
    proc = bench.Proc([sys.executable, "-c", "import os; print(os.getcwd())"], env, log, stdout_pipe=True)
    assert proc.popen.stdout is not None
    assert proc.popen.stdout.read().decode().strip() == str(tmp_path)  # its own work directory, not the repo's
    proc.popen.wait(30)
    proc.stop()
