"""The connection editor, driven through its widgets against a real workspace."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from flowdesk.model import Connection
from flowdesk.ui.connections import AUTH_CHOICES, ConnectionEditor, SecretEdit, template_for

from .helpers import open_workspace


@pytest.fixture()
def ws(data_dir, qloop):
    workspace = open_workspace(data_dir)
    yield workspace
    qloop.run_until_complete(workspace.aclose())


@pytest.fixture()
def editor(qtbot, ws):
    widget = ConnectionEditor(ws)
    qtbot.addWidget(widget)
    widget.resize(700, 900)
    widget.show()
    widget.new_connection(template_for("rest", "crm"))
    return widget


def _type(qtbot, line: QLineEdit, text: str) -> None:
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClicks(line, text)


def _choose_auth(editor: ConnectionEditor, auth_type: str) -> None:
    editor.auth_combo.setCurrentIndex(editor.auth_combo.findData(auth_type))


FIELDS = {
    "api_key": ["location", "name", "key"],
    "basic": ["username", "password"],
    "digest": ["username", "password"],
    "bearer": ["token"],
    "oauth2": ["grant", "client_id", "client_secret", "token_url", "scope", "client_auth"],
}


@pytest.mark.parametrize("auth_type", [key for key, _ in AUTH_CHOICES])
def test_only_the_chosen_auth_types_fields_are_shown(editor, auth_type):
    _choose_auth(editor, auth_type)
    for other, fields in FIELDS.items():
        for field in fields:
            shown = editor.auth_field(field, other).isVisible()
            assert shown == (other == auth_type), (other, field)


def test_oauth_authorization_code_adds_its_fields(editor):
    _choose_auth(editor, "oauth2")
    authorize = editor.auth_field("authorize_url")
    assert not authorize.isVisible()
    grant = editor.auth_field("grant")
    grant.setCurrentIndex(grant.findData("authorization_code"))
    assert authorize.isVisible()
    assert editor.auth_field("use_pkce").isVisible()


def test_invalid_base_url_is_marked_and_save_refused(qtbot, editor, ws):
    _type(qtbot, editor.base_url_edit, "ftp://example.com")
    box = editor.field_box("base_url")
    assert box.error is not None and "http://" in box.error
    assert box.message.isVisible()
    assert "border" in editor.base_url_edit.styleSheet()
    assert not editor.save_button.isEnabled()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.save() is False
    assert ws.list_connections() == []

    _type(qtbot, editor.base_url_edit, "https://api.example.com:99999")
    assert "port" in (editor.field_box("base_url").error or "")
    _type(qtbot, editor.base_url_edit, "https://api.example.com")
    assert editor.field_box("base_url").error is None
    assert editor.save_button.isEnabled()


def test_oauth_without_token_url_is_marked_at_the_field(qtbot, editor, ws):
    _choose_auth(editor, "oauth2")
    qtbot.keyClicks(editor.auth_field("client_id"), "app")
    assert editor.save() is False
    assert "token_url" in (editor.field_box("auth.token_url").error or "")
    assert ws.list_connections() == []


def test_bad_retry_status_is_marked(qtbot, editor):
    _type(qtbot, editor.retry_statuses, "429, soon")
    assert "soon" in (editor.field_box("retry.on").error or "")
    _type(qtbot, editor.retry_statuses, "429, 700")
    assert "700" in (editor.field_box("retry.on").error or "")
    assert not editor.save_button.isEnabled()


def test_save_writes_a_connection_the_workspace_returns(qtbot, editor, ws):
    saved = []
    editor.saved.connect(saved.append)
    _type(qtbot, editor.name_edit, "crm")
    _type(qtbot, editor.base_url_edit, "https://crm.example.com/api/")
    _choose_auth(editor, "bearer")
    qtbot.keyClicks(editor.auth_field("token").line, "tok-123")
    editor.retry_count.setValue(5)
    editor.rate_enabled.setChecked(True)
    editor.rate_requests.setValue(20)
    editor.rate_per.setValue(2.0)
    qtbot.mouseClick(editor.add_header_button, Qt.MouseButton.LeftButton)
    editor.headers_table.item(0, 0).setText("X-Tenant")
    editor.headers_table.item(0, 1).setText("acme")
    editor.verify_ssl.setChecked(False)
    qtbot.keyClicks(editor.proxy_url, "http://proxy.local:3128")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    assert saved == ["crm"]
    stored = ws.get_connection("crm")
    assert stored.base_url == "https://crm.example.com/api"
    assert stored.auth.type == "bearer"
    assert stored.auth.token is not None and stored.auth.token.get_secret_value() == "tok-123"
    assert stored.retry.count == 5
    assert stored.rate_limit is not None and stored.rate_limit.requests == 20
    assert stored.headers == {"X-Tenant": "acme"}
    assert stored.verify_ssl is False
    assert stored.proxy is not None and stored.proxy.url == "http://proxy.local:3128"
    assert not editor.is_new

    # editing the stored connection: rename keeps it one connection
    _type(qtbot, editor.name_edit, "crm-eu")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert [c.name for c in ws.list_connections()] == ["crm-eu"]
    assert ws.get_connection("crm-eu").auth.token.get_secret_value() == "tok-123"


def test_duplicate_name_is_refused_at_the_name_field(qtbot, editor, ws):
    ws.add_connection(Connection(name="crm", base_url="https://a.example.com"))
    _type(qtbot, editor.name_edit, "crm")
    assert editor.save() is False
    assert editor.field_box("name").error


def test_secrets_are_masked_with_a_reveal_toggle(qtbot, editor):
    _choose_auth(editor, "basic")
    secret = editor.auth_field("password")
    assert isinstance(secret, SecretEdit)
    qtbot.keyClicks(secret.line, "hunter2")
    assert secret.line.echoMode() == QLineEdit.EchoMode.Password
    assert "hunter2" not in secret.line.displayText()
    qtbot.mouseClick(secret.reveal, Qt.MouseButton.LeftButton)
    assert secret.line.echoMode() == QLineEdit.EchoMode.Normal
    assert secret.line.displayText() == "hunter2"
    qtbot.mouseClick(secret.reveal, Qt.MouseButton.LeftButton)
    assert secret.line.echoMode() == QLineEdit.EchoMode.Password


def test_loading_a_stored_connection_shows_its_settings_masked(qtbot, ws):
    ws.add_connection(
        Connection.model_validate(
            {
                "name": "svc",
                "base_url": "https://svc.example.com",
                "auth": {"type": "api_key", "location": "query", "name": "apikey", "key": "k-1"},
                "headers": {"Accept": "application/json"},
            }
        )
    )
    editor = ConnectionEditor(ws)
    qtbot.addWidget(editor)
    editor.show()
    editor.load("svc")
    assert editor.auth_type() == "api_key"
    assert editor.auth_field("location").currentData() == "query"
    key = editor.auth_field("key")
    assert key.text() == "k-1" and key.line.echoMode() == QLineEdit.EchoMode.Password
    assert editor.headers_table.item(0, 0).text() == "Accept"
    assert not editor.flows_warning.isVisible()


def test_certificate_files_are_picked_and_checked(qtbot, editor, ws, tmp_path):
    _type(qtbot, editor.base_url_edit, "https://api.example.com")
    qtbot.keyClicks(editor.ca_bundle.line, str(tmp_path / "missing.pem"))
    assert editor.field_box("ca_bundle").error == "no such file"
    assert not editor.save_button.isEnabled()

    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    qtbot.mouseClick(editor.ca_bundle.browse, Qt.MouseButton.LeftButton)
    dialog = editor.ca_bundle._dialog
    assert dialog is not None and dialog.isVisible()  # opened without blocking
    dialog.fileSelected.emit(str(bundle))
    dialog.close()
    assert editor.ca_bundle.text() == str(bundle)
    assert editor.field_box("ca_bundle").error is None

    qtbot.keyClicks(editor.client_key.line, str(bundle))
    assert editor.field_box("client_cert.cert").error == "choose the certificate file"
    qtbot.keyClicks(editor.client_cert.line, str(bundle))
    assert editor.field_box("client_cert.cert").error is None
    assert editor.save() is True
    stored = ws.get_connection("crm")
    assert stored.ca_bundle == str(bundle) and stored.client_cert is not None and stored.client_cert.cert == str(bundle)


def test_proxy_with_credentials_is_saved_with_the_password_sealed(qtbot, editor, ws, data_dir):
    _type(qtbot, editor.base_url_edit, "https://api.example.com")
    qtbot.keyClicks(editor.proxy_url, "http://proxy.corp:3128")
    qtbot.keyClicks(editor.proxy_user, "svc-flowdesk")
    qtbot.keyClicks(editor.proxy_password.line, "pr0xy-s3cret")
    assert editor.proxy_password.line.echoMode() == QLineEdit.EchoMode.Password
    assert editor.save() is True
    proxy = ws.get_connection("crm").proxy
    assert proxy is not None and (proxy.url, proxy.username) == ("http://proxy.corp:3128", "svc-flowdesk")
    assert proxy.password is not None and proxy.password.get_secret_value() == "pr0xy-s3cret"
    assert b"pr0xy-s3cret" not in (data_dir / "flowdesk.db").read_bytes()  # never readable on disk
