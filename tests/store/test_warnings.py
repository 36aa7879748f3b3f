"""Opening and using the store must not trip the project's warnings-as-errors gate."""

from __future__ import annotations

import warnings

from flowdesk.store import Store

from .conftest import WS


def test_opening_and_listing_emits_no_deprecation_warning(data_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        store = Store.open(data_dir)
        try:
            store.ensure_workspace(WS)
            store.list_connections(WS)
        finally:
            store.close()
