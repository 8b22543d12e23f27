#!/usr/bin/env bash
# Build the Python base image of the compose route from Debian packages, for
# machines that cannot pull `python:3.12.x-slim` (no registry, air-gapped CI).
#
#   scripts/local-base-image.sh [IMAGE]        # default causal-analysis-stack/python-base:bookworm
#   PYTHON_IMAGE=causal-analysis-stack/python-base:bookworm docker compose build
#
# Debian bookworm minbase with python3 (3.11), venv and pip, and this machine's
# CA bundle (so pip inside the images trusts the same certificates as the host).
# Reused when the image exists; otherwise imported from the cached root file
# system tarball; otherwise debootstrapped (a few minutes) and cached.
set -euo pipefail

IMAGE="${1:-causal-analysis-stack/python-base:bookworm}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE_DIR="${CAUSAL_BASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/causal-analysis-stack}"
HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
TARBALL="$CACHE_DIR/$SUITE-python-base.tar"

say() { echo "local-base-image: $*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  say "$IMAGE exists; reusing it"
  echo "$IMAGE"
  exit 0
fi

import_tarball() {
  docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' \
    "$TARBALL" "$IMAGE" >/dev/null
  say "imported $IMAGE from $TARBALL"
  echo "$IMAGE"
}

if [ -s "$TARBALL" ]; then
  import_tarball
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  say "debootstrap needs root; run this script as root once (the result is cached in $CACHE_DIR)"
  exit 1
fi
command -v debootstrap >/dev/null || { say "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }

mkdir -p "$CACHE_DIR"
ROOTFS="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
cleanup() { rm -rf "$ROOTFS" "$TARBALL.partial"; }
trap cleanup EXIT

say "debootstrapping $SUITE (minbase + python3) from $MIRROR into $ROOTFS; this takes a few minutes"
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
  || { tail -20 "$CACHE_DIR/debootstrap.log" >&2; say "debootstrap failed (log: $CACHE_DIR/debootstrap.log)"; exit 1; }

# The host's CA bundle: pip inside the images then trusts what the host trusts.
if [ -s "$HOST_CA_BUNDLE" ]; then
  cp "$HOST_CA_BUNDLE" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
fi
# Nothing an image needs at run time: package caches, lists, docs, man pages.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
  "$ROOTFS"/var/log/*.log "$ROOTFS"/var/cache/debconf/*-old

tar --numeric-owner -C "$ROOTFS" -cf "$TARBALL.partial" .
mv "$TARBALL.partial" "$TARBALL"
import_tarball
