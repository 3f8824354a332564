"""``okr token`` and the secret file refuse careless input with a clear error, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.entrypoints.cli.main import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OKR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OKR_AUTH_SECRET", raising=False)
    return tmp_path


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return int(exited.value.code or 0)


@pytest.mark.parametrize(
    "extra",
    [
        ["--days", "-5"],
        ["--days", "nan"],
        ["--days", "inf"],
        ["--days", "0"],  # no token lives forever
        ["--days", "91"],  # past OKR_TOKEN_MAX_DAYS' default
        ["--subject", "s" * 201],
    ],
)
def test_a_token_outside_the_bounds_is_refused(
    data_dir: Path, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = _exit_code(["token", "--tenant", "acme", "--role", "admin", *extra])

    assert code == 2
    err = capsys.readouterr().err
    assert "error" in err
    assert "Traceback" not in err


def test_issuing_needs_a_tenant_and_a_role(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(["token", "--tenant", "acme"]) == 2
    assert "--role" in capsys.readouterr().err


def test_the_longest_lifetime_is_a_setting(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OKR_TOKEN_MAX_DAYS", "365")
    assert main(["token", "--tenant", "acme", "--role", "admin", "--days", "200"]) == 0
    assert capsys.readouterr().out.count(".") == 2


def test_revoking_something_that_is_not_a_token_is_a_clear_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "revoke", "not-a-token"]) == 2
    assert "not a well-formed JWT" in capsys.readouterr().err


def test_an_empty_secret_file_is_a_clear_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_dir / "auth-secret").write_text("\n")

    code = _exit_code(["token", "--tenant", "acme", "--role", "admin"])

    assert code == 2
    assert "auth-secret" in capsys.readouterr().err


def test_a_token_within_the_bounds_is_printed(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--tenant", "acme", "--role", "admin", "--days", "0.5"]) == 0
    assert capsys.readouterr().out.count(".") == 2  # a JWT: header.claims.signature
