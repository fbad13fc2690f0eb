"""Measure what installing embedshift costs: site-packages of a fresh venv per extra.

    python3.11 scripts/install_size.py                      the core (the sidecar) and [all]
    python3.11 scripts/install_size.py core batch all      any of: core, calibrator, batch,
                                                            inventory, demo, all

For each choice it makes a fresh virtual environment in a temporary folder with the running
interpreter (``python -m venv``), installs a copy of this checkout into it (``pip install SRC`` or
``pip install 'SRC[extra]'``, not editable, so the distribution itself is counted), and
measures its site-packages with ``du -sk``, whole and beyond the same folder of an empty
venv (pip and setuptools, which every venv has). Prints one row per choice, and the figures
as JSON with ``--json``. pip's cache makes a second run fast; the sizes do not depend on it.
"""

# ruff: noqa: S603, S607 - it runs the tools it names (venv, pip, du) on paths it made
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHOICES = ("core", "calibrator", "batch", "inventory", "demo", "all")


def site_packages(venv: Path) -> Path:
    """The site-packages folder of ``venv``."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return venv / "lib" / version / "site-packages"


def du_kib(path: Path) -> int:
    """``du -sk path``: disk usage in KiB."""
    done = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[0])


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment of the running interpreter."""
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    return folder


def copy_of_checkout(folder: Path) -> Path:
    """What the distribution is built from, copied (a build in place leaves build/ behind)."""
    folder.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, folder / name)
    for package in ("proxy", "calibrator"):
        shutil.copytree(
            ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return folder


def installed(folder: Path, source: Path, choice: str) -> list[str]:
    """Install ``source`` with ``choice`` into a fresh venv; the distributions it holds."""
    venv = fresh_venv(folder)
    target = str(source) if choice == "core" else f"{source}[{choice}]"
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    done = subprocess.run(
        [*pip, "install", "--quiet", "--disable-pip-version-check", target],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"pip install {target} failed:\n{done.stderr}")
    listed = subprocess.run(
        [*pip, "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(d["name"] for d in json.loads(listed.stdout))


def main() -> int:
    """Measure every choice asked for; print the table (and the JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("choices", nargs="*", choices=CHOICES, help="default: core all")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, dict[str, object]] = {}
    print(f"{'install':<11} {'site-packages':>13} {'beyond venv':>12} {'distributions':>14}")
    with tempfile.TemporaryDirectory(prefix="embedshift-size-") as tmp:
        base = du_kib(site_packages(fresh_venv(Path(tmp) / "empty")))
        source = copy_of_checkout(Path(tmp) / "src")
        for choice in args.choices or ["core", "all"]:
            folder = Path(tmp) / choice
            dists = installed(folder, source, choice)
            kib = du_kib(site_packages(folder))
            figures[choice] = {
                "site_packages_mib": round(kib / 1024, 1),
                "beyond_empty_venv_mib": round((kib - base) / 1024, 1),
                "distributions": len(dists),
            }
            print(f"{choice:<11} {kib / 1024:>9.1f} MiB {(kib - base) / 1024:>8.1f} MiB "
                  f"{len(dists):>14}")  # fmt: skip
    python = sys.version.split()[0]
    print(f"(an empty venv's site-packages, pip and setuptools: {base / 1024:.1f} MiB; "
          f"Python {python}; du -sk)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
