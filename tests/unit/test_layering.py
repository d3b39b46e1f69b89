"""The import contracts of ARCHITECTURE.md, checked with import-linter."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the test extras"
    result = subprocess.run([lint, str(ROOT / "pyproject.toml")], cwd=ROOT,  # noqa: S603
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
