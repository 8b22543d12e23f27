import io
import time
import zipfile

from causal_embedded.lambda_runner import FunctionSnapshot, LambdaRunner


def snapshot(code: bytes, sha: str, timeout: float = 3.0) -> FunctionSnapshot:
    return FunctionSnapshot(
        name="fn",
        arn="arn:aws:lambda:eu-central-1:000000000000:function:fn",
        handler="handler.handler",
        runtime="python3.12",
        timeout=timeout,
        memory_size=128,
        version="$LATEST",
        region="eu-central-1",
        code_sha256=sha,
        environment=(),
        code_bytes=code,
    )


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def test_base64_code_hashes_with_slashes_make_valid_folders(tmp_path):
    runner = LambdaRunner(tmp_path, endpoint_url="http://127.0.0.1:1")
    try:
        result = runner.invoke(snapshot(zipped("def handler(e, c):\n    return e\n"), "ab/cd+ef=="), {"x": 1})
        assert not result.errored, result.payload
        assert result.payload == '{"x": 1}'
    finally:
        runner.shutdown()


def test_configuration_changes_change_the_worker_key():
    code = zipped("")
    assert snapshot(code, "a").key != snapshot(code, "a", timeout=5).key
    assert snapshot(code, "a").key != snapshot(code, "b").key


def test_idle_workers_are_reclaimed_and_the_next_invoke_starts_cold(tmp_path):
    runner = LambdaRunner(tmp_path, endpoint_url="http://127.0.0.1:1", idle_worker_seconds=0.2)
    function = snapshot(zipped("def handler(e, c):\n    return e\n"), "idle")
    try:
        assert runner.invoke(function, {}).cold
        assert runner.warm_workers(function.arn) == 1
        deadline = time.monotonic() + 5
        while runner.warm_workers(function.arn) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runner.warm_workers(function.arn) == 0
        assert runner.invoke(function, {}).cold
    finally:
        runner.shutdown()


def test_a_prewarmed_function_answers_its_first_invoke_warm(tmp_path):
    runner = LambdaRunner(tmp_path, endpoint_url="http://127.0.0.1:1")
    function = snapshot(zipped("def handler(e, c):\n    return e\n"), "prewarmed")
    try:
        runner.prewarm(function)
        deadline = time.monotonic() + 10
        while runner.warm_workers(function.arn) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        while runner.pool.busy(function.arn) and time.monotonic() < deadline:
            time.sleep(0.02)
        result = runner.invoke(function, {"n": 1})
        assert not result.cold and result.payload == '{"n": 1}'
    finally:
        runner.shutdown()


def test_prewarming_a_broken_function_leaves_the_error_to_the_first_invoke(tmp_path):
    runner = LambdaRunner(tmp_path, endpoint_url="http://127.0.0.1:1")
    function = snapshot(zipped("import not_there\n"), "broken")
    try:
        runner.prewarm(function)
        time.sleep(1.0)
        result = runner.invoke(function, {})
        assert result.errored and "Runtime.ImportModuleError" in result.payload
    finally:
        runner.shutdown()


def test_an_invoke_during_prewarm_waits_for_that_worker_instead_of_starting_another(tmp_path):
    runner = LambdaRunner(tmp_path, endpoint_url="http://127.0.0.1:1")
    slow_init = "import time\ntime.sleep(0.5)\ndef handler(e, c):\n    import os\n    return os.getpid()\n"
    function = snapshot(zipped(slow_init), "slow-init")
    try:
        runner.prewarm(function)
        time.sleep(0.1)
        first = runner.invoke(function, {})
        second = runner.invoke(function, {})
        assert not first.cold and first.payload == second.payload
        assert runner.warm_workers(function.arn) == 1
    finally:
        runner.shutdown()
