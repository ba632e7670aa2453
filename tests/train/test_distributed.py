"""Every family trains on two processes (Accelerate's MULTI_CPU over gloo, started by torchrun) and the ranks end
with identical parameters. (`accelerate launch --cpu --num_processes 2` would silently run one process.)"""

import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow
RECIPES = [
    "fashion-ae-under",
    "fashion-vae",
    "fashion-dcgan",
    "fashion-ebgan",
    "fashion-ebgan-walks",
    "fashion-text-gan",
    "fashion-sr-x2-gan",
]


@pytest.mark.parametrize("recipe", RECIPES)
def test_two_processes_train_in_step(recipe, tmp_path):
    torchrun = shutil.which("torchrun") or str(os.path.join(os.path.dirname(sys.executable), "torchrun"))
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [torchrun, "--nproc_per_node", "2", "-m", "genhub.train", recipe, "--dry-run", "--digest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = re.findall(r"rank (\d) of (\d) (\S+) digest ([0-9a-f]{16})", result.stdout)  # lines may interleave
    assert sorted(r[0] for r in ranks) == ["0", "1"], result.stdout[-2000:]
    assert all(n == "2" and kind.endswith("MULTI_CPU") for _, n, kind, _ in ranks)  # really two processes
    assert ranks[0][3] == ranks[1][3]  # identical parameters on both ranks
    assert result.stdout.count('"recipe"') == 1  # evaluated by the main process alone
