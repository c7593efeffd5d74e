"""The layers of the recovery app hold (docs/architecture.md): no module imports one above it, and no
import circle inside a concern. The contract is `[tool.importlinter]` in pyproject.toml; this runs it
with import-linter's own command, once on the code and once on a copy with an upward import added
(which it must refuse)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path) -> subprocess.CompletedProcess:
    # cwd first on the path: import-linter reads this tree's `recovery`, not the installed one.
    return subprocess.run([str(LINT), "--config", "pyproject.toml", "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_the_layers_and_the_no_circle_contracts_are_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, upward", [
    ("recovery/money/rules.py", "from recovery.cases import services"),  # money's rules reach up to steps
    ("recovery/letters/compose.py", "from recovery.clocks import tasks"),  # the circle that was broken
    ("recovery/models.py", "from recovery.access import checks"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, upward):
    shutil.copytree(ROOT / "recovery", tmp_path / "recovery", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    assert lint(tmp_path).returncode == 0  # the copy is as good as the code
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{upward}  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
    assert module[:-3].replace("/", ".") in result.stdout  # the report names the offending module
