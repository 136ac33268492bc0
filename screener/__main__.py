"""`python -m screener` runs the CLI."""
from screener.cli import main

main()
