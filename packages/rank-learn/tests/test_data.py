"""LETOR / svmlight I/O: parity with scikit-learn and the naive oracle, round trips, errors,
group files and atomic writes."""

from __future__ import annotations

import gzip
import importlib.util
import io
import math
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rank_core import threads
from rank_core.errors import (
    NonFiniteInputError,
    OptionalDependencyError,
    ParseError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.testing import raises_exactly, shared_data_dir
from rank_learn import data as data_module
from rank_learn.data import LetorData, dump_svmlight, load_letor, load_svmlight

# the naive oracles sit beside this file (pytest runs in importlib mode)
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))
import reference_data as reference

HAS_SCIPY = importlib.util.find_spec("scipy") is not None  # the [sparse] extra
SETTINGS = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def lambdarank_dir() -> Path:
    return shared_data_dir("lightgbm_lambdarank", tests_dir=Path(__file__).parent)


def write(tmp_path: Path, text: str | bytes, name: str = "data.svm") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def assert_same(a: LetorData, X: np.ndarray, y: np.ndarray, qid: np.ndarray | None) -> None:
    dense = a.X.toarray() if hasattr(a.X, "toarray") else a.X
    np.testing.assert_array_equal(dense, X, strict=True)
    np.testing.assert_array_equal(a.y, y, strict=True)
    if qid is None:
        assert a.qid is None
    else:
        np.testing.assert_array_equal(a.qid, qid, strict=True)


# ---------------------------------------------------------------------------------------------
# the real LightGBM example and scikit-learn


@pytest.mark.parametrize("name", ["rank.train", "rank.test"])
@pytest.mark.parametrize("zero_based", [True, False, "auto"])
def test_lightgbm_files_match_sklearn(
    lambdarank_dir: Path, name: str, zero_based: bool | str
) -> None:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = sklearn_datasets.load_svmlight_file(str(lambdarank_dir / name), zero_based=zero_based)
    ours = load_svmlight(lambdarank_dir / name, zero_based=zero_based)
    assert ours.X.flags.c_contiguous and ours.X.dtype == np.float64
    np.testing.assert_array_equal(ours.X, X.toarray(), strict=True)
    np.testing.assert_array_equal(ours.y, y, strict=True)
    sparse = load_svmlight(lambdarank_dir / name, zero_based=zero_based, sparse=True)
    assert type(sparse.X).__name__ == "csr_matrix"
    assert (sparse.X != X).nnz == 0 and sparse.X.shape == X.shape


def test_lightgbm_group_file_read_beside_the_data(lambdarank_dir: Path) -> None:
    train = load_svmlight(lambdarank_dir / "rank.train")
    sizes = np.loadtxt(lambdarank_dir / "rank.train.query", dtype=np.int64)
    assert train.X.shape == (3005, 300)
    assert train.qid is not None and train.qid.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(train.qid), sizes)
    assert np.unique(train.qid).size == 201 and sizes.sum() == 3005
    assert np.all(np.diff(train.qid) >= 0)  # groups follow the file order, numbered from 0
    test = load_letor(lambdarank_dir / "rank.test")
    assert test.qid is not None and test.qid.max() == 49 and test.X.shape[0] == 768


def test_lightgbm_group_file_explicit_or_off(lambdarank_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "train.txt"
    shutil.copy(lambdarank_dir / "rank.train", copy)
    assert load_svmlight(copy).qid is None  # no sibling, no qid: column
    explicit = load_svmlight(copy, query_file=lambdarank_dir / "rank.train.query")
    beside = load_svmlight(lambdarank_dir / "rank.train")
    np.testing.assert_array_equal(explicit.qid, beside.qid)
    assert load_svmlight(lambdarank_dir / "rank.train", query_file=False).qid is None


def test_lightgbm_file_round_trip(lambdarank_dir: Path, tmp_path: Path) -> None:
    train = load_svmlight(lambdarank_dir / "rank.train")
    out = tmp_path / "train.svm"
    dump_svmlight(out, train.X, train.y, train.qid, query_file=True)
    assert (tmp_path / "train.svm.query").read_text() == (
        lambdarank_dir / "rank.train.query"
    ).read_text()
    again = load_svmlight(out, n_features=300)
    assert_same(again, train.X, train.y, train.qid)
    # the data lines are the original ones plus the qid column (same entries, same numbers)
    first = (lambdarank_dir / "rank.train").read_text().splitlines()[0].split()
    written = out.read_text().splitlines()[0].split()
    assert written[0] == first[0] and written[1] == "qid:0"
    assert [(t.split(":")[0], float(t.split(":")[1])) for t in written[2:]] == [
        (t.split(":")[0], float(t.split(":")[1])) for t in first[1:]
    ]


SYNTHETIC = """\
# a LETOR-like file: comments, blanks, scientific notation, signs, CRLF
2 qid:10 1:0.5 3:-1.25e-3 7:1E+2 # docid = a
0 qid:10\t2:3\t\t4:.5 # docid = b

1.5 qid:7 1:-0 2:1e-300 6:123456789012345678901234 \r
-1 qid:10 5:+7.5
   # indented comment line
3 qid:-2 7:2.2250738585072014e-308
"""


@pytest.mark.parametrize("zero_based", [True, False, "auto"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_synthetic_file_matches_sklearn(
    tmp_path: Path, zero_based: bool | str, dtype: type
) -> None:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    path = write(tmp_path, SYNTHETIC)
    X, y, qid = sklearn_datasets.load_svmlight_file(
        str(path), zero_based=zero_based, query_id=True, dtype=dtype
    )
    ours = load_svmlight(path, zero_based=zero_based, dtype=dtype)
    assert_same(ours, X.toarray(), y, qid)
    assert ours.X.dtype == dtype
    sparse = load_svmlight(path, zero_based=zero_based, dtype=dtype, sparse=True)
    assert sparse.X.dtype == dtype
    np.testing.assert_array_equal(sparse.X.indices, X.indices)
    np.testing.assert_array_equal(sparse.X.data, X.data)


def test_synthetic_file_conventions(tmp_path: Path) -> None:
    ours = load_svmlight(write(tmp_path, SYNTHETIC), comments=True)
    assert ours.comments == ["docid = a", "docid = b", "", "", ""]
    np.testing.assert_array_equal(ours.qid, [10, 10, 7, 10, -2])  # unsorted queries kept in order
    assert ours.X.shape == (5, 7)
    assert ours.X[2, 5] == 123456789012345678901234.0 and ours.X[1, 3] == 0.5
    assert load_svmlight(write(tmp_path, SYNTHETIC)).comments is None


def test_zero_based_auto_and_n_features(tmp_path: Path) -> None:
    one_based = write(tmp_path, "1 1:1 3:3\n", "one.svm")
    assert load_svmlight(one_based).X.tolist() == [[1, 0, 3]]
    assert load_svmlight(one_based, zero_based=True).X.tolist() == [[0, 1, 0, 3]]
    zero = write(tmp_path, "1 1:1 3:3\n0 0:5\n", "zero.svm")
    assert load_svmlight(zero).X.tolist() == [[0, 1, 0, 3], [5, 0, 0, 0]]
    assert load_svmlight(one_based, n_features=6).X.shape == (1, 6)
    with raises_exactly(RankValueError, ValueError, match="n_features=2 is too small"):
        load_svmlight(one_based, n_features=2)


def test_empty_inputs(tmp_path: Path) -> None:
    for text in ["", "\n\n", "# only a comment\n  \n"]:
        empty = load_svmlight(write(tmp_path, text))
        assert empty.X.shape == (0, 0) and empty.y.shape == (0,) and empty.qid is None
        assert empty.X.dtype == np.float64 and empty.y.dtype == np.float64
        assert load_svmlight(write(tmp_path, text), n_features=4).X.shape == (0, 4)
        if HAS_SCIPY:
            assert load_svmlight(write(tmp_path, text), sparse=True).X.shape == (0, 0)
    assert load_svmlight(write(tmp_path, "2 qid:1\n0 qid:1\n"), comments=True).X.shape == (2, 0)


def test_sources_gzip_and_alias(tmp_path: Path) -> None:
    text = SYNTHETIC.encode()
    expected = load_svmlight(write(tmp_path, text))
    for source in (
        text,
        io.BytesIO(text),
        io.StringIO(SYNTHETIC),
        write(tmp_path, gzip.compress(text), "d.gz"),
    ):
        assert_same(load_svmlight(source), expected.X, expected.y, expected.qid)
    assert load_letor is load_svmlight


def test_sparse_without_scipy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with raises_exactly(OptionalDependencyError, ImportError) as info:
        load_svmlight(b"1 1:1\n", sparse=True)
    assert info.value.install_hint == 'pip install "rank-learn[sparse]"'
    assert load_svmlight(b"1 1:1\n").X.tolist() == [[1.0]]  # dense needs no scipy


# ---------------------------------------------------------------------------------------------
# the oracle, on generated files

NUMBER_TEXTS = st.one_of(
    st.integers(-5, 5).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.6g}"),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:e}"),
    st.sampled_from(
        ["0", "-0", ".5", "5.", "1E3", "+2", "1e-320", "123456789012345678901234567", "0.000001"]
    ),
)
VALUE_TEXTS = st.one_of(NUMBER_TEXTS, st.sampled_from(["nan", "NaN", "-nan"]))
BLANK = st.sampled_from([" ", "\t", "  ", " \t "])


@st.composite
def svmlight_lines(draw: st.DrawFn) -> str:
    with_qid = draw(st.booleans())
    n_rows = draw(st.integers(0, 8))
    lines = []
    for _ in range(n_rows):
        while draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", "# comment line", "  #x:1 2:3", "\r"])))
        parts = [draw(NUMBER_TEXTS)]
        if with_qid:
            parts.append(f"qid:{draw(st.integers(-3, 10**12))}")
        indices = sorted(draw(st.sets(st.integers(0, 40), max_size=6)))
        parts += [f"{index}:{draw(VALUE_TEXTS)}" for index in indices]
        line = draw(BLANK).join(parts)
        if draw(st.booleans()):
            line = draw(st.sampled_from(["", " ", "\t"])) + line
        if draw(st.booleans()):
            line += draw(st.sampled_from([" # docid = 7", "#x", " #  é ünï  ", " \t"]))
        lines.append(line)
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@SETTINGS
@given(
    svmlight_lines(),
    st.sampled_from([True, False, "auto"]),
    st.sampled_from([np.float64, np.float32]),
)
def test_reader_matches_oracle(text: str, zero_based: bool | str, dtype: type) -> None:
    raw = text.encode()
    try:
        X, y, qid, comments = reference.parse(raw, zero_based=zero_based, dtype=dtype)
    except reference.ReferenceError as expected:
        with raises_exactly(ParseError, ValueError) as info:
            load_svmlight(raw, zero_based=zero_based, dtype=dtype)
        assert info.value.line == expected.line
        return
    ours = load_svmlight(raw, zero_based=zero_based, dtype=dtype, comments=True)
    assert_same(ours, X, y, qid)
    assert ours.comments == comments
    if HAS_SCIPY:
        sparse = load_svmlight(raw, zero_based=zero_based, dtype=dtype, sparse=True)
        assert_same(sparse, X, y, qid)


BAD_TOKENS = [
    "abc",
    "3:abc",
    ":5",
    "3:",
    "-1:2",
    "qid:x",
    "qid:1",
    "1:2:3",
    "x:1",
    "1.5:2",
    "+3:1",
    "3:inf",
    "3:-Infinity",
    "3:1e999",
    "1234567890123456789:1",
    "3:1e39",
    "3:0x10",
    "3:1..2",
]


@SETTINGS
@given(svmlight_lines(), st.data())
def test_reader_reports_the_first_bad_line_like_the_oracle(text: str, data: st.DataObject) -> None:
    lines = text.split("\n")
    if not any(line.strip() for line in lines):
        lines.append("1 1:1")
    row = data.draw(st.integers(0, len(lines) - 1))
    bad = data.draw(st.sampled_from(BAD_TOKENS))
    where = data.draw(st.sampled_from(["label", "append", "prepend-feature"]))
    tokens = lines[row].split(" ")
    if where == "label":
        tokens[0] = bad
    elif where == "append":
        tokens.append(bad)
    else:
        tokens.insert(1, bad)
    lines[row] = " ".join(tokens)
    raw = "\n".join(lines).encode()
    dtype = data.draw(st.sampled_from([np.float64, np.float32]))
    try:
        reference.parse(raw, dtype=dtype)
    except reference.ReferenceError as expected:
        with raises_exactly(ParseError, ValueError) as info:
            load_svmlight(raw, dtype=dtype)
        assert info.value.line == expected.line
    else:
        load_svmlight(raw, dtype=dtype)


# ---------------------------------------------------------------------------------------------
# writing: exact round trips, the oracle's text

FINITE = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def datasets(
    draw: st.DrawFn,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str | None] | None]:
    n_rows = draw(st.integers(0, 6))
    n_cols = draw(st.integers(0, 6))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    width = 32 if dtype == np.float32 else 64
    cell = st.one_of(
        st.just(0.0),
        st.floats(allow_infinity=False, width=width),
        st.integers(-3, 3).map(float),
        st.sampled_from([0.1, 1e-300, 5e-324, 1.7976931348623157e308]),
    )
    X = np.array(
        draw(
            st.lists(
                st.lists(cell, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows
            )
        ),
        dtype=np.float64,
    )
    with np.errstate(over="ignore"):
        X = X.reshape(n_rows, n_cols).astype(dtype)
    X[np.isinf(X)] = 1.0
    y = np.array(
        draw(
            st.lists(
                st.one_of(st.integers(-2, 4).map(float), FINITE), min_size=n_rows, max_size=n_rows
            )
        )
    )
    qid = None
    if draw(st.booleans()):
        qid = np.sort(
            np.array(
                draw(st.lists(st.integers(0, 2**40), min_size=n_rows, max_size=n_rows)),
                dtype=np.int64,
            )
        )
    comments = None
    if draw(st.booleans()):
        text = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc")), max_size=8)
        comments = draw(st.lists(st.one_of(st.none(), text), min_size=n_rows, max_size=n_rows))
    return X, y, qid, comments


@SETTINGS
@given(datasets(), st.booleans(), st.booleans())
def test_dump_then_load_is_exact(
    tmp_path_factory: pytest.TempPathFactory, dataset: tuple, sparse: bool, zero_based: bool
) -> None:
    X, y, qid, comments = dataset
    folder = tmp_path_factory.mktemp("dump")
    path = folder / "data.svm"
    matrix = X
    if sparse and HAS_SCIPY:
        from scipy.sparse import csr_matrix

        matrix = csr_matrix(X)
    dump_svmlight(
        path, matrix, y, qid, zero_based=zero_based, comments=comments, query_file=qid is not None
    )
    assert path.read_text(encoding="utf-8") == reference.dump(
        X, y, qid, zero_based=zero_based, comments=comments
    )
    loaded = load_svmlight(
        path, n_features=X.shape[1], zero_based=zero_based, dtype=X.dtype, comments=True
    )
    assert_same(loaded, X, y, qid)
    if comments is not None:
        assert loaded.comments == [c or "" for c in comments]
    if qid is not None:  # the group file agrees with the qid column (checked on load)
        load_svmlight(path, zero_based=zero_based, query_file=Path(f"{path}.query"))


def test_dump_text_and_gzip(tmp_path: Path) -> None:
    X = np.array([[0.5, 0.0, 3.0], [0.0, 0.0, 0.0], [np.nan, 1e-300, 0.1]])
    path = tmp_path / "out.svm"
    dump_svmlight(path, X, [2.0, 0.0, 1.5], [1, 1, 3], comments=["a", None, ""])
    assert path.read_text() == "2 qid:1 1:0.5 3:3 # a\n0 qid:1\n1.5 qid:3 1:nan 2:1e-300 3:0.1\n"
    dump_svmlight(path, X[:1], [1], zero_based=True)
    assert path.read_text() == "1 0:0.5 2:3\n"
    dump_svmlight(path, np.array([[0.1]], dtype=np.float32), [1])
    assert path.read_text() == "1 1:0.1\n"
    assert load_svmlight(path, dtype=np.float32).X[0, 0] == np.float32(0.1)
    zipped = tmp_path / "out.svm.gz"
    dump_svmlight(zipped, X, [2, 0, 1.5])
    assert gzip.decompress(zipped.read_bytes()).startswith(b"2 1:0.5 3:3\n")
    np.testing.assert_array_equal(load_svmlight(zipped).X, X)


def test_dump_sparse_duplicates_and_explicit_zeros(tmp_path: Path) -> None:
    scipy_sparse = pytest.importorskip("scipy.sparse")
    matrix = scipy_sparse.coo_matrix(
        ([1.0, 2.0, 0.0, 4.0], ([0, 0, 1, 1], [2, 2, 0, 1])), shape=(2, 3)
    )
    path = tmp_path / "s.svm"
    dump_svmlight(path, matrix, [1, 0])
    assert path.read_text() == "1 3:3\n0 2:4\n"
    assert matrix.nnz == 4  # the caller's matrix is not modified


# ---------------------------------------------------------------------------------------------
# errors: exact class, builtin base, line number

PARSE_ERRORS = [
    ("1 1:1\nabc 1:2\n", 2, "label 'abc' is not a number"),
    ("1:2 3:4\n", 1, "missing label"),
    ("qid:1 1:2\n", 1, "missing label"),
    ("1 qid:x 1:2\n", 1, "'qid:x'"),
    ("1 qid:\n", 1, "must be an integer"),
    ("1 1:2 qid:3\n", 1, "right after the label"),
    ("\n\n1 3:abc\n", 3, "'3:abc'"),
    ("1 abc\n", 1, "is not index:value"),
    ("1 :5\n", 1, "no index"),
    ("1 3:\n", 1, "no value"),
    ("1 3:1 3:2\n", 1, "duplicate feature index"),
    ("1 5:1 3:2\n", 1, "follows index 5"),
    ("1 -1:2\n", 1, "negative feature index"),
    ("1 1234567890123456789:1\n", 1, "more than 18 digits"),
    ("nan 1:2\n", 1, "not a finite number"),
    ("-inf 1:2\n", 1, "not a finite number"),
    ("1e999 1:2\n", 1, "not a finite number"),
    ("1 2:inf\n", 1, "infinite value"),
    ("1 2:1e999\n", 1, "overflows float64"),
    ("1 qid:1 1:1\n# c\n0 1:1\n", 3, "has no 'qid:'"),
    ("1 1:1\n0 qid:1 1:1\n", 2, "has 'qid:'"),
    ("1 1:1\n0 0:1\n", 2, "index 0"),  # zero_based=False below
    ("1 0:1\n0 1:x\n", 1, "index 0"),  # before a later bad token
    ("1 1:2e-5 2:1e400\n0 3:x\n", 1, "overflows"),  # a slow-path number before a kernel error
    ("1 1:x\n0 2:1e400\n", 1, "'1:x'"),
]


@pytest.mark.parametrize(("text", "line", "match"), PARSE_ERRORS)
def test_parse_errors(tmp_path: Path, text: str, line: int, match: str) -> None:
    path = write(tmp_path, text)
    with raises_exactly(ParseError, ValueError, match=match) as info:
        load_svmlight(path, zero_based=False)
    assert info.value.line == line
    assert info.value.path == str(path)


def test_float32_overflow(tmp_path: Path) -> None:
    path = write(tmp_path, "1 1:1\n1 1:1e39\n")
    assert load_svmlight(path).X[1, 0] == 1e39
    with raises_exactly(ParseError, ValueError, match="overflows float32") as info:
        load_svmlight(path, dtype=np.float32)
    assert info.value.line == 2


def test_bad_comment_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, b"1 1:1 # ok\n0 1:2 # \xff\xfe\n")
    assert load_svmlight(path).X.shape == (2, 1)  # comments are not decoded unless asked for
    with raises_exactly(ParseError, ValueError, match="UTF-8") as info:
        load_svmlight(path, comments=True)
    assert info.value.line == 2


def test_missing_file(tmp_path: Path) -> None:
    with raises_exactly(ParseError, ValueError, match="cannot read the file") as info:
        load_svmlight(tmp_path / "nope.svm")
    assert info.value.path == str(tmp_path / "nope.svm") and info.value.line is None


GROUP_ERRORS = [
    ("2\n2\n", None, "add up to 4 rows but"),
    ("1\nabc\n", 2, "'abc' is not a positive integer"),
    ("0\n3\n", 1, "'0' is not a positive integer"),
    ("1.5\n", 1, "'1.5' is not a positive integer"),
    ("1 2\n", 1, "one group size per line"),
]


@pytest.mark.parametrize(("groups", "line", "match"), GROUP_ERRORS)
def test_group_file_errors(tmp_path: Path, groups: str, line: int | None, match: str) -> None:
    path = write(tmp_path, "1 1:1\n0 1:2\n1 1:3\n")
    query = write(tmp_path, groups, "data.svm.query")
    with raises_exactly(ParseError, ValueError, match=match) as info:
        load_svmlight(path)
    assert info.value.path == str(query) and info.value.line == line


def test_group_file_disagreeing_with_qid(tmp_path: Path) -> None:
    path = write(tmp_path, "1 qid:1 1:1\n0 qid:1 1:2\n1 qid:2 1:3\n")
    good = write(tmp_path, "2\n1\n", "good.query")
    bad = write(tmp_path, "1\n2\n", "bad.query")
    write(tmp_path, "3\n", "data.svm.query")  # a sibling is ignored when lines carry qid:
    np.testing.assert_array_equal(load_svmlight(path).qid, [1, 1, 2])
    np.testing.assert_array_equal(load_svmlight(path, query_file=good).qid, [1, 1, 2])
    with raises_exactly(ParseError, ValueError, match="disagree") as info:
        load_svmlight(path, query_file=bad)
    assert info.value.path == str(bad)


def test_bad_arguments() -> None:
    text = b"1 1:1\n"
    with raises_exactly(RankValueError, ValueError):
        load_svmlight(text, zero_based="yes")
    with raises_exactly(RankValueError, ValueError):
        load_svmlight(text, zero_based=1)
    with raises_exactly(RankValueError, ValueError):
        load_svmlight(text, dtype=np.int64)
    with raises_exactly(RankTypeError, TypeError):
        load_svmlight(text, dtype="not a dtype")
    with raises_exactly(RankTypeError, TypeError):
        load_svmlight(text, sparse="yes")
    with raises_exactly(RankTypeError, TypeError):
        load_svmlight(text, query_file=3)
    with raises_exactly(RankValueError, ValueError):
        load_svmlight(text, n_features=-1)
    with raises_exactly(RankTypeError, TypeError):
        load_svmlight(12)


def test_dump_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.svm"
    X = np.ones((2, 2))
    with raises_exactly(NonFiniteInputError, ValueError):
        dump_svmlight(path, [[np.inf, 1.0], [0.0, 0.0]], [1, 2])
    with raises_exactly(NonFiniteInputError, ValueError):
        dump_svmlight(path, X, [np.nan, 2])
    with raises_exactly(ShapeMismatchError, ValueError):
        dump_svmlight(path, X, [1, 2, 3])
    with raises_exactly(ShapeMismatchError, ValueError):
        dump_svmlight(path, X, [1, 2], [1])
    with raises_exactly(ShapeMismatchError, ValueError):
        dump_svmlight(path, np.ones(3), [1, 2, 3])
    with raises_exactly(RankValueError, ValueError, match="needs qid"):
        dump_svmlight(path, X, [1, 2], query_file=True)
    with raises_exactly(RankValueError, ValueError, match="qid 1 appears again at row 2"):
        dump_svmlight(path, np.ones((3, 1)), [1, 2, 3], [1, 2, 1], query_file=True)
    with raises_exactly(RankValueError, ValueError, match="line break"):
        dump_svmlight(path, X, [1, 2], comments=["a", "b\nc"])
    with raises_exactly(RankTypeError, TypeError):
        dump_svmlight(path, X, [1, 2], comments="ab")
    with raises_exactly(RankTypeError, TypeError):
        dump_svmlight(path, [[True, False]], [1])
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_dump_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.svm"
    with pytest.raises(FileNotFoundError):
        dump_svmlight(missing, np.ones((1, 1)), [1])
    assert list(tmp_path.iterdir()) == []

    path = tmp_path / "x.svm"
    dump_svmlight(path, np.ones((2, 1)), [1, 0], [1, 1], query_file=True)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with raises_exactly(ShapeMismatchError, ValueError):
        dump_svmlight(path, np.ones((3, 1)), [1, 0], [1, 1, 2], query_file=True)

    def broken(out, *args, **kwargs):  # fails half-way through writing
        out.write("1 1:1\n")
        raise RuntimeError("disk full")

    monkeypatch.setattr(data_module, "_write_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        dump_svmlight(path, np.ones((2, 1)), [5, 5], [2, 2], query_file=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# ---------------------------------------------------------------------------------------------
# files large enough for several chunks (rank-core cuts chunks of >= 1 MiB)


def big_text(n_rows: int = 24_000, with_qid: bool = True) -> list[str]:
    rng = np.random.default_rng(7)
    values = np.round(rng.random((n_rows, 12)), 5).tolist()
    lines = []
    for r in range(n_rows):
        qid = f" qid:{r // 20}" if with_qid else ""
        features = " ".join(f"{j + 1}:{values[r][j]!r}" for j in range(0, 12, 1 + r % 3))
        lines.append(f"{r % 5}{qid} {features} # row {r}")
    return lines


@pytest.fixture(scope="module")
def big_lines() -> list[str]:
    return big_text()


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the parallel reader from 0 bytes (it is used from 8 MiB): a 2-4 MiB file then gets
    rank-core's chunks of >= 1 MiB, as many as numba's threads allow."""
    monkeypatch.setattr(data_module, "_PARALLEL_FROM", 0)


@pytest.mark.usefixtures("parallel")
def test_several_chunks_match_the_oracle_and_one_thread(big_lines: list[str]) -> None:
    raw = ("\n".join(big_lines) + "\n").encode()
    assert len(raw) > 2 << 20
    X, y, qid, comments = reference.parse(raw)
    with threads(min(2, numba.config.NUMBA_NUM_THREADS)) as n:
        buf = np.frombuffer(raw, dtype=np.uint8)
        expected = min(4 * n, len(raw) >> 20) if n > 1 else 1  # rank-core's chunks: >= 1 MiB
        assert data_module._parse(buf, None).info.shape[0] == expected
        ours = load_svmlight(raw, comments=True)
        sparse = load_svmlight(raw, sparse=True) if HAS_SCIPY else ours
    assert_same(ours, X, y, qid)
    assert_same(sparse, X, y, qid)
    assert ours.comments == comments
    with threads(1):
        assert_same(load_svmlight(raw), X, y, qid)


@pytest.mark.parametrize(
    ("edits", "line"),
    [
        ({20_000: "1 1:abc", 3: "1 qid:1 2:1 1:1"}, 4),  # two bad lines in different chunks
        ({20_000: "1 1:abc"}, 20_001),
        ({23_999: "2 1:1"}, 24_000),  # qid: missing in the last chunk only
        ({12_000: "4 qid:1 1:1e999"}, 12_001),  # slow path, mid-file
        ({5: "4 qid:1 1:1e999", 20_000: "1 1:abc"}, 6),
    ],
)
@pytest.mark.usefixtures("parallel")
def test_several_chunks_report_the_first_bad_line(
    big_lines: list[str], edits: dict[int, str], line: int
) -> None:
    lines = list(big_lines)
    for row, text in edits.items():
        lines[row] = text
    raw = ("\n".join(lines) + "\n").encode()
    for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
        with threads(n), raises_exactly(ParseError, ValueError) as info:
            load_svmlight(raw)
        assert info.value.line == line


@pytest.mark.usefixtures("parallel")
def test_several_chunks_without_qid(big_lines: list[str]) -> None:
    lines = [line.split(" ", 2)[0] + " " + line.split(" ", 2)[2] for line in big_lines]
    raw = ("\n".join(lines) + "\n").encode()
    ours = load_svmlight(raw)
    assert ours.qid is None and ours.X.shape == (24_000, 12)
    assert math.isclose(float(ours.y.sum()), float(sum(r % 5 for r in range(24_000))))


def test_float32_cast_safety_net() -> None:
    # the kernel's numbers always fit float32 (and Python checks the others), but a value that
    # became infinite in the cast would still be reported at its line
    parsed = SimpleNamespace(lines=np.array([4, 9, 12]), path="f.svm")
    rows = np.array([0, 2])
    data_module._check_cast(
        np.ones((2, 2), dtype=np.float32), None, parsed, rows, np.dtype(np.float32)
    )
    with raises_exactly(ParseError, ValueError, match="overflows float32") as info:
        data_module._check_cast(
            np.array([[1, 0], [0, np.inf]], dtype=np.float32),
            None,
            parsed,
            rows,
            np.dtype(np.float32),
        )
    assert info.value.line == 12
    with raises_exactly(ParseError, ValueError) as info:
        data_module._check_cast(
            np.array([1, np.inf], dtype=np.float32),
            np.array([0, 1, 2]),
            parsed,
            rows,
            np.dtype(np.float32),
        )
    assert info.value.line == 12


def test_warmup_compiles_every_kernel() -> None:
    data_module._warmup()
