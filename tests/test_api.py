"""The public API of `pipeline/__init__.py`, the README's "Use from Python" example, and `python -m pipeline`."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pipeline

from .conftest import FIXTURES, ROOT


def _readme_blocks() -> tuple[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use from Python", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    shown = re.search(r"```text\n(.*?)```", section, re.S)
    assert code and shown
    return code.group(1), shown.group(1)


def test_readme_python_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    code, shown = _readme_blocks()
    (tmp_path / "fixtures").symlink_to(FIXTURES)
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert out.getvalue() == shown


def test_public_api_is_small_and_documented() -> None:
    assert pipeline.__all__ == ["Essay", "Page", "Result", "RunStats", "extract_bytes", "extract_text", "import_sources", "open_db"]
    for name in pipeline.__all__:
        assert getattr(pipeline, name).__doc__


def test_extract_bytes_uses_the_http_charset_and_reports_binary_data() -> None:
    html = "<html><head><title>春天</title></head><body><article><p>春天来了，小草从地里探出头来，柳树也发芽了，到处都是绿色。</p></article></body></html>"
    result = pipeline.extract_bytes(html.encode("gbk"), "https://example.org/a.html", {"Content-Type": "text/html; charset=gbk"})
    assert (result.page.encoding, result.page.title) == ("gb18030", "春天")
    assert [e.text for e in result.essays] == ["春天来了，小草从地里探出头来，柳树也发芽了，到处都是绿色。"]
    binary = pipeline.extract_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "https://example.org/x.png")
    assert (binary.page.error, binary.essays) == ("binary file, not a page", ())


def test_python_dash_m_pipeline_is_the_pipeline_command() -> None:
    done = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: pipeline [OPTIONS] COMMAND [ARGS]...")


def test_the_examples_in_the_api_docstrings_hold() -> None:
    import doctest

    failed, attempted = doctest.testmod(pipeline)
    assert (failed, attempted > 0) == (0, True)
