import sys

from causal_embedded.server import main

sys.exit(main())
