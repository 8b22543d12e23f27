"""The bundled datasets with known answers, generated from installed packages (nothing is downloaded) and
cached on disk, so a deployer calling :func:`bundled_datasets` on every start pays the pandas/DoWhy import once.

Reading the cache needs no pandas; generating (``causal_datasets.generators``) needs the analysis stack, so a
deployer without it (the compose init image) publishes what the task image generated into the shared cache.
"""

from __future__ import annotations

import logging
from pathlib import Path

from causal_common.models.datasets import BUNDLED_DATASET_IDS, DatasetManifest

logger = logging.getLogger(__name__)

# Bump when a generator or a manifest changes, so stale caches are not reused.
CACHE_VERSION = "v3"

SYNTHETIC_BETA = 10.0
SYNTHETIC_SEED = 20240611
SYNTHETIC_ROWS = 10_000
NSW_EXPERIMENTAL_EFFECT = 1794.34

BUNDLED_IDS = BUNDLED_DATASET_IDS

BundledDataset = tuple[DatasetManifest, bytes]


def bundled_datasets(cache_dir: Path) -> list[BundledDataset]:
    """The bundled datasets as (manifest, CSV bytes), generated once and cached in ``cache_dir``."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    bundled: list[BundledDataset] = []
    for dataset_id in BUNDLED_IDS:
        csv_path = cache_dir / f"{dataset_id}-{CACHE_VERSION}.csv"
        manifest_path = cache_dir / f"{dataset_id}-{CACHE_VERSION}.manifest.json"
        if csv_path.is_file() and manifest_path.is_file():
            manifest = DatasetManifest.model_validate_json(manifest_path.read_text())
            bundled.append((manifest, csv_path.read_bytes()))
            continue
        logger.info("generating bundled dataset %s", dataset_id)
        from causal_datasets.generators import GENERATORS  # ImportError without pandas and DoWhy

        frame, manifest = GENERATORS[dataset_id]()
        csv_bytes = frame.to_csv(index=False).encode()
        # Write-then-rename so a crash never leaves a half-written cache entry.
        for path, payload in ((csv_path, csv_bytes), (manifest_path, manifest.model_dump_json(indent=1).encode())):
            partial = path.with_suffix(path.suffix + ".partial")
            partial.write_bytes(payload)
            partial.replace(path)
        bundled.append((manifest, csv_bytes))
    return bundled
