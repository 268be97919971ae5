"""The API's JSON is written by orjson (core.renderers.JSONRenderer) and is byte for byte what DRF's renderer writes."""

import datetime
import decimal
import uuid
import zoneinfo

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import JSONRenderer


def test_the_api_writes_the_same_bytes_as_drf_for_every_kind_of_value():
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    data = ReturnDict(
        {
            "count": 2,
            "next": None,
            "results": ReturnList(
                [
                    {
                        "name": "王小明 \u2028 line",
                        "points": decimal.Decimal("2.50"),
                        "ratio": 0.25,
                        "at": datetime.datetime(2026, 12, 7, 20, 9, 16, 197003, tzinfo=shanghai),
                        "utc": datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC),
                        "on": datetime.date(2026, 1, 5),
                        "time": datetime.time(8, 30),
                        "key": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                        "label": gettext_lazy("Households"),
                        "flags": [True, False, None],
                        7: "a key that is a number",
                    }
                ],
                serializer=None,
            ),
        },
        serializer=None,
    )
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)
    indented = "application/json; indent=4"
    assert JSONRenderer().render(data, indented) == DRFJSONRenderer().render(data, indented)
    assert JSONRenderer().render(None) == b""
