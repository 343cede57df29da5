"""Small fixture trees for the store, index and CLI tests, generated under tmp_path."""

from __future__ import annotations

import subprocess
from pathlib import Path

PYTHON_REPO = {
    "pkg/__init__.py": "from .models import User\n",
    "pkg/models.py": (
        "class User:\n"
        '    """A user."""\n'
        "\n"
        "    def __init__(self, name):\n"
        "        self.name = name\n"
        "\n"
        "    def get_user_name(self):\n"
        "        return self.name\n"
        "\n"
        "\n"
        "def make_user(name):\n"
        "    return User(name)\n"
    ),
    "pkg/views.py": (
        "from pkg.models import make_user\n"
        "from . import models\n"
        "import pkg.models as m\n"
        "\n"
        "\n"
        "def show(name):\n"
        "    user = make_user(name)\n"
        "    other = models.User(name)\n"
        "    return m.make_user(user.get_user_name())\n"
    ),
    "main.py": "from pkg import User\n\nprint(User('x'))\n",
    "README.md": "# Demo\n\nA demo.\n\n## Usage\n\nRun it.\n",
}


def make_repo(root: Path, files: dict[str, str | bytes], git: bool = False) -> Path:
    """Write `files` under root (and `git init` it when asked: ls-files sees untracked files)."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root
