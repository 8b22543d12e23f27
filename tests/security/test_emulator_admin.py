"""moto's admin routes (``/moto-api/*``) need the stack's signature, never show a secret, and the
recorder stays off and out of the checkout.

Before: ``GET /moto-api/data.json`` from anyone returned every secret (the token-signing key, the
management key pair) in plain text; ``POST /moto-api/reset`` from any local user wiped the stack;
an ``<img>`` on any page started the recorder, which then wrote every signed request into the checkout.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.config import Config
from security.conftest import curl_as_other_user, needs_chromium, needs_other_user, signed_headers
from support import ROOT, running_emulator

pytestmark = pytest.mark.slow

REGION = "eu-central-1"
SECRET_VALUE = "signing-key-nobody-may-read-0123456789"
STACK_KEY, STACK_SECRET = "AKIAADMINSTACKTEST01", "the-admin-tests-stack-secret"


def client(service: str, endpoint: str, key: str = STACK_KEY, secret: str = STACK_SECRET) -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


STACK_ENV = {"AWS_ACCESS_KEY_ID": STACK_KEY, "AWS_SECRET_ACCESS_KEY": STACK_SECRET}


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with running_emulator("--no-prewarm", env=STACK_ENV) as endpoint:
        client("secretsmanager", endpoint).create_secret(Name="token-signing-key", SecretString=SECRET_VALUE)
        client("dynamodb", endpoint).create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield endpoint


def _signed_get(url: str, key: str = STACK_KEY, secret: str = STACK_SECRET) -> httpx.Response:
    return httpx.get(url, headers=signed_headers("GET", url, key, secret, service="moto-api"), timeout=30)


def _recordings() -> list[Path]:
    return [path for path in (ROOT / "moto_recording", Path.cwd() / "moto_recording") if path.exists()]


def test_an_unsigned_reset_is_refused_and_changes_nothing(emulator) -> None:
    response = httpx.post(f"{emulator}/moto-api/reset", timeout=30)
    assert response.status_code == 403
    assert "kept" in client("dynamodb", emulator).list_tables()["TableNames"]


@needs_other_user
def test_another_user_can_neither_reset_nor_dump_the_stack(emulator) -> None:
    status, _ = curl_as_other_user("POST", f"{emulator}/moto-api/reset")
    assert status == 403
    url = f"{emulator}/moto-api/data.json"
    status, body = curl_as_other_user("GET", url, signed_headers("GET", url, "test", "test", service="moto-api"))
    assert status == 403 and SECRET_VALUE not in body
    assert "kept" in client("dynamodb", emulator).list_tables()["TableNames"]


def test_the_model_dump_needs_a_signature_and_never_carries_a_secret_value(emulator) -> None:
    unsigned = httpx.get(f"{emulator}/moto-api/data.json", timeout=30)
    assert unsigned.status_code == 403 and SECRET_VALUE not in unsigned.text
    for key, secret in ((STACK_KEY, STACK_SECRET), ("test", "test")):  # the stack's pair; the owner's old one
        signed = _signed_get(f"{emulator}/moto-api/data.json", key, secret)
        assert signed.status_code == 200
        assert "token-signing-key" in signed.text  # the secret is listed …
        assert SECRET_VALUE not in signed.text  # … its value is not
        assert STACK_SECRET not in signed.text
        json.loads(signed.text)


def test_the_recorder_is_off_and_an_image_tag_cannot_start_it(emulator) -> None:
    before = _recordings()
    # What an <img src> on any page sends: a GET with no signature and no Origin.
    started = httpx.get(
        f"{emulator}/moto-api/recorder/start-recording",
        headers={"Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors", "Referer": "http://evil.example/"},
        timeout=30,
    )
    assert started.status_code == 403
    # Even the stack's own signature finds it off: it is turned on only when the emulator starts.
    assert _signed_get(f"{emulator}/moto-api/recorder/start-recording").status_code == 403
    client("dynamodb", emulator).list_tables()
    assert _recordings() == before


@needs_chromium
@pytest.mark.browser
def test_a_web_page_cannot_start_the_recorder(browser, emulator, foreign_origin) -> None:
    before = _recordings()
    page = browser.new_page()
    try:
        page.goto(foreign_origin)
        page.set_content(f'<img src="{emulator}/moto-api/recorder/start-recording">')
        page.wait_for_load_state("networkidle")
    finally:
        page.close()
    client("dynamodb", emulator).list_tables()
    assert _recordings() == before


def test_when_asked_for_the_recorder_writes_into_the_state_dir_not_the_checkout(tmp_path) -> None:
    before = _recordings()
    env = {**STACK_ENV, "EMULATOR_STATE_DIR": str(tmp_path)}
    with running_emulator("--no-prewarm", "--recorder", env=env) as endpoint:
        assert _signed_get(f"{endpoint}/moto-api/recorder/start-recording").status_code == 200
        client("dynamodb", endpoint).list_tables()
        assert _signed_get(f"{endpoint}/moto-api/recorder/stop-recording").status_code == 200
    assert (tmp_path / "moto_recording").read_text().strip()
    assert _recordings() == before


def test_debug_admin_opens_the_admin_routes_without_showing_secrets() -> None:
    with running_emulator("--no-prewarm", "--debug-admin", env=STACK_ENV) as endpoint:
        client("secretsmanager", endpoint).create_secret(Name="debug-secret", SecretString=SECRET_VALUE)
        dump = httpx.get(f"{endpoint}/moto-api/data.json", timeout=30)
        assert dump.status_code == 200
        assert "debug-secret" in dump.text and SECRET_VALUE not in dump.text
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{endpoint}/2015-03-31/functions", timeout=10)  # AWS APIs stay signed
        assert refused.value.code == 403
