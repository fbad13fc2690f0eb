"""Running calibrations: a job from config and command line, one run with its I/O, the worker."""
