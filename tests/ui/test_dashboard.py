"""The connection dashboard: status, 24-hour usage, the hourly chart and the error log with details."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowdesk.model import ApiCallMade, RateLimit
from flowdesk.model.errors import FlowdeskError
from flowdesk.ui._async import TaskKeeper
from flowdesk.ui.dashboard import DashboardWidget, HourlyChart
from flowdesk.workspace import HourBucket, hourly_usage

from .conftest import spin_until
from .helpers import demo_connection, open_workspace


@pytest.fixture()
def setup(qtbot, qloop, data_dir, demo_server):
    ws = open_workspace(data_dir)
    connection = demo_connection(demo_server.base_url)
    ws.add_connection(connection)
    keeper = TaskKeeper()
    widget = DashboardWidget(ws, keeper)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    yield widget, ws, connection
    qloop.run_until_complete(ws.aclose())


def test_a_new_connection_is_untested_with_no_calls(setup):
    widget, _ws, connection = setup
    widget.set_connection(connection.name)
    assert widget.status_card.value.text() == "● Untested"
    assert widget.url_label.text() == connection.base_url
    assert "API key" in widget.account_label.text()
    assert widget.last_used_card.value.text() == "never"
    assert widget.calls_card.value.text() == "0"
    assert widget.calls_card.note.text() == "no rate limit set"
    assert widget.success_card.value.text() == "—"
    assert widget.error_table.rowCount() == 0
    assert widget.errors_title.text() == "Recent errors: none"
    assert len(widget.chart.buckets) == 24 and sum(b.calls for b in widget.chart.buckets) == 0


def test_calls_and_a_failing_call_show_in_figures_chart_and_error_log(qtbot, qloop, setup):
    widget, ws, connection = setup
    entity = next(e for e in connection.entities if e.name == "list_customers")
    qloop.run_until_complete(ws.call(connection.name, entity.name))
    with pytest.raises(FlowdeskError):
        qloop.run_until_complete(ws.call(connection.name, "/no-such-endpoint"))
    widget.set_connection(connection.name)
    assert widget.status_card.value.text() == "● Failing"  # the last call failed
    assert widget.calls_card.value.text() == "2"
    assert widget.success_card.value.text() == "50.0 %"
    assert widget.success_card.note.text() == "1 failed call"
    assert widget.last_used_card.value.text() == "just now"
    assert widget.chart.buckets[-1].calls == 2 and widget.chart.buckets[-1].errors == 1
    assert widget.error_table.rowCount() == 1
    assert widget.error_table.item(0, 2).text() == "404"
    assert "/no-such-endpoint" in widget.error_table.item(0, 1).text()
    assert widget.error_table.item(0, 4).text() == "1"
    assert widget.error_detail.toPlainText() == ""
    widget.error_table.selectRow(0)
    detail = widget.error_detail.toPlainText()
    assert "Status:    404" in detail and "/no-such-endpoint" in detail and "Attempt:   1" in detail

    # a call made elsewhere refreshes the dashboard by itself (once, shortly after)
    refreshed = []
    widget.refreshed.connect(lambda: refreshed.append(True))
    qloop.run_until_complete(ws.call(connection.name, entity.name))
    spin_until(qloop, lambda: bool(refreshed))
    assert widget.calls_card.value.text() == "3"
    assert widget.status_card.value.text() == "● Connected"


def test_calls_against_the_rate_limit(qtbot, qloop, setup):
    widget, ws, connection = setup
    limited = connection.model_copy(update={"rate_limit": RateLimit(requests=2, per_s=3600)})  # 2 an hour
    ws.update_connection(connection.name, limited)
    qloop.run_until_complete(ws.call(connection.name, "list_regions"))
    widget.set_connection(connection.name)
    assert widget.rate_label.text() == "2 requests per 3600 s"
    assert widget.calls_card.note.text() == "busiest hour used 50.0 % of the 2 requests per 3600 s limit"


def test_hourly_usage_buckets_calls_of_the_last_24_hours_and_the_chart_paints(qtbot, setup):
    _widget, ws, connection = setup
    now = datetime(2026, 11, 5, 14, 30, tzinfo=UTC)

    def call(ago: timedelta, status: int) -> ApiCallMade:
        return ApiCallMade(
            at=(now - ago).timestamp(), connection=connection.name, method="GET", url="/x", status=status,
            duration_ms=3,
        )  # fmt: skip

    ws.store.record_api_calls(
        ws.name,
        [
            call(timedelta(minutes=5), 200),
            call(timedelta(minutes=10), 500),
            call(timedelta(hours=3), 200),
            call(timedelta(hours=30), 200),  # too old
        ],
    )
    buckets = hourly_usage(ws, connection.name, now=now)
    assert len(buckets) == 24 and buckets[-1].start == datetime(2026, 11, 5, 14, tzinfo=UTC)
    assert (buckets[-1].calls, buckets[-1].errors) == (2, 1)
    assert buckets[-4].calls == 1 and sum(b.calls for b in buckets) == 3

    chart = HourlyChart()
    qtbot.addWidget(chart)
    chart.resize(480, 170)
    chart.set_buckets([HourBucket(b.start, b.calls * 40, b.errors * 7) for b in buckets])
    image = chart.grab().toImage()
    assert not image.isNull()
    assert chart.bar_at(chart.width() - 12) == 23
    assert chart.bar_at(0) is None
