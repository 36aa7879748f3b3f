"""The request tester tab: one request for an entity or an ad-hoc path, and everything about its answer."""

from flowdesk.ui.tester._widget import RequestTesterWidget, path_placeholders

__all__ = ["RequestTesterWidget", "path_placeholders"]
