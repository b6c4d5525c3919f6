"""The installed distribution imports, reports one PEP 440 version and ships py.typed."""

import rank_fusion
from rank_core.testing import check_installed_package


def test_installed_package() -> None:
    check_installed_package(rank_fusion, "rank-fusion")


def test_warmup_runs_every_kernel() -> None:
    assert rank_fusion.warmup() >= 0.0
