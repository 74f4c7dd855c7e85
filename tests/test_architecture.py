"""The house rules that keep the code readable (ARCHITECTURE.md): imports point down, models are pure,
entry points are thin, and no module grows past ~500 lines without saying why."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("signals", "collectors", "models", "reports")
MAX_LINES = 500


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """import-linter's contracts of ``tree``'s pyproject.toml, on the packages of ``tree``."""
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )


def test_imports_point_down_and_models_are_pure():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract bites: a stage importing the pipeline is reported (checked on a copy of the tree)."""
    copy = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    stage = copy / "signals" / "stages" / "housekeeping.py"
    stage.write_text(stage.read_text() + "\n\nfrom signals.pipeline import analyze  # noqa: E402\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "signals.stages.housekeeping -> signals.pipeline" in result.stdout


def test_the_scheduler_entry_point_imports_only_the_service_and_the_core():
    tree = ast.parse((ROOT / "scheduler.py").read_text())
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES
    }
    assert imported and all(m.startswith(("signals.service", "signals.core")) for m in imported), imported


def test_long_modules_say_why_in_their_docstring():
    too_long = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").count("\n")
            if lines > MAX_LINES:
                docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
                if "longer than" not in docstring.casefold():
                    too_long.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert not too_long, "split these modules or say in their docstring why they are longer than 500 lines"
