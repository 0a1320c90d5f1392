# shellcheck shell=bash
# Shared helpers for the project's shell scripts (sourced, not executed).
# Output goes to stderr for progress and stdout for nothing else, so callers
# can still capture a function's result with $(...).

# Colours only on a terminal and when NO_COLOR is unset.
if [[ -t 2 && -z "${NO_COLOR:-}" ]]; then
  _c_bold=$'\033[1m'; _c_dim=$'\033[2m'; _c_green=$'\033[32m'; _c_yellow=$'\033[33m'; _c_red=$'\033[31m'; _c_reset=$'\033[0m'
else
  _c_bold=''; _c_dim=''; _c_green=''; _c_yellow=''; _c_red=''; _c_reset=''
fi

# Milliseconds since the epoch (GNU date; falls back to whole seconds).
now_ms() {
  local ms
  ms=$(date +%s%3N 2>/dev/null) || ms=''
  if [[ "$ms" =~ ^[0-9]+$ ]]; then echo "$ms"; else echo "$(( $(date +%s) * 1000 ))"; fi
}

format_ms() {
  local ms=$1
  printf '%d.%01ds' "$((ms / 1000))" "$(((ms % 1000) / 100))"
}

# step "Title": prints a header and starts the step's clock.
_step_started_ms=0
_step_title=''
step() {
  _step_title=$1
  _step_started_ms=$(now_ms)
  printf '\n%s==> %s%s\n' "$_c_bold" "$1" "$_c_reset" >&2
}

info() { printf '    %s\n' "$*" >&2; }
ok()   { printf '    %s✓%s %s\n' "$_c_green" "$_c_reset" "$*" >&2; }
skip() { printf '    %s✓ %s (already done)%s\n' "$_c_dim" "$*" "$_c_reset" >&2; }
warn() { printf '    %s! %s%s\n' "$_c_yellow" "$*" "$_c_reset" >&2; }
die()  { printf '%serror:%s %s\n' "$_c_red" "$_c_reset" "$*" >&2; exit 1; }

# Elapsed time of the current step, e.g. "1.4s".
step_elapsed() { format_ms "$(( $(now_ms) - _step_started_ms ))"; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@" || sudo "$@"
  else
    die "this step needs root (or sudo) to run: $*"
  fi
}

# Installs Debian packages (apt-get, as root): apt_install [apt-get install options] package...
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "$@" >/dev/null
}

# Runs a command as the given system user, from a directory that user can read.
as_user() {
  local user=$1; shift
  if [[ "$(id -un)" == "$user" ]]; then
    (cd / && "$@")
  elif [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u "$user" -- "$@")
  elif command -v sudo >/dev/null 2>&1; then
    (cd / && sudo -u "$user" -- "$@")
  else
    die "cannot run as user $user (need root or sudo): $*"
  fi
}
