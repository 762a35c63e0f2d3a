"""Shared test fixtures: the shared/ folder of real reports, LibreOffice, and filled filings."""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_shared() -> Path:
    """The ../shared folder (real reports, the seed). Absent in a user's clone: skip there, never under CI."""
    if not (SHARED / "reference" / "FORMAT.md").is_file():
        if IN_CI:
            pytest.fail("../shared is missing under CI=true: the real-report tests must run in CI")
        pytest.skip("../shared (real reports and the seed) is not beside this clone")
    return SHARED


@pytest.fixture
def shared() -> Path:
    return need_shared()


def soffice_path() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is missing under CI=true: .ci/run must install libreoffice-calc")
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe


@pytest.fixture(scope="session")
def soffice() -> str:
    return soffice_path()


def valid_values(fmt, rng: random.Random, scale: int = 20) -> dict:
    """Random numbers that satisfy every identity of the format (a valid filing's cells)."""
    from nianbao.sample_data import random_valid_values

    return random_valid_values(fmt, rng, scale)


@pytest.fixture
def fmt2021():
    from nianbao.formats import load_format

    return load_format("2021")
