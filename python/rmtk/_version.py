"""The package version: the library's (CMakeLists.txt project VERSION); rmtk's import checks
that librmtk.so reports the same (tests/test_python.py checks this file against CMakeLists)."""
__version__ = "0.1.0"
