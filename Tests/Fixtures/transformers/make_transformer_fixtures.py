#!/usr/bin/env python3
"""Writes the transformer fixtures of Tests/TransformersTests into this folder.

Five randomly initialised models (seeded), 2 layers, d_model 64, 4 heads, saved with
`save_pretrained` beside a tokenizer.json, each in its own folder as a Hugging Face checkpoint:

  gpt2/   GPT2LMHeadModel: learned positions, pre-LayerNorm, gelu_new, Conv1D weights, tied
          unembedding; float16 weights; the byte-level BPE of ../tokenizers/gpt2.json (4 001 tokens)
  bert/   BertForMaskedLM: post-LayerNorm encoder, word/position/token-type embeddings, GELU, the
          MLM head (dense, GELU, LayerNorm, tied decoder + bias); float32; WordPiece with
          all-MiniLM-L6-v2's vocabulary cut to its first 3 000 entries (tokenizer.json)
  llama/  LlamaForCausalLM: RMSNorm, rotary positions, SwiGLU, grouped-query attention (4 query
          heads, 2 key/value heads), untied unembedding; bfloat16 weights; ../tokenizers/llama3.json
  qwen2/  Qwen2ForCausalLM: Llama with biases on q, k and v; float16 weights; ../tokenizers/qwen2.json
  llama31/ LlamaForCausalLM with Llama 3.1's rope scaling (rope_type llama3, θ 500 000, factor 8,
          frequency factors 1 and 4, original context 16: most frequencies rescaled); bfloat16;
          ../tokenizers/llama3.json

A tokenizer.json that is one of ../tokenizers' is a symbolic link to it. Weights are rounded
to their saved dtype before the reference runs, which computes in float64 with eager attention:
the exact value of the saved weights' network, which both float32 runs (torch's and Loupe's)
approximate. For each of 8 texts (tokenised by the folder's tokenizer.json with its
special tokens), expected.safetensors holds, under "<model>.<text>.<hook>", every hook point as
Loupe names it (TransformerLens's names; [tokens, width], heads side by side), "ids", and
"logits" of the last token:

  hook_embed, hook_pos_embed (gpt2, bert), hook_token_type_embed (bert),
  blocks.{i}.hook_resid_pre, .attn.hook_q, .attn.hook_k, .attn.hook_v (before rotary), .attn.hook_z,
  .attn.hook_pattern ([heads·query, key]), .hook_attn_out, .hook_resid_mid, .mlp.hook_post,
  .hook_mlp_out, .hook_resid_post, ln_final.hook_normalized (gpt2, llama, qwen2)

BERT is post-LayerNorm: its hook_resid_mid and hook_resid_post are the stream after the
LayerNorm that follows each residual sum (hook_resid_post is transformers' hidden state).

Run with `pip install torch transformers tokenizers safetensors` from the repository root:
    python3 Tests/Fixtures/transformers/make_transformer_fixtures.py
"""
import json
import os
import shutil

import torch
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = os.path.join(HERE, "..", "tokenizers")

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world!",
    "Sparse autoencoders find features.",
    "Ça va? Größe, İstanbul.",
    "def f(x): return x * 2",
    "你好，世界",
    "Emoji 🤖 and numbers 12345",
    "a",
]

D, LAYERS, HEADS = 64, 2, 4


def round_weights(model, dtype):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))


def small_bert_tokenizer():
    spec = json.load(open(os.path.join(TOKENIZERS, "bert.json"), encoding="utf-8"))
    spec["model"]["vocab"] = {t: i for t, i in spec["model"]["vocab"].items() if i < 3000}
    spec["truncation"] = None
    spec["padding"] = None
    return json.dumps(spec, ensure_ascii=False)


def build(name):
    torch.manual_seed({"gpt2": 1, "bert": 2, "llama": 3, "qwen2": 4, "llama31": 5}[name])
    common = dict(attn_implementation="eager")
    if name == "gpt2":
        config = transformers.GPT2Config(vocab_size=4001, n_positions=64, n_embd=D, n_layer=LAYERS, n_head=HEADS,
                                         activation_function="gelu_new", **common)
        return transformers.GPT2LMHeadModel(config), torch.float16, "gpt2.json"
    if name == "bert":
        config = transformers.BertConfig(vocab_size=3000, hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                         intermediate_size=128, max_position_embeddings=64, hidden_act="gelu", **common)
        return transformers.BertForMaskedLM(config), torch.float32, small_bert_tokenizer()
    if name == "llama31":
        rope = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                "original_max_position_embeddings": 16}
        config = transformers.LlamaConfig(vocab_size=4000, hidden_size=D, intermediate_size=128, num_hidden_layers=LAYERS,
                                          num_attention_heads=HEADS, num_key_value_heads=2, max_position_embeddings=64,
                                          rms_norm_eps=1e-6, rope_parameters=rope, tie_word_embeddings=False, **common)
        return transformers.LlamaForCausalLM(config), torch.bfloat16, "llama3.json"
    if name == "llama":
        config = transformers.LlamaConfig(vocab_size=4000, hidden_size=D, intermediate_size=128, num_hidden_layers=LAYERS,
                                          num_attention_heads=HEADS, num_key_value_heads=2, max_position_embeddings=64,
                                          rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=False, **common)
        return transformers.LlamaForCausalLM(config), torch.bfloat16, "llama3.json"
    config = transformers.Qwen2Config(vocab_size=4000, hidden_size=D, intermediate_size=128, num_hidden_layers=LAYERS,
                                      num_attention_heads=HEADS, num_key_value_heads=2, max_position_embeddings=64,
                                      rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False, **common)
    return transformers.Qwen2ForCausalLM(config), torch.float16, "qwen2.json"


def capture(name, model):
    """Forward hooks that record every hook point of one forward pass into a dict."""
    seen, handles = {}, []

    def out(key):
        def hook(_module, _args, output):
            # Blocks and attention return a tuple in some versions: the hidden states first.
            seen[key] = (output[0] if isinstance(output, tuple) else output)[0].detach().clone()
        return hook

    def inp(key):
        def hook(_module, args, kwargs):
            x = args[0] if args else kwargs["hidden_states"]
            seen[key] = x[0].detach().clone()
        return hook

    def on(module, hook):
        handles.append(module.register_forward_hook(hook))

    def before(module, hook):
        handles.append(module.register_forward_pre_hook(hook, with_kwargs=True))

    if name == "gpt2":
        t = model.transformer
        on(t.wte, out("hook_embed"))
        on(t.wpe, out("hook_pos_embed"))
        for i, block in enumerate(t.h):
            b = f"blocks.{i}."
            before(block, inp(b + "hook_resid_pre"))
            on(block.attn.c_attn, out(b + "attn.hook_qkv"))
            before(block.attn.c_proj, inp(b + "attn.hook_z"))
            on(block.attn, out(b + "hook_attn_out"))
            before(block.ln_2, inp(b + "hook_resid_mid"))
            before(block.mlp.c_proj, inp(b + "mlp.hook_post"))
            on(block.mlp, out(b + "hook_mlp_out"))
            on(block, out(b + "hook_resid_post"))
        on(t.ln_f, out("ln_final.hook_normalized"))
    elif name == "bert":
        e = model.bert.embeddings
        on(e.word_embeddings, out("hook_embed"))
        on(e.position_embeddings, out("hook_pos_embed"))
        on(e.token_type_embeddings, out("hook_token_type_embed"))
        for i, layer in enumerate(model.bert.encoder.layer):
            b = f"blocks.{i}."
            before(layer, inp(b + "hook_resid_pre"))
            on(layer.attention.self.query, out(b + "attn.hook_q"))
            on(layer.attention.self.key, out(b + "attn.hook_k"))
            on(layer.attention.self.value, out(b + "attn.hook_v"))
            before(layer.attention.output.dense, inp(b + "attn.hook_z"))
            on(layer.attention.output.dense, out(b + "hook_attn_out"))
            on(layer.attention.output.LayerNorm, out(b + "hook_resid_mid"))
            on(layer.intermediate, out(b + "mlp.hook_post"))
            on(layer.output.dense, out(b + "hook_mlp_out"))
            on(layer, out(b + "hook_resid_post"))
    else:
        m = model.model
        on(m.embed_tokens, out("hook_embed"))
        for i, layer in enumerate(m.layers):
            b = f"blocks.{i}."
            a = layer.self_attn
            before(layer, inp(b + "hook_resid_pre"))
            on(a.q_proj, out(b + "attn.hook_q"))
            on(a.k_proj, out(b + "attn.hook_k"))
            on(a.v_proj, out(b + "attn.hook_v"))
            before(a.o_proj, inp(b + "attn.hook_z"))
            on(a.o_proj, out(b + "hook_attn_out"))
            before(layer.post_attention_layernorm, inp(b + "hook_resid_mid"))
            before(layer.mlp.down_proj, inp(b + "mlp.hook_post"))
            on(layer.mlp, out(b + "hook_mlp_out"))
            on(layer, out(b + "hook_resid_post"))
        on(m.norm, out("ln_final.hook_normalized"))
    return seen, handles


def main():
    tensors = {}
    for name in ["gpt2", "bert", "llama", "qwen2", "llama31"]:
        model, dtype, tokenizer_json = build(name)
        model.eval()
        round_weights(model, dtype)
        folder = os.path.join(HERE, name)
        shutil.rmtree(folder, ignore_errors=True)
        model.to(dtype).save_pretrained(folder, safe_serialization=True)
        model.to(torch.float64)
        if tokenizer_json.endswith(".json"):
            os.symlink(os.path.join("..", "..", "tokenizers", tokenizer_json), os.path.join(folder, "tokenizer.json"))
            tokenizer_json = open(os.path.join(TOKENIZERS, tokenizer_json), encoding="utf-8").read()
        else:
            with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as f:
                f.write(tokenizer_json)
        tokenizer = Tokenizer.from_str(tokenizer_json)
        with torch.no_grad():
            seen, _ = capture(name, model)
            for t, text in enumerate(TEXTS):
                ids = tokenizer.encode(text).ids
                seen.clear()
                output = model(torch.tensor([ids]), output_attentions=True)
                if name == "gpt2":
                    for i in range(LAYERS):
                        q, k, v = seen.pop(f"blocks.{i}.attn.hook_qkv").split(D, dim=-1)
                        seen[f"blocks.{i}.attn.hook_q"], seen[f"blocks.{i}.attn.hook_k"], seen[f"blocks.{i}.attn.hook_v"] = q, k, v
                for i, pattern in enumerate(output.attentions):
                    seen[f"blocks.{i}.attn.hook_pattern"] = pattern[0].reshape(-1, len(ids))
                prefix = f"{name}.{t}."
                for key, value in seen.items():
                    tensors[prefix + key] = value.contiguous().float()
                tensors[prefix + "ids"] = torch.tensor(ids, dtype=torch.int64)
                tensors[prefix + "logits"] = output.logits[0, -1].contiguous().float()
        print(name, sum(p.numel() for p in model.parameters()), "parameters,", len(seen), "hook points")
    save_file(tensors, os.path.join(HERE, "expected.safetensors"), metadata={"texts": json.dumps(TEXTS, ensure_ascii=False)})


if __name__ == "__main__":
    main()
