"""Secret values: AES-GCM under a per-workspace data key that lives in the OS keychain or the vault.

The keychain (``keyring``, service ``flowdesk``, user ``workspace-key:<workspace uuid>``) holds only the
32-byte data key, base64; the values themselves -- OAuth tokens can exceed Windows' 2,560-byte limit per
entry -- are encrypted into the store. Where keyring has no usable backend the key is kept in the
master-password :class:`~flowdesk.store._vault.Vault` instead. ``keyring`` and ``cryptography`` are
imported on first use: opening a store must stay cheap for the CLI.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from flowdesk.model.errors import SecretStoreError
from flowdesk.store._vault import Vault

KEYRING_SERVICE = "flowdesk"
KeyStore = Literal["keyring", "vault"]


def keyring_username(workspace_uuid: str) -> str:
    return f"workspace-key:{workspace_uuid}"


def associated_data(workspace_uuid: str, connection_id: int, field: str) -> bytes:
    """What a ciphertext is bound to, so that rows cannot be swapped between fields or connections.

    Beyond the workspace and field path, the connection's row id is included: otherwise an ``auth.key``
    row of one connection could be copied onto another connection (pointing at another host) and be sent
    there. The id survives renames and ``replace``, which update the row in place.
    """
    return f"flowdesk.secret\x00{workspace_uuid}\x00connection:{connection_id}\x00{field}".encode()


def webhook_associated_data(workspace_uuid: str, webhook_id: int) -> bytes:
    """Like :func:`associated_data` for a webhook's signing secret (bound to the webhook's row id)."""
    return f"flowdesk.secret\x00{workspace_uuid}\x00webhook:{webhook_id}\x00secret".encode()


def encrypt(key: bytes, value: str, associated: bytes) -> tuple[bytes, bytes]:
    """``(nonce, ciphertext)`` of ``value`` with a fresh random 96-bit nonce."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    return nonce, AESGCM(key).encrypt(nonce, value.encode("utf-8"), associated)


def decrypt(key: bytes, nonce: bytes, ciphertext: bytes, associated: bytes) -> str | None:
    """The value, or ``None`` when the tag does not verify (another key, or tampered bytes)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(key).decrypt(nonce, ciphertext, associated).decode("utf-8")
    except (InvalidTag, ValueError):
        return None


class KeyChain:
    """Finds and makes workspace data keys, in the OS keychain or else the vault."""

    def __init__(self, vault_path: Path, master_password: Callable[[], str | None]) -> None:
        self.vault = Vault(vault_path, master_password)

    def load(self, workspace_uuid: str, where: KeyStore | None) -> tuple[bytes, KeyStore] | None:
        """The existing key of a workspace and where it was found; ``None`` when there is none.

        ``where`` is what the store recorded when the key was made; ``None`` (never made) only looks in the
        keychain, so that workspaces without secrets never ask for a master password.

        Raises:
            SecretStoreError (and its master-password subclasses): the key's home cannot be read.
        """
        if where == "vault":
            key = self.vault.get(workspace_uuid)
            return None if key is None else (key, "vault")
        if where == "keyring" or _keyring_usable():
            import keyring
            from keyring.errors import KeyringError

            try:
                encoded = keyring.get_password(KEYRING_SERVICE, keyring_username(workspace_uuid))
            except KeyringError as exc:
                if where is None:
                    return None
                raise SecretStoreError(
                    f"the OS keychain could not be read ({type(exc).__name__})",
                    hint="unlock the keychain (or log in to the desktop session) and try again",
                ) from exc
            return None if encoded is None else (_decode_key(encoded), "keyring")
        return None

    def create(self, workspace_uuid: str) -> tuple[bytes, KeyStore]:
        """Make a new random 256-bit key and keep it in the keychain, or in the vault without one.

        Raises:
            MasterPasswordRequiredError / WrongMasterPasswordError: the vault is needed and cannot be opened.
        """
        key = secrets.token_bytes(32)
        if _keyring_usable():
            import keyring
            from keyring.errors import KeyringError

            try:
                keyring.set_password(
                    KEYRING_SERVICE, keyring_username(workspace_uuid), base64.b64encode(key).decode("ascii")
                )
                return key, "keyring"
            except KeyringError:
                pass  # the backend refused (locked, no session bus …): the vault keeps the key instead
        self.vault.put(workspace_uuid, key)
        return key, "vault"


def _decode_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretStoreError("the workspace key in the OS keychain is damaged (not base64)") from exc
    if len(key) != 32:
        raise SecretStoreError("the workspace key in the OS keychain is damaged (not 256 bits)")
    return key


def _keyring_usable() -> bool:
    """False for keyring's ``fail`` backend (headless Linux without Secret Service)."""
    import keyring
    from keyring.backends import fail
    from keyring.errors import KeyringError

    try:
        backend = keyring.get_keyring()
    except KeyringError:
        return False
    return not isinstance(backend, fail.Keyring)
