"""The seal signing key: from the environment, else a 0600 file made once in the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.adapters.seal_key import KEY_FILE, UnusableSealKey, seal_keys
from services.settings import Settings


def test_a_key_file_is_made_once_owner_only_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    first, again = seal_keys(settings), seal_keys(settings)

    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert first.key_id == again.key_id
    assert len(first.public_key) == 64


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    seal_keys(Settings(data_dir=tmp_path))
    (tmp_path / KEY_FILE).chmod(0o644)

    with pytest.raises(UnusableSealKey, match="chmod 600"):
        seal_keys(Settings(data_dir=tmp_path))


def test_the_configured_key_wins_and_retired_keys_stay_known(tmp_path: Path) -> None:
    old = seal_keys(Settings(data_dir=tmp_path))
    env = {"OKR_SEAL_KEY": "11" * 32, "OKR_SEAL_RETIRED_KEYS": old.public_key}

    keys = seal_keys(Settings.from_env(env))

    assert keys.key_id != old.key_id
    assert set(keys.known()) == {keys.key_id, old.key_id}
    with pytest.raises(UnusableSealKey, match="OKR_SEAL_KEY"):
        seal_keys(Settings(seal_key="abc"))
