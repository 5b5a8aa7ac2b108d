"""The ctypes layer: finds and loads librmtk.so, declares the structs and prototypes of
include/rmtk.h that the package uses, and turns status codes into exceptions.

Every call goes through ctypes.CDLL, which releases the GIL for the duration of the foreign
call (callbacks into Python, the progress function and the report writers, take it back).
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int,
                    c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

from ._version import __version__

# ---- errors ------------------------------------------------------------------------------------


class Error(Exception):
    """A library error: `status` is the rmtk status code (enum rmtk_status), `message` the
    library's message (the file, tensor, byte offset and values involved where it has them)."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NoMemError(Error, MemoryError):
    status = 1


class IOError(Error, OSError):  # noqa: A001 (rmtk.IOError: the library's RMTK_ERR_IO)
    status = 2


class FormatError(Error, ValueError):
    status = 3


class UnsupportedError(Error, NotImplementedError):
    status = 4


class ArgError(Error, ValueError):
    status = 5


class NotFoundError(Error, KeyError):
    status = 6

    def __str__(self):  # KeyError would quote the message
        return self.message


class LapackError(Error, ArithmeticError):
    status = 7


class RangeError(Error, OverflowError):
    status = 8


class NumericError(Error, ArithmeticError):
    status = 9


class InternalError(Error, RuntimeError):
    status = 10


_BY_STATUS = {c.status: c for c in (NoMemError, IOError, FormatError, UnsupportedError,
                                    ArgError, NotFoundError, LapackError, RangeError,
                                    NumericError, InternalError)}

# ---- loading -----------------------------------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    env = os.environ.get("RMTK_LIBRARY")
    if env:
        return [env]
    return [os.path.join(_HERE, "librmtk.so"),
            # in-tree use: python/rmtk -> the repository's build folder
            os.path.join(_HERE, "..", "..", "build", "librmtk.so")]


def _load():
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            return ctypes.CDLL(os.path.abspath(path)), os.path.abspath(path)
        tried.append(path)
    raise ImportError("rmtk: librmtk.so not found (tried %s); install the package with "
                      "`pip install --no-build-isolation ./python`, or build the library "
                      "(cmake --build build) and set RMTK_LIBRARY=build/librmtk.so"
                      % ", ".join(tried))


lib, library_path = _load()
lib.rmtk_version.restype = c_char_p
lib.rmtk_version.argtypes = []
library_version = lib.rmtk_version().decode()
if library_version != __version__:
    raise ImportError("rmtk: the package is version %s but %s is librmtk %s; reinstall the "
                      "package or point RMTK_LIBRARY at the matching library"
                      % (__version__, library_path, library_version))
lib.rmtk_status_str.restype = c_char_p
lib.rmtk_status_str.argtypes = [c_int]


def status_str(st):
    return lib.rmtk_status_str(st).decode()


def check(st, msg=None):
    """Raise the exception of status st (nothing for RMTK_OK). msg: the handle's message, a
    str or a callable returning one; else the generic text of the status."""
    if st == 0:
        return
    if callable(msg):
        msg = msg()
    if isinstance(msg, bytes):
        msg = msg.decode(errors="replace")
    text = msg if msg else status_str(st)
    raise _BY_STATUS.get(st, Error)(text, st)


# ---- structs (the layouts of include/rmtk.h) -------------------------------------------------

DTYPES = {"F64": 0, "F32": 1, "F16": 2, "BF16": 3, "F8_E4M3": 4, "F8_E5M2": 5, "I8": 6,
          "I16": 7, "I32": 8, "I64": 9, "U8": 10, "U16": 11, "U32": 12, "U64": 13, "BOOL": 14,
          "OTHER": 15}


class MatrixView(Structure):
    _fields_ = [("data", c_void_p), ("rows", c_int64), ("cols", c_int64),
                ("row_stride", c_int64), ("col_stride", c_int64), ("dtype", c_int32),
                ("big_endian", c_int32), ("row_group", c_int64), ("group_stride", c_int64)]


class ExtractParams(Structure):
    _fields_ = [("conv_mode", c_int32), ("pad", c_int32), ("min_side", c_int64),
                ("include", c_char_p), ("exclude", c_char_p), ("fused", c_int32),
                ("stack3d", c_int32), ("skip_embeddings", c_int32), ("keep_tied", c_int32),
                ("as_stored", c_int32), ("pad2", c_int32)]


class SpectrumParams(Structure):
    _fields_ = [("method", c_int32), ("vectors", c_int32), ("gram_rtol", c_double),
                ("dtype_eps", c_double)]


class SpectrumInfo(Structure):
    _fields_ = [("method", c_int32), ("fallback", c_int32), ("k", c_int64),
                ("err_bound", c_double)]


class MPParams(Structure):
    _fields_ = [("alpha", c_double), ("window", c_int32), ("broadening", c_int32),
                ("n_samples", c_int32), ("estimator", c_int32), ("fit_range", c_double)]


class PowerlawParams(Structure):
    _fields_ = [("xmax", c_double), ("min_tail", c_uint64), ("bootstrap", c_uint64),
                ("seed", c_uint64), ("threads", c_uint32), ("pad", c_uint32)]


class HillParams(Structure):
    _fields_ = [("k_min", c_uint64), ("span_ratio", c_double), ("z", c_double),
                ("k_max_frac", c_double)]


class WWParams(Structure):
    _fields_ = [("fix_fingers", c_int32), ("max_fingers", c_int32), ("finger_thresh", c_double),
                ("xmax_clip", c_int64), ("fit", c_int32), ("pad", c_int32)]


class TailsParams(Structure):
    _fields_ = [("powerlaw", PowerlawParams), ("hill", HillParams), ("ww", WWParams)]


class PTParams(Structure):
    _fields_ = [("method", c_int32), ("pad", c_uint32), ("nsamples", c_uint64),
                ("pooling_window", c_uint64), ("ma_window", c_uint64), ("seed", c_uint64),
                ("alpha", c_double)]


class NullParams(Structure):
    _fields_ = [("replicas", c_uint64), ("seed", c_uint64)]


CDF_FN = CFUNCTYPE(c_double, c_double, c_void_p)


class UnfoldParams(Structure):
    _fields_ = [("method", c_int32), ("gauss_edge", c_int32), ("window", c_uint32),
                ("poly_degree", c_uint32), ("sigma_floor", c_double), ("cdf", c_void_p),
                ("cdf_params", c_void_p), ("cdf_scale", c_double)]


class NVMCParams(Structure):
    _fields_ = [("tol", c_double), ("min_iter", c_uint64), ("max_iter", c_uint64),
                ("seed", c_uint64)]


class LevelsParams(Structure):
    _fields_ = [("unfold", UnfoldParams), ("L", POINTER(c_double)), ("n_L", c_size_t),
                ("brody_boot", c_uint32), ("sigma2_mc", c_uint32), ("mc", NVMCParams),
                ("delta3_step", c_double), ("ratio_bins", c_uint32), ("pad", c_uint32),
                ("seed", c_uint64)]


class FitlawParams(Structure):
    _fields_ = [("max_L", c_int32), ("mp_semicircle", c_int32), ("bootstrap", c_int32),
                ("sparse", c_int32), ("sparse_size", c_int32), ("sparse_samples", c_int32),
                ("product_width", c_double), ("seed", c_uint64)]


class FitlawCandidate(Structure):
    _fields_ = [("code", c_int32), ("n_params", c_int32), ("name", c_char * 32),
                ("status", c_int32), ("pad0", c_int32), ("scale", c_double),
                ("scale_se", c_double), ("shape", c_double), ("shape_se", c_double),
                ("atom", c_double), ("cvm", c_double), ("ks", c_double), ("ks_p", c_double),
                ("l1", c_double), ("loglik", c_double), ("aic", c_double), ("bic", c_double)]


FITLAW_MAX_CAND = 8


class FitlawResult(Structure):
    _fields_ = [("n", c_size_t), ("n_zero", c_size_t), ("n_cand", c_size_t),
                ("cand", FitlawCandidate * FITLAW_MAX_CAND), ("best", c_int32),
                ("best_code", c_int32), ("delta_bic", c_double)]


class LanczosParams(Structure):
    _fields_ = [("steps", c_int64), ("starts", c_int64), ("reorth", c_int32), ("pad", c_int32),
                ("seed", c_uint64)]


class SlqInfo(Structure):
    _fields_ = [("nodes_per_start", c_int64), ("steps_done_min", c_int64),
                ("lambda_min", c_double), ("lambda_max", c_double)]


class AnalysisParams(Structure):
    _fields_ = [("extract", ExtractParams), ("spectrum", SpectrumParams), ("stats", c_uint32),
                ("threads", c_int32), ("seed", c_uint64), ("significance", c_double),
                ("mp", MPParams), ("tails", TailsParams), ("vectors", PTParams),
                ("null", NullParams), ("laws", FitlawParams), ("levels", LevelsParams),
                ("max_memory", c_uint64), ("multitest", c_int32), ("pad_multitest", c_int32)]


class AnalysisRow(Structure):
    _fields_ = [("name", c_char_p), ("status", c_char_p), ("reason", c_char_p),
                ("method", c_char_p), ("dtype", c_char_p), ("rows", c_int64),
                ("cols", c_int64), ("skip", c_int32), ("error", c_int32),
                ("block", c_int32), ("expert", c_int32), ("module", c_char_p)]


class MPLaw(Structure):
    _fields_ = [("sigma2", c_double), ("rows", c_double), ("cols", c_double),
                ("form", c_int32), ("atom", c_int32)]


class MPPaperFit(Structure):
    _fields_ = [("a", c_double), ("nu_min", c_double), ("nu_max", c_double),
                ("sigma2", c_double), ("lambda_minus", c_double), ("lambda_plus", c_double),
                ("rss", c_double), ("n_points", c_int64), ("n_above", c_int64)]


class MPRobustFit(Structure):
    _fields_ = [("sigma2", c_double), ("lambda_minus", c_double), ("lambda_plus", c_double),
                ("n_excluded", c_int64), ("steps", c_int32), ("capped", c_int32)]


class MPResult(Structure):
    _fields_ = [("sigma2", c_double), ("lambda_minus", c_double), ("lambda_plus", c_double),
                ("n_spikes", c_int64), ("softrank", c_double), ("lambda_max", c_double),
                ("tw_mu", c_double), ("tw_sigma", c_double), ("tw_stat_top", c_double),
                ("pvalue_top", c_double), ("bbp_c", c_double), ("robust", MPRobustFit),
                ("paper", MPPaperFit), ("paper_status", c_int32), ("pad", c_int32)]


class HillPlateau(Structure):
    _fields_ = [("defined", c_int32), ("reason", c_int32), ("alpha", c_double),
                ("alpha_err", c_double), ("k1", c_uint64), ("k2", c_uint64),
                ("windows", c_uint64)]


class PowerlawFit(Structure):
    _fields_ = [("reason", c_int32), ("plausible", c_int32), ("alpha", c_double),
                ("alpha_err", c_double), ("xmin", c_double), ("xmax", c_double),
                ("ks_d", c_double), ("n_tail", c_uint64), ("n", c_uint64),
                ("n_candidates", c_uint64), ("p_gof", c_double), ("replicas_ok", c_uint64)]


class LRTest(Structure):
    _fields_ = [("reason", c_int32), ("nested", c_int32), ("r", c_double),
                ("r_norm", c_double), ("p", c_double), ("params", c_double * 2)]


class WWFit(Structure):
    _fields_ = [("reason", c_int32), ("pad", c_int32), ("alpha", c_double),
                ("alpha_err", c_double), ("alpha_weighted", c_double),
                ("log_alpha_norm", c_double), ("xmin", c_double), ("ks_d", c_double),
                ("num_pl_spikes", c_uint64), ("n_kept", c_uint64), ("lambda_max", c_double),
                ("num_fingers", c_uint64), ("raw_alpha", c_double)]


class TPLFit(Structure):
    _fields_ = [("reason", c_int32), ("pad", c_int32), ("alpha", c_double), ("lambda_", c_double),
                ("xmin", c_double), ("ks_d", c_double), ("n_tail", c_uint64),
                ("pl_alpha", c_double), ("lr", c_double), ("lr_norm", c_double),
                ("p", c_double)]


MAX_LAYERS = 64
LAW_MAX_EDGES = 16


class LawParams(Structure):
    _fields_ = [("law", c_int32), ("L", c_int32), ("sigma2", c_double), ("ratio", c_double),
                ("sigma2_wigner", c_double), ("n_dims", c_size_t),
                ("dims", c_int64 * (MAX_LAYERS + 1)), ("activation", c_int32),
                ("pad0", c_int32), ("leaky_slope", c_double), ("sigma_w2", c_double),
                ("sigma_b2", c_double), ("q0", c_double), ("quad_nodes", c_size_t),
                ("eta_rel", c_double)]


class LawInfo(Structure):
    _fields_ = [("name", c_char * 32), ("atom", c_double), ("mean", c_double),
                ("variance", c_double), ("n_edges", c_size_t),
                ("edges", c_double * LAW_MAX_EDGES), ("diverges_at_0", c_int32),
                ("pad0", c_int32)]


class EnsembleParams(Structure):
    _fields_ = [("ensemble", c_int32), ("weight_law", c_int32), ("n", c_int64),
                ("n_dims", c_size_t), ("dims", c_int64 * (MAX_LAYERS + 1)), ("k", c_int32),
                ("activation", c_int32), ("sigma2", c_double), ("p", c_double),
                ("c", c_double), ("rank", c_int64), ("theta", c_double),
                ("leaky_slope", c_double), ("sigma_w2", c_double), ("sigma_b2", c_double),
                ("q0", c_double), ("student_nu", c_double), ("weight_density", c_double),
                ("coupled", c_int32), ("pad0", c_int32), ("seed", c_uint64)]


# Every mirrored struct must have the library's layout: a mismatch (a library built from other
# sources) would read or write past the struct, so it is an ImportError.
lib.rmtk_struct_size.restype = c_size_t
lib.rmtk_struct_size.argtypes = [c_char_p]
_MIRRORS = {
    MatrixView: "rmtk_matrix_view", ExtractParams: "rmtk_extract_params",
    SpectrumParams: "rmtk_spectrum_params", SpectrumInfo: "rmtk_spectrum_info",
    MPParams: "rmtk_mp_params", PowerlawParams: "rmtk_powerlaw_params",
    HillParams: "rmtk_hill_params", WWParams: "rmtk_ww_params", TailsParams: "rmtk_tails_params", PTParams: "rmtk_pt_params",
    NullParams: "rmtk_null_params", UnfoldParams: "rmtk_unfold_params",
    NVMCParams: "rmtk_nv_mc_params", LevelsParams: "rmtk_levels_params",
    AnalysisParams: "rmtk_analysis_params", AnalysisRow: "rmtk_analysis_row",
    MPLaw: "rmtk_mp_law", MPPaperFit: "rmtk_mp_paper_fit", MPRobustFit: "rmtk_mp_robust_fit",
    MPResult: "rmtk_mp_result", HillPlateau: "rmtk_hill_plateau",
    PowerlawFit: "rmtk_powerlaw_fit", LRTest: "rmtk_lr_test", WWFit: "rmtk_ww_fit", TPLFit: "rmtk_tpl_fit",
    FitlawParams: "rmtk_fitlaw_params", LawParams: "rmtk_law_params", LawInfo: "rmtk_law_info", EnsembleParams: "rmtk_ensemble_params",
    FitlawCandidate: "rmtk_fitlaw_candidate", FitlawResult: "rmtk_fitlaw_result",
    LanczosParams: "rmtk_lanczos_params", SlqInfo: "rmtk_slq_info",
}
for _cls, _cname in _MIRRORS.items():
    _size = lib.rmtk_struct_size(_cname.encode())
    if _size != ctypes.sizeof(_cls):
        raise ImportError("rmtk: struct %s is %d bytes in %s but %d in this package's mirror "
                          "(python/rmtk/_lib.py %s): package and library were built from "
                          "different sources" % (_cname, _size, library_path,
                                                 ctypes.sizeof(_cls), _cls.__name__))


PROGRESS_FN = CFUNCTYPE(None, c_void_p, c_size_t, c_size_t, c_char_p)
FETCH_FN = CFUNCTYPE(c_int, c_size_t, POINTER(c_void_p))  # user: the tensor's number (1..)
RELEASE_FN = CFUNCTYPE(None, c_size_t)
WRITE_FN = CFUNCTYPE(c_size_t, c_void_p, c_size_t, c_void_p)
# rmtk_matvec_fn: y[0..n) = A x[0..n); 0 on success
MATVEC_FN = CFUNCTYPE(c_int, c_void_p, POINTER(c_double), POINTER(c_double), c_int64)

_D = POINTER(c_double)
_P = c_void_p


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


# analysis
_proto("rmtk_analysis_params_default", AnalysisParams)
_proto("rmtk_analysis_alloc", c_int, POINTER(AnalysisParams), POINTER(c_void_p))
_proto("rmtk_analysis_free", None, _P)
_proto("rmtk_analysis_errmsg", c_char_p, _P)
_proto("rmtk_analysis_add_model", c_int, _P, _P, c_char_p)
_proto("rmtk_analysis_add_matrix", c_int, _P, c_char_p, MatrixView)
_proto("rmtk_analysis_add_tensor", c_int, _P, c_char_p, _P, c_int32, c_int32,
       POINTER(c_int64), POINTER(c_int64))
_proto("rmtk_analysis_add_tensor_fn", c_int, _P, c_char_p, c_int32, c_int32, POINTER(c_int64),
       FETCH_FN, RELEASE_FN, c_void_p)
_proto("rmtk_analysis_run", c_int, _P, PROGRESS_FN, _P)
_proto("rmtk_analysis_count", c_size_t, _P)
_proto("rmtk_analysis_row_get", c_int, _P, c_size_t, POINTER(AnalysisRow))
_proto("rmtk_analysis_write_csv_fn", c_int, _P, WRITE_FN, _P)
_proto("rmtk_analysis_write_json_fn", c_int, _P, WRITE_FN, _P)
_proto("rmtk_model_open", c_int, c_char_p, POINTER(c_void_p))
_proto("rmtk_model_close", None, _P)
_proto("rmtk_model_errmsg", c_char_p, _P)
# spectrum
_proto("rmtk_spectrum_params_default", SpectrumParams)
_proto("rmtk_spectrum_plan_alloc", c_int, c_int64, c_int64, POINTER(SpectrumParams),
       POINTER(c_void_p))
_proto("rmtk_spectrum_plan_free", None, _P)
_proto("rmtk_spectrum_errmsg", c_char_p, _P)
_proto("rmtk_spectrum_execute", c_int, _P, MatrixView, _D, _D, _D, POINTER(SpectrumInfo))
_proto("rmtk_dtype_name", c_char_p, c_int)
# Lanczos / SLQ and law selection (rmtk.hessian_spectrum)
_proto("rmtk_lanczos_params_default", LanczosParams)
_proto("rmtk_lanczos", c_int, MATVEC_FN, _P, c_int64, _D, POINTER(LanczosParams), _D, _D,
       POINTER(c_int64))
_proto("rmtk_slq_density", c_int, MATVEC_FN, _P, c_int64, POINTER(LanczosParams), _D, _D,
       POINTER(SlqInfo))
_proto("rmtk_slq_moment", c_int, _D, _D, c_int64, c_int64, c_int, _D, _D)
_proto("rmtk_slq_smooth", c_int, _D, _D, c_size_t, c_double, _D, c_size_t, _D)
_proto("rmtk_fitlaw_params_default", FitlawParams)
_proto("rmtk_fitlaw", c_int, _D, c_size_t, c_int64, c_int64, POINTER(FitlawParams),
       POINTER(FitlawResult))
_proto("rmtk_fitlaw_verdict", c_int, POINTER(FitlawResult), c_char_p, c_size_t)
_proto("rmtk_fitlaw_density", c_int, POINTER(FitlawCandidate), c_int64, c_int64, c_double, _D,
       c_size_t, _D)
