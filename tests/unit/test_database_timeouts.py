"""PostgreSQL timeouts come from OKR_DB_*_TIMEOUT_S with the documented defaults."""

from __future__ import annotations

import pytest

from services.settings import DatabaseTimeouts, Settings


def test_the_defaults_are_the_documented_ones() -> None:
    assert Settings.from_env({}).db_timeouts == DatabaseTimeouts(
        connect_s=5.0, acquire_s=2.0, query_s=5.0, write_s=60.0
    )


def test_each_timeout_is_read_from_its_variable() -> None:
    env = {
        "OKR_DB_CONNECT_TIMEOUT_S": "1",
        "OKR_DB_ACQUIRE_TIMEOUT_S": "0.5",
        "OKR_DB_QUERY_TIMEOUT_S": "3",
        "OKR_DB_WRITE_TIMEOUT_S": "120",
    }
    assert Settings.from_env(env).db_timeouts == DatabaseTimeouts(1.0, 0.5, 3.0, 120.0)


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf"])
def test_a_timeout_that_is_no_wait_at_all_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="OKR_DB_QUERY_TIMEOUT_S must be a positive"):
        Settings.from_env({"OKR_DB_QUERY_TIMEOUT_S": value})
