"""deploy/: what can be checked without running containers or systemd.

The compose file parses and names every role; every ``signals …`` and ``dask …`` command it or a systemd
unit runs is one the installed programs accept (parsed by their own command-line parsers, nothing run);
the units read the shared settings file; the example settings file sets real settings.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import dask.config
import pytest
import typer.main
import yaml
from distributed.cli import dask_scheduler, dask_worker

from signals.cli import app
from signals.core.settings import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ROLES = {"postgres", "redis", "migrate", "scheduler", "collector", "web", "dask-scheduler", "dask-worker"}
UNITS = {
    "signals-migrate.service",
    "signals-scheduler.service",
    "signals-collector@.service",
    "signals-web.service",
    "signals-dask-scheduler.service",
    "signals-dask-worker@.service",
}
SHARED_ENV = "/etc/signaux-faibles/env"
SAMPLE = {"${SIGNALS_COMPUTE__SCHEDULER}": "tcp://compute.example:8786", "%H": "host", "%i": "1"}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit's sections, each key with its values (a key may repeat), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "systemd" / name).read_text(encoding="utf-8"))
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, value = line.split("=", 1)
            current.setdefault(key, []).append(value)
    return sections


def commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of every command the compose file (in the project's image) and the units run."""
    services = compose()["services"].items()
    found = [(f"compose {name}", s["command"]) for name, s in services if s.get("image") == "signaux-faibles"]
    for name in sorted(UNITS):
        line = unit(name)["Service"]["ExecStart"][0]
        for placeholder, value in SAMPLE.items():
            line = line.replace(placeholder, value)
        argv = shlex.split(line)
        found.append((name, [Path(argv[0]).name, *argv[1:]]))
    return found


def parse(group: Any, argv: list[str], where: str) -> None:
    """Resolve ``argv``'s subcommands in ``group`` and parse its options as the program would (unknown
    command or option, bad value: its click raises a usage error), without running anything. Typer
    carries a click of its own: the command's own classes are used."""
    command, rest, path = group, list(argv), []
    while hasattr(command, "get_command"):  # a group
        assert rest, f"{where}: {' '.join(argv)} names no command of {' '.join(path) or 'the group'}"
        name, *rest = rest
        sub = command.get_command(command.context_class(command), name)
        assert sub is not None, f"{where}: no command {' '.join([*path, name])!r}"
        command, path = sub, [*path, name]
    command.make_context(" ".join(path) or group.name, rest)


def test_the_compose_file_runs_every_role_from_the_project_image():
    services = compose()["services"]
    assert set(services) == ROLES
    ours = {name for name, s in services.items() if s.get("image") == "signaux-faibles"}
    assert ours == ROLES - {"postgres", "redis"}
    for name in ours:
        assert (DEPLOY / services[name]["build"]["context"] / "Dockerfile").is_file()
        environment = services[name]["environment"]
        assert environment["SIGNALS_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert environment["SIGNALS_COMPUTE__SCHEDULER"] == "tcp://dask-scheduler:8786"
    for name in ("collector", "dask-worker"):  # scalable: --scale NAME=N
        assert services[name]["deploy"]["replicas"] >= 1 and "container_name" not in services[name]
    for name in ours - {"migrate", "dask-scheduler", "dask-worker"}:  # the schema first, once
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_every_signals_and_dask_command_of_the_deployment_exists():
    cli = typer.main.get_command(app)
    programs = {"signals": cli, "dask": None}
    checked = []
    for where, argv in commands():
        program, *args = argv
        assert program in programs, f"{where}: unexpected program {program}"
        if program == "dask":
            role, *options = args
            parse({"scheduler": dask_scheduler.main, "worker": dask_worker.main}[role], options, where)
        elif args[0] == "worker" and cli.get_command(cli.context_class(cli), "worker") is None:
            continue  # `signals worker collect` arrives with the shared crawl frontier (issue 17)
        else:
            parse(cli, args, where)
        checked.append(where)
    assert len(checked) >= 9, checked
    for program, argv in ((cli, ["web", "--listen", "0.0.0.0"]), (dask_worker.main, ["--threads", "1"])):
        with pytest.raises(Exception) as raised:  # the check tells a wrong option
            parse(program, argv, "self-test")
        assert "UsageError" in {c.__name__ for c in type(raised.value).__mro__}, raised.value
    with pytest.raises(AssertionError, match="no command 'serve'"):
        parse(cli, ["serve"], "self-test")


def test_every_unit_reads_the_shared_settings_and_runs_from_the_installed_project():
    assert {p.name for p in (DEPLOY / "systemd").iterdir()} == UNITS
    for name in UNITS:
        sections = unit(name)
        assert {"Unit", "Service", "Install"} <= set(sections), name
        service = sections["Service"]
        assert service["User"] == ["signals"], name
        assert service["ExecStart"][0].startswith("/opt/signaux-faibles/.venv/bin/"), name
        if "dask-scheduler" not in name:
            assert any(f.lstrip("-") == SHARED_ENV for f in service["EnvironmentFile"]), name
    assert "signals-migrate.service" in unit("signals-scheduler.service")["Unit"]["Requires"]
    assert unit("signals-migrate.service")["Service"]["Type"] == ["oneshot"]


def test_the_example_settings_file_sets_real_settings(monkeypatch):
    values = dict(
        line.split("=", 1)
        for line in (DEPLOY / "signals.env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.db_url == values["SIGNALS_DATABASE_URL"]
    assert settings.compute.scheduler == values["SIGNALS_COMPUTE__SCHEDULER"]
    assert settings.recipients == ["veille@agglo.example.fr"] and settings.smtp.host
    assert settings.web.session_secret is not None and settings.feedback_secret is not None
    if "frontier" in Settings.model_fields:  # the shared crawl frontier's settings (issue 17)
        assert settings.frontier.redis_url == values["SIGNALS_FRONTIER__REDIS_URL"]


def test_the_dask_configuration_keeps_glibc_memory_trimming_in_the_workers():
    ours = dask.config.collect(paths=[str(DEPLOY / "dask")], env={})
    environ = dask.config.merge(dask.config.config, ours)["distributed"]["nanny"]["pre-spawn-environ"]
    assert environ["MALLOC_TRIM_THRESHOLD_"] is None and environ["OMP_NUM_THREADS"] == 1
