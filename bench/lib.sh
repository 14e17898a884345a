# Shared by the bench scripts (source it): `step LABEL COMMAND...`.

# Runs a command under GNU time and samples its memory every 0.2 s: peak RSS counts the
# pages of files tantivy maps (the page cache, reclaimable); RssAnon is the heap alone.
step() { # label, command...
  local label=$1 tpid child anon=0 file=0 a f
  shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, peak RSS %M KiB" "$@" &
  tpid=$!
  while kill -0 "$tpid" 2>/dev/null; do
    child=$(pgrep -P "$tpid" | head -n 1 || true)
    if [[ -n $child && -r /proc/$child/status ]]; then
      a=$(awk '/^RssAnon:/ {print $2}' "/proc/$child/status" 2>/dev/null || true)
      f=$(awk '/^RssFile:/ {print $2}' "/proc/$child/status" 2>/dev/null || true)
      [[ -n $a && $a -gt $anon ]] && anon=$a
      [[ -n $f && $f -gt $file ]] && file=$f
    fi
    sleep 0.2
  done
  wait "$tpid"
  echo "$label: peak RssAnon $((anon / 1024)) MiB, peak RssFile $((file / 1024)) MiB (sampled)" >&2
}
