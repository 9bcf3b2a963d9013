"""`python -m sp_analysis`: the command line."""

from sp_analysis.cli import main

raise SystemExit(main())
