"""Small fixture trees for the store, index and CLI tests, generated under tmp_path."""

from __future__ import annotations

from tests.support.repos import make_repo  # noqa: F401 - re-exported for the graph tests

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
