"""The plugins guide's test example works as written, in a repository of its own: the test
from docs/plugins.md (Testing) runs with pytest in an empty folder whose only conftest.py is
the one line the guide gives, against the installed gridhub-hello."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.hub.processes import clean_env

GUIDE = Path(__file__).parents[2] / "docs" / "plugins.md"
RUN_S = 120


def python_blocks(markdown: str) -> list[str]:
    """The ```python blocks of `markdown`, in order."""
    return [part.split("```", 1)[0] for part in markdown.split("```python\n")[1:]]


def test_the_guides_test_runs_in_a_repository_of_its_own(tmp_path: Path) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    testing = guide[guide.index("## Testing") : guide.index("## Packaging and shipping")]
    conftest, test = python_blocks(testing)  # the conftest.py line, then the test
    assert conftest.strip() == 'pytest_plugins = ["hub.testing.fixtures"]'
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_hello.py").write_text(test)
    (tmp_path / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=RUN_S,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
