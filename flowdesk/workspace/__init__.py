"""Application services: the one API the window and the command line both call.

The window and the CLI never talk to the store or to HTTP directly; they open a :class:`Workspace` and
call it, so both behave the same and the audit trail sees every change.
"""

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
