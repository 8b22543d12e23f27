"""``causal-stack``: run, deploy and inspect the stack.

Heavy imports (boto3, the deployer, the gateway) happen inside the command
that needs them, so ``causal-stack --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from causal_stack.terminal_text import escape_controls

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
TARGETS = ("embedded", "localstack", "aws")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="causal-stack",
        description="The causal-analysis agent stack: run it locally, deploy it, check it.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (JSON lines on stderr)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    up = commands.add_parser("up", help="start the embedded stack (no Docker), deploy, serve until Ctrl-C")
    up.add_argument("--aws-port", type=int, default=4566, help="emulator port (default 4566, as awslocal expects)")
    up.add_argument("--gateway-port", type=int, default=8080, help="gateway and dashboard port (default 8080)")
    up.add_argument("--ecs-port", type=int, default=4599, help="local ECS runner port (default 4599)")
    up.add_argument(
        "--resources-port",
        type=int,
        default=4567,
        help="also serve the dashboard and /api/resources here, the old stack's address "
        "(default 4567; 0 = off; a taken port is skipped with a note)",
    )
    # State kept across restarts (causal_stack.state_files, causal_stack.snapshot_command).
    up.add_argument(
        "--fresh",
        action="store_true",
        help="start empty instead of restoring the kept state (which is set aside as a named snapshot, not deleted)",
    )
    up.add_argument(
        "--state-dir", type=Path, default=None, help="where the state is kept (default .stack/state of this checkout)"
    )
    up.add_argument(
        "--snapshot-interval",
        type=float,
        default=60.0,
        help="seconds between saves of a changed state while running (default 60; 0 = only on stop)",
    )
    # Mocked service integrations (causal_embedded.sfn_mock_config).
    up.add_argument(
        "--sfn-mock-config",
        type=Path,
        default=None,
        metavar="PATH",
        help="Step Functions mock configuration (Step Functions Local's format; default: $SFN_MOCK_CONFIG): "
        "StartExecution on <stateMachineArn>#<test case> runs that test case with its Task states mocked",
    )
    # Hot reload (causal_stack.hot_reload).
    up.add_argument(
        "--watch",
        action="store_true",
        help="redeploy on save: a function when its code under lambdas/ changes, the state machine when its "
        "ASL changes; the next ECS task runs changed task code",
    )
    up.set_defaults(handler=_up)

    deploy = commands.add_parser("deploy", help="create or update every resource (idempotent)")
    _aws_options(deploy)
    deploy.add_argument(
        "--websocket-callback-url", help="management API base the Lambdas post to (default http://127.0.0.1:8080/dev)"
    )
    deploy.add_argument("--artifacts-base-url", help="base of artifact links (default http://127.0.0.1:8080/artifacts)")
    deploy.add_argument(
        "--deps",
        choices=("local", "pip"),
        help="where Lambda dependencies come from (default: local for embedded, pip manylinux wheels otherwise)",
    )
    deploy.add_argument("--task-image", help="container image of the ECS tasks")
    deploy.add_argument("--no-datasets", action="store_true", help="do not publish the bundled datasets")
    deploy.add_argument("--source-dir", help="repository to deploy from (default: this checkout)")
    deploy.add_argument("--json", action="store_true", help="print the report as JSON")
    deploy.add_argument(
        "--plan", action="store_true", help="print what would be created, changed or left as is; change nothing"
    )
    deploy.add_argument(
        "--ecs-subnets", help="aws: subnets the tasks run in, comma-separated (default: $ECS_SUBNETS; required)"
    )
    deploy.add_argument(
        "--ecs-security-groups", help="aws: the tasks' security groups, comma-separated (default: $ECS_SECURITY_GROUPS)"
    )
    deploy.set_defaults(handler=_deploy)
    _aws_stack_commands(commands)

    status = commands.add_parser("status", help="tables, buckets, functions, state machine, recent executions")
    _aws_options(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    executions = commands.add_parser(
        "executions", help="an execution's steps: input, output, errors, retries, durations, Lambda request ids"
    )
    _aws_options(executions)
    executions.add_argument("execution", nargs="?", help="execution ARN or name (default: list recent executions)")
    executions.add_argument("--session", help="show the executions of this session")
    executions.add_argument("--limit", type=int, default=20, help="at most this many executions (default 20)")
    executions.add_argument("--full", action="store_true", help="print payloads whole instead of cut")
    executions.add_argument("--json", action="store_true")
    executions.set_defaults(handler=_executions)

    doctor = commands.add_parser("doctor", help="check every part; non-zero exit and a fix hint on any problem")
    _aws_options(doctor)
    doctor.add_argument("--gateway-url", help="also check the gateway's /health (e.g. http://127.0.0.1:8080)")
    doctor.add_argument(
        "--resources-url",
        help="with --gateway-url: the old dashboard address to check (default: the gateway's host on port 4567)",
    )
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(handler=_doctor)

    token = commands.add_parser("token", help="issue a WebSocket token for a user")
    _aws_options(token)
    token.add_argument("--user", required=True, help="user id")
    token.add_argument(
        "--ttl",
        type=int,
        default=86400,
        help="lifetime in seconds (default and maximum accepted by the gateway: one day)",
    )
    token.set_defaults(handler=_token)

    upload = commands.add_parser(
        "upload", help="upload a CSV as a dataset, through the gateway, signed in as its user (the owner)"
    )
    upload.add_argument("file", help="CSV file with a header row")
    upload.add_argument("--id", required=True, dest="dataset_id", help="dataset id (a-z, 0-9, _ and -)")
    upload.add_argument("--title", help="title shown in the dashboard")
    upload.add_argument(
        "--user",
        help="sign in as this user (default: your login name) through the gateway's development sign-in; "
        "the gateway records them as the owner, and only they can replace the dataset",
    )
    upload.add_argument("--token", help="a token from `causal-stack token --user ID` (where dev tokens are off)")
    upload.add_argument(
        "--gateway-url",
        default=os.environ.get("CAUSAL_GATEWAY_URL", "http://127.0.0.1:8080"),
        help="the gateway (default: $CAUSAL_GATEWAY_URL or http://127.0.0.1:8080)",
    )
    upload.add_argument("--treatment", help="the treatment column (else the agent asks or reads it from questions)")
    upload.add_argument("--outcome", help="the outcome column")
    upload.add_argument("--covariates", type=_column_list, default=[], help="comma-separated columns to adjust for")
    upload.add_argument(
        "--exclude",
        type=_column_list,
        default=[],
        help="comma-separated columns never to adjust for (e.g. measured after the treatment)",
    )
    upload.add_argument("--instrument", type=_column_list, default=[], help="comma-separated instrument columns")
    upload.add_argument("--time", help="the period column of panel data (difference in differences)")
    upload.add_argument("--unit", help="the unit column of panel data")
    upload.add_argument("--running", help="the running variable of a regression discontinuity")
    upload.add_argument("--cutoff", type=float, help="the running variable's cutoff")
    upload.add_argument("--design", choices=("randomised", "observational"), help="how treatment was assigned")
    upload.set_defaults(handler=_upload)

    listing = commands.add_parser("datasets", help="list datasets with their columns and roles")
    _aws_options(listing)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_datasets)

    evaluate = commands.add_parser(
        "eval", help="accuracy of the causal pipeline against known truth; non-zero exit when a target is missed"
    )
    # The options of causal_tasks.evaluation.run, declared here so other commands do not import pandas.
    evaluate.add_argument("--fast", action="store_true", help="a small varied subset (what CI runs)")
    evaluate.add_argument("--ihdp", type=int, default=10, metavar="N", help="IHDP replications (default 10; 0 skips)")
    evaluate.add_argument("--no-lalonde", action="store_true", help="skip the Lalonde case")
    evaluate.add_argument("--no-real", action="store_true", help="skip the real data sets with published answers")
    evaluate.add_argument(
        "--real-only", action="store_true", help="only the real data sets with published answers (real_data)"
    )
    evaluate.add_argument(
        "--ihdp-tuning",
        action="store_true",
        help="run IHDP's tuning split (replications 1–10) instead of the judged one (11 on)",
    )
    evaluate.add_argument(
        "--questions",
        action="store_true",
        help="questions in plain words end to end (reader, planner, design, estimate) over the phrasing sets",
    )
    evaluate.add_argument("--set", action="append", metavar="NAME", help="with --questions: only this phrasing set")
    evaluate.add_argument(
        "--limit", type=int, metavar="N", help="with --questions: N questions of each set, spread over it"
    )
    evaluate.set_defaults(handler=_eval)

    from causal_stack.snapshot_command import add_parser as add_snapshot_parser

    add_snapshot_parser(commands)

    chat = commands.add_parser("chat", help="chat with the agent in the terminal", add_help=False)
    chat.add_argument("chat_args", nargs=argparse.REMAINDER)
    chat.set_defaults(handler=_chat)
    return parser


def _column_list(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint-url", help="AWS endpoint (default: $AWS_ENDPOINT_URL or http://127.0.0.1:4566)")
    parser.add_argument(
        "--target",
        choices=TARGETS,
        help="embedded, localstack or aws (real AWS: no endpoint); default: detected from the endpoint",
    )
    parser.add_argument(
        "--ecs-endpoint-url", help="ECS API off AWS (default: $AWS_ENDPOINT_URL_ECS or http://127.0.0.1:4599)"
    )
    parser.add_argument("--region", help="AWS region (default: $AWS_DEFAULT_REGION or eu-central-1)")
    parser.add_argument("--prefix", help="resource name prefix (default: $RESOURCE_PREFIX or causal-analysis-dev-)")


def _config(args: argparse.Namespace, **extra: Any) -> Any:
    """Flags win; otherwise DeployConfig reads the environment (AWS_ENDPOINT_URL, …)."""
    from causal_deploy.config import DeployConfig

    values: dict[str, Any] = {key: value for key, value in extra.items() if value is not None}
    for option, field in (
        ("endpoint_url", "endpoint_url"),
        ("ecs_endpoint_url", "endpoint_url_ecs"),
        ("region", "region"),
        ("prefix", "resource_prefix"),
    ):
        if getattr(args, option, None):
            values[field] = getattr(args, option)
    if args.target:
        config = DeployConfig(**values, target=args.target)
    else:
        guess = DeployConfig(**values)
        config = DeployConfig(**values, target=_detect_target(guess.endpoint_url or ""))
    _local_credentials(config)
    return config


def _local_credentials(config: Any) -> None:
    """Local targets get local credentials, so a missing profile never fails a local command and real
    keys never go to (or get stored in) an emulator: the stack's own pair (``.stack/credentials``, made by
    ``causal-stack up`` or compose's ``stack-keys``), else the well-known local pair, which LocalStack takes
    and the embedded stack honours for its owner."""
    from causal_common.names import LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY
    from causal_guard.stack_keys import named_by_environment
    from causal_stack.credentials import STACK_DIR, read_keys

    if config.target.value == "aws":
        return
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(variable, None)
    # A compose container is handed the stack's pair in a file (STACK_CREDENTIALS_FILE); on the host it is .stack/.
    # LocalStack takes any pair, so the stack's own serves both local targets (compose with the emulator verifies).
    keys = named_by_environment() or read_keys(STACK_DIR)
    pair = keys.as_tuple() if keys else (LOCAL_ACCESS_KEY_ID, LOCAL_SECRET_ACCESS_KEY)
    os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = pair


def _detect_target(endpoint: str) -> str:
    """LocalStack answers /_localstack/health; the embedded emulator does not."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_localstack/health", timeout=2) as response:
            return "localstack" if response.status == 200 else "embedded"
    except (urllib.error.URLError, OSError, ValueError):
        return "embedded"


def _up(args: argparse.Namespace) -> int:
    try:
        from causal_stack.launcher import up
    except ImportError as exc:
        print(f"causal-stack up is not available in this install: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return up(
        aws_port=args.aws_port,
        gateway_port=args.gateway_port,
        ecs_port=args.ecs_port,
        resources_port=args.resources_port,
        fresh=args.fresh,
        state_dir=args.state_dir,
        snapshot_interval=args.snapshot_interval,
        sfn_mock_config=args.sfn_mock_config,
        watch=args.watch,
    )


def _deploy(args: argparse.Namespace) -> int:
    import json

    from causal_deploy import deploy

    config = _config(
        args,
        websocket_callback_url=args.websocket_callback_url,
        artifacts_base_url=args.artifacts_base_url,
        deps_source=args.deps,
        task_image=args.task_image,
        source_dir=args.source_dir,
        publish_datasets=False if args.no_datasets else None,
        ecs_subnets=args.ecs_subnets,
        ecs_security_groups=args.ecs_security_groups,
    )
    if not args.json:
        where = config.endpoint_url or f"AWS ({config.region})"
        doing = "planning a deploy" if args.plan else "deploying"
        print(f"{doing} to {config.target.value} at {where} …", file=sys.stderr, flush=True)
    report = deploy(config, plan=args.plan)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    return EXIT_OK if report.ok else EXIT_PROBLEMS


# --- the AWS target: destroy, and the task image (images build|push) ---------------------------


def _aws_stack_commands(commands: Any) -> None:
    destroy = commands.add_parser(
        "destroy", help="remove the stack from AWS: what carries its tag causal-stack=<prefix>, nothing else"
    )
    _aws_options(destroy)
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    destroy.add_argument("--json", action="store_true", help="print the report as JSON")
    destroy.set_defaults(handler=_destroy)

    images = commands.add_parser("images", help="build or push the ECS task image (the AWS stack's ECR repository)")
    actions = images.add_subparsers(dest="images_action", metavar="ACTION", required=True)
    for action, text in (
        ("build", "build ecs-tasks/Dockerfile for linux/amd64, tagged for the stack's ECR repository"),
        ("push", "push the built image to the stack's ECR repository (credentials from ECR)"),
    ):
        parser = actions.add_parser(action, help=text)
        parser.add_argument("--region", help="AWS region (default: $AWS_DEFAULT_REGION or eu-central-1)")
        parser.add_argument("--prefix", help="resource name prefix (default: $RESOURCE_PREFIX or causal-analysis-dev-)")
        parser.add_argument("--tag", default="latest", help="image tag (default latest, what the deploy uses)")
        parser.set_defaults(handler=_images, target="aws")
        if action == "build":
            parser.add_argument("--source-dir", help="repository to build from (default: this checkout)")
            parser.add_argument("--platform", default="linux/amd64", help="target platform (default linux/amd64)")


def _destroy(args: argparse.Namespace) -> int:
    import json

    from causal_deploy.destroy import destroy

    if args.target != "aws":
        print("destroy removes a stack from AWS: pass --target aws", file=sys.stderr)
        return EXIT_ERROR
    config = _config(args)

    def confirm(found: list[Any]) -> bool:
        if args.yes:
            return True
        print(f"these {len(found)} resources tagged causal-stack={config.resource_prefix} will be removed:")
        for item in found:
            print(f"  - {item.kind:<16} {escape_controls(item.name)}")
        if not sys.stdin.isatty():
            print("not a terminal: pass --yes to remove them", file=sys.stderr)
            return False
        return input("remove them? type yes: ").strip().lower() == "yes"

    report = destroy(config, confirm)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
    return EXIT_PROBLEMS if report.cancelled else EXIT_OK


def _images(args: argparse.Namespace) -> int:
    from pathlib import Path

    from causal_common.names import ResourceNames
    from causal_deploy.clients import Clients
    from causal_stack import images

    config = _config(args, source_dir=getattr(args, "source_dir", None))
    clients = Clients(config)
    names = ResourceNames.from_settings(config, account_id=clients.account_id)
    image = f"{images.repository_uri(clients.ecr, names.task_repository)}:{args.tag}"
    docker = images.docker_client()
    if args.images_action == "build":
        print(f"building {image} ({args.platform}) …", file=sys.stderr, flush=True)
        image_id = images.build(docker, Path(config.source_dir), image, args.platform)
        print(f"built {image} ({image_id})")
    else:
        digest = images.push(docker, image, images.registry_credentials(clients.ecr))
        print(f"pushed {image} ({digest})")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    import json

    from causal_deploy.clients import require_reachable
    from causal_stack.status import collect

    config = _config(args)
    if config.endpoint_url:
        require_reachable(config.endpoint_url, "the AWS endpoint", "Start the stack with `causal-stack up`.")
    status = collect(config)
    print(json.dumps(status.to_dict(), indent=2, default=str) if args.json else status.render())
    return EXIT_OK


def _executions(args: argparse.Namespace) -> int:
    from causal_deploy.clients import require_reachable
    from causal_stack.executions import run

    config = _config(args)
    if config.endpoint_url:
        require_reachable(config.endpoint_url, "the AWS endpoint", "Start the stack with `causal-stack up`.")
    print(
        run(
            config,
            execution=args.execution,
            session=args.session,
            limit=max(args.limit, 1),
            full=args.full,
            as_json=args.json,
        )
    )
    return EXIT_OK


def _doctor(args: argparse.Namespace) -> int:
    from causal_stack.doctor import render, run_checks, to_json

    checks = run_checks(_config(args), gateway_url=args.gateway_url, resources_url=args.resources_url)
    print(to_json(checks) if args.json else render(checks))
    return EXIT_OK if all(check.ok for check in checks) else EXIT_PROBLEMS


def _token(args: argparse.Namespace) -> int:
    from causal_common.names import ResourceNames
    from causal_common.secret_values import read_secret
    from causal_common.tokens import issue_token
    from causal_deploy.clients import Clients
    from causal_gateway.settings import MAX_TOKEN_LIFETIME_SECONDS

    if not 0 < args.ttl <= MAX_TOKEN_LIFETIME_SECONDS:
        print(f"--ttl must be between 1 and {MAX_TOKEN_LIFETIME_SECONDS} seconds", file=sys.stderr)
        return EXIT_ERROR
    config = _config(args)
    names = ResourceNames.from_settings(config)
    signing_key = read_secret(Clients(config).secretsmanager, names.token_signing_key_secret)
    if not signing_key:
        print(f"the secret {names.token_signing_key_secret} has no value; run `causal-stack deploy`", file=sys.stderr)
        return EXIT_ERROR
    print(issue_token(signing_key, args.user, args.ttl))
    return EXIT_OK


def _upload(args: argparse.Namespace) -> int:
    from pathlib import Path

    from causal_common.tokens import validate_user_id
    from causal_stack import upload_client
    from causal_stack.chat import default_user

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {escape_controls(path)}", file=sys.stderr)
        return EXIT_ERROR
    token = args.token or upload_client.sign_in(args.gateway_url, validate_user_id(args.user or default_user()))
    fields = {
        "title": args.title,
        "treatment": args.treatment,
        "outcome": args.outcome,
        "covariates": ",".join(args.covariates),
        "exclude": ",".join(args.exclude),
        "instruments": ",".join(args.instrument),
        "time": args.time,
        "unit": args.unit,
        "running": args.running,
        "cutoff": None if args.cutoff is None else repr(args.cutoff),
        "design": args.design,
    }
    manifest = upload_client.upload(args.gateway_url, token, path, args.dataset_id, fields)
    print(f"uploaded {manifest.id}: {manifest.rows} rows, owned by {escape_controls(manifest.owner)}")
    print(_columns_text(manifest))
    return EXIT_OK


def _columns_text(manifest: Any) -> str:
    lines = []
    for column in manifest.columns:
        notes = [column.role]
        if column.coding:
            notes.append("coded " + ", ".join(f"{value!r} = {number:g}" for value, number in column.coding.items()))
        elif column.levels and column.dtype == "string":
            notes.append(f"{len(column.levels)} levels")
        if column.cutoff is not None:
            notes.append(f"cutoff {column.cutoff:g}")
        lines.append(f"  {escape_controls(column.name)} ({column.dtype}): {escape_controls('; '.join(notes))}")
    return "\n".join(lines)


def _datasets(args: argparse.Namespace) -> int:
    import json

    from causal_common.datasets import list_manifests
    from causal_common.names import ResourceNames
    from causal_deploy.clients import Clients

    config = _config(args)
    names = ResourceNames.from_settings(config)
    manifests = list_manifests(Clients(config).s3, names)
    if args.json:
        print(json.dumps([m.model_dump(mode="json", exclude={"ground_truth"}) for m in manifests], indent=1))
        return EXIT_OK
    for manifest in manifests:
        design = f", {manifest.design}" if manifest.design else ""
        print(f"{manifest.id} — {escape_controls(manifest.title)} ({manifest.rows} rows, {manifest.origin}{design})")
        print(_columns_text(manifest))
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    if args.questions:
        from causal_tasks.evaluation import questions

        return questions.evaluate(args.set, args.limit)
    from causal_tasks.evaluation.run import IHDP_FIRST_JUDGED, IHDP_TUNING, evaluate

    first = IHDP_TUNING.start if args.ihdp_tuning else IHDP_FIRST_JUDGED
    return evaluate(
        fast=args.fast,
        ihdp_replications=args.ihdp,
        lalonde=not args.no_lalonde,
        ihdp_first=first,
        real=not args.no_real,
        real_only=args.real_only,
    )


def _chat(args: argparse.Namespace) -> int:
    from causal_stack.chat import main as chat_main

    return int(chat_main(list(args.chat_args)) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["chat"]:
        # The chat has its own options; argparse's REMAINDER drops leading "--flags".
        from causal_stack.chat import main as chat_main

        return int(chat_main(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    if args.verbose:
        from causal_common import log

        log.configure("INFO", stream=sys.stderr)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the edge: turn our errors into one line, never a traceback
        return _report_error(exc, args.verbose)


def _report_error(exc: Exception, verbose: bool) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from causal_common.errors import CausalStackError

    if isinstance(exc, CausalStackError):
        print(f"error: {escape_controls(exc.message, keep_newlines=True)}", file=sys.stderr)
    elif isinstance(exc, (BotoCoreError, ClientError)):
        print(f"error: AWS request failed: {escape_controls(exc, keep_newlines=True)}", file=sys.stderr)
    elif isinstance(exc, ValueError):
        print(f"error: {escape_controls(exc, keep_newlines=True)}", file=sys.stderr)
    else:
        raise exc
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
