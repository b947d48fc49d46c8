"""The README's code blocks, for the tests that prove what an MSP pastes works as documented."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(marker: str) -> str:
    """The one fenced block of the README that contains `marker`."""
    blocks = re.findall(r"```(?:json|yaml|sh|bash)?\n(.*?)```", README.read_text(), re.DOTALL)
    [block] = [b for b in blocks if marker in b]
    return block
