"""What tests and benchmarks share: configs, loopback backends, the sidecar launcher.

Also how real components are found (:mod:`tests.support.components`). Fixtures live in the
``conftest.py`` files; no test module imports another.
"""
