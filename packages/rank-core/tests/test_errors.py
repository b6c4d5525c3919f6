from __future__ import annotations

import pytest

from rank_core import (
    NonFiniteInputError,
    NotFittedError,
    OptionalDependencyError,
    ParseError,
    RankError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.optional import require


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (RankValueError, (RankError, ValueError)),
        (RankTypeError, (RankError, TypeError)),
        (ShapeMismatchError, (RankValueError, ValueError)),
        (NonFiniteInputError, (RankValueError, ValueError)),
        (ParseError, (RankValueError, ValueError)),
        (NotFittedError, (RankError, ValueError, AttributeError)),
        (OptionalDependencyError, (RankError, ImportError)),
    ],
)
def test_hierarchy(error, bases):
    for base in bases:
        assert issubclass(error, base)
    assert issubclass(error, RankError)


def test_parse_error_carries_path_and_line():
    err = ParseError("expected 6 fields", path="runs/a.txt", line=12)
    assert (err.path, err.line, err.message) == ("runs/a.txt", 12, "expected 6 fields")
    assert str(err) == "runs/a.txt:12: expected 6 fields"
    assert str(ParseError("empty")) == "<input>: empty"


def test_optional_dependency_error_message_has_install_command():
    err = OptionalDependencyError("CrossEncoder", missing="onnxruntime", distribution="rank-rerank", extra="onnx")
    assert err.install_hint == 'pip install "rank-rerank[onnx]"'
    assert 'pip install "rank-rerank[onnx]"' in str(err)
    assert err.name == "onnxruntime"


def test_require_imports_or_raises_with_hint():
    assert require("json", feature="x", distribution="rank-core", extra="pandas").dumps([1]) == "[1]"
    with pytest.raises(OptionalDependencyError) as info:
        require("surely_not_installed_module.sub", feature="Run.to_pandas", distribution="rank-core", extra="pandas")
    assert isinstance(info.value, ImportError)
    assert 'pip install "rank-core[pandas]"' in str(info.value)
    assert info.value.missing == "surely_not_installed_module"
