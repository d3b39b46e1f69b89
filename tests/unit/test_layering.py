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


def test_the_redesign_contracts_are_stated():
    """The rules of ARCHITECTURE.md stay in pyproject.toml: removing one fails here."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    independent = [set(c["modules"]) for c in contracts if c["type"] == "independence"]
    assert {"node.web", "node.api"} in independent
    forbidden = {(source, module) for c in contracts if c["type"] == "forbidden"
                 for source in c["source_modules"] for module in c["forbidden_modules"]}
    # node.cli is the package: a contract on it covers node.cli.connector, .events, ...
    for source in ("node.periodic", "node.cli"):
        assert {(source, "node.web"), (source, "node.api")} <= forbidden, source
    # Every feature package (a folder of node/ with its models.py) and the shared models.
    features = sorted(f"node.{path.parent.name}" for path in (ROOT / "node").glob("*/models.py"))
    assert {"node.accounts", "node.members", "node.events", "node.regional", "node.network",
            "node.connector", "node.federation"} <= set(features)
    for source in (*features, "node.models"):
        assert {(source, "flask"), (source, "flask_babel"), (source, "flask_wtf")} <= forbidden, source
        assert {(source, "node.web"), (source, "node.api"), (source, "node.http"),
                (source, "node.notices")} <= forbidden, source
    layered = {module.strip() for c in contracts if c["type"] == "layers"
               for layer in c["layers"] for module in layer.split("|")}
    assert set(features) <= layered, "every feature package has its place in the layers contract"
