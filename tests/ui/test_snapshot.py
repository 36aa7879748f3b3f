"""``flowdesk snapshot``: every main screen saved as a PNG, offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from flowdesk.ui import save_snapshots

EXPECTED = {
    "first-start",
    "connection-list",
    "entities",
    "test-ok",
    "test-failed",
    "editor-auth-none",
    "editor-auth-api_key",
    "editor-auth-basic",
    "editor-auth-digest",
    "editor-auth-bearer",
    "editor-auth-oauth2",
    "editor-auth-oauth2-code",
    "editor-invalid",
    "request-tester",
    "request-tester-all-pages",
    "dashboard",
    "flows",
    "runs",
    "audit",
    "members",
    "dark-mode",
}


@pytest.mark.slow
def test_snapshot_writes_the_png_files(qapp, tmp_path):
    files = save_snapshots(tmp_path / "shots")
    names = {f.stem for f in files}
    assert names == EXPECTED
    for file in files:
        image = QImage(str(file))
        assert not image.isNull(), file
        assert (image.width(), image.height()) == (1280, 800), file
