"""Lab GitLab entry point: python tests/lab/gitlab/server.py --profile legacy|transition|modern [...]. See README.md."""

import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gitlab_lab.front import main  # pylint: disable=import-error

    main()
