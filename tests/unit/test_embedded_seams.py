"""moto is pinned; these fail loudly (and say what moved) if an upgrade moves the seams."""

import pytest

from causal_embedded import seams


def test_the_pinned_moto_has_every_seam():
    import moto

    assert moto.__version__ == seams.EXPECTED_MOTO_VERSION
    seams.check()


def test_a_moved_invoke_seam_is_reported_by_name(monkeypatch):
    from moto.awslambda.models import LambdaFunction

    monkeypatch.delattr(LambdaFunction, "_invoke_lambda")
    with pytest.raises(seams.SeamMovedError, match="LambdaFunction._invoke_lambda no longer exists"):
        seams.check()


def test_a_changed_signature_is_reported(monkeypatch):
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", lambda self, arn, name: None)
    with pytest.raises(seams.SeamMovedError, match="start_execution"):
        seams.check()


def _interpreter_client(factory, service="lambda", read_timeout=99):
    """A client as moto's Step Functions interpreter asks for one (boto_client_for's arguments)."""
    from botocore.config import Config

    return factory.client(
        aws_access_key_id="ak",
        aws_secret_access_key="sk",
        region_name="eu-central-1",
        service_name=service,
        endpoint_url="http://127.0.0.1:9",
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=99,
            read_timeout=read_timeout,
        ),
    )


def test_the_interpreter_gets_one_client_per_service_signed_with_the_stack_keys():
    factory = seams._SigningBoto3(("stack-key", "stack-secret"))
    first, again = _interpreter_client(factory), _interpreter_client(factory)
    assert first is again
    assert _interpreter_client(factory, service="ecs") is not first
    assert _interpreter_client(factory, read_timeout=5) is not first
    credentials = first._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("stack-key", "stack-secret")
    assert first.meta.config.read_timeout == 99
    assert first.meta.config.retries["total_max_attempts"] == 1
    assert first.meta.config.max_pool_connections == seams._SigningBoto3.POOL_CONNECTIONS


def test_the_dispatcher_lists_moto_modules_once_with_the_same_answer(monkeypatch):
    from moto import backends

    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    listed = list(backends.list_of_moto_modules())
    seams._list_moto_modules_once()
    assert list(backends.list_of_moto_modules()) == listed
    assert list(backends.list_of_moto_modules()) == listed
    assert "dynamodb" in listed and "stepfunctions" in listed
