# ruff: noqa: S603, S607 - fixed commands: pip, venv and setpriv on our own files
"""The package as production installs it: built from the sources alone (no compiled catalogs),
installed by root, run by an unprivileged user (docs/OPERATING.md §1, deploy/Dockerfile).

The service account cannot write into the installed package, so the node must still start,
migrate its database and speak French, with its catalogs compiled into its instance folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to run the node as an unprivileged user",
)

SCRIPT = """
import sys
from pathlib import Path

import node
from node import create_app
from node.migrate import upgrade

package = Path(node.__file__).parent
assert str(package).startswith(sys.argv[1]), package
instance = Path(sys.argv[2])
url = f"sqlite:///{instance / 'coworknet.sqlite3'}"
upgrade(url)
app = create_app({"SECRET_KEY": "x" * 40, "DATABASE_URL": url, "INSTANCE_PATH": str(instance),
                  "BASE_URL": "https://coworking.example", "NODE_NAME": "La Ruche"})
page = app.test_client().get("/login", headers={"Accept-Language": "fr"})
assert page.status_code == 200, page.status_code
assert "Se connecter" in page.get_data(as_text=True)
assert not list(package.glob("translations/**/*.mo"))
print(len(list((instance / "cache" / "translations").glob("**/*.mo"))))
"""


def _interpreter_seeing(site: Path, venv: Path) -> Path:
    """A bare virtualenv whose path is the installed package, then the test environment's
    dependencies (listed in a .pth, so the editable install of the checkout is not loaded)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = Path(sysconfig.get_paths(vars={"base": str(venv)})["purelib"])
    ours = Path(sysconfig.get_paths()["purelib"])
    (purelib / "coworknet-test.pth").write_text(f"{site}\n{ours}\n")
    return venv / "bin" / "python"


def test_a_root_installed_package_runs_as_an_unprivileged_user(tmp_path):
    sources = tmp_path / "src"
    for name in ("node", "federation", "schemas"):
        shutil.copytree(ROOT / name, sources / name,
                        ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, sources / name)
    base = Path(tempfile.mkdtemp(prefix="coworknet-installed-"))  # readable by the service user
    base.chmod(0o755)
    site = base / "site"
    instance = Path(tempfile.mkdtemp(prefix="coworknet-instance-"))
    try:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", str(site), str(sources)],
                       check=True, capture_output=True, timeout=300)
        os.chown(instance, NOBODY, NOBODY)
        python = _interpreter_seeing(site, base / "venv")
        run = subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
             str(python), "-c", SCRIPT, str(site), str(instance)],
            env={"PATH": os.environ["PATH"], "HOME": str(instance),
                 "PYTHONDONTWRITEBYTECODE": "1"},
            cwd=instance, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        compiled = int(run.stdout.strip().splitlines()[-1])
        assert compiled == len(list((ROOT / "node" / "translations").glob("*/*/LC_MESSAGES/*.po")))
    finally:
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(instance, ignore_errors=True)
