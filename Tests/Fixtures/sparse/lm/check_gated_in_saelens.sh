#!/usr/bin/env bash
# Checks that gated SAEs trained by Loupe open in SAELens as its GatedSAE and code as Loupe codes
# (Tests/Fixtures/sparse/check_in_saelens.py, which exits 1 past 1e-5 of the largest code): one on
# the test GPT-2's blocks.0.hook_resid_post over the first 80 corpus lines, one on synthetic data.
#
#     pip install sae-lens        # checked with sae-lens 6.54.12, torch 2.13
#     swift build
#     Tests/Fixtures/sparse/lm/check_gated_in_saelens.sh [LOUPE] [PYTHON]
#
# LOUPE defaults to .build/debug/loupe, PYTHON to python3. Works in a temporary folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
loupe="$(realpath "${1:-$root/.build/debug/loupe}")"
python="${2:-python3}"
check="$root/Tests/Fixtures/sparse/check_in_saelens.py"
gpt2="$root/Tests/Fixtures/transformers/gpt2"
hook=blocks.0.hook_resid_post
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

head -n 80 "$root/Tests/Fixtures/tokenizers/corpus.txt" > c.txt
"$loupe" sae train "$gpt2" --text c.txt --layer "$hook" --max-tokens 500 -a gated --d-sae 256 --steps 300 --batch 250 \
    --no-eval --out lm-gated > /dev/null
"$loupe" forward "$gpt2" --text c.txt --layer "$hook" --out acts.npy > /dev/null
"$loupe" sae encode lm-gated "$gpt2" --text c.txt --max-tokens 500 --out lm-codes.npy > /dev/null
"$python" -c "import numpy as np; np.save('acts500.npy', np.load('acts.npy')[:500])"
"$python" "$check" lm-gated acts500.npy lm-codes.npy

"$loupe" sae synth --samples 4000 --dim 64 --features 256 --active 5 --seed 1 --out synth.npy > /dev/null
"$loupe" sae train --acts synth.npy -a gated --d-sae 512 --steps 300 --batch 512 --no-eval --out synth-gated > /dev/null
"$loupe" sae encode synth-gated --acts synth.npy --out synth-codes.npy > /dev/null
"$python" "$check" synth-gated synth.npy synth-codes.npy
