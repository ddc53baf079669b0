"""`python -m pipeline ...` runs the `pipeline` command."""

from pipeline.cli import main

if __name__ == "__main__":
    main(prog_name="pipeline")
