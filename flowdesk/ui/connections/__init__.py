"""The connection screens: list, editor, entities, test panel, and the panel holding them."""

from flowdesk.ui.connections._editor import AUTH_CHOICES, ConnectionEditor, service_title
from flowdesk.ui.connections._entities import DiscoverDialog, EntitiesTab, EntityDialog
from flowdesk.ui.connections._fields import FieldBox, FilePicker, SecretEdit
from flowdesk.ui.connections._list import ConnectionList
from flowdesk.ui.connections._new_dialog import NewConnectionDialog, template_for
from flowdesk.ui.connections._panel import ConnectionPanel
from flowdesk.ui.connections._test_panel import TestPanel, preview_text

__all__ = [
    "AUTH_CHOICES",
    "ConnectionEditor",
    "ConnectionList",
    "ConnectionPanel",
    "DiscoverDialog",
    "EntitiesTab",
    "EntityDialog",
    "FieldBox",
    "FilePicker",
    "NewConnectionDialog",
    "SecretEdit",
    "TestPanel",
    "preview_text",
    "service_title",
    "template_for",
]
