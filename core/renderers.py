"""The API's JSON renderer (settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]): a module of its own, as DRF
imports it while its views are being defined."""

from typing import Any

import orjson
from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON written by orjson (settings.REST_FRAMEWORK): for a list of 1,000 households json.dumps was a fifth
    of the answer's time (bench/list_1000.py). What orjson does not write as DRF does (dates and times, decimals,
    lazy text) goes through DRF's own encoder, and indented answers (the browsable API) through DRF's renderer, so
    the bytes are DRF's."""

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        body = orjson.dumps(
            data,
            default=self.encoder_class().default,
            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS,
        )
        # As DRF: U+2028 and U+2029 escaped, so that the JSON is also valid JavaScript.
        return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
