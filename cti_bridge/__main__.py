"""python -m cti_bridge"""

from cti_bridge.cli import main

raise SystemExit(main())
