"""The QuaSAR evaluation (issue 7): traffic, testbed, experiments and plots.  See ``docs/evaluation.md``."""
