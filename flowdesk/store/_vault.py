"""The master-password vault: workspace data keys for machines without a usable OS keychain.

``vault.json`` holds each workspace's data key wrapped with AES-GCM under a key-encryption key derived from
the master password by scrypt (n=2**15, r=8, p=1; the random salt and the parameters are in the file). A
``check`` entry -- a known text wrapped the same way -- tells a wrong password apart from a missing key, so
a wrong password is always reported and a vault is never silently replaced. Writes go to a temporary file
that is renamed over the vault, so a crash leaves the old or the new vault, never half of one.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowdesk.model.errors import MasterPasswordRequiredError, SecretStoreError, WrongMasterPasswordError

PASSWORD_ENV = "FLOWDESK_MASTER_PASSWORD"
FORMAT = "flowdesk.vault"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK_PLAINTEXT = b"flowdesk vault check"
_CHECK_AD = b"flowdesk.vault.check"


class _SealBroken(Exception):
    """The AES-GCM tag did not verify: a wrong key, or changed bytes (``cryptography``'s ``InvalidTag``)."""


def password_from_env() -> str | None:
    """The default master-password source: ``$FLOWDESK_MASTER_PASSWORD`` (empty counts as unset)."""
    return os.environ.get(PASSWORD_ENV) or None


class Vault:
    """Data keys wrapped under a master password in one JSON file.

    The password is asked for (``password()``) only when a key is read or written, once per instance.
    """

    def __init__(self, path: Path, password: Callable[[], str | None]) -> None:
        self.path = path
        self._password = password
        self._kek: tuple[str, bytes] | None = None  # (salt, key) of the file it was derived for

    def get(self, workspace_uuid: str) -> bytes | None:
        """The data key of a workspace, ``None`` when the vault has none.

        Raises:
            MasterPasswordRequiredError / WrongMasterPasswordError / SecretStoreError
        """
        document = self._read()
        if document is None:
            return None
        kek = self._unlock(document)
        wrapped = document["keys"].get(workspace_uuid)
        if wrapped is None:
            return None
        try:
            return _open(kek, wrapped, workspace_uuid.encode())
        except _SealBroken as exc:
            raise SecretStoreError(
                f"the key of workspace {workspace_uuid} in {self.path} is damaged; nothing was changed",
                hint="restore the vault file from a backup, or remove the workspace's connections and add them again",
            ) from exc

    def put(self, workspace_uuid: str, key: bytes) -> None:
        """Store (or replace) a workspace's data key, creating the vault on first use.

        Raises:
            MasterPasswordRequiredError / WrongMasterPasswordError: the vault file is left unchanged.
            SecretStoreError: the file cannot be read or written.
        """
        document = self._read()
        if document is None:
            document = self._new_document()
        kek = self._unlock(document)
        document["keys"][workspace_uuid] = _seal(kek, key, workspace_uuid.encode())
        self._write(document)

    # --- internals -------------------------------------------------------------------------------------

    def _ask(self) -> str:
        password = self._password()
        if not password:
            raise MasterPasswordRequiredError(
                f"no usable OS keychain, so secrets are protected by a master password ({self.path}): "
                f"set FLOWDESK_MASTER_PASSWORD",
                hint="or install and unlock a keychain (Secret Service / GNOME Keyring / KWallet)",
            )
        return password

    def _new_document(self) -> dict[str, Any]:
        salt = _b64(secrets.token_bytes(16))
        document: dict[str, Any] = {
            "format": FORMAT,
            "version": 1,
            "kdf": {"name": "scrypt", "salt": salt, "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "keys": {},
        }
        kek = _derive(self._ask(), document["kdf"])
        document["check"] = _seal(kek, _CHECK_PLAINTEXT, _CHECK_AD)
        self._kek = (salt, kek)
        return document

    def _unlock(self, document: dict[str, Any]) -> bytes:
        salt = str(document["kdf"]["salt"])
        if self._kek is not None and self._kek[0] == salt:
            return self._kek[1]
        kek = _derive(self._ask(), document["kdf"])
        try:
            _open(kek, document["check"], _CHECK_AD)
        except _SealBroken as exc:
            raise WrongMasterPasswordError(
                f"the master password does not open {self.path}; nothing was changed"
            ) from exc
        self._kek = (salt, kek)
        return kek

    def _read(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretStoreError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            document = json.loads(raw)
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise ValueError("not a flowdesk vault")
            kdf = document["kdf"]
            if kdf.get("name") != "scrypt" or not isinstance(document["keys"], dict) or "check" not in document:
                raise ValueError("unknown layout")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise SecretStoreError(
                f"{self.path} is not a flowdesk vault file (or is damaged); nothing was changed",
                hint="restore it from a backup; flowdesk never overwrites it",
            ) from exc
        return document

    def _write(self, document: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".vault-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(document, out, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise SecretStoreError(f"cannot write {self.path}: {exc.strerror}") from exc


# --- crypto helpers ----------------------------------------------------------------------------------------


def _derive(password: str, kdf: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        salt = base64.b64decode(kdf["salt"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise SecretStoreError("the vault's key-derivation settings are damaged; nothing was changed") from exc
    if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        raise SecretStoreError("the vault's key-derivation settings are out of range; nothing was changed")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password.encode("utf-8"))


def _seal(key: bytes, plaintext: bytes, associated: bytes) -> dict[str, str]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return {"nonce": _b64(nonce), "ciphertext": _b64(AESGCM(key).encrypt(nonce, plaintext, associated))}


def _open(key: bytes, sealed: dict[str, str], associated: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        nonce = base64.b64decode(sealed["nonce"], validate=True)
        ciphertext = base64.b64decode(sealed["ciphertext"], validate=True)
        return AESGCM(key).decrypt(nonce, ciphertext, associated)
    except (KeyError, TypeError, ValueError, binascii.Error, InvalidTag) as exc:
        raise _SealBroken() from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
