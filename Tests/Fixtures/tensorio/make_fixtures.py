#!/usr/bin/env python3
"""Writes the TensorIO test fixtures next to this script.

Requires numpy and safetensors (`pip install numpy safetensors`). Run from anywhere:
    python3 Tests/Fixtures/tensorio/make_fixtures.py
The Swift tests (Tests/TensorIOTests) recompute the same values with the same formulas, so keep
the formulas here and there in step.
"""
import csv
import os
import struct

import numpy as np
from safetensors.numpy import save_file
from safetensors._safetensors_rust import TensorSpec, serialize_file

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


# --- .npy, one file per dtype, version 1.0 header (np.save) -----------------------------------
# Values: arange(n) - n//2 (so negatives occur), shape (2, 3) unless noted.
def ramp(n, dtype):
    return (np.arange(n) - n // 2).astype(dtype)

np.save(path("npy_f64.npy"), (ramp(6, np.float64) * 0.25).reshape(2, 3))
np.save(path("npy_f32.npy"), (ramp(12, np.float32) * 0.5).reshape(3, 4))
np.save(path("npy_f16.npy"), (ramp(6, np.float16) * 0.125).reshape(2, 3))
np.save(path("npy_i64.npy"), (ramp(6, np.int64) * 1_000_000_000_000).reshape(2, 3))
np.save(path("npy_i32.npy"), (ramp(6, np.int32) * 100_000).reshape(2, 3))
np.save(path("npy_i16.npy"), (ramp(6, np.int16) * 1000).reshape(2, 3))
np.save(path("npy_i8.npy"), (ramp(6, np.int8) * 20).reshape(2, 3))
np.save(path("npy_u8.npy"), (np.arange(6, dtype=np.uint8) * 50).reshape(2, 3))
np.save(path("npy_bool.npy"), np.array([[True, False, True], [False, False, True]]))
np.save(path("npy_scalar.npy"), np.array(3.25))                       # 0-d
np.save(path("npy_vector.npy"), np.array([1.5, -2.5, 4.0], dtype=np.float32))  # 1-d

# --- header versions 2.0 and 3.0 -------------------------------------------------------------
with open(path("npy_v2.npy"), "wb") as f:
    np.lib.format.write_array(f, (ramp(6, np.float64) * 0.25).reshape(2, 3), version=(2, 0))
with open(path("npy_v3.npy"), "wb") as f:
    np.lib.format.write_array(f, (ramp(6, np.int32) * 100_000).reshape(2, 3), version=(3, 0))

# --- Fortran order and big-endian ------------------------------------------------------------
# C-order values are arange(24).reshape(2, 3, 4) and arange(6).reshape(2, 3) * 0.25.
np.save(path("npy_fortran_3d.npy"), np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
np.save(path("npy_fortran_2d.npy"), np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3) * 0.25))
np.save(path("npy_big_f4.npy"), (ramp(6, np.float32) * 0.5).reshape(2, 3).astype(">f4"))
np.save(path("npy_big_i8.npy"), (ramp(6, np.int64) * 1_000_000_000_000).reshape(2, 3).astype(">i8"))
np.save(path("npy_big_fortran_f8.npy"),
        np.asfortranarray((np.arange(6, dtype=np.float64).reshape(2, 3) * 0.25).astype(">f8")))

# --- .npz --------------------------------------------------------------------------------------
x = (np.arange(12, dtype=np.float32).reshape(4, 3) / 4).astype(np.float32)
y = np.array([3, 1, 4, 1], dtype=np.int64)
np.savez(path("savez.npz"), x=x, y=y)
np.savez_compressed(path("savez_compressed.npz"), x=x, y=y)

# --- safetensors (written by the safetensors package) -----------------------------------------
save_file(
    {
        "w": (ramp(6, np.float32) * 0.5).reshape(2, 3),
        "b": np.array([0.1, -0.2, 0.3], dtype=np.float64),
        "h": (ramp(4, np.float16) * 0.125).reshape(2, 2),
        "i64": np.array([-(2**40), 0, 2**40], dtype=np.int64),
        "i32": np.array([-7, 8], dtype=np.int32),
        "i16": np.array([-300, 300], dtype=np.int16),
        "i8": np.array([-128, 127], dtype=np.int8),
        "u8": np.array([0, 255], dtype=np.uint8),
        "mask": np.array([True, False, True]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
    },
    path("numpy.safetensors"),
    metadata={"loupe.arch": '{"format": "loupe.arch/1", "name": "fixture"}', "note": "made by make_fixtures.py"},
)

# BF16 through the package's own serializer (numpy has no bfloat16 dtype): the bit patterns are
# the top halves of the float32 values 1.0, -2.5, 0.15625, 3.0e38 (exactly representable in bf16).
bf16_bits = (np.array([1.0, -2.5, 0.15625, 3.0e38], dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
f32 = np.array([1.0, 2.0], dtype=np.float32)
serialize_file(
    {
        "bf": TensorSpec(dtype="bfloat16", shape=[2, 2], data_ptr=bf16_bits.ctypes.data, data_len=bf16_bits.nbytes),
        "f": TensorSpec(dtype="float32", shape=[2], data_ptr=f32.ctypes.data, data_len=f32.nbytes),
    },
    path("bf16.safetensors"),
    metadata=None,
)

# --- IDX (the MNIST format), written by hand as the format describes ---------------------------
def write_idx(name, array, code):
    with open(path(name), "wb") as f:
        f.write(bytes([0, 0, code, array.ndim]))
        for d in array.shape:
            f.write(struct.pack(">I", d))
        f.write(array.astype(array.dtype.newbyteorder(">")).tobytes())

images = (np.arange(3 * 4 * 4) * 5 % 256).astype(np.uint8).reshape(3, 4, 4)
write_idx("images.idx3-ubyte", images, 0x08)
write_idx("labels.idx1-ubyte", np.array([7, 2, 1], dtype=np.uint8), 0x08)
write_idx("floats.idx", (ramp(6, np.float32) * 0.5).reshape(2, 3), 0x0D)
write_idx("shorts.idx", (ramp(6, np.int16) * 1000).reshape(2, 3), 0x0B)

# --- CSV -----------------------------------------------------------------------------------------
with open(path("with_header.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x", "y", "label"])
    w.writerows([[0.5, -1.25, 0], [1e-3, 2, 1], [3, 4.5, 2]])
with open(path("no_header.csv"), "w", newline="") as f:
    csv.writer(f).writerows([[1, 2, 3], [4, 5, 6]])
with open(path("quoted.csv"), "w", newline="") as f:   # quoted header cells, CRLF line ends
    w = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC)
    w.writerow(['a, "first"', "b\nsecond"])
    w.writerows([[1.5, 2], [3, -4]])
with open(path("nan.csv"), "w", newline="") as f:
    f.write("a,b\nNaN,1\nnan,inf\n,-inf\n")
