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
