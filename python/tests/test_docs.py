"""The Python examples of docs/rag.md and the README run as written and print cited
passages (from a folder holding the bundled corpus, as the repository's root does)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT


def python_examples():
    return list(_python_examples())


def _python_examples():
    for doc in [ROOT / "docs" / "rag.md", ROOT / "README.md"]:
        for n, block in enumerate(re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)):
            yield pytest.param(block, id=f"{doc.name}-{n}")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder with `corpus/`; the first example builds `index/` there."""
    path = tmp_path_factory.mktemp("docs")
    (path / "corpus").symlink_to(CORPUS)
    return path


@pytest.mark.parametrize("example", python_examples())
def test_example_prints_cited_passages(example, workdir, k2search_bin):
    env = dict(os.environ, PATH=f"{Path(k2search_bin).parent}{os.pathsep}{os.environ['PATH']}")
    out = subprocess.run(
        [sys.executable, "-c", example], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert re.search(r"corpus/\d{3}_\w+\.txt:\d+-\d+", out.stdout), out.stdout
