"""Application services: the one API the window and the command line both call.

The window and the CLI never talk to the store or to HTTP directly; they open a :class:`Workspace` and
call it, so both behave the same and the audit trail sees every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowdesk._lazy import export, names

if TYPE_CHECKING:
    from flowdesk.connections import ApiResponse, Page  # the request tester's results
    from flowdesk.model.curl import CurlParseError  # what import_curl raises
    from flowdesk.store import ConnectionInfo, FlowInfo, MemberInfo, RunInfo  # what the listings return
    from flowdesk.workspace._calls import CallOutcome
    from flowdesk.workspace._members import AuditRecord
    from flowdesk.workspace._oauth import AuthorizeResult, DisconnectResult, RefreshResult
    from flowdesk.workspace._schedules import ScheduleInfo
    from flowdesk.workspace._tester_support import (
        PARSE_FILE_LIMIT,
        DashboardData,
        ErrorEntry,
        HourBucket,
        PagePreview,
        PaginationProposal,
        TesterRequest,
        copy_request,
        dashboard_data,
        detect_pagination,
        estimated_total_pages,
        extract_jsonpath,
        fetch_all_pages,
        hourly_usage,
        import_curl,
        parse_body_file,
        preview_pagination,
        request_for_entity,
        save_body_file,
        save_pagination,
        send_request,
    )
    from flowdesk.workspace._triggers import TriggeredRun
    from flowdesk.workspace._window_support import (
        FlowOverview,
        NodeOverview,
        data_dir_of,
        demo_connection_name,
        flow_overviews,
        flows_using,
        start_demo,
        stop_demo,
        warm_up_http,
        workspace_names,
    )
    from flowdesk.workspace._workspace import Workspace, current_user

_EXPORTS: dict[str, str] = {
    "ApiResponse": "flowdesk.connections",
    "Page": "flowdesk.connections",
    "CurlParseError": "flowdesk.model.curl",
    "ConnectionInfo": "flowdesk.store",
    "FlowInfo": "flowdesk.store",
    "MemberInfo": "flowdesk.store",
    "RunInfo": "flowdesk.store",
    "CallOutcome": "flowdesk.workspace._calls",
    "AuditRecord": "flowdesk.workspace._members",
    "AuthorizeResult": "flowdesk.workspace._oauth",
    "DisconnectResult": "flowdesk.workspace._oauth",
    "RefreshResult": "flowdesk.workspace._oauth",
    "ScheduleInfo": "flowdesk.workspace._schedules",
    "PARSE_FILE_LIMIT": "flowdesk.workspace._tester_support",
    "DashboardData": "flowdesk.workspace._tester_support",
    "ErrorEntry": "flowdesk.workspace._tester_support",
    "HourBucket": "flowdesk.workspace._tester_support",
    "PagePreview": "flowdesk.workspace._tester_support",
    "PaginationProposal": "flowdesk.workspace._tester_support",
    "TesterRequest": "flowdesk.workspace._tester_support",
    "copy_request": "flowdesk.workspace._tester_support",
    "dashboard_data": "flowdesk.workspace._tester_support",
    "detect_pagination": "flowdesk.workspace._tester_support",
    "estimated_total_pages": "flowdesk.workspace._tester_support",
    "extract_jsonpath": "flowdesk.workspace._tester_support",
    "fetch_all_pages": "flowdesk.workspace._tester_support",
    "hourly_usage": "flowdesk.workspace._tester_support",
    "import_curl": "flowdesk.workspace._tester_support",
    "parse_body_file": "flowdesk.workspace._tester_support",
    "preview_pagination": "flowdesk.workspace._tester_support",
    "request_for_entity": "flowdesk.workspace._tester_support",
    "save_body_file": "flowdesk.workspace._tester_support",
    "save_pagination": "flowdesk.workspace._tester_support",
    "send_request": "flowdesk.workspace._tester_support",
    "TriggeredRun": "flowdesk.workspace._triggers",
    "FlowOverview": "flowdesk.workspace._window_support",
    "NodeOverview": "flowdesk.workspace._window_support",
    "data_dir_of": "flowdesk.workspace._window_support",
    "demo_connection_name": "flowdesk.workspace._window_support",
    "flow_overviews": "flowdesk.workspace._window_support",
    "flows_using": "flowdesk.workspace._window_support",
    "start_demo": "flowdesk.workspace._window_support",
    "stop_demo": "flowdesk.workspace._window_support",
    "warm_up_http": "flowdesk.workspace._window_support",
    "workspace_names": "flowdesk.workspace._window_support",
    "Workspace": "flowdesk.workspace._workspace",
    "current_user": "flowdesk.workspace._workspace",
}
"""Public name → the module defining it, imported on first access (see :func:`__getattr__`)."""

__all__ = [
    "PARSE_FILE_LIMIT",
    "ApiResponse",
    "AuditRecord",
    "AuthorizeResult",
    "CallOutcome",
    "ConnectionInfo",
    "CurlParseError",
    "DashboardData",
    "DisconnectResult",
    "ErrorEntry",
    "FlowInfo",
    "FlowOverview",
    "HourBucket",
    "MemberInfo",
    "NodeOverview",
    "Page",
    "PagePreview",
    "PaginationProposal",
    "RefreshResult",
    "RunInfo",
    "ScheduleInfo",
    "TesterRequest",
    "TriggeredRun",
    "Workspace",
    "copy_request",
    "current_user",
    "dashboard_data",
    "data_dir_of",
    "demo_connection_name",
    "detect_pagination",
    "estimated_total_pages",
    "extract_jsonpath",
    "fetch_all_pages",
    "flow_overviews",
    "flows_using",
    "hourly_usage",
    "import_curl",
    "parse_body_file",
    "preview_pagination",
    "request_for_entity",
    "save_body_file",
    "save_pagination",
    "send_request",
    "start_demo",
    "stop_demo",
    "warm_up_http",
    "workspace_names",
]


def __getattr__(name: str) -> Any:
    return export(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return names(__name__, __all__)
