"""Safetensors files for the tests, written from the format's definition (8-byte little-endian
header length, a JSON header, the raw data) with struct and json only, so that they are
independent of rmtk's own writer (src/io/write-safetensors.c).

  write_raw(path, {name: (dtype, shape, raw bytes)}, metadata=None, pad=False)
  write_f32(path, {name: array})     every array stored as F32
  write_typed(path, {name: array})   each in its own dtype (F32, F64, F16; uint16 arrays hold
                                     bfloat16 bit patterns and are stored as BF16)
"""
import json
import struct

import numpy as np

DTYPES = {np.float32: "F32", np.float64: "F64", np.float16: "F16", np.uint16: "BF16"}


def write_raw(path, tensors, metadata=None, pad=False):
    """tensors: name -> (dtype string, shape, raw bytes), in file order. metadata: the
    __metadata__ object (omitted when None). pad: the header padded with spaces to a multiple of
    8 bytes, as the reference writer does (without it the data starts unaligned, which readers
    must accept too)."""
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    if pad:
        h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_f32(path, tensors):
    """tensors: name -> array of any float dtype, stored as F32."""
    write_raw(path, {n: ("F32", np.shape(a), np.ascontiguousarray(a, dtype="<f4").tobytes())
                     for n, a in tensors.items()})


def write_typed(path, tensors):
    """tensors: name -> array stored in its own dtype (DTYPES)."""
    write_raw(path, {n: (DTYPES[a.dtype.type], a.shape,
                         np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())
                     for n, a in tensors.items()})
