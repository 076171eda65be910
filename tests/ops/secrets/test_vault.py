"""The vault: values sealed before the store sees them, revealed by label, redacted while staged."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleetops.errors import BadInput
from fleetops.ops.secrets.cipher import Cipher, SecretKeyError, key_file
from fleetops.ops.secrets.vault import SecretNotFound, SecretsVault
from fleetops.store import Store
from fleetops.store.secrets import AWSCURRENT, AWSPENDING, AWSPREVIOUS
from fleetops.testing.store_template import put_migrated_store

VALUE = "first-value-7f3a9c2e"
NEXT = "second-value-0b61d4aa"


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    put_migrated_store(tmp_path)  # a copy: migrating a new store per test costs ~0.07 s of CPU
    with Store.open(f"sqlite:///{tmp_path / 'fleetops.db'}", tmp_path) as opened:
        yield opened


@pytest.fixture
def vault(sqlite_store: Store, tmp_path: Path) -> SecretsVault:
    return SecretsVault(sqlite_store, Cipher.from_state_dir(tmp_path / "state"))


def test_the_key_file_is_made_on_first_use_readable_by_its_owner_only(tmp_path: Path) -> None:
    Cipher.from_state_dir(tmp_path / "state")
    path = key_file(tmp_path / "state")
    assert (stat.S_IMODE(path.stat().st_mode), len(path.read_bytes())) == (0o600, 32)


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    Cipher.from_state_dir(tmp_path)
    key_file(tmp_path).chmod(0o644)
    with pytest.raises(SecretKeyError, match="has mode 644: others may read it"):
        Cipher.from_state_dir(tmp_path)


def test_put_then_reveal_gives_the_value_and_its_version(vault: SecretsVault) -> None:
    version = vault.put("dev", "api-key", VALUE, by="alice")
    revealed = vault.reveal("dev", "api-key")
    assert (revealed.value, revealed.version.version_id, revealed.version.stages) == (
        VALUE,
        version.version_id,
        (AWSCURRENT,),
    )


def test_the_previous_value_is_revealed_by_its_label(vault: SecretsVault) -> None:
    vault.put("dev", "api-key", VALUE, by="alice")
    vault.put("dev", "api-key", NEXT, by="alice")
    assert (vault.current("dev", "api-key"), vault.reveal("dev", "api-key", stage=AWSPREVIOUS).value) == (
        NEXT,
        VALUE,
    )


def test_a_value_put_outside_a_rotation_keeps_the_user_the_rotation_left(vault: SecretsVault) -> None:
    vault.put("dev", "db-password", VALUE, by="fleetops up", username="orders")
    rotated = vault.put("dev", "db-password", NEXT, by="r", stages=(AWSPENDING,), username="orders_clone")
    vault.move_stage("dev", "db-password", AWSCURRENT, rotated.version_id, by="r")
    put = vault.put("dev", "db-password", "a-value-put-by-hand", by="alice")
    assert put.username == "orders_clone"


def test_no_value_is_in_the_database_files_in_clear(vault: SecretsVault, tmp_path: Path) -> None:
    vault.put("dev", "api-key", VALUE, by="alice")
    vault.put("dev", "api-key", NEXT, by="alice", stages=(AWSPENDING,))
    files = [path for path in tmp_path.iterdir() if path.name.startswith("fleetops.db")]
    assert {path.name for path in files} >= {"fleetops.db", "fleetops.db-wal"}
    found = [path.name for path in files for value in (VALUE, NEXT) if value.encode() in path.read_bytes()]
    assert found == []


def test_a_database_without_its_key_does_not_decrypt(sqlite_store: Store, tmp_path: Path) -> None:
    SecretsVault(sqlite_store, Cipher.from_state_dir(tmp_path / "a")).put("dev", "api-key", VALUE, by="alice")
    other = SecretsVault(sqlite_store, Cipher.from_state_dir(tmp_path / "b"))
    with pytest.raises(SecretKeyError, match="does not decrypt with this key file"):
        other.current("dev", "api-key")


def test_redaction_covers_every_version_labelled_or_revoked(vault: SecretsVault) -> None:
    vault.put("dev", "api-key", "oldest-value-1111", by="alice")
    vault.put("dev", "api-key", VALUE, by="alice")
    assert vault.redaction_values("dev") == {"oldest-value-1111", VALUE}
    vault.put("dev", "api-key", NEXT, by="alice")
    vault.put("dev", "api-key", "pending-value-2222", by="alice", stages=(AWSPENDING,))
    # The oldest has no label left (never handed out again), but a revoked password is still one.
    assert vault.redaction_values("dev") == {"oldest-value-1111", VALUE, NEXT, "pending-value-2222"}


def test_a_pinned_version_is_handed_out_while_it_has_a_label_else_awscurrent(vault: SecretsVault) -> None:
    first = vault.put("dev", "api-key", "first-value-1111", by="alice")
    vault.put("dev", "api-key", VALUE, by="alice")
    assert vault.resolve("dev", "api-key", first.version_id).value == "first-value-1111"  # AWSPREVIOUS
    vault.remove_stage("dev", "api-key", AWSPREVIOUS, by="rotation")
    assert vault.resolve("dev", "api-key", first.version_id).value == VALUE
    assert vault.resolve("dev", "api-key", None).value == VALUE


def test_a_short_value_is_refused_and_nothing_is_stored(vault: SecretsVault) -> None:
    with pytest.raises(BadInput, match="shorter than 4 characters"):
        vault.put("dev", "api-key", "abc", by="alice")
    with pytest.raises(SecretNotFound, match="no secret 'api-key' in environment 'dev'"):
        vault.versions("dev", "api-key")


def test_an_unknown_label_names_the_labels_allowed(vault: SecretsVault) -> None:
    vault.put("dev", "api-key", VALUE, by="alice")
    with pytest.raises(BadInput, match=r"version stage 'LATEST' is not one of \['AWSCURRENT'"):
        vault.reveal("dev", "api-key", stage="LATEST")


def test_the_old_values_file_is_imported_once_and_removed(vault: SecretsVault, tmp_path: Path) -> None:
    vault.put("dev", "kept", NEXT, by="alice")
    values_file = tmp_path / "secrets.json"
    values_file.write_text(json.dumps({"api-key": VALUE, "kept": "from-the-file-9999"}))
    assert vault.import_values_file("dev", values_file, by="fleetops up") == ["api-key"]
    assert (values_file.exists(), vault.current("dev", "api-key"), vault.current("dev", "kept")) == (
        False,
        VALUE,
        NEXT,
    )
    assert [v.source for v in vault.versions("dev", "api-key")] == ["imported"]


def test_ensure_generates_a_first_version_of_the_length_asked_only_once(vault: SecretsVault) -> None:
    first = vault.ensure("dev", "signing-key", 64, by="fleetops up")
    assert first is not None and vault.ensure("dev", "signing-key", 64, by="fleetops up") is None
    assert (len(vault.current("dev", "signing-key")), first.source) == (64, "generated")
