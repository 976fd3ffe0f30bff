"""Imports point one way: handlers -> services -> domain / storage.

Every module under bot/, handlers/ and storage/ is read with `ast` (not imported) and put in a layer by its
dotted name; each import it makes, at the top or inside a function, must land in a layer it may use:

- composition (bot.app, bot.server, bot.cli, bot.scheduler, bot.manifest, bot.log_filters) wires
  everything and may import anything;
- wiring (bot.deps, bot.config, bot.pacing, bot.inbox, bot.lanes): what the composition hands to listeners
  and services (the dependency container, the settings, the inbox); usable by handlers and services;
- handlers call services, build with presentation, and read domain values; never storage;
- services (bot.followups, bot.ats) use the domain, presentation, storage and wiring; never handlers;
- presentation (bot.slack) builds from domain values and storage.views' plain dataclasses;
- domain (bot.domain, bot.reader) imports only the domain and no Slack, database or scheduler library;
- storage imports storage and the pure domain (column widths, keys), nothing of Slack's libraries.

A test plants a bad import in a synthetic module, so a checker that stopped checking would fail too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")

COMPOSITION = {"bot", "bot.app", "bot.server", "bot.cli", "bot.scheduler", "bot.manifest", "bot.log_filters"}
WIRING = {"bot.deps", "bot.config", "bot.pacing", "bot.inbox", "bot.lanes"}
SLACK_LIBRARIES = ("slack_bolt", "slack_sdk")
DOMAIN_FORBIDS = (*SLACK_LIBRARIES, "sqlalchemy", "alembic", "apscheduler", "gunicorn")

# layer -> the layers of ours it may import (its own included)
MAY_IMPORT = {
    "composition": {"composition", "wiring", "handlers", "services", "presentation", "domain", "views", "storage"},
    "wiring": {"wiring", "services", "presentation", "domain", "views", "storage"},
    "handlers": {"handlers", "wiring", "services", "presentation", "domain"},
    "services": {"services", "wiring", "presentation", "domain", "views", "storage"},
    "presentation": {"presentation", "domain", "views"},
    "domain": {"domain"},
    "views": {"views"},
    "storage": {"storage", "views", "domain"},
}
# layer -> outside libraries it must not import
FORBIDDEN_LIBRARIES = {
    "domain": DOMAIN_FORBIDS,
    "views": DOMAIN_FORBIDS,
    "storage": SLACK_LIBRARIES,
    "presentation": ("sqlalchemy", "alembic", "apscheduler"),
}


def layer_of(module: str) -> str | None:
    """The layer of one of our modules by its dotted name; None for anything else (a library)."""
    if module in COMPOSITION:
        return "composition"
    if module in WIRING:
        return "wiring"
    for prefix, layer in (("handlers", "handlers"), ("bot.followups", "services"), ("bot.ats", "services"),
                          ("bot.slack", "presentation"), ("bot.domain", "domain"), ("bot.reader", "domain"),
                          ("storage.views", "views"), ("storage", "storage")):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def module_names() -> dict[str, Path]:
    """Every module of ours: dotted name -> file."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(tree: ast.AST, module: str, known: set[str]) -> list[tuple[int, str]]:
    """(line, dotted name) of everything the module imports; `from a import b` names a.b when it is a module."""
    out = []
    package = module if module in known and (ROOT / module.replace(".", "/") / "__init__.py").exists() \
        else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                base = ".".join(parent[:len(parent) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                out.append((node.lineno, target if target in known else base))
    return sorted(out)


def violations(module: str, source: str, known: set[str], where: str = "") -> list[str]:
    """Every import of `module` (its text `source`) that points the wrong way, one line each."""
    layer = layer_of(module)
    if layer is None:
        return []
    found = []
    for line, target in imported(ast.parse(source), module, known):
        theirs = layer_of(target)
        if theirs is not None and theirs not in MAY_IMPORT[layer]:
            found.append(f"{where or module}:{line}: {layer} module {module} imports {target} ({theirs})")
        library = target.split(".")[0]
        if theirs is None and library in FORBIDDEN_LIBRARIES.get(layer, ()):
            found.append(f"{where or module}:{line}: {layer} module {module} imports the library {target}")
    return found


def test_every_module_has_a_layer() -> None:
    assert [name for name in module_names() if layer_of(name) is None] == []


def test_imports_point_one_way() -> None:
    modules = module_names()
    known = set(modules)
    found = []
    for name, path in sorted(modules.items()):
        found += violations(name, path.read_text(encoding="utf-8"), known, str(path.relative_to(ROOT)))
    assert found == [], "\n".join(found)


def test_the_checker_catches_planted_imports() -> None:
    known = set(module_names())
    planted = {
        "handlers.planted": "from storage import repo\nfrom storage.models import OPEN\n",
        "bot.domain.planted": "def f():\n    from bot.followups import recording\nimport slack_sdk\n",
        "bot.reader.planted": "from bot.slack import blocks\n",
        "bot.slack.planted": "from storage.repo import FollowupView\n",
        "storage.planted": "from bot.followups.recording import record_message\nfrom slack_bolt import App\n",
        "bot.followups.planted": "from handlers import events\n",
    }
    found = {name: violations(name, source, known) for name, source in planted.items()}
    assert found == {
        "handlers.planted": ["handlers.planted:1: handlers module handlers.planted imports storage.repo (storage)",
                             "handlers.planted:2: handlers module handlers.planted imports storage.models (storage)"],
        "bot.domain.planted": [
            "bot.domain.planted:2: domain module bot.domain.planted imports bot.followups.recording (services)",
            "bot.domain.planted:3: domain module bot.domain.planted imports the library slack_sdk"],
        "bot.reader.planted": ["bot.reader.planted:1: domain module bot.reader.planted imports bot.slack.blocks "
                               "(presentation)"],
        "bot.slack.planted": ["bot.slack.planted:1: presentation module bot.slack.planted imports storage.repo "
                              "(storage)"],
        "storage.planted": [
            "storage.planted:1: storage module storage.planted imports bot.followups.recording (services)",
            "storage.planted:2: storage module storage.planted imports the library slack_bolt"],
        "bot.followups.planted": ["bot.followups.planted:1: services module bot.followups.planted imports "
                                  "handlers.events (handlers)"],
    }


def test_the_checker_allows_the_intended_direction() -> None:
    known = set(module_names())
    fine = {
        "handlers.fine": "from bot.followups import recording\nfrom bot.slack import blocks\nimport bot.deps\n",
        "bot.followups.fine": "from storage import repo\nfrom bot.domain.rounds import parse_round\n",
        "bot.slack.fine": "from storage.views import FollowupView\nfrom slack_sdk.errors import SlackApiError\n",
        "storage.fine": "from bot.domain.lengths import NAME_LENGTH\n",
    }
    assert {name: violations(name, source, known) for name, source in fine.items()} == {name: [] for name in fine}
