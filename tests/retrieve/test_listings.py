"""Environment listings (pip list, pip freeze, conda list, show_versions) are cut from a task; the rest stays."""

from __future__ import annotations

import pytest

from codewright.retrieve.listings import without_listings

PIP_LIST = "Package    Version\n---------- -------\nattrs      19.1.0\npluggy     0.13.1\npytest     6.0.0rc2.dev33+g7f7a364 /src/pytest\n"
PIP_FREEZE = "attrs==19.3.0\nimportlib-metadata==1.3.0\nmore-itertools==8.0.2\n"
SHOW_VERSIONS = "INSTALLED VERSIONS\n------------------\nxarray: 0.15.1\npandas: 1.0.3\nnetCDF4: 1.4.2\n"
CONDA_LIST = "# Name  Version  Build  Channel\nnumpy  1.19.1  py38h30dfecb_0  conda-forge\nscipy  1.5.2  py38h8c5af15_0\nzlib  1.2.11  h516909a_1010  conda-forge\n"
BULLETED = "Versions:\n- astropy 5.1\n- Numpy 1.24.1\n- Scipy 1.10.0\n"
PIP_INSTALL = ("$ pip install -e .\nRequirement already satisfied: six in ./venv/lib/python3.11/site-packages (1.16.0)\n"
               "Installing collected packages: zipp, PyYAML, watchdog\n"
               "Successfully installed PyYAML-6.0 watchdog-3.0.0 zipp-3.15.0\nThen pytest fails:\n")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (PIP_LIST, "Package    Version\n---------- -------\n"),
        (PIP_FREEZE, ""),
        (SHOW_VERSIONS, "INSTALLED VERSIONS\n------------------\n"),
        (CONDA_LIST, "# Name  Version  Build  Channel\n"),
        (BULLETED, "Versions:\n"),
        (PIP_INSTALL, "$ pip install -e .\nThen pytest fails:\n"),  # each of pip's lines naming packages
        ("Broken since\r\nattrs 19.1.0\r\npluggy 0.13.1\r\npy 1.8.1\r\nsee above\r\n", "Broken since\r\nsee above\r\n"),
    ],
)
def test_a_listing_is_cut(text: str, kept: str) -> None:
    assert without_listings(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "It broke in pytest 6.0.0rc0, worked in 5.4.3\n",  # versions in prose
        "pytest 6.0.0\npluggy 0.13.1\n\nmore text\n",  # two lines are not a listing
        "max_iter = 100\nn_jobs = 2\ntol = 0.001\n",  # code: assignments
        "    return 1\n    return 2\n    return 3\n",  # a blank-separated number without a dot is no version
        "timeout: 30 seconds and more\nretries: 3 times when it fails\nlimit: 5 of them at most\n",  # prose after
        "The fix was successfully installed in 2.0, see the requirement: already satisfied\n",  # pip's words in prose
        "",
    ],
)
def test_text_that_is_no_listing_stays_as_it_was(text: str) -> None:
    assert without_listings(text) == text
