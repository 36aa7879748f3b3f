"""The connection editor: every setting of a connection in clear groups, validated by the model itself."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdesk.model import Connection, OAuth2Auth, validate
from flowdesk.model.errors import ConflictError, FlowdeskError, InvalidConfigError
from flowdesk.model.presets import service_presets
from flowdesk.ui.connections._fields import FieldBox, FilePicker, SecretEdit
from flowdesk.ui.style import ERROR_LABEL
from flowdesk.workspace import Workspace, flows_using

AUTH_CHOICES: tuple[tuple[str, str], ...] = (
    ("none", "None"),
    ("api_key", "API key"),
    ("basic", "Basic (user name and password)"),
    ("digest", "Digest (user name and password)"),
    ("bearer", "Bearer token"),
    ("oauth2", "OAuth 2"),
)
SERVICE_TITLES = {"rest": "REST API", "odata": "OData", "graphql": "GraphQL"}
DEFAULT_RETRY_STATUSES = "429, 500, 502, 503, 504"


def _form(parent: QWidget) -> QFormLayout:
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
    return form


def service_title(service: str) -> str:
    """ "REST API", "OData", "GraphQL", or a preset's own title ("GitHub", "Google Sheets")."""
    if service in SERVICE_TITLES:
        return SERVICE_TITLES[service]
    preset = service_presets().get(service)
    return preset.title if preset is not None else service.replace("_", " ").title()


def _align_form_labels(root: QWidget) -> None:
    """Give every form label under ``root`` the width of the widest, so all groups share one label column."""
    labels: list[QWidget] = []
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def _secret(value: SecretStr | str | None) -> str:
    if value is None:
        return ""
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class ConnectionEditor(QWidget):
    """Edits one connection (new or stored); :meth:`save` writes it through the workspace.

    Invalid input is marked at its field with the model's own reason, and Save stays refused until fixed.
    """

    saved = Signal(str)
    """The name of the connection just saved."""
    changed = Signal()
    sign_in_requested = Signal()
    """"Sign in with the browser…" was clicked (the panel runs the consent)."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self._original: Connection | None = None
        self._original_name: str | None = None
        self._service = "rest"
        self._is_new = True
        self._loading = False
        self._touched: set[str] = set()
        self._save_attempted = False
        self.dirty = False
        self.change_refused: str | None = None
        """Why the acting user may not save or sign in (their role), ``None`` when they may."""
        self._fields: dict[str, FieldBox] = {}
        self._auth_fields: dict[str, dict[str, FieldBox]] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.flows_warning = QLabel(self)
        self.flows_warning.setWordWrap(True)
        self.flows_warning.setStyleSheet(
            "background: #fef3c7; color: #78350f; border: 1px solid #f59e0b; border-radius: 4px; padding: 6px;"
        )
        self.flows_warning.hide()
        outer.addWidget(self.flows_warning)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        self._body = QVBoxLayout(body)
        self._body.setContentsMargins(4, 4, 12, 4)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        self._build_general(body)
        self._build_auth(body)
        self._build_retry(body)
        self._build_headers(body)
        self._build_tls_proxy(body)
        self._body.addStretch(1)
        _align_form_labels(body)

        bar = QHBoxLayout()
        self.summary = QLabel(self)
        self.summary.setStyleSheet(ERROR_LABEL)
        self.summary.setWordWrap(True)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setToolTip("Discard unsaved changes")
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton("Save", self)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save the connection (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.save_button)
        outer.addLayout(bar)

    # --- building ------------------------------------------------------------------------------------

    def _box(self, key: str, editor: QWidget) -> FieldBox:
        box = FieldBox(editor)
        self._fields[key] = box
        self._watch(editor, key)
        return box

    def _watch(self, editor: QWidget, key: str) -> None:
        """Validate again whenever ``editor`` changes (it is one of the input types the editor uses)."""

        def touched(*_: object) -> None:
            self._on_edit(key)

        if isinstance(editor, QLineEdit | SecretEdit | FilePicker):
            editor.textChanged.connect(touched)
        elif isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.valueChanged.connect(touched)
        elif isinstance(editor, QCheckBox):
            editor.toggled.connect(touched)
        elif isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(touched)
        else:
            raise TypeError(f"no change signal known for {type(editor).__name__}")

    def _build_general(self, body: QWidget) -> None:
        group = QGroupBox("General", body)
        form = _form(group)
        self.service_label = QLabel(group)
        self.service_label.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Type", self.service_label)
        self.name_edit = QLineEdit(group)
        self.name_edit.setPlaceholderText("a short name, e.g. crm")
        form.addRow("Name", self._box("name", self.name_edit))
        self.base_url_edit = QLineEdit(group)
        self.base_url_edit.setPlaceholderText("https://api.example.com/v1")
        form.addRow("Base URL", self._box("base_url", self.base_url_edit))
        self.description_edit = QLineEdit(group)
        self.description_edit.setPlaceholderText("optional")
        form.addRow("Description", self._box("description", self.description_edit))
        self.timeout_spin = QDoubleSpinBox(group)
        self.timeout_spin.setRange(0.1, 3600)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setSuffix(" s")
        form.addRow("Timeout", self._box("timeout", self.timeout_spin))
        self._body.addWidget(group)

    def _build_auth(self, body: QWidget) -> None:
        group = QGroupBox("Authentication", body)
        layout = QVBoxLayout(group)
        layout.setContentsMargins(9, 4, 9, 9)
        top_widget = QWidget(group)
        top = _form(top_widget)
        top.setContentsMargins(0, 0, 0, 0)
        self.auth_combo = QComboBox(group)
        for key, title in AUTH_CHOICES:
            self.auth_combo.addItem(title, key)
        top.addRow("Method", self.auth_combo)
        layout.addWidget(top_widget)
        self.auth_stack = QStackedWidget(group)
        layout.addWidget(self.auth_stack)
        self._auth_pages: dict[str, int] = {}

        for key, _title in AUTH_CHOICES:
            page = QWidget(self.auth_stack)
            form = _form(page)
            form.setContentsMargins(0, 0, 0, 0)
            fields: dict[str, FieldBox] = {}
            self._auth_fields[key] = fields

            def add(name: str, label: str, editor: QWidget, form: QFormLayout = form, key: str = key) -> None:
                box = FieldBox(editor)
                self._auth_fields[key][name] = box
                self._watch(editor, f"auth.{name}")
                form.addRow(label, box)

            if key == "none":
                note = QLabel("Requests are sent without credentials.", page)
                note.setEnabled(False)
                form.addRow(note)
            elif key == "api_key":
                location = QComboBox(page)
                location.addItem("Header", "header")
                location.addItem("Query parameter", "query")
                add("location", "Send in", location)
                name_edit = QLineEdit(page)
                name_edit.setPlaceholderText("X-API-Key")
                add("name", "Name", name_edit)
                add("key", "Key", SecretEdit(page))
            elif key in ("basic", "digest"):
                add("username", "User name", QLineEdit(page))
                add("password", "Password", SecretEdit(page))
            elif key == "bearer":
                add("token", "Token", SecretEdit(page))
            else:
                grant = QComboBox(page)
                grant.addItem("Client credentials", "client_credentials")
                grant.addItem("Authorization code (browser sign-in)", "authorization_code")
                grant.currentIndexChanged.connect(self._show_grant_fields)
                add("grant", "Grant", grant)
                add("client_id", "Client ID", QLineEdit(page))
                add("client_secret", "Client secret", SecretEdit(page))
                token_url = QLineEdit(page)
                token_url.setPlaceholderText("https://auth.example.com/oauth/token")
                add("token_url", "Token URL", token_url)
                authorize = QLineEdit(page)
                authorize.setPlaceholderText("https://auth.example.com/oauth/authorize")
                add("authorize_url", "Authorize URL", authorize)
                scope = QLineEdit(page)
                scope.setPlaceholderText("space-separated, least privilege")
                add("scope", "Scope", scope)
                add("use_pkce", "", QCheckBox("Use PKCE (recommended)", page))
                client_auth = QComboBox(page)
                client_auth.addItem("HTTP Basic header", "basic")
                client_auth.addItem("In the request body", "post")
                add("client_auth", "Client ID sent in", client_auth)
                sign_in = QWidget(page)
                sign_in_layout = QHBoxLayout(sign_in)
                sign_in_layout.setContentsMargins(0, 0, 0, 0)
                self.sign_in_button = QPushButton("Sign in with the browser…", sign_in)
                self.sign_in_button.setToolTip(
                    "Opens the provider's consent page in your browser; the tokens come back to flowdesk on a "
                    "local (127.0.0.1) address and are sealed in the store"
                )
                self.sign_in_button.clicked.connect(self.sign_in_requested)
                self.sign_in_label = QLabel(sign_in)
                self.sign_in_label.setWordWrap(True)
                sign_in_layout.addWidget(self.sign_in_button)
                sign_in_layout.addWidget(self.sign_in_label, 1)
                form.addRow("", sign_in)
                self._sign_in_row = sign_in
                self._oauth_form = form
            self._auth_pages[key] = self.auth_stack.addWidget(page)

        self.auth_combo.currentIndexChanged.connect(self._show_auth_page)
        self.auth_combo.currentIndexChanged.connect(lambda _i: self._on_edit("auth.type"))
        self._body.addWidget(group)

    def _build_retry(self, body: QWidget) -> None:
        group = QGroupBox("Retries and rate limit", body)
        form = _form(group)
        self.retry_count = QSpinBox(group)
        self.retry_count.setRange(0, 20)
        self.retry_count.setSuffix(" retries")
        form.addRow("Retry failed calls", self._box("retry.count", self.retry_count))
        self.retry_backoff = QDoubleSpinBox(group)
        self.retry_backoff.setRange(0, 600)
        self.retry_backoff.setDecimals(1)
        self.retry_backoff.setSuffix(" s, doubling")
        form.addRow("First wait", self._box("retry.backoff_s", self.retry_backoff))
        self.retry_statuses = QLineEdit(group)
        self.retry_statuses.setPlaceholderText(DEFAULT_RETRY_STATUSES)
        form.addRow("On statuses", self._box("retry.on", self.retry_statuses))

        self.rate_enabled = QCheckBox("Limit the request rate", group)
        form.addRow("", self._box("rate_limit", self.rate_enabled))
        row = QWidget(group)
        rate_layout = QHBoxLayout(row)
        rate_layout.setContentsMargins(0, 0, 0, 0)
        self.rate_requests = QSpinBox(row)
        self.rate_requests.setRange(1, 1_000_000)
        self.rate_requests.setSuffix(" requests")
        self.rate_per = QDoubleSpinBox(row)
        self.rate_per.setRange(0.1, 86_400)
        self.rate_per.setDecimals(1)
        self.rate_per.setPrefix("per ")
        self.rate_per.setSuffix(" s")
        rate_layout.addWidget(self._box("rate_limit.requests", self.rate_requests))
        rate_layout.addWidget(self._box("rate_limit.per_s", self.rate_per))
        form.addRow("At most", row)
        self.rate_enabled.toggled.connect(row.setEnabled)
        row.setEnabled(False)
        self._body.addWidget(group)

    def _build_headers(self, body: QWidget) -> None:
        group = QGroupBox("Custom headers (sent with every request)", body)
        layout = QVBoxLayout(group)
        self.headers_table = QTableWidget(0, 2, group)
        self.headers_table.setHorizontalHeaderLabels(["Header", "Value"])
        self.headers_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.headers_table.horizontalHeader().setStretchLastSection(True)
        self.headers_table.setColumnWidth(0, 180)
        self.headers_table.verticalHeader().hide()
        self.headers_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.headers_table.setMinimumHeight(90)
        self.headers_table.setMaximumHeight(150)
        self.headers_table.itemChanged.connect(lambda _item: self._on_edit("headers"))
        box = FieldBox(self.headers_table)
        self._fields["headers"] = box
        layout.addWidget(box)
        buttons = QHBoxLayout()
        self.add_header_button = QPushButton("Add header", group)
        self.add_header_button.clicked.connect(self._add_header_row)
        self.remove_header_button = QPushButton("Remove", group)
        self.remove_header_button.clicked.connect(self._remove_header_row)
        buttons.addWidget(self.add_header_button)
        buttons.addWidget(self.remove_header_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._body.addWidget(group)

    def _build_tls_proxy(self, body: QWidget) -> None:
        group = QGroupBox("TLS and proxy", body)
        form = _form(group)
        self.verify_ssl = QCheckBox("Verify TLS certificates", group)
        self.verify_ssl.setToolTip("Keep this on unless you know why: without it, anyone on the way can read the calls")
        form.addRow("", self._box("verify_ssl", self.verify_ssl))
        self.ca_bundle = FilePicker("CA bundle", "Certificates (*.pem *.crt *.cer);;All files (*)", group)
        self.ca_bundle.setPlaceholderText("system trust store")
        form.addRow("CA bundle", self._box("ca_bundle", self.ca_bundle))
        self.client_cert = FilePicker("Client certificate", "Certificates (*.pem *.crt);;All files (*)", group)
        self.client_cert.setPlaceholderText("none")
        form.addRow("Client certificate", self._box("client_cert.cert", self.client_cert))
        self.client_key = FilePicker("Client key", "Keys (*.pem *.key);;All files (*)", group)
        self.client_key.setPlaceholderText("in the certificate file")
        form.addRow("Client key", self._box("client_cert.key", self.client_key))
        self.client_key_password = SecretEdit(group)
        form.addRow("Key password", self._box("client_cert.password", self.client_key_password))
        self.proxy_url = QLineEdit(group)
        self.proxy_url.setPlaceholderText("none (http://proxy:3128)")
        form.addRow("Proxy URL", self._box("proxy.url", self.proxy_url))
        self.proxy_user = QLineEdit(group)
        form.addRow("Proxy user", self._box("proxy.username", self.proxy_user))
        self.proxy_password = SecretEdit(group)
        form.addRow("Proxy password", self._box("proxy.password", self.proxy_password))
        self._body.addWidget(group)

    # --- showing -------------------------------------------------------------------------------------

    def _show_auth_page(self, _index: int = 0) -> None:
        self.auth_stack.setCurrentIndex(self._auth_pages[self.auth_type()])
        self._fit_auth_stack()

    def _fit_auth_stack(self) -> None:
        # A stacked widget is as tall as its tallest page; size it to the page shown instead.
        page = self.auth_stack.currentWidget()
        for index in range(self.auth_stack.count()):
            other = self.auth_stack.widget(index)
            if other is not None:
                other.setVisible(other is page)
        if page is not None:
            self.auth_stack.setFixedHeight(page.sizeHint().height())

    def _show_grant_fields(self, _index: int = 0) -> None:
        code = self._combo_value(self._auth_fields["oauth2"]["grant"]) == "authorization_code"
        for name in ("authorize_url", "use_pkce"):
            self._oauth_form.setRowVisible(self._auth_fields["oauth2"][name], code)
        self._oauth_form.setRowVisible(self._sign_in_row, code)
        self._update_sign_in()
        if self.auth_type() == "oauth2":
            self._fit_auth_stack()

    def _update_sign_in(self) -> None:
        """Signing in needs the connection saved as shown (the browser flow reads the stored settings)."""
        ready = not self._is_new and not self.dirty
        self.sign_in_button.setEnabled(ready and self.change_refused is None)
        if not ready:
            self.set_sign_in_state("Save the connection first, then sign in.")
        elif self._original is not None and isinstance(self._original.auth, OAuth2Auth):
            signed_in = self._original.auth.access_token is not None
            self.set_sign_in_state("Signed in (a token is stored)." if signed_in else "Not signed in yet.")

    def set_sign_in_state(self, text: str, *, error: bool = False) -> None:
        self.sign_in_label.setText(text)
        self.sign_in_label.setStyleSheet(ERROR_LABEL if error else "")

    def auth_type(self) -> str:
        return str(self.auth_combo.currentData())

    def set_auth_type(self, auth_type: str) -> None:
        index = self.auth_combo.findData(auth_type)
        if index >= 0:
            self.auth_combo.setCurrentIndex(index)
        self._show_auth_page()

    def auth_field(self, name: str, auth_type: str | None = None) -> QWidget:
        """The input of one field of an auth type (the current one by default)."""
        return self._auth_fields[auth_type or self.auth_type()][name].editor

    def field_box(self, key: str) -> FieldBox:
        """The field (with its error line) for a location such as ``base_url`` or ``auth.token``."""
        if key.startswith("auth."):
            return self._auth_fields[self.auth_type()][key.removeprefix("auth.")]
        return self._fields[key]

    # --- loading -------------------------------------------------------------------------------------

    @property
    def connection_name(self) -> str | None:
        """The stored name of the connection being edited (``None`` for a new one)."""
        return None if self._is_new else self._original_name

    @property
    def service(self) -> str:
        """The service of the connection being edited (rest, odata, graphql or a preset)."""
        return self._service

    @property
    def is_new(self) -> bool:
        return self._is_new

    def new_connection(self, template: Connection) -> None:
        """Start editing an unsaved connection prefilled from ``template`` (a type or a service preset)."""
        self._set(template, is_new=True)
        self.name_edit.setFocus()

    def load(self, name: str) -> None:
        """Edit the stored connection ``name`` (its secrets shown masked)."""
        self._set(self.workspace.get_connection(name), is_new=False)

    def revert(self) -> None:
        if self._original is not None:
            self._set(self._original, is_new=self._is_new)

    def _set(self, connection: Connection, *, is_new: bool) -> None:
        self._loading = True
        try:
            self._original = connection
            self._original_name = connection.name
            self._is_new = is_new
            self._service = connection.service
            self._touched.clear()
            self._save_attempted = False
            title = service_title(connection.service)
            self.service_label.setText(title)
            self.name_edit.setText(connection.name)
            self.base_url_edit.setText(connection.base_url)
            self.description_edit.setText(connection.description or "")
            for line in (self.name_edit, self.base_url_edit, self.description_edit):
                line.setCursorPosition(0)  # show where the text starts, not where it ends
            self.timeout_spin.setValue(connection.timeout)
            self.retry_count.setValue(connection.retry.count)
            self.retry_backoff.setValue(connection.retry.backoff_s)
            self.retry_statuses.setText(", ".join(str(s) for s in connection.retry.on))
            rate = connection.rate_limit
            self.rate_enabled.setChecked(rate is not None)
            self.rate_requests.setValue(rate.requests if rate else 10)
            self.rate_per.setValue(rate.per_s if rate else 1.0)
            self.headers_table.setRowCount(0)
            for header, value in connection.headers.items():
                self._add_header_row(header=header, value=value)
            self.verify_ssl.setChecked(connection.verify_ssl)
            self.ca_bundle.setText(connection.ca_bundle or "")
            cert = connection.client_cert
            self.client_cert.setText(cert.cert if cert else "")
            self.client_key.setText((cert.key or "") if cert else "")
            self.client_key_password.setText(_secret(cert.password) if cert else "")
            proxy = connection.proxy
            self.proxy_url.setText(proxy.url if proxy else "")
            self.proxy_user.setText((proxy.username or "") if proxy else "")
            self.proxy_password.setText(_secret(proxy.password) if proxy else "")
            self._load_auth(connection)
            for box in [*self._fields.values(), *(b for f in self._auth_fields.values() for b in f.values())]:
                box.set_error(None)
            self.summary.clear()
            self.dirty = False
            self._show_flows_warning()
            self._update_sign_in()
        finally:
            self._loading = False
        self._refresh_buttons()

    def _load_auth(self, connection: Connection) -> None:
        auth = connection.auth
        self.set_auth_type(auth.type)
        for fields in self._auth_fields.values():
            for box in fields.values():
                editor = box.editor
                if isinstance(editor, QLineEdit | SecretEdit):
                    editor.setText("")
        oauth = self._auth_fields["oauth2"]
        self._set_combo(oauth["grant"].editor, "client_credentials")
        self._set_combo(oauth["client_auth"].editor, "basic")
        pkce = oauth["use_pkce"].editor
        assert isinstance(pkce, QCheckBox)
        pkce.setChecked(True)
        self._set_combo(self._auth_fields["api_key"]["location"].editor, "header")
        values = auth.model_dump()
        for name, box in self._auth_fields[auth.type].items():
            value = values.get(name)
            editor = box.editor
            if isinstance(editor, QComboBox):
                self._set_combo(editor, value)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QLineEdit | SecretEdit):
                editor.setText(_secret(value))
        self._show_grant_fields()

    def _show_flows_warning(self) -> None:
        users = [] if self._is_new or self._original_name is None else flows_using(self.workspace, self._original_name)
        if users:
            shown = ", ".join(repr(n) for n in users[:8]) + (" …" if len(users) > 8 else "")
            self.flows_warning.setText(
                f"Used by {len(users)} flow{'s' if len(users) != 1 else ''}: {shown}. "
                "Changes here apply to every run of these flows; renaming breaks them."
            )
            self.flows_warning.show()
        else:
            self.flows_warning.hide()

    @staticmethod
    def _set_combo(editor: QWidget, value: Any) -> None:
        if isinstance(editor, QComboBox):
            index = editor.findData(value)
            if index >= 0:
                editor.setCurrentIndex(index)

    @staticmethod
    def _combo_value(box: FieldBox) -> Any:
        editor = box.editor
        assert isinstance(editor, QComboBox)
        return editor.currentData()

    def _add_header_row(self, _checked: bool = False, *, header: str = "", value: str = "") -> None:
        row = self.headers_table.rowCount()
        self.headers_table.insertRow(row)
        self.headers_table.setItem(row, 0, QTableWidgetItem(header))
        self.headers_table.setItem(row, 1, QTableWidgetItem(value))
        if not self._loading:
            self.headers_table.setCurrentCell(row, 0)
            item = self.headers_table.item(row, 0)
            if item is not None:
                self.headers_table.editItem(item)

    def _remove_header_row(self) -> None:
        row = self.headers_table.currentRow()
        if row >= 0:
            self.headers_table.removeRow(row)
            self._on_edit("headers")

    # --- validating ----------------------------------------------------------------------------------

    def _on_edit(self, key: str) -> None:
        if self._loading:
            return
        self.dirty = True
        self._touched.add(key)
        self.validate(show_all=self._save_attempted)
        self._update_sign_in()
        self.changed.emit()

    def set_change_refused(self, reason: str | None) -> None:
        """Grey out Save and signing in, saying why (the role needed), or allow them again (``None``)."""
        if reason == self.change_refused:
            return
        self.change_refused = reason
        self.save_button.setToolTip(reason or "Save the connection (Ctrl+S)")
        self.sign_in_button.setToolTip(
            reason
            or "Opens the provider's consent page in your browser; the tokens come back to flowdesk on a "
            "local (127.0.0.1) address and are sealed in the store"
        )
        self._refresh_buttons()
        self._update_sign_in()

    def _refresh_buttons(self) -> None:
        shown = any(box.error for box in self._all_boxes())
        self.save_button.setEnabled(self._original is not None and not shown and self.change_refused is None)
        self.revert_button.setEnabled(self._original is not None)

    def _all_boxes(self) -> list[FieldBox]:
        return [*self._fields.values(), *self._auth_fields[self.auth_type()].values()]

    def connection_data(self) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The connection as the form holds it, plus problems found before the model sees it."""
        problems: list[tuple[str, str]] = []
        data: dict[str, Any] = self._original.model_dump(by_alias=True) if self._original else {}
        data.pop("reenter_secrets", None)
        data["name"] = self.name_edit.text().strip()
        data["service"] = self._service
        data["base_url"] = self.base_url_edit.text().strip()
        data["description"] = self.description_edit.text().strip() or None
        data["timeout"] = self.timeout_spin.value()
        statuses: list[int] = []
        for token in re.split(r"[,\s]+", self.retry_statuses.text().strip()):
            if not token:
                continue
            if token.isdigit():
                statuses.append(int(token))
            else:
                problems.append(("retry.on", f"{token!r} is not an HTTP status number"))
        retry = dict(data.get("retry") or {})
        retry.update(count=self.retry_count.value(), backoff_s=self.retry_backoff.value(), on=statuses)
        data["retry"] = retry
        data["rate_limit"] = (
            {"requests": self.rate_requests.value(), "per_s": self.rate_per.value()}
            if self.rate_enabled.isChecked()
            else None
        )
        headers: dict[str, str] = {}
        for row in range(self.headers_table.rowCount()):
            name_item, value_item = self.headers_table.item(row, 0), self.headers_table.item(row, 1)
            name = name_item.text().strip() if name_item else ""
            value = value_item.text() if value_item else ""
            if not name:
                if value.strip():
                    problems.append(("headers", f"row {row + 1} has a value but no header name"))
                continue
            if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name):
                problems.append(("headers", f"{name!r} is not a valid header name (no spaces or colons)"))
            headers[name] = value
        data["headers"] = headers
        data["verify_ssl"] = self.verify_ssl.isChecked()
        ca_bundle = self.ca_bundle.text().strip()
        data["ca_bundle"] = ca_bundle or None
        if ca_bundle and not Path(ca_bundle).expanduser().is_file():
            problems.append(("ca_bundle", "no such file"))
        cert, key, key_password = (
            self.client_cert.text().strip(),
            self.client_key.text().strip(),
            self.client_key_password.text(),
        )
        if cert or key or key_password:
            data["client_cert"] = {"cert": cert, "key": key or None, "password": key_password or None}
            if not cert:
                problems.append(("client_cert.cert", "choose the certificate file"))
            elif not Path(cert).expanduser().is_file():
                problems.append(("client_cert.cert", "no such file"))
            if key and not Path(key).expanduser().is_file():
                problems.append(("client_cert.key", "no such file"))
        else:
            data["client_cert"] = None
        proxy_url, proxy_user, proxy_password = (
            self.proxy_url.text().strip(),
            self.proxy_user.text().strip(),
            self.proxy_password.text(),
        )
        if proxy_url or proxy_user or proxy_password:
            data["proxy"] = {"url": proxy_url, "username": proxy_user or None, "password": proxy_password or None}
        else:
            data["proxy"] = None
        data["auth"] = self._auth_data()
        if not self._is_new and self._original_name is not None:
            with contextlib.suppress(FlowdeskError):  # else keep the entities loaded with the connection
                data["entities"] = [e.model_dump(by_alias=True) for e in self.workspace.entities(self._original_name)]
        return data, problems

    def _auth_data(self) -> dict[str, Any]:
        auth_type = self.auth_type()
        auth: dict[str, Any] = {"type": auth_type}
        original = self._original.auth if self._original else None
        if auth_type == "oauth2" and original is not None and original.type == "oauth2":
            auth = original.model_dump()  # keeps tokens and settings the form does not show
        for name, box in self._auth_fields[auth_type].items():
            editor = box.editor
            if isinstance(editor, QComboBox):
                auth[name] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                auth[name] = editor.isChecked()
            elif isinstance(editor, SecretEdit):
                auth[name] = editor.text() or None
            elif isinstance(editor, QLineEdit):
                text = editor.text().strip()
                auth[name] = text if text or name in ("username", "client_id", "token_url", "name") else None
        return auth

    def validate(self, *, show_all: bool = True) -> Connection | None:
        """The connection the form describes, or ``None`` with each problem marked at its field.

        Only fields the user touched are marked unless ``show_all`` (after a save attempt).
        """
        data, problems = self.connection_data()
        connection: Connection | None = None
        try:
            connection = validate(Connection, data, "the connection")
        except InvalidConfigError as exc:
            problems.extend(exc.problems)
        if problems:
            connection = None
        self._show_problems(problems, show_all=show_all)
        return connection

    def _field_for(self, location: str, message: str) -> tuple[str, FieldBox] | None:
        location = re.sub(r"\[\d+\]$", "", location)
        if location == "auth" or location.startswith("auth."):
            fields = self._auth_fields[self.auth_type()]
            sub = location.removeprefix("auth").lstrip(".")
            if sub in fields:
                return f"auth.{sub}", fields[sub]
            for name, box in fields.items():
                if message.startswith(name):
                    return f"auth.{name}", box
            return None
        if location in self._fields:
            return location, self._fields[location]
        head = location.split(".")[0]
        for key, box in self._fields.items():
            if key.startswith(head + ".") and message.startswith(key.replace(".", " ").replace("_", " ")):
                return key, box
        return (head, self._fields[head]) if head in self._fields else None

    def _show_problems(self, problems: list[tuple[str, str]], *, show_all: bool) -> None:
        marks: dict[int, tuple[FieldBox, str]] = {}
        unplaced: list[str] = []
        for location, message in problems:
            found = self._field_for(location, message)
            if found is None:
                unplaced.append(f"{location or 'connection'}: {message}")
                continue
            key, box = found
            # a problem shows once its field, or another of its group (client_cert.key → .cert), was edited;
            # auth fields only once edited themselves (the form is filled top to bottom)
            touched_groups = {t.split(".")[0] for t in self._touched} - {"auth"}
            if show_all or key in self._touched or key.split(".")[0] in touched_groups:
                marks.setdefault(id(box), (box, message))
        for box in self._all_boxes():
            mark = marks.get(id(box))
            box.set_error(mark[1] if mark else None)
        if show_all and (unplaced or marks):
            count = len(marks) + len(unplaced)
            lines = [f"{count} problem{'s' if count != 1 else ''} to fix before saving.", *unplaced]
            self.summary.setText("\n".join(lines))
        else:
            self.summary.setText("\n".join(unplaced) if show_all else "")
        self._refresh_buttons()

    # --- saving --------------------------------------------------------------------------------------

    def save(self) -> bool:
        """Validate and write the connection; refused (``False``) while anything is invalid."""
        if self._original is None:
            return False
        self._save_attempted = True
        connection = self.validate(show_all=True)
        if connection is None:
            return False
        try:
            if self._is_new:
                self.workspace.add_connection(connection)
            else:
                assert self._original_name is not None
                self.workspace.update_connection(self._original_name, connection)
        except ConflictError as exc:
            self.field_box("name").set_error(exc.message)
            self.summary.setText(exc.message)
            self._refresh_buttons()
            return False
        except FlowdeskError as exc:
            self.summary.setText(str(exc))
            return False
        self._set(connection, is_new=False)
        self.saved.emit(connection.name)
        return True
