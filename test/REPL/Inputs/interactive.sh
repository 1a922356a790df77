#!/usr/bin/env bash
# Drives nnc-repl through a real terminal (tmux): types keys, waits for
# what should appear, and prints each screen for FileCheck.
# Usage: interactive.sh NNC_REPL WORK_DIR
set -u
REPL=$1
WORK=$2
rm -rf "$WORK" && mkdir -p "$WORK/home"
SOCK="$WORK/tmux.sock"
export HOME="$WORK/home"
unset NNC_REPL_HISTORY
T() { tmux -S "$SOCK" "$@"; }

# Waits until the pane shows a line matching $1 (a grep -E pattern).
wait_for() {
  for _ in $(seq 1 1200); do
    if T capture-pane -p -t repl | grep -Eq -- "$1"; then return 0; fi
    sleep 0.05
  done
  echo "TIMEOUT waiting for: $1"
  T capture-pane -p -t repl
  return 1
}
# Waits until the pane shows at least $1 prompts: the input before them
# was evaluated, so keys typed next reach the line editor, not the
# terminal's echo while the REPL is busy (a race on a loaded machine).
# libedit draws a prompt as it starts reading that line, so every key
# here is sent only once the prompt it goes to is on the screen.
wait_prompts() {
  for _ in $(seq 1 1200); do
    if (($(T capture-pane -p -t repl | grep -c '^nn>') >= $1)); then return 0; fi
    sleep 0.05
  done
  echo "TIMEOUT waiting for $1 prompts"
  T capture-pane -p -t repl
  return 1
}
# Waits until nnc-repl has exited and prints its exit status.
wait_exit() {
  for _ in $(seq 1 1200); do
    if [[ -s "$WORK/status" ]]; then
      echo "EXIT STATUS $(cat "$WORK/status")"
      return 0
    fi
    sleep 0.05
  done
  echo "TIMEOUT waiting for the exit"
  return 1
}
screen() { echo "=== $1"; T capture-pane -p -t repl | sed -e '/^$/d'; }

start() {
  rm -f "$WORK/status"
  # The shell around nnc-repl ignores Ctrl-C (an interactive shell would)
  # and records the exit status.
  T new-session -d -s repl -x 120 -y 40 \
    "trap '' INT; env TERM=xterm LC_ALL=C $REPL $*; echo \$? > $WORK/status; sleep 600"
  wait_for '^nn>'
}
trap 'T kill-server 2>/dev/null' EXIT

# Session 1: a prompt, results, Tab completion, Ctrl-C, Ctrl-D.
start
T send-keys -t repl 'fn circuit(x, y, z) = (x + y) * z' Enter
wait_prompts 2
T send-keys -t repl 'circuit(-2, 5, -4)' Enter
wait_for '^-12.0$'
wait_prompts 3
# Tab completes a built-in, then a function of the session.
T send-keys -t repl 'gra' Tab '(cir' Tab ')(-2, 5, -4)' Enter
wait_for '^\(-4.0, -4.0, 3.0\)$'
wait_prompts 4
# An ambiguous prefix lists the choices; Ctrl-C drops the line.
T send-keys -t repl 'si' Tab
wait_for 'sigmoid  sign  sin'
# The line is redrawn under the list (the fifth prompt) before Ctrl-C: a
# Ctrl-C during that write would cut the redraw short.
wait_prompts 5
T send-keys -t repl C-c
wait_prompts 6
# Commands complete after ':'.
T send-keys -t repl ':ty' Tab 'circuit' Enter
wait_for '^fn\(x: f64, y: f64, z: f64\) -> f64$'
wait_prompts 7
# A multi-line input continues with '... '; Ctrl-C drops all of it.
T send-keys -t repl 'circuit(1,' Enter
wait_for '^\.\.\.'
T send-keys -t repl C-c
wait_prompts 8
T send-keys -t repl 'circuit(1, 1, 1)' Enter
wait_for '^2.0$'
# The prompt after it is up (nine in all): a Ctrl-D typed before the line
# editor takes the terminal can be flushed with the mode change.
wait_prompts 9
screen "session 1"
T send-keys -t repl C-d
wait_exit
screen "session 1 after Ctrl-D"
T kill-session -t repl

# Session 2: the history of session 1 is recalled with the Up arrow (the
# input dropped by Ctrl-C is not in it). The session itself is new.
start
T send-keys -t repl Up Up Up Up Up Enter
wait_prompts 2
T send-keys -t repl Up Up Up Up Enter
wait_for '^\(-4.0, -4.0, 3.0\)$'
screen "session 2"
T send-keys -t repl ':quit' Enter
wait_exit
T kill-session -t repl

# Starts a session with the given flags, types a compilation that would
# run for hours (the 20th derivative, no --max-ops), presses Ctrl-C after
# $1 seconds, and checks that the session goes on with $2.
interrupt_compile() {
  local delay=$1 after=$2
  shift 2
  start "$@" --max-ops=0
  T send-keys -t repl 'fn s(x) = sigmoid(x) * tanh(x) / (1 + x * x)' Enter
  wait_prompts 2
  T send-keys -t repl 'grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(grad(s))))))))))))))))))))(1)' Enter
  sleep "$delay"
  T send-keys -t repl C-c
  wait_for 'interrupted$'
  wait_prompts 3
  T send-keys -t repl "$after" Enter
}

# Session 3 (--isolate): Ctrl-C kills the child compiling, the session
# goes on.
interrupt_compile 1 's(1)' --isolate
wait_for '^0.27838497057296985$'
screen "session 3"
T kill-session -t repl

# Session 4 (in process): Ctrl-C stops the same compilation between two
# derived functions in AD.
interrupt_compile 0.5 's(2)'
wait_for '^0.1698225351241737$'
screen "session 4"
T kill-session -t repl

# Sessions 6 and 7: Ctrl-C during :train (a run that would take years)
# stops it and leaves the instance's parameters as they were: in process,
# the trainer stops after its step and says so; with --isolate the child
# is killed. The model is test/Train's, its data a CSV of 4 features.
TINY="$(cd "$(dirname "$0")/../../Train/Inputs" && pwd)/tiny.nn"
awk 'BEGIN { srand(3); print "a,b,c,d,label";
  for (i = 0; i < 50000; ++i) printf "%f,%f,%f,%f,%d\n", rand(), rand(), rand(), rand(), i % 3 }' \
  > "$WORK/train.csv"
interrupt_train() {
  start "$TINY" "$@"
  T send-keys -t repl 'let w0 = net.fc1.W' Enter
  wait_prompts 2
  T send-keys -t repl ":train net.loss --train $WORK/train.csv --label-column label --epochs 100000000 --batch-size 1" Enter
  # The progress bar (an epoch's summary line has a ':' there); epochs
  # of 50000 steps last long enough that Ctrl-C lands inside one.
  wait_for '^epoch [0-9]+/100000000 \['
  T send-keys -t repl C-c
  wait_for 'interrupted'
  # The epochs' lines have scrolled the first prompts away: wait for the
  # empty one.
  wait_for '^nn> ?$'
  T send-keys -t repl 'sum(abs(net.fc1.W - w0))' Enter
  wait_for '^0.0$'
}
interrupt_train
screen "session 6"
T kill-session -t repl
interrupt_train --isolate
screen "session 7"
T kill-session -t repl

# Session 5: Ctrl-D at the "..." prompt says the unfinished input is
# dropped.
start
T send-keys -t repl 'fn f(x) = (x +' Enter
wait_for '^\.\.\.'
T send-keys -t repl C-d
wait_exit
screen "session 5"
