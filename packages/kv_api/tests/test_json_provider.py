"""The API's answers are written by orjson, as the standard encoder would write them."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import pytest
from flask import Flask

from kv_api.json_provider import OrjsonProvider


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.json.sort_keys = False
    return app


@dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize(
    "value",
    [
        {"key": "a/b", "value": {"z": 1, "a": [1.5, None, True]}, "version": 3},
        {"text": "café ✓ 𝄞", "quote": '"\\'},
        {"big": 123456789012345678901234567890},
        {"when": datetime.datetime(2026, 12, 2, 8, 0, tzinfo=datetime.UTC)},
        {"point": Point(1, 2)},
        {1: "integer key"},
    ],
)
def test_answers_read_back_as_the_standard_encoder_writes_them(app, value):
    with app.app_context():
        body = app.json.response(value).get_data()
        standard = app.json.dumps(value)
    assert body.endswith(b"\n")
    assert json.loads(body) == json.loads(standard)
    assert list(json.loads(body)) == list(json.loads(standard))  # key order kept


def test_text_is_written_as_utf8(app):
    with app.app_context():
        response = app.json.response(text="café")
    assert response.get_data() == '{"text":"café"}\n'.encode()
    assert response.mimetype == "application/json"


def test_debug_answers_stay_indented(app):
    app.debug = True
    with app.app_context():
        assert b'\n  "a": 1' in app.json.response(a=1).get_data()
