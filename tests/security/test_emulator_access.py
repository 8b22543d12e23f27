"""The embedded AWS endpoint answers only local programs holding the stack's credentials.

Each case is a way in that worked before: a web page driving the emulator
(moto's server echoes any Origin), a DNS-rebinding Host, unsigned requests,
requests signed with other keys.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from functional.test_embedded_lambda_runner import make_zip
from security.conftest import needs_chromium
from support import running_emulator

REGION = "eu-central-1"
pytestmark = pytest.mark.slow


def client(service: str, endpoint: str, key: str = "test", secret: str = "test") -> object:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with running_emulator("--no-prewarm") as endpoint:
        iam = client("iam", endpoint)
        iam.create_role(RoleName="security", AssumeRolePolicyDocument="{}")
        client("s3", endpoint).create_bucket(
            Bucket="security-bucket", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield endpoint


def _error(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(
    ("service", "call", "unknown_key", "bad_signature"),
    [
        (
            "lambda",
            lambda c: c.list_functions(),
            ("UnrecognizedClientException", 403),
            ("InvalidSignatureException", 403),
        ),
        (
            "dynamodb",
            lambda c: c.list_tables(),
            ("UnrecognizedClientException", 400),
            ("InvalidSignatureException", 400),
        ),
        (
            "stepfunctions",
            lambda c: c.list_state_machines(),
            ("UnrecognizedClientException", 400),
            ("InvalidSignatureException", 400),
        ),
        (
            "secretsmanager",
            lambda c: c.list_secrets(),
            ("UnrecognizedClientException", 400),
            ("InvalidSignatureException", 400),
        ),
        ("s3", lambda c: c.list_buckets(), ("InvalidAccessKeyId", 403), ("SignatureDoesNotMatch", 403)),
        ("sts", lambda c: c.get_caller_identity(), ("InvalidClientTokenId", 403), ("SignatureDoesNotMatch", 403)),
    ],
)
def test_a_request_signed_with_other_keys_gets_the_services_own_error(
    emulator, service, call, unknown_key, bad_signature
) -> None:
    assert (
        _error(lambda: call(client(service, emulator, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG"))) == unknown_key
    )
    assert _error(lambda: call(client(service, emulator, "test", "not-the-secret"))) == bad_signature
    call(client(service, emulator))  # the stack's credentials still work


def test_a_forged_call_changes_nothing(emulator) -> None:
    table = f"forged-{uuid.uuid4().hex[:6]}"
    forged = client("dynamodb", emulator, "AKIAFORGED", "whatever")
    code, _ = _error(
        lambda: forged.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert code == "UnrecognizedClientException"
    assert table not in client("dynamodb", emulator).list_tables()["TableNames"]


def test_an_unsigned_request_is_refused_and_changes_nothing(emulator) -> None:
    role = client("iam", emulator).get_role(RoleName="security")["Role"]["Arn"]
    import base64

    body = {
        "FunctionName": "unsigned-fn",
        "Runtime": "python3.12",
        "Role": role,
        "Handler": "handler.handler",
        "Code": {"ZipFile": base64.b64encode(make_zip("def handler(e, c):\n    return 1\n")).decode()},
    }
    response = httpx.post(f"{emulator}/2015-03-31/functions", json=body)
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    names = [f["FunctionName"] for f in client("lambda", emulator).list_functions()["Functions"]]
    assert "unsigned-fn" not in names


def test_a_dns_rebinding_host_is_refused_and_configured_hosts_are_served(emulator) -> None:
    signed = client("lambda", emulator)
    response = httpx.get(f"{emulator}/_causal/health", headers={"Host": "attacker.example:4566"})
    assert response.status_code == 403
    assert "EMULATOR_ALLOWED_HOSTS" in response.text
    signed.list_functions()
    with running_emulator("--no-prewarm", env={"EMULATOR_ALLOWED_HOSTS": "emulator"}) as other:
        assert httpx.get(f"{other}/_causal/health", headers={"Host": "emulator:4566"}).status_code == 200
        assert httpx.get(f"{other}/_causal/health", headers={"Host": "attacker.example"}).status_code == 403


def test_presigned_urls_work_until_they_expire(emulator) -> None:
    s3 = client("s3", emulator)
    s3.put_object(Bucket="security-bucket", Key="reports/a b+c.csv", Body=b"x,y\n1,2\n")
    for signature_version in ("s3v4", "s3"):
        signer = boto3.client(
            "s3",
            endpoint_url=emulator,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(signature_version=signature_version),
        )
        url = signer.generate_presigned_url(
            "get_object", Params={"Bucket": "security-bucket", "Key": "reports/a b+c.csv"}
        )
        with urllib.request.urlopen(url) as response:
            assert response.read() == b"x,y\n1,2\n"
        tampered = url.replace("reports/a%20b%2Bc.csv", "reports/other.csv")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(tampered)
        assert refused.value.code == 403
    short = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "security-bucket", "Key": "reports/a b+c.csv"}, ExpiresIn=1
    )
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(short)
    assert expired.value.code == 403 and b"expired" in expired.value.read()


def test_lambda_code_and_the_state_machine_call_the_emulator_with_the_stacks_credentials(emulator) -> None:
    role = client("iam", emulator).get_role(RoleName="security")["Role"]["Arn"]
    lam = client("lambda", emulator)
    source = "import boto3\n\ndef handler(event, context):\n    return {'buckets': [b['Name'] for b in boto3.client('s3').list_buckets()['Buckets']]}\n"
    arn = lam.create_function(
        FunctionName="inner-calls",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": make_zip(source)},
        Timeout=30,
    )["FunctionArn"]
    sfn = client("stepfunctions", emulator)
    machine = sfn.create_state_machine(
        name="inner-calls",
        roleArn=role,
        definition=json.dumps({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": arn, "End": True}}}),
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))[
        "status"
    ] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED", described
    assert "security-bucket" in json.loads(described["output"])["buckets"]


def test_an_allowed_origin_gets_cors_and_others_get_none() -> None:
    with running_emulator("--no-prewarm", env={"EMULATOR_ALLOWED_ORIGINS": "http://localhost:3000"}) as endpoint:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target",
        }
        allowed = httpx.options(f"{endpoint}/", headers={"Origin": "http://localhost:3000", **preflight})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
        refused = httpx.options(f"{endpoint}/", headers={"Origin": "http://evil.example", **preflight})
        assert refused.status_code == 403
        assert "access-control-allow-origin" not in refused.headers


@pytest.mark.browser
@needs_chromium
def test_a_web_page_cannot_drive_the_emulator(browser, emulator, foreign_origin) -> None:
    """What a page on any other origin tried: create a function (JSON with a preflight) and
    write an object with a plain form post (no preflight)."""
    role = client("iam", emulator).get_role(RoleName="security")["Role"]["Arn"]
    import base64

    page = browser.new_page()
    try:
        page.goto(foreign_origin)
        outcome = page.evaluate(
            """async ([endpoint, role, zip]) => {
                 try {
                   const response = await fetch(`${endpoint}/2015-03-31/functions`, {method: "POST",
                     headers: {"Content-Type": "application/json"},
                     body: JSON.stringify({FunctionName: "from-a-page", Runtime: "python3.12", Role: role,
                                           Handler: "handler.handler", Code: {ZipFile: zip}})});
                   return `read ${response.status}: ${await response.text()}`;
                 } catch (error) { return `blocked: ${error}`; }
               }""",
            [emulator, role, base64.b64encode(make_zip("def handler(e, c):\n    return 'pwned'\n")).decode()],
        )
        assert outcome.startswith("blocked"), outcome
        page.set_content(
            f"""<form id="f" method="POST" action="{emulator}/security-bucket" enctype="multipart/form-data">
                 <input name="key" value="from-a-page.txt"><input name="file" value="written by a web page"></form>"""
        )
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
    finally:
        page.close()
    names = [f["FunctionName"] for f in client("lambda", emulator).list_functions()["Functions"]]
    assert "from-a-page" not in names
    keys = [o["Key"] for o in client("s3", emulator).list_objects_v2(Bucket="security-bucket").get("Contents", [])]
    assert "from-a-page.txt" not in keys
