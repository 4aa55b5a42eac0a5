"""Offline stand-in for the get-pip.py bootstrap script ansible-test downloads.

ansible-test runs ``python get_pip_<version>.py [pip options] pip==<version>``
in each fresh virtual environment it creates. This stand-in installs the pip
bundled with the interpreter (ensurepip) and then lets that pip install the
requested version from the configured package index.
"""

import subprocess
import sys

# get-pip.py options that plain "pip install" does not know
DROPPED = {'--no-setuptools', '--no-wheel'}


def main():
    """Bootstrap pip, then install what was asked for."""
    # ensurepip runs in its own process: in-process it points PIP_CONFIG_FILE
    # at os.devnull, which would hide the machine's pip configuration.
    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade'], check=True, stdout=subprocess.DEVNULL)
    args = [arg for arg in sys.argv[1:] if arg not in DROPPED]
    if args:
        subprocess.run([sys.executable, '-m', 'pip', 'install'] + args, check=True)


if __name__ == '__main__':
    main()
