"""The installed distribution imports, reports one PEP 440 version and ships py.typed."""

import importlib.metadata
import re
from importlib.resources import files

import rank_eval
from rank_eval import __about__

# PEP 440, appendix B: the canonical public version format.
_CANONICAL = re.compile(
    r"([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?"
)


def _is_pep440(text: str) -> bool:
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return _CANONICAL.fullmatch(text) is not None
    try:
        return str(Version(text)) == text
    except InvalidVersion:
        return False


def test_version_comes_from_about() -> None:
    assert rank_eval.__version__ == __about__.__version__
    assert "__version__" in rank_eval.__all__


def test_version_is_pep440() -> None:
    assert _is_pep440(rank_eval.__version__), rank_eval.__version__


def test_installed_metadata_matches() -> None:
    assert importlib.metadata.version("rank-eval") == rank_eval.__version__


def test_ships_py_typed() -> None:
    assert files("rank_eval").joinpath("py.typed").is_file()
