# Build from the repository root: docker build -f ecs-tasks/runner.Dockerfile .
# PYTHON_IMAGE: python:3.12.x-slim, or any Debian-like image with python3 >= 3.11
# and venv (scripts/local-base-image.sh builds one where Docker Hub is out of reach).
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm

# --- base: an unprivileged user and a virtual environment on PATH (identical in
# every image of the stack, so these layers are built once and shared).
FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && python3 -m venv /opt/venv

# --- requirements: the `ecs-runner` group of pyproject.toml, i.e. only what this
# image's code imports. A stage of its own, so that editing pyproject.toml
# elsewhere (another group, tool settings) leaves the dependency layer cached.
FROM base AS requirements
WORKDIR /build
COPY pyproject.toml ./
COPY scripts/image-requirements.py scripts/
RUN python scripts/image-requirements.py ecs-runner > requirements.txt

# --- dependencies: those requirements and the build backend, pinned by
# constraints.txt; rebuilt only when they or the pins change.
FROM base AS dependencies
WORKDIR /build
COPY --from=requirements /build/requirements.txt ./
COPY constraints.txt ./
RUN pip install -c constraints.txt -r requirements.txt setuptools wheel

# --- the image: those dependencies, then the project itself (editable, as
# `make install` does): a code change rebuilds only the last layers. (Built on
# the dependency stage rather than copying its venv: a copy would write the
# biggest layer twice and save nothing, as no build tools are installed.)
FROM dependencies
WORKDIR /app
COPY . .
RUN pip install --no-deps --no-build-isolation -c constraints.txt -e .

# The local ECS API. With --backend docker it starts task containers through
# the Docker socket that compose mounts; compose runs it as the socket's owner
# (see ECS_RUNNER_USER in .env.example), the image itself is unprivileged.
# Where the runner keeps its registrations (compose mounts a volume here).
RUN mkdir -p /var/lib/causal-ecs-runner && chown 10001:10001 /var/lib/causal-ecs-runner
USER 10001:10001
EXPOSE 4599
CMD ["python", "-m", "causal_ecs_runner", "--host", "0.0.0.0", "--port", "4599", "--backend", "docker"]
