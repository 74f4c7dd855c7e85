"""The CLI as a user runs it: a real process, exit statuses, one-line errors, real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.conftest import doc, write_jsonl


def run(args: list[str], home: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {  # SIGNALS_DATABASE_URL: the test's own database on the suite's PostgreSQL run
        k: v
        for k, v in os.environ.items()
        if k == "SIGNALS_DATABASE_URL" or not (k.startswith("SIGNALS_") or k == "DATABASE_URL")
    }
    environment.update(
        {
            "SIGNALS_HOME": str(home / "var"),
            "SIGNALS_EMBEDDING_MODEL": "hashing",  # fast topics; the e5 model has its own tests
            "SIGNALS_SOURCES_FILE": str(home / "sources.yaml"),
            "COLUMNS": "200",
        }
    )
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "signals.cli", *args],
        cwd=home,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_command_has_help(tmp_path):
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    commands = [
        "init",
        "config",
        "sources",
        "collect",
        "import",
        "analyze",
        "list",
        "show",
        "feedback",
        "brief",
        "report",
        "demo",
        "runs",
    ]
    for command in commands:
        assert command in result.stdout
        sub = run([command, "--help"], tmp_path)
        assert sub.returncode == 0 and "Usage" in sub.stdout, command


def test_init_and_config_mask_secrets(tmp_path):
    result = run(["init"], tmp_path)
    assert result.returncode == 0 and "base de données prête : " in result.stdout
    database = os.environ.get("SIGNALS_DATABASE_URL") or f"sqlite:///{tmp_path / 'var' / 'signals.db'}"
    engine = create_engine(database)
    assert "documents" in inspect(engine).get_table_names()
    engine.dispose()
    config = run(["config"], tmp_path, {"SIGNALS_SMTP__PASSWORD": "hunter2"})
    assert config.returncode == 0 and "hunter2" not in config.stdout and "********" in config.stdout


def test_bad_input_exits_non_zero_with_one_line(tmp_path):
    cases = [
        (["import", str(tmp_path / "missing.jsonl")], "missing.jsonl : fichier introuvable"),
        (["analyze", "--as-of", "2026-13-01"], "n'est pas une date (AAAA-MM-JJ)"),
        (["brief", "--week", "2026-53x"], "la forme attendue est AAAA-Wss"),
        (["show", "999"], "erreur : aucun signal n° 999"),
        (["feedback", "1", "maybe"], "confirm ou dismiss attendu"),
        (["list", "--status", "bizarre"], "le statut doit être l'un de : new, rising"),
        (["report", "--quarter", "2026Q7"], "la forme attendue est AAAAQn"),
        (["sources", "list"], "erreur : fichier des sources"),
    ]
    for args, message in cases:
        result = run(args, tmp_path)
        assert result.returncode != 0, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, args


def test_import_reports_bad_lines_and_exits_zero_when_some_lines_are_imported(tmp_path):
    good = doc("Un titre", "Un texte.", date(2026, 3, 2))
    path = write_jsonl(tmp_path / "d.jsonl", [good, "{broken", {"title": "x"}])
    result = run(["import", str(path)], tmp_path)
    assert result.returncode == 0
    assert "ligne 2 : JSON invalide : " in result.stderr
    assert "ligne 3 : champ manquant : text, published_at, source" in result.stderr
    assert "3 lignes de documents — nouveaux : 1 ; rejetées : 2" in result.stdout
    bad_only = write_jsonl(tmp_path / "bad.jsonl", ["{broken"])
    assert run(["import", str(bad_only)], tmp_path).returncode == 1


@pytest.mark.slow
def test_analyze_list_show_feedback(tmp_path):
    from signals.core.sources import SourcesFile, Territory, dump_sources
    from signals.demo.synthetic import Plant, synthetic_corpus
    from signals.demo.themes import EMERGING
    from tests.conftest import COMMUNES

    dump_sources(SourcesFile(territory=Territory(name="Val", communes=COMMUNES)), tmp_path / "sources.yaml")
    corpus = synthetic_corpus(
        weeks=30,
        per_week=40,
        first_monday=date(2025, 1, 6),
        communes=COMMUNES,
        plants=[Plant(EMERGING[1], onset=24, start_rate=2.0, growth=1.3)],
        seed=3,
    )
    path = write_jsonl(tmp_path / "c.jsonl", corpus.records)
    assert run(["import", str(path)], tmp_path).returncode == 0
    analysed = run(["analyze", "--as-of", "2025-08-03"], tmp_path)
    assert analysed.returncode == 0 and "nouveau : " in analysed.stdout, analysed.stdout + analysed.stderr
    listed = json.loads(run(["list", "--json"], tmp_path).stdout)
    assert listed and listed[0]["status"] == "new"
    shown = run(["show", str(listed[0]["id"])], tmp_path)
    assert shown.returncode == 0 and "documents en 4 semaines" in shown.stdout
    dismissed = run(["feedback", str(listed[0]["id"]), "dismiss", "--note", "déjà connu"], tmp_path)
    assert dismissed.returncode == 0 and dismissed.stdout.rstrip().endswith(") : écarté")
    assert (
        json.loads(run(["list", "--status", "dismissed", "--json"], tmp_path).stdout)[0]["id"]
        == listed[0]["id"]
    )
    runs = run(["runs"], tmp_path, env={"COLUMNS": "80"})
    assert "analyse" in runs.stdout and "import" in runs.stdout and "réussi" in runs.stdout
    assert max(len(line) for line in runs.stdout.splitlines()) <= 80
    as_json = [json.loads(line) for line in run(["runs", "--json"], tmp_path).stdout.splitlines()]
    assert {r["stage"] for r in as_json} >= {"analyze", "import"} and all("counts" in r for r in as_json)


@pytest.mark.slow
def test_collect_prints_80_columns_and_json_with_each_error_whole(tmp_path):
    from signals.core.sources import SourcesFile, dump_sources
    from tests.sitefixtures import dead_url

    sources = SourcesFile.model_validate(
        {"sources": [{"name": "un-flux-dont-le-serveur-ne-repond-plus", "kind": "rss", "url": dead_url()}]}
    )
    dump_sources(sources, tmp_path / "sources.yaml")
    env = {"COLUMNS": "80", "SIGNALS_COLLECT__RETRIES": "0", "SIGNALS_COLLECT__TIMEOUT_S": "2"}
    table = run(["collect"], tmp_path, env)
    assert table.returncode == 1  # every source failed
    rows = [line for line in table.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert rows and max(len(line) for line in rows) <= 80
    assert "un-flux-dont-le-serveur-ne-repond-plus : " in table.stdout  # the error whole, on its own line
    rows = [json.loads(line) for line in run(["collect", "--json"], tmp_path, env).stdout.splitlines()]
    assert [(r["source"], r["status"]) for r in rows] == [
        ("un-flux-dont-le-serveur-ne-repond-plus", "failed")
    ]
    assert rows[0]["error"]


def test_forecast_names_each_series_it_cannot_forecast_with_its_reason(tmp_path):
    """``signals forecast`` over the store: the good series is fitted, the one with a missing month and
    the one with four months are named on stderr with their reason."""
    rows = ["series,period,value,unit,territory"]
    for i in range(36):
        year, month = divmod(i, 12)
        period = f"{2023 + year}-{month + 1:02d}"
        value = 1000 + 500 * (month in (6, 7))
        rows.append(f"nuitees/nord,{period},{value},nuitées,Nord")
        if period != "2024-05":
            rows.append(f"nuitees/trou,{period},{value},nuitées,Trou")
        if i >= 32:
            rows.append(f"nuitees/neuf,{period},{value},nuitées,Neuf")
    path = tmp_path / "obs.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run(["import", str(path)], tmp_path).returncode == 0
    result = run(["forecast", "--as-of", "2026-01-31"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 prévision réajustée, 2 séries non prévisibles" in result.stdout
    assert (
        "série nuitees/trou : trou dans la série mensuelle, périodes manquantes (1) : 2024-05-01"
        in result.stderr
    )
    assert "série nuitees/neuf : trop courte : une prévision demande au moins " in result.stderr
    assert "la série en a 4 (series.forecast_min_points)" in result.stderr
