#!/bin/sh
# The first half of `npm test`: the type check, the type-aware lint and the format check.
# They are independent and CPU-bound, so they run side by side; each runs to its end, so one
# run lists every finding, and any failure fails the gate. Run from npm (node_modules/.bin on PATH).
set -u
tsc --noEmit -p . &
types=$!
eslint . &
lint=$!
prettier --check . --log-level warn &
format=$!
status=0
wait "$types" || { echo 'static checks: the type check failed (npm run typecheck)' >&2; status=1; }
wait "$lint" || { echo 'static checks: the lint failed (npm run lint)' >&2; status=1; }
wait "$format" || { echo 'static checks: files are not formatted (npm run format writes them)' >&2; status=1; }
exit "$status"
