"""The local store: one SQLite file (SQLAlchemy 2 Core, no ORM; Alembic migrations) plus sealed secrets.

Only this package touches SQLAlchemy, Alembic and keyring (an import-linter contract); everything above it
gets model objects and the frozen records below.
"""

from flowdesk.store._hooks import WEBHOOK_STYLES
from flowdesk.store._paths import DATA_DIR_ENV, DB_FILENAME, default_data_dir
from flowdesk.store._records import (
    ApiCallRecord,
    AuditEntry,
    ConnectionInfo,
    ConnectionStatus,
    ConnectionUsage,
    FlowInfo,
    MemberInfo,
    Role,
    RunDetail,
    RunInfo,
    RunNodeRecord,
    WebhookInfo,
    WorkspaceInfo,
)
from flowdesk.store._store import HourUsage, Store
from flowdesk.store._vault import PASSWORD_ENV

__all__ = [
    "DATA_DIR_ENV",
    "DB_FILENAME",
    "PASSWORD_ENV",
    "WEBHOOK_STYLES",
    "ApiCallRecord",
    "AuditEntry",
    "ConnectionInfo",
    "ConnectionStatus",
    "ConnectionUsage",
    "FlowInfo",
    "HourUsage",
    "MemberInfo",
    "Role",
    "RunDetail",
    "RunInfo",
    "RunNodeRecord",
    "Store",
    "WebhookInfo",
    "WorkspaceInfo",
    "default_data_dir",
]
