#!/usr/bin/env python3
"""Writes the seed corpus of loupe-fuzz (Tests/Fuzz/corpus/TARGET/): small valid files of every
kind each loader reads, made with numpy from the repository's own fixtures, plus the inputs that
once crashed or hung Loupe (issue 13), kept as regression seeds. Run from the repository root:

    python3 Tests/Fuzz/make_corpus.py

Needs numpy only. Files are kept small (a few kB): the fuzzer mutates them by the million.
"""
import io, json, os, shutil, struct, zipfile
import numpy as np

root = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(root))
corpus = os.path.join(root, "corpus")
fixtures = os.path.join(repo, "Tests", "Fixtures")


def folder(target):
    path = os.path.join(corpus, target)
    os.makedirs(path, exist_ok=True)
    return path


def write(target, name, data):
    with open(os.path.join(folder(target), name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def safetensors(header, buffer):
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + buffer


def tensors_file(arrays, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    dtypes = {"float32": "F32", "float64": "F64", "int64": "I64", "int32": "I32", "uint8": "U8", "float16": "F16", "bool": "BOOL"}
    for name, a in arrays.items():
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtypes[str(a.dtype)], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    return safetensors(header, b"".join(chunks))


def npy(a, **kw):
    f = io.BytesIO()
    np.save(f, a, **kw)
    return f.getvalue()


def main():
    # Every folder this script fills starts empty; onnx/ holds exports copied from
    # Tests/Fixtures/networks/onnx (torch's exporter, which this script does not need), kept.
    for target in os.listdir(corpus) if os.path.isdir(corpus) else []:
        if target != "onnx":
            shutil.rmtree(os.path.join(corpus, target))
    rng = np.random.default_rng(1)

    # safetensors: the PyTorch fixture networks with their architectures embedded, and data.
    for net in ["mlp", "cnn", "bilinear_split"]:
        header, buffer = read_safetensors(os.path.join(fixtures, "networks", f"{net}.safetensors"))
        arch = json.load(open(os.path.join(fixtures, "networks", f"{net}.arch.json")))
        header["__metadata__"] = {"loupe.arch": json.dumps(arch, separators=(",", ":"))}
        write("safetensors", f"{net}-model.safetensors", safetensors(header, buffer))
        write("arch", f"{net}.arch.json", json.dumps(arch))
    x = rng.random((6, 4), dtype=np.float32)
    write("safetensors", "data.safetensors", tensors_file({"x": x, "y": np.arange(6, dtype=np.int64) % 3}))
    write("safetensors", "f16.safetensors", tensors_file({"x": x.astype(np.float16)}))

    # npy: every dtype and layout the reader takes.
    write("npy", "f4.npy", npy(x))
    write("npy", "f8-1d.npy", npy(np.linspace(0, 1, 5)))
    write("npy", "i8.npy", npy(np.arange(12, dtype=np.int64).reshape(3, 4)))
    write("npy", "u1.npy", npy(np.arange(8, dtype=np.uint8).reshape(2, 4)))
    write("npy", "bool.npy", npy(np.array([[True, False], [False, True]])))
    write("npy", "big-endian.npy", npy(x.astype(">f4")))
    write("npy", "fortran.npy", npy(np.asfortranarray(x)))
    write("npy", "3d.npy", npy(rng.random((2, 1, 3, 3), dtype=np.float32)))
    write("npy", "scalar.npy", npy(np.float32(3.5)))

    # npz: stored and deflated, with labels.
    for name, save in [("stored.npz", np.savez), ("deflated.npz", np.savez_compressed)]:
        f = io.BytesIO()
        save(f, x=x, y=np.arange(6, dtype=np.int64) % 3)
        write("npz", name, f.getvalue())

    # csv
    write("csv", "header.csv", "a,b,label\n0.5,1,0\n1e-3,-2,1\n")
    write("csv", "plain.csv", "1,2,3\n4,5,6\n")
    write("csv", "quoted-crlf.csv", "\"x, 1\",\"y\"\r\n1,nan\r\n,inf\r\n")

    # arch: the README's example, a conv net with padding and pooling, a bilinear MLP.
    write("arch", "readme.arch.json", json.dumps({
        "format": "loupe.arch/1", "name": "my-mlp", "input": {"shape": [64], "image": [1, 8, 8], "range": [0.0, 1.0]},
        "classes": [str(i) for i in range(10)],
        "layers": [{"name": "fc1", "kind": "linear", "weight": "0.weight", "bias": "0.bias", "out": 32},
                   {"name": "relu1", "kind": "relu"},
                   {"name": "fc2", "kind": "linear", "weight": "2.weight", "bias": "2.bias", "out": 10}]}))
    write("arch", "conv.arch.json", json.dumps({
        "format": "loupe.arch/1", "name": "c", "input": {"shape": [1, 8, 8]},
        "layers": [{"name": "c1", "kind": "conv2d", "weight": "c1.w", "bias": "c1.b", "out": 4, "kernel": 3, "padding": 1, "stride": [1, 1]},
                   {"name": "p1", "kind": "maxpool2d", "kernel": 2},
                   {"name": "f", "kind": "flatten"},
                   {"name": "fc", "kind": "linear", "weight": "fc.w", "out": 10}]}))
    write("arch", "bilinear.arch.json", json.dumps({
        "format": "loupe.arch/1", "name": "b", "input": {"shape": [16]},
        "layers": [{"name": "bl", "kind": "bilinear", "left": "l", "right": "r", "out": 8},
                   {"name": "head", "kind": "linear", "weight": "h", "out": 4}]}))
    write("arch", "layernorm.arch.json", json.dumps({"format": "loupe.arch/1", "name": "n", "input": {"shape": [1, 8, 8]}, "layers": [{"name": "c1", "kind": "conv2d", "weight": "c1.w", "bias": "c1.b", "out": 4, "kernel": 3, "padding": 1}, {"name": "ln1", "kind": "layernorm", "weight": "ln1.w", "bias": "ln1.b", "normalized_shape": [4, 8, 8]}, {"name": "ln2", "kind": "layernorm", "normalized_shape": [8], "eps": 0.001}, {"name": "f", "kind": "flatten"}, {"name": "fc", "kind": "linear", "weight": "fc.w", "out": 10}]}))
    write("arch", "reshape.arch.json", json.dumps({"format": "loupe.arch/1", "name": "r", "input": {"shape": [64]}, "layers": [{"name": "fc1", "kind": "linear", "weight": "fc1.w", "out": 32}, {"name": "r", "kind": "reshape", "shape": [2, 4, -1]}, {"name": "c", "kind": "conv2d", "weight": "c.w", "out": 2, "kernel": 3, "padding": 1}, {"name": "f", "kind": "flatten"}, {"name": "fc2", "kind": "linear", "weight": "fc2.w", "out": 10}]}))
    write("arch", "activations.arch.json", json.dumps({
        "format": "loupe.arch/1", "name": "a", "input": {"shape": [8]},
        "layers": [{"name": "fc1", "kind": "linear", "weight": "w1", "out": 8}, {"name": "s", "kind": "silu"},
                   {"name": "e", "kind": "elu", "alpha": 0.5}, {"name": "d", "kind": "dropout"},
                   {"name": "l", "kind": "leaky_relu", "negative_slope": 0.1},
                   {"name": "fc2", "kind": "linear", "weight": "w2", "out": 4}]}))

    # sae-cfg: SAELens's configs (the fixtures' own, d_in 8, and the gated one of lm/, rewritten
    # to d_in 2, d_sae 4).
    for name in sorted(os.listdir(os.path.join(fixtures, "sparse"))) + ["lm/gated"]:
        cfg_path = os.path.join(fixtures, "sparse", name, "cfg.json")
        if os.path.exists(cfg_path):
            cfg = json.load(open(cfg_path))
            cfg.update({"d_in": 2, "d_sae": 4})
            if "k" in cfg:
                cfg["k"] = 2
            write("sae-cfg", f"{os.path.basename(name)}.json", json.dumps(cfg))

    # probe: the example probes.
    for name in sorted(os.listdir(os.path.join(repo, "Probes"))):
        if name.endswith(".toml"):
            shutil.copy(os.path.join(repo, "Probes", name), os.path.join(folder("probe"), name))

    # Tokenizers: the fixtures' tokenizer.json files cut to their first few hundred tokens.
    for name, keep in [("bert", 1100), ("llama3", 300), ("qwen2", 300), ("gpt2", 300)]:
        spec = json.load(open(os.path.join(fixtures, "tokenizers", f"{name}.json"), encoding="utf-8"))
        model = spec["model"]
        model["vocab"] = {t: i for t, i in model["vocab"].items() if i < keep}
        if "merges" in model:
            vocab = model["vocab"]
            model["merges"] = [m for m in model["merges"] if m[0] in vocab and m[1] in vocab and m[0] + m[1] in vocab]
        spec["added_tokens"] = [t for t in spec["added_tokens"] if t["id"] < keep or name == "gpt2"]
        write("tokenizer", f"{name}.json", json.dumps(spec, ensure_ascii=False))

    # Checkpoint configs: the tiny GPT-2 the hf-config target writes weights for, and the
    # other families' configs (their tensors are missing: refusals to reach).
    tiny = {"model_type": "gpt2", "n_embd": 8, "n_layer": 1, "n_head": 2, "n_inner": 16, "n_positions": 8,
            "vocab_size": 16, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5}
    write("hf-config", "gpt2.json", json.dumps(tiny))
    for name in ["bert", "llama", "qwen2"]:
        shutil.copy(os.path.join(fixtures, "transformers", name, "config.json"), os.path.join(folder("hf-config"), f"{name}.json"))

    # Inputs that once crashed or hung Loupe (issue 13), and findings of the fuzzer since.
    conv = json.load(open(os.path.join(corpus, "arch", "conv.arch.json")))
    for p in [10000, 1000000, 1000000000000]:
        conv["layers"][0]["padding"] = p
        write("arch", f"padding-{p}.arch.json", json.dumps(conv))
    for layer in conv["layers"]:
        if layer["kind"] == "conv2d":
            layer["dilation"], layer["padding"] = [2, 1], 2
    write("arch", "dilated.arch.json", json.dumps(conv))
    write("arch", "huge-input.arch.json", json.dumps({"format": "loupe.arch/1", "name": "h", "input": {"shape": [1, 100000, 100000]},
                                                      "layers": [{"name": "f", "kind": "flatten"}]}))
    bilinear = json.load(open(os.path.join(fixtures, "networks", "bilinear_split.arch.json")))
    bilinear["input"]["image"] = [2**63 - 1, 8, 8]  # found by loupe-fuzz: the product overflowed
    write("arch", "image-overflow.arch.json", json.dumps(bilinear))
    write("arch", "no-layers.arch.json", json.dumps({"format": "loupe.arch/1", "name": "e", "input": {"shape": [64]}, "layers": []}))
    write("arch", "huge-width.arch.json", json.dumps({"format": "loupe.arch/1", "name": "w", "input": {"shape": [64]},
                                                      "layers": [{"name": "fc", "kind": "linear", "weight": "w", "out": 1000000000}]}))
    write("csv", "huge-label.csv", "a,label\n1,99999999999999999999\n")
    write("sae-cfg", "loupe-null.json", json.dumps({"architecture": "standard", "d_in": 2, "d_sae": 4, "loupe": None}))
    write("sae-cfg", "loupe-number.json", json.dumps({"architecture": "standard", "d_in": 2, "d_sae": 4, "loupe": 5}))
    write("sae-cfg", "no-architecture-k.json", json.dumps({"d_in": 2, "d_sae": 4, "k": 2}))
    write("probe", "bad-table-header.toml", "[\\")
    # activation-cache: what the target's folder holds (one shard of 3 rows of 2), and shards elsewhere.
    contents = {"model": "m", "hook": "h", "text": "/t.txt", "textBytes": 1, "textModified": 0, "contextLength": 4,
                "before": [0], "after": [], "excluded": [0]}
    write("activation-cache", "cache.json", json.dumps({"contents": contents, "rows": 3, "width": 2, "shards": ["shard-00000.npy"]}))
    write("activation-cache", "escape.json", json.dumps({"contents": contents, "rows": 3, "width": 2, "shards": ["../../etc/passwd"]}))
    write("activation-cache", "rows-lie.json", json.dumps({"contents": contents, "rows": 9, "width": 2, "shards": ["shard-00000.npy"]}))
    write("hf-config", "gpt2-head-dim.json", json.dumps({**tiny, "head_dim": 16}))  # found by loupe-fuzz: heads wider than the width


if __name__ == "__main__":
    main()
