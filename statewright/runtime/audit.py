"""The keyed audit chain: HMAC-SHA256 stamps under a key the store never holds.

A plain chain stamps each record with SHA-256 over the previous stamp and the
record's canonical JSON (`codec.stamp`). It proves integrity against accident
(a torn write, a hand edit that forgot to re-stamp), not authenticity: anyone
who can write the store can rewrite a record and re-stamp every record after it.

A keyed chain stamps with HMAC-SHA256 under an `AuditKey` the caller supplies
(a file, an environment variable, a secret manager) and the store never sees;
an instance records only the key's id (`Instance.audit_key`, a hash of the key
under its own label, which tells nothing about the key). Rewriting a keyed log
then needs the key: `run verify` with the key detects a log re-stamped without
it (SW978). An instance keeps the chain it started with: a runtime holding
another key, or none, refuses it (SW977), so a chain never switches mode.

The engine stamps every record on the plain chain as it computes a step; a
runtime with a key re-stamps the step's record with `keyed` before committing
it (the record's text without its stamp is the same, only the digest differs),
and replay re-stamps the records it recomputes the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from pathlib import Path

from statewright.runtime import codec
from statewright.runtime.model import Commit

MIN_KEY_BYTES = 16
"""The shortest audit key accepted (128 bits)."""
_ID_LABEL = b"statewright audit key id\x00"


class AuditKey:
    """A secret for HMAC-SHA256 audit stamps; `id` names it without revealing it (never printed)."""

    __slots__ = ("_secret", "id")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_KEY_BYTES:
            raise ValueError(f"an audit key needs at least {MIN_KEY_BYTES} bytes, not {len(secret)}")
        self._secret = bytes(secret)
        self.id = "hmac-sha256:" + hashlib.sha256(_ID_LABEL + self._secret).hexdigest()[:16]

    @classmethod
    def from_file(cls, path: Path) -> AuditKey:
        """The key in a file (its bytes, without a trailing newline); ValueError when too short."""
        return cls(path.read_bytes().rstrip(b"\r\n"))

    def digest(self, text: str) -> str:
        """HMAC-SHA256 of `text` (UTF-8) under the key, in hex."""
        return hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        """The key's id only: a key must not reach a log by being printed."""
        return f"AuditKey({self.id})"


def keyed(commit: Commit, key: AuditKey) -> Commit:
    """The commit with its record (and the snapshot's head) stamped on the keyed chain.

    The record chains onto `commit.previous`, the head before the step. A creating
    commit (expected version 0) also records the key's id on the instance.
    """
    record = commit.record
    stamp, text = codec.seal(commit.previous, replace(record, stamp=""), key)
    record = replace(record, stamp=stamp)
    codec.remember(record, text)
    instance = replace(commit.instance, stamp=stamp)
    if commit.expected_version == 0:
        instance = replace(instance, audit_key=key.id)
    return replace(commit, instance=instance, record=record)


def key_id(key: AuditKey | None) -> str:
    """The id an instance records for `key` ("" for the plain chain)."""
    return "" if key is None else key.id


def mismatch(instance_id: str, recorded: str, key: AuditKey | None) -> str | None:
    """Why a runtime holding `key` may not extend a chain keyed with `recorded`; None when it may."""
    held = key_id(key)
    if recorded == held:
        return None
    if not recorded:
        return (
            f"instance `{instance_id}` has a plain SHA-256 audit chain and this runtime holds audit key "
            f"{held}; an instance keeps the chain it started with: open it without an audit key"
        )
    if key is None:
        return (
            f"instance `{instance_id}` has an audit chain keyed with {recorded}; open it with that key "
            "(`--audit-key-file` or STATEWRIGHT_AUDIT_KEY_FILE)"
        )
    return (
        f"instance `{instance_id}` has an audit chain keyed with {recorded}, not with this runtime's key "
        f"{held}; open it with the key that started it"
    )
