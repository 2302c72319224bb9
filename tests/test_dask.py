"""Batches and comparisons on a Dask distributed cluster (a LocalCluster on loopback) give a local run's bytes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from portfolio_inputs import build

from perfeval_rules.batch import _dask
from perfeval_rules.cli import cli

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_a_folder_of_reports_is_the_same_as_a_local_run(tmp_path: Path, scheduler: str, fmt: str) -> None:
    inputs = build(tmp_path / "in")
    local, remote = tmp_path / "local", tmp_path / "dask"
    common = ["evaluate", str(inputs), "--rules", "cn-mof-2020", "--format", fmt]
    code, _, err = _run(*common, "-o", f"{local}/")
    assert code == 1, err  # the broken input fails in both runs
    code, _, err_dask = _run(*common, "-o", f"{remote}/", "--executor", "dask", "--scheduler", scheduler)
    assert code == 1, err_dask
    assert err_dask == err.replace(str(local), str(remote))
    local_files, remote_files = _files(local), _files(remote)
    assert sorted(remote_files) == sorted(local_files)
    assert len(local_files) >= 5
    for name, data in local_files.items():
        assert remote_files[name] == data.replace(str(local).encode(), str(remote).encode()), name


def test_a_json_stream_is_the_same_as_a_local_run(tmp_path: Path, scheduler: str) -> None:
    inputs = build(tmp_path / "in")
    common = ["evaluate", str(inputs), "--rules", "cn-mof-2020", "--format", "json"]
    local = _run(*common)
    remote = _run(*common, "--executor", "dask", "--scheduler", scheduler)
    assert remote == local
    assert local[1].startswith("[")


def test_a_comparison_is_the_same_as_a_local_run(tmp_path: Path, scheduler: str) -> None:
    inputs = build(tmp_path / "in")
    common = ["compare", str(inputs), "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020", "--format", "json"]
    local = _run(*common)
    remote = _run(*common, "--executor", "dask", "--scheduler", scheduler)
    assert remote == local
    assert '"forms"' in local[1]


def test_dask_not_installed_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    inputs = build(tmp_path / "in")
    args = ["evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{tmp_path}/out/"]
    code, _, err = _run(*args, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert err.startswith("perfeval: --executor dask needs Dask distributed, which is not installed")
    assert "pip install 'perfeval-rules[dask]'" in err


def test_an_unreachable_scheduler_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dask, "CONNECT_TIMEOUT", "1s")
    inputs = build(tmp_path / "in")
    args = ["evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{tmp_path}/out/"]
    code, _, err = _run(*args, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2
    assert err.startswith("perfeval: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--executor", "dask"],
            "perfeval: --executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786) [E006]",
        ),
        (["--scheduler", "tcp://127.0.0.1:8786"], "perfeval: --scheduler goes with --executor dask [E006]"),
        (
            ["--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--jobs", "2"],
            "perfeval: --jobs is for --executor local; a Dask cluster runs as many tasks as it has workers [E006]",
        ),
    ],
)
def test_executor_options_that_do_not_fit_together(tmp_path: Path, options: list[str], message: str) -> None:
    inputs = build(tmp_path / "in")
    code, _, err = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{tmp_path}/out/", *options)
    assert code == 2
    assert err.splitlines()[0] == message
