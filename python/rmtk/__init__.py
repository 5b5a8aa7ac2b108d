"""rmtk: random-matrix analysis of neural-network weights, over the C library librmtk.

    import rmtk
    report = rmtk.analyze(model_or_path)       # a torch.nn.Module, a state dict, paths, arrays
    report.summary                             # pandas DataFrame, the columns of summary.csv
    report.save("out")                         # summary.csv + report.json, as `rmtk analyze`

Lower-level functions take and return NumPy arrays: rmtk.svd, rmtk.mp_*, rmtk.unfold, ...,
rmtk.theory (limiting laws), rmtk.simulate (ensemble samplers), rmtk.compat.WeightWatcher;
rmtk.hessian_spectrum (a torch loss Hessian by stochastic Lanczos quadrature), rmtk.slq_spectrum.
Library errors raise rmtk.Error subclasses (FormatError, UnsupportedError, IOError, ArgError,
NoMemError, ...) carrying the library's message and status code. docs/python.md.
"""
from ._version import __version__
from ._lib import (Error, NoMemError, IOError, FormatError, UnsupportedError, ArgError,
                   NotFoundError, LapackError, RangeError, NumericError, InternalError,
                   library_path, library_version)
from ._analyze import analyze, Report, STATS
from .functions import *  # noqa: F401,F403
from .functions import __all__ as _fall
from . import theory, simulate, compat  # noqa: F401
from .hessian import hessian_spectrum, slq_spectrum, fit_laws_to_density

# rmtk.IOError stays out of __all__: `from rmtk import *` must not shadow the builtin IOError.
__all__ = ["__version__", "analyze", "Report", "STATS", "Error", "NoMemError",
           "FormatError", "UnsupportedError", "ArgError", "NotFoundError", "LapackError",
           "RangeError", "NumericError", "InternalError", "theory", "simulate",
           "compat", "hessian_spectrum", "slq_spectrum", "fit_laws_to_density"] + list(_fall)
