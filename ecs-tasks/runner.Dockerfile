# syntax=docker/dockerfile:1
# Build from the repository root: docker build -f ecs-tasks/runner.Dockerfile .
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app

# Third-party dependencies first, pinned by constraints.txt: this layer (the
# same in every image of the stack, so built once) changes only with the pins.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself (editable, as `make install` does): a code change rebuilds only this.
COPY . .
RUN pip install --no-deps -c constraints.txt -e .

# The local ECS API. With --backend docker it starts task containers through
# the Docker socket that compose mounts; compose runs it as the socket's owner
# (see ECS_RUNNER_USER in .env.example), the image itself is unprivileged.
# Where the runner keeps its registrations (compose mounts a volume here).
RUN mkdir -p /var/lib/causal-ecs-runner && chown 10001:10001 /var/lib/causal-ecs-runner
USER 10001:10001
EXPOSE 4599
CMD ["python", "-m", "causal_ecs_runner", "--host", "0.0.0.0", "--port", "4599", "--backend", "docker"]
