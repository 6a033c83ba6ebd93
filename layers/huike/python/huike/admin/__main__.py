"""`python -m huike.admin --stack STACK | --local [URL] COMMAND ...`"""

import sys

from huike.admin.cli import main

sys.exit(main())
