"""The installed distribution imports, reports one PEP 440 version and ships py.typed."""

import rank_eval
from rank_core.testing import check_installed_package


def test_installed_package() -> None:
    check_installed_package(rank_eval, "rank-eval")
