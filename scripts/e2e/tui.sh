#!/usr/bin/env bash
# End-to-end test of the workbench in a real terminal: tmux runs the release binary, send-keys
# types, capture-pane reads the screen. It opens the demo workspace, moves between tabs, opens
# the help, exports a CSV, saves a session, quits, restores the session, quits with Ctrl-C, opens
# the text demo (demo:gpt2-tiny) and walks its views, and checks each time that the terminal
# was restored. Demo models come from the normal cache
# (the unit tests have trained them); sessions and exports go to a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
loupe="$PWD/.build/release/loupe"
[ -x "$loupe" ] || { echo "tui e2e: build first (swift build -c release)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "tui e2e: tmux is not installed (scripts/setup installs it)" >&2; exit 1; }

work=$(mktemp -d)
pane="loupe-e2e-$$"
cleanup() { tmux kill-session -t "$pane" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$pane"; }
fail() {
  echo "tui e2e: FAILED: $1" >&2
  echo "----- screen -----" >&2
  screen >&2 || true
  exit 1
}
# Waits (polling; CI machines are slow) until the screen shows every given text.
wait_for() {
  local timeout=$1; shift
  local deadline=$((SECONDS + timeout))
  while :; do
    local now; now=$(screen)
    local missing=""
    for text in "$@"; do grep -qF -- "$text" <<<"$now" || missing="$text"; done
    [ -z "$missing" ] && return 0
    [ $SECONDS -ge $deadline ] && fail "did not see '$missing' within ${timeout}s"
    sleep 0.2
  done
}
wait_gone() {
  local deadline=$((SECONDS + 30))
  while screen | grep -qF -- "$1"; do
    [ $SECONDS -ge $deadline ] && fail "'$1' is still on screen"
    sleep 0.2
  done
}
# One key at a time, with a pause, so that Esc is never read as Alt with the next key.
keys() { for k in "$@"; do tmux send-keys -t "$pane" "$k"; sleep 0.3; done; }

# The pane runs loupe, then reports its exit code and the terminal modes it left behind.
cat > "$work/run.sh" <<RUN
cd "$work"
export LOUPE_SESSIONS_DIR="$work/Sessions"
"$loupe" "\$@"
echo "LOUPE-EXIT=\$?"
echo "MODES: \$(stty -a | tr ' ;' '\n\n' | grep -E '^-?(icanon|echo)\$' | tr '\n' ' ')"
exec sleep 600
RUN
start() {
  tmux kill-session -t "$pane" 2>/dev/null || true
  tmux new-session -d -s "$pane" -x 120 -y 40 "bash $work/run.sh $*"
}
# After loupe exits: exit code 0, canonical mode and echo back on, alternate screen left.
check_restored() {
  wait_for 60 "LOUPE-EXIT=0" "MODES: icanon echo"
  [ "$(tmux display -p -t "$pane" '#{alternate_on}')" = "0" ] || fail "the alternate screen is still on"
}

echo "tui e2e: opening the demo workspace"
start
wait_for 900 "1 Overview" "2 Activations" "A demo:mlp-1" "B demo:mlp-2" "accuracy" "activation std by layer"

echo "tui e2e: tabs"
keys Tab
wait_for 60 "sample 0 of 0…448" "fc1 [256]" "relu2 [256]" "A → "
keys n n
wait_for 30 "sample 2 of 0…448"
keys BTab
wait_for 30 "85,002 parameters"
keys ]
wait_for 30 "sample 2 of 0…448"

echo "tui e2e: follow a unit with @ and walk back"
keys 8
wait_for 120 "A demo:mlp-1 relu1 [256] × B demo:mlp-2 relu1 [256]" "bipartite"
keys @
wait_for 30 "follow unit 0 of relu1 to: l LRP map"
keys l
wait_for 60 "trail: Align: unit 0 of relu1 → LRP: sample" "target unit 0 of relu1"
keys BSpace
wait_for 30 "back at Align: unit 0 of relu1"
keys 2
wait_for 30 "sample 2 of 0…448"

echo "tui e2e: help"
keys '?'
wait_for 30 "Keys — any key closes" "export the current view's numbers as CSV" "next sample"
keys Escape
wait_gone "Keys — any key closes"

echo "tui e2e: export"
keys e
wait_for 30 "exported 2068 rows × 7 columns to $work/loupe-activations-"
csv=$(ls "$work"/loupe-activations-*.csv)
[ "$(head -1 "$csv")" = "model,sample,label,prediction,layer,unit,activation" ] || fail "CSV header: $(head -1 "$csv")"
[ "$(wc -l < "$csv")" -eq 2069 ] || fail "CSV rows: $(wc -l < "$csv")"
grep -q '^demo:mlp-2,2,' "$csv" || fail "CSV has no rows of sample 2 for model B"

echo "tui e2e: save"
keys s
wait_for 30 "Save session as"
keys C-u
tmux send-keys -t "$pane" -l "e2e"
keys Enter
wait_for 30 "saved session 'e2e'"
[ -f "$work/Sessions/e2e/session.json" ] || fail "no Sessions/e2e/session.json"
grep -q '"activeTab" : 1' "$work/Sessions/e2e/session.json" || fail "the session does not record the Activations tab"

echo "tui e2e: quit with q"
keys q
check_restored

echo "tui e2e: restore the session"
start tui --session e2e
wait_for 120 "[e2e]" "sample 2 of 0…448" "fc1 [256]"
tmux resize-window -t "$pane" -x 80 -y 24
wait_for 30 "sample 2 of 0…448"
keys BTab
wait_for 30 "A demo:mlp-1" "accuracy"

echo "tui e2e: quit with Ctrl-C"
keys C-c
check_restored

echo "tui e2e: the text demo"
start tui demo:gpt2-tiny
wait_for 120 "1 Overview" "A demo:gpt2-tiny" "next-token loss" "blocks.3.hook_resid_post"
keys Tab
wait_for 60 "blocks.2.mlp.hook_post [512] · unit 0 · context 1/64 (line 20)" "largest in this context"
keys l n
wait_for 30 "unit 1 · context 2/64 (line 20)"
keys Tab
wait_for 60 "Logit lens" "p(next)" "block 3"
keys l l
wait_for 30 "token 2 '"
keys Tab
wait_for 60 "block 0/3 · head 0/3" "query 0 attends to"
keys J l
wait_for 30 "block 1/3 · head 1/3"
keys 7
wait_for 30 "top-k SAE on A demo:gpt2-tiny blocks.2.hook_resid_post" "t trains it from"
keys "<" "<" "<" "<" t
wait_for 180 "step 25/25" "tokens/s" "done: the Latents and Prompt views read SAE 1"
keys 6
wait_for 60 "SAE 1 trained here on blocks.2.hook_resid_post" "fires on"
keys 4 Tab Tab Tab Tab Tab Tab
wait_for 30 "LRP does not apply to transformers yet"
keys e
wait_for 30 "nothing to export"
keys 4 e
wait_for 30 "exported"
ls "$work"/loupe-attention-*.csv >/dev/null 2>&1 || fail "no attention CSV"
keys q
check_restored

echo "tui e2e: a prompt and an SAE's latents"
head -400 Tests/Fixtures/tokenizers/corpus.txt > "$work/text.txt"
"$loupe" sae train demo:gpt2-tiny --text "$work/text.txt" --layer blocks.1.hook_resid_post --max-tokens 3000 \
  -a topk --k 16 --d-sae 256 --steps 300 --out "$work/sae" > /dev/null
start tui demo:gpt2-tiny --sae "$work/sae"
wait_for 120 "1 Overview" "A demo:gpt2-tiny"
keys 5
wait_for 30 "5 Prompt" "i types a prompt"
keys i
tmux send-keys -t "$pane" -l "The quick hacker"
keys Enter
wait_for 60 "next after token" "latents of the SAE active at"
keys Left Left
wait_for 30 "active at token 1 '"
keys Enter
wait_for 60 "fires on" "promotes:"
keys q
check_restored

echo "tui e2e: no terminal"
if out=$("$loupe" tui < /dev/null 2>&1 >/dev/null); then fail "loupe tui without a terminal succeeded"; fi
[ "$(wc -l <<<"$out")" -eq 1 ] && grep -q "needs a terminal" <<<"$out" || fail "no-terminal message: $out"

echo "tui e2e: all passed"
