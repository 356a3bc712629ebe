"""Shared fixtures: the repository's sample data and the `banchi` CLI the bindings are
compared with (built with cargo when it is not there yet)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SAMPLE_ORDERS = DATA / "sample_orders.csv"
SAMPLE_FRAUD = DATA / "sample_fraud.csv"


def _target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def _built(kind: str, name: str) -> Path:
    """`target/PROFILE/NAME` (kind "bin") or `target/PROFILE/examples/NAME`, built if missing.
    PROFILE is `$BANCHI_PROFILE` (`.ci/run` sets `ci`, the profile its Rust stage built),
    `release` by default."""
    profile = os.environ.get("BANCHI_PROFILE", "release")
    out = _target_dir() / profile
    path = out / name if kind == "bin" else out / "examples" / name
    if not path.exists():
        flag = "--bin" if kind == "bin" else "--example"
        subprocess.run(
            ["cargo", "build", "--profile", profile, flag, name], cwd=ROOT, check=True
        )
    return path


@pytest.fixture(scope="session")
def banchi_bin() -> Path:
    given = os.environ.get("BANCHI_BIN")
    return Path(given) if given else _built("bin", "banchi")


@pytest.fixture(scope="session")
def gen_orders_bin() -> Path:
    return _built("example", "gen_orders")


@pytest.fixture(scope="session")
def cli(banchi_bin):
    """Runs the CLI; returns its stdout (raises when it fails)."""

    def run(*args: str | os.PathLike[str]) -> str:
        done = subprocess.run(
            [str(banchi_bin), *map(str, args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if done.returncode not in (0, 1):
            raise AssertionError(f"banchi {args[0]} failed: {done.stderr}")
        return done.stdout

    return run


@pytest.fixture(scope="session")
def cli_json_lines(cli):
    def run(*args: str | os.PathLike[str]) -> list[dict]:
        return [json.loads(line) for line in cli(*args).splitlines() if line.strip()]

    return run


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sample_addresses() -> list[str]:
    return [r["address"] for r in read_csv_rows(SAMPLE_ORDERS)]


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, cli) -> Path:
    """data/sample_fraud.csv built into an index file by the CLI."""
    path = tmp_path_factory.mktemp("index") / "sample_fraud.idx"
    cli("index", "build", SAMPLE_FRAUD, "-o", path)
    return path
